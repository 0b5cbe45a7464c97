"""BM25 as a Whoosh weighting model, for the queries Whoosh runs itself (phrases, exclusions).

The formulas are those of ``_ranking.py``; Whoosh's own BM25F uses ``log(N / (df + 1)) + 1`` as
its idf, which punishes common words much less.
"""

from __future__ import annotations

from typing import Any, Protocol

from whoosh import scoring

from .. import _ranking as ranking


class Statistics(Protocol):
    """The collection statistics BM25 needs (a snapshot's own, or a sharded index's global
    ones)."""

    @property
    def doc_count(self) -> int: ...

    def doc_frequency(self, fieldname: str, term: str) -> int: ...

    def avg_field_length(self, fieldname: str) -> float: ...


class BM25(scoring.WeightingModel):  # type: ignore[misc]
    """Whoosh weighting: BM25 per field with :func:`~diaspora_search._ranking.bm25_idf`, from
    the searcher's own statistics or the ``statistics`` given."""

    def __init__(
        self,
        k1: float = ranking.BM25_K1,
        b: float = ranking.BM25_B,
        statistics: Statistics | None = None,
    ) -> None:
        self.k1 = k1
        self.b = b
        self.statistics = statistics

    def supports_block_quality(self) -> bool:
        return True

    def scorer(self, searcher: Any, fieldname: str, text: Any, qf: int = 1) -> Any:
        if not searcher.schema[fieldname].scorable:
            return scoring.WeightScorer.for_(searcher, fieldname, text)
        return _BM25Scorer(searcher, fieldname, text, self.k1, self.b, self.statistics)


class _BM25Scorer(scoring.WeightLengthScorer):  # type: ignore[misc]
    def __init__(
        self,
        searcher: Any,
        fieldname: str,
        text: Any,
        k1: float,
        b: float,
        statistics: Statistics | None,
    ) -> None:
        if statistics is None:
            parent = searcher.get_parent()
            count, frequency = parent.doc_count_all(), parent.doc_frequency(fieldname, text)
            self.avgfl = parent.avg_field_length(fieldname) or 1.0
        else:
            term = text.decode("utf-8") if isinstance(text, bytes) else str(text)
            count, frequency = statistics.doc_count, statistics.doc_frequency(fieldname, term)
            self.avgfl = statistics.avg_field_length(fieldname)
        self.idf = ranking.bm25_idf(count, frequency)
        self.k1 = k1
        self.b = b
        self.setup(searcher, fieldname, text)

    def _score(self, weight: float, length: float) -> float:
        return self.idf * ranking.bm25_tf(weight, length, self.avgfl, self.k1, self.b)
