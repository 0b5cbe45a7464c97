"""Shared helpers for the analysis tests.

``assert_terms`` is the ``checkOneTerm`` of Lucene's analysis tests: one text, one language, the
exact terms expected, checked through both entry points (``analyze`` and the Whoosh analyzer),
so that every golden case also proves that index-time and query-time analysis agree on it.
"""

from __future__ import annotations

from collections.abc import Callable

import pytest

from diaspora_search import analyze
from diaspora_search.storage.analyzers import whoosh_analyzer


def _assert_terms(text: str, lang: str, expected: list[str]) -> None:
    assert analyze(text, lang) == expected, f"analyze({text!r}, {lang!r})"
    tokens = [t.text for t in whoosh_analyzer(lang)(text)]
    assert tokens == expected, f"whoosh_analyzer({lang!r})({text!r})"


@pytest.fixture
def assert_terms() -> Callable[[str, str, list[str]], None]:
    """``assert_terms(text, lang, expected)``: the terms of ``text`` are exactly ``expected``."""
    return _assert_terms
