"""Collection statistics of a sharded index, summed from its shards.

Records partition by id, so the collection's statistics are sums of the shards': document
counts, per-field length totals, and each term's document frequency. Summed exactly (integers),
they give every BM25 weight bit for bit as one index holding the same documents would (deleted
documents count until their segment is merged, in a shard as in one index). The sum is also the
:class:`~diaspora_search.query.vocabulary.TermSource` that accent expansion and spelling read.

A query's shards are sent only what it needs: :class:`QueryStatistics`, the statistics of the
query's own terms.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field

from .._fields import FIELDS, Kind
from ..query.plan import Alternative, Key, QueryPlan
from ..storage import Snapshot

TERM_FIELDS: tuple[str, ...] = tuple(
    f.name for f in FIELDS if f.kind in (Kind.TEXT, Kind.NAMES, Kind.FORMS)
)
"""The fields whose terms are gathered (not the ids, one term per record and never scored)."""


@dataclass(frozen=True)
class ShardSummary:
    """One shard's statistics: what :class:`GlobalStatistics` sums."""

    doc_count: int
    live_count: int
    field_lengths: dict[str, int]
    terms: dict[str, list[tuple[str, int]]]


def summarize(snapshot: Snapshot) -> ShardSummary:
    """The statistics of one shard's snapshot."""
    return ShardSummary(
        doc_count=snapshot.doc_count,
        live_count=snapshot.live_count(),
        field_lengths={name: snapshot.field_length_total(name) for name in TERM_FIELDS},
        terms={name: list(snapshot.term_frequencies(name)) for name in TERM_FIELDS},
    )


def _avg(total: int, doc_count: int) -> float:
    # As Whoosh's Searcher.avg_field_length, read through Snapshot.avg_field_length.
    return float(total / (doc_count or 1) or 1.0)


class GlobalStatistics:
    """The statistics and vocabulary of every shard together (see the module docstring)."""

    def __init__(self, summaries: Iterable[ShardSummary]) -> None:
        self.doc_count = 0
        self.live_count = 0
        self.field_lengths: dict[str, int] = dict.fromkeys(TERM_FIELDS, 0)
        self._frequency: dict[Key, int] = {}
        for summary in summaries:
            self.doc_count += summary.doc_count
            self.live_count += summary.live_count
            for name, total in summary.field_lengths.items():
                self.field_lengths[name] = self.field_lengths.get(name, 0) + total
            frequency = self._frequency
            for name, pairs in summary.terms.items():
                for term, count in pairs:
                    key = (name, term)
                    frequency[key] = frequency.get(key, 0) + count
        self._sorted: dict[str, list[str]] = {name: [] for name in TERM_FIELDS}
        for name, term in sorted(self._frequency):
            self._sorted.setdefault(name, []).append(term)

    # Statistics -------------------------------------------------------------------------------

    def doc_frequency(self, fieldname: str, term: str) -> int:
        return self._frequency.get((fieldname, term), 0)

    def avg_field_length(self, fieldname: str) -> float:
        return _avg(self.field_lengths.get(fieldname, 0), self.doc_count)

    def for_plan(self, plan: QueryPlan) -> QueryStatistics:
        """The statistics of ``plan``'s terms only: what a shard needs to score it."""
        keys = {key for alternative in _alternatives(plan) for key in alternative.term_keys()}
        return QueryStatistics(
            self.doc_count,
            dict(self.field_lengths),
            {key: self._frequency.get(key, 0) for key in keys},
        )

    # TermSource (the vocabulary) --------------------------------------------------------------

    def has_term(self, fieldname: str, term: str) -> bool:
        return (fieldname, term) in self._frequency

    def terms(self, fieldname: str) -> Iterator[str]:
        return iter(self._sorted.get(fieldname, ()))

    def known_terms(self, fieldnames: Iterable[str]) -> frozenset[str]:
        return frozenset().union(*(self._sorted.get(name, ()) for name in fieldnames))


def _alternatives(plan: QueryPlan) -> Iterator[Alternative]:
    for group in plan.groups:
        yield from group
    yield from plan.excluded


@dataclass
class QueryStatistics:
    """The collection statistics one query's terms need, sent to each shard with the query."""

    doc_count: int
    field_lengths: dict[str, int]
    frequencies: dict[Key, int] = field(default_factory=dict)

    def doc_frequency(self, fieldname: str, term: str) -> int:
        return self.frequencies.get((fieldname, term), 0)

    def avg_field_length(self, fieldname: str) -> float:
        return _avg(self.field_lengths.get(fieldname, 0), self.doc_count)
