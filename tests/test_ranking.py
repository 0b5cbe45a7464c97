"""The ranking formulas: each against its definition."""

from __future__ import annotations

import math

import pytest
from hypothesis import given
from hypothesis import strategies as st

from diaspora_search import _ranking as ranking


@given(st.integers(1, 10**6), st.integers(0, 10**6))
def test_bm25_idf_is_positive_and_falls_with_frequency(n: int, df: int) -> None:
    df = min(df, n)
    idf = ranking.bm25_idf(n, df)
    assert idf > 0
    assert idf == math.log(1 + (n - df + 0.5) / (df + 0.5))
    if df < n:
        assert ranking.bm25_idf(n, df + 1) < idf


@given(
    st.floats(0.5, 50),
    st.floats(1, 500),
    st.floats(1, 500),
)
def test_bm25_tf_composes_norm_and_saturation(freq: float, length: float, avg: float) -> None:
    k1, b = ranking.BM25_K1, ranking.BM25_B
    direct = freq * (k1 + 1.0) / (freq + k1 * (1.0 - b + b * length / avg))
    assert ranking.bm25_tf(freq, length, avg, k1, b) == direct  # exactly: same operations
    assert 0 < ranking.bm25_tf(freq, length, avg, k1, b) < k1 + 1


def test_coordination() -> None:
    assert ranking.coordination(3, 4) == pytest.approx(0.75**ranking.COORDINATION)
    assert ranking.coordination(0, 4) == ranking.coordination(1, 4)
    assert ranking.coordination(5, 1) == 1.0


def test_language_weights_span_floor_to_one() -> None:
    assert ranking.language_weight(0.0) == ranking.LANGUAGE_FLOOR
    assert ranking.language_weight(0.5) == ranking.language_weight(1.0) == 1.0
    assert ranking.spanish_likelihood(10) > 0.99 and ranking.spanish_likelihood(-10) < 0.01


def test_exact_form_factor() -> None:
    assert ranking.exact_form_factor(0, 3) == 1.0
    assert ranking.exact_form_factor(3, 3) == 1.0 + ranking.EXACT_FORM_BONUS
