"""Ranking: the scoring function and every tunable parameter, in one place.

Parameters were tuned on the XQuAD dev questions only (``benchmarks/quality.py``); the held-out
questions check that they generalize.
"""

from __future__ import annotations

import math
from typing import Any

from whoosh import scoring

TITLE_BOOST = 2.0
"""A title word weighs twice a summary word (XQuAD is indifferent between 1 and 3; on the IME
articles a title is the best summary of the record)."""
NAME_BOOST = 1.0
EXACT_FORM_BONUS = 0.25
"""A hit holding exactly the written forms typed (papá, not papa) scores up to 25% more."""
ACCENT_VARIANT_WEIGHT = 0.9
"""Weight of the other stems a word stands for (economia -> the stem of economía)."""
COORDINATION = 1.0
"""A hit holding k of n query groups has its score multiplied by (k / n) ** COORDINATION."""
LANGUAGE_FLOOR = 0.3
"""The weight of the less likely language of a query."""
BM25_K1 = 1.2
BM25_B = 0.75


def bm25_idf(doc_count: int, doc_frequency: int) -> float:
    """Robertson-Spärck Jones idf as BM25 uses it, kept positive as in Lucene:
    ``log(1 + (N - df + 0.5) / (df + 0.5))`` (Robertson & Zaragoza, "The Probabilistic
    Relevance Framework: BM25 and Beyond", 2009, eq. 3.3).

    >>> round(bm25_idf(1000, 1), 3), round(bm25_idf(1000, 999), 3)
    (6.503, 0.001)
    """
    return math.log(1.0 + (doc_count - doc_frequency + 0.5) / (doc_frequency + 0.5))


def bm25_tf(freq: float, length: float, avg_length: float, k1: float, b: float) -> float:
    """BM25's saturating term frequency with length normalization (ibid., eq. 3.13).

    >>> bm25_tf(1, 10, 10, 1.2, 0.75)
    1.0
    """
    return freq * (k1 + 1.0) / (freq + k1 * (1.0 - b + b * length / avg_length))


class BM25(scoring.WeightingModel):  # type: ignore[misc]
    """Whoosh weighting: BM25 per field with :func:`bm25_idf` (Whoosh's own BM25F uses
    ``log(N / (df + 1)) + 1``, which punishes common words much less)."""

    def __init__(self, k1: float = BM25_K1, b: float = BM25_B) -> None:
        self.k1 = k1
        self.b = b

    def supports_block_quality(self) -> bool:
        return True

    def scorer(self, searcher: Any, fieldname: str, text: Any, qf: int = 1) -> Any:
        if not searcher.schema[fieldname].scorable:
            return scoring.WeightScorer.for_(searcher, fieldname, text)
        return _BM25Scorer(searcher, fieldname, text, self.k1, self.b)


class _BM25Scorer(scoring.WeightLengthScorer):  # type: ignore[misc]
    def __init__(self, searcher: Any, fieldname: str, text: Any, k1: float, b: float) -> None:
        parent = searcher.get_parent()
        self.idf = bm25_idf(parent.doc_count_all(), parent.doc_frequency(fieldname, text))
        self.avgfl = parent.avg_field_length(fieldname) or 1.0
        self.k1 = k1
        self.b = b
        self.setup(searcher, fieldname, text)

    def _score(self, weight: float, length: float) -> float:
        return self.idf * bm25_tf(weight, length, self.avgfl, self.k1, self.b)
