"""What runs where a shard is read (a Dask worker, or the calling process): the tasks of a
sharded search, each given a shard's folder and returning plain, picklable values.

Each process keeps the shards it has opened, and per shard and set of collection statistics
the length norms of BM25, so that only the first query after a commit reads them.
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from .._errors import DiasporaSearchError, ShardUnavailableError
from .._fields import ID
from ..query.plan import Key, QueryPlan
from ..search import Filters, LengthNorms, Searcher
from ..search.deadline import Deadline
from ..search.facets import RecordValues
from ..storage import IndexStore, Snapshot
from .statistics import QueryStatistics, ShardSummary, summarize

_OPEN_LIMIT = 64
_lock = threading.Lock()
_stores: OrderedDict[str, IndexStore] = OrderedDict()
_norms: OrderedDict[tuple[str, int, object], LengthNorms] = OrderedDict()
_values: OrderedDict[tuple[str, int], RecordValues] = OrderedDict()


@dataclass(frozen=True)
class Candidate:
    """One document a shard proposes for a query: its score with the collection's statistics,
    its number in the shard, its record id (equal scores are ordered by it), the query terms
    it holds, whether it holds exactly an accented word typed, its stored fields when the
    reranking reads them (for the exact forms typed; else only the page's are read, later),
    and whether it passes the search's filters."""

    score: float
    docnum: int
    id: str
    matched: frozenset[Key]
    holder: bool = False
    stored: dict[str, Any] | None = None
    allowed: bool = True


def snapshot(path: str) -> Snapshot:
    """The last commit of the shard at ``path``, opened once per process.

    Raises:
        ShardUnavailableError: the shard cannot be opened.
    """
    with _lock:
        store = _stores.get(path)
        if store is None:
            try:
                store = IndexStore.open(Path(path))
            except DiasporaSearchError as error:
                raise ShardUnavailableError(f"shard {path} cannot be read: {error}") from None
            _stores[path] = store
            while len(_stores) > _OPEN_LIMIT:
                _stores.popitem(last=False)[1].close()
        _stores.move_to_end(path)
    try:
        return store.snapshot()
    except Exception as error:  # (its files gone or damaged since it was opened: any error)
        with _lock:
            if _stores.get(path) is store:
                del _stores[path]
        raise ShardUnavailableError(
            f"shard {path} cannot be read: {type(error).__name__}: {error}"
        ) from None


def _searcher(path: str, statistics: QueryStatistics, key: object) -> Searcher:
    """A searcher of the shard scoring with ``statistics``; its length norms shared by every
    query of the same collection state ``key``, its record values (filters, facets) by every
    query of the shard's commit."""
    found = snapshot(path)
    with _lock:
        norms_key = (path, found.generation, key)
        norms = _norms.get(norms_key)
        if norms is None:
            norms = _norms[norms_key] = LengthNorms(found)
            while len(_norms) > _OPEN_LIMIT:
                _norms.popitem(last=False)
        values_key = (path, found.generation)
        values = _values.get(values_key)
        if values is None:
            values = _values[values_key] = RecordValues(found)
            while len(_values) > _OPEN_LIMIT:
                _values.popitem(last=False)
    searcher = Searcher(found, statistics=statistics, norms=norms)
    searcher.values = values
    return searcher


def shard_summary(path: str) -> ShardSummary:
    """The shard's statistics and vocabulary."""
    return summarize(snapshot(path))


@dataclass(frozen=True)
class Head:
    """A shard's part of a search's head: its candidates (see
    ``Searcher.head_candidates``), how many of its records match and pass the filters, and
    the facets of those."""

    candidates: list[Candidate]
    total: int
    facets: dict[str, dict[str, int]]


def shard_head(
    path: str,
    plan: QueryPlan,
    filters: Filters,
    facets: tuple[str, ...],
    statistics: QueryStatistics,
    key: object,
    seconds: float | None,
) -> Head:
    """The shard's head candidates for ``plan`` (its ``RERANK_DEPTH`` best by BM25 and
    its ``ACCENT_POOL`` best holders of an accented word typed, scored with the
    collection's ``statistics``), each marked as passing the ``filters`` or not, with the
    count and ``facets`` of its matches passing them; within ``seconds``."""
    searcher = _searcher(path, statistics, key)
    deadline = Deadline(seconds)
    matches = searcher.matches(plan, deadline)
    holders = searcher.accent_holders(plan)
    ranked = searcher.head_candidates(plan, matches, holders)
    matched = matches.matched([d for _, d in ranked])
    kept = searcher.kept(matches, filters)
    counts = searcher.values.count(facets, kept) if facets else {}
    found = searcher.snapshot
    candidates = [
        Candidate(
            score,
            d,
            found.record_id(d),
            frozenset(matched[d]),
            d in holders,
            found.stored(d) if plan.exact_forms else None,
            d in kept,
        )
        for score, d in ranked
    ]
    return Head(candidates, len(kept), counts)


def shard_tail(
    path: str,
    plan: QueryPlan,
    filters: Filters,
    head: list[int],
    count: int,
    statistics: QueryStatistics,
    key: object,
    seconds: float | None,
) -> list[Candidate]:
    """The shard's ``count`` best matches after the collection's head (its documents
    ``head``) that pass the ``filters``, in one index's order past the head (BM25 times
    coordination, ties by record id: ``Searcher.tail``); within ``seconds``."""
    searcher = _searcher(path, statistics, key)
    matches = searcher.matches(plan, Deadline(seconds))
    kept = searcher.kept(matches, filters)
    ranked = searcher.tail(plan, matches, kept, set(head))[:count]
    matched = matches.matched([d for _, d in ranked])
    found = searcher.snapshot
    return [Candidate(score, d, found.record_id(d), frozenset(matched[d])) for score, d in ranked]


def shard_by_year(
    path: str,
    plan: QueryPlan,
    filters: Filters,
    head: dict[int, int],
    count: int,
    newest_first: bool,
    statistics: QueryStatistics,
    key: object,
    seconds: float | None,
) -> list[tuple[tuple[Any, ...], Candidate]]:
    """The shard's first ``count`` matches passing the ``filters`` sorted by year as one index
    sorts them (records without a year last, ties in relevance order: the collection's head
    first, by its position ``head``, then one index's order past the head), each with its
    sort key, to be merged by it."""
    searcher = _searcher(path, statistics, key)
    matches = searcher.matches(plan, Deadline(seconds))
    kept = searcher.kept(matches, filters)
    found = searcher.snapshot
    years = searcher.values.year_keys(newest_first)
    keyed: list[tuple[tuple[Any, ...], float, int]] = [
        ((years[d], 0, position), 0.0, d) for d, position in head.items() if d in kept
    ]
    keyed += [
        ((years[d], 1, -score, found.record_id(d)), score, d)
        for score, d in searcher.tail(plan, matches, kept, set(head))
    ]
    keyed.sort(key=lambda item: item[0])
    keyed = keyed[:count]
    matched = matches.matched([d for _, _, d in keyed])
    return [
        (sort_key, Candidate(score, d, found.record_id(d), frozenset(matched[d])))
        for sort_key, score, d in keyed
    ]


def shard_top(
    path: str, plan: QueryPlan, depth: int, statistics: QueryStatistics, key: object
) -> list[Candidate]:
    """The shard's ``depth`` best documents for ``plan`` by BM25 alone."""
    searcher = _searcher(path, statistics, key)
    ranked, matched = searcher.top(plan, depth)
    found = searcher.snapshot
    return [
        Candidate(score, d, found.record_id(d), frozenset(matched[d]), stored=found.stored(d))
        for score, d in ranked
    ]


def shard_documents_with(path: str, fieldname: str, term: str) -> list[int]:
    """The shard's live documents holding ``term`` in ``fieldname``."""
    return sorted(snapshot(path).documents_with(fieldname, term))


def shard_stored(path: str, docnums: list[int]) -> list[dict[str, Any]]:
    """The stored fields of documents of the shard."""
    found = snapshot(path)
    return [found.stored(docnum) for docnum in docnums]


def shard_get(path: str, record_id: str) -> dict[str, Any] | None:
    """The stored fields of the record ``record_id`` in the shard, or ``None``."""
    found = snapshot(path)
    docnum = found.document_number(ID, record_id)
    return None if docnum is None else found.stored(docnum)


def shard_held(path: str, record_ids: list[str]) -> list[str]:
    """Which of ``record_ids`` the shard holds."""
    found = snapshot(path)
    return [i for i in record_ids if found.document_number(ID, i) is not None]


def shard_live_count(path: str) -> int:
    return snapshot(path).live_count()


def close_under(root: str) -> None:
    """Close the shards this process opened inside the folder ``root``."""
    prefix = str(Path(root)) + "/"
    with _lock:
        for path in [p for p in _stores if p.startswith(prefix)]:
            _stores.pop(path).close()
        for key in [k for k in _norms if k[0].startswith(prefix)]:
            del _norms[key]
        for vkey in [k for k in _values if k[0].startswith(prefix)]:
            del _values[vkey]
