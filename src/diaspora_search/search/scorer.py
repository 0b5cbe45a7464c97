"""Term-at-a-time BM25 scoring of word queries: the top documents Whoosh's collector finds for
them, several times faster.

Most queries are words, each standing for a few terms in a few fields of two languages: a plan
of weighted ``(field, term)`` leaves (:meth:`QueryPlan.union_leaves`). Whoosh would score them
document at a time, through a tree of union matchers, one Python call per matcher per document.
Here each term's postings are read a block at a time and each posting adds its BM25 score to the
document's total: the same scores as Whoosh's (each leaf's ``idf * tf * boost``, summed over the
leaves a document holds; the sums may differ in the last bit, being added in another order),
and which terms each document holds comes free. Equal scores are ordered by record id, not
by document number, so that the order does not depend on the order records were added in, nor
on the shard holding them (:func:`best`).

Collection statistics come from a :class:`Statistics` (a snapshot's own, or global ones handed
in), so that shards can be scored as one index. ``tests/search/test_scorer.py`` compares the
scores with Whoosh's.
"""

from __future__ import annotations

import heapq
from bisect import bisect_left
from collections.abc import Callable, Iterable, Iterator
from typing import NamedTuple

from .. import _ranking as ranking
from .._fields import TEXT_FIELDS, field_language
from .._language import Language
from ..query.plan import Key
from ..storage import SegmentPostings, Snapshot, Statistics
from .deadline import NO_DEADLINE, Deadline

__all__ = ["HeadScores", "LengthNorms", "Statistics", "best", "head_scores", "top_documents"]


class LengthNorms:
    """Per snapshot: BM25's length normalization of every document of every segment, per field,
    read from the length columns on first use (and BM25's tf for a frequency of 1, the
    commonest, from it)."""

    def __init__(
        self, snapshot: Snapshot, k1: float = ranking.BM25_K1, b: float = ranking.BM25_B
    ) -> None:
        self.snapshot = snapshot
        self.k1 = k1
        self.b = b
        self._norms: dict[tuple[int, str], tuple[list[float], list[float]]] = {}
        self._skipped: dict[tuple[int, Language], frozenset[int] | None] = {}

    def skipped_by_fill_in(
        self, segment: int, lang: Language, deleted: frozenset[int]
    ) -> frozenset[int] | None:
        """The documents of ``segment`` (by its own numbers) a translation from ``lang`` does
        not count for: the deleted ones and those with text in ``lang`` (a title or summary of
        that language, a length above 0); ``None`` when that is every document (a segment of
        bilingual records: its postings need not be read at all)."""
        key = (segment, lang)
        if key not in self._skipped:
            with_text = {
                docnum
                for field in TEXT_FIELDS[lang]
                for docnum, length in enumerate(self.snapshot.lengths(segment, field.name))
                if length
            }
            skipped = frozenset(with_text | deleted)
            full = len(skipped) >= self.snapshot.segment_size(segment)
            self._skipped[key] = None if full else skipped
        return self._skipped[key]

    def norms(
        self, segment: int, fieldname: str, statistics: Statistics
    ) -> tuple[list[float], list[float]]:
        """For each document of ``segment``: :func:`~._ranking.bm25_length_norm`, and
        :func:`~._ranking.bm25_saturate` of a frequency of 1."""
        key = (segment, fieldname)
        found = self._norms.get(key)
        if found is None:
            k1, b = self.k1, self.b
            avg = statistics.avg_field_length(fieldname)
            lengths = self.snapshot.lengths(segment, fieldname)
            norms = [ranking.bm25_length_norm(n, avg, k1, b) for n in lengths]
            ones = [ranking.bm25_saturate(1.0, norm, k1) for norm in norms]
            found = self._norms[key] = (norms, ones)
        return found


def top_documents(
    snapshot: Snapshot,
    leaves: dict[Key, float],
    limit: int,
    norms: LengthNorms,
    statistics: Statistics | None = None,
    preferred: tuple[set[int], int] | None = None,
    translated: dict[Key, float] | None = None,
    excluded: set[int] | None = None,
    deadline: Deadline = NO_DEADLINE,
) -> tuple[list[tuple[float, int]], dict[int, set[Key]]] | None:
    """The ``limit`` best ``(score, docnum)`` for the union of ``leaves``, best first (ties by
    record id), and the leaves each of them holds; ``None`` when Whoosh must score them
    (a leaf's field is not scored, or the segments cannot be read a block at a time).

    With ``preferred`` (documents, and how many), the best of those documents join the list
    too, whatever their score (the records holding exactly the accented words typed, which rank
    first: as many as the page shows). The leaves
    of ``translated`` (the translations of a query's words, with their boosts) count only for
    documents without text in the language translated from, the other language of the field's
    (see :class:`~diaspora_search.query.QueryPlan`). The ``excluded`` documents (those a
    query's exclusions match) are left out. ``deadline`` is checked before each term's
    postings in each segment.
    """
    found = score_documents(snapshot, leaves, norms, statistics, translated, excluded, deadline)
    if found is None:
        return None
    scores, holders = found
    record_id = snapshot.record_id
    ranked = best(scores, limit, record_id)
    if preferred and preferred[0]:
        chosen, count = preferred
        extra = best({d: scores[d] for d in chosen if d in scores}, count, record_id)
        ranked = ties_by_id(sorted(set(ranked).union(extra), key=_by_score), record_id)
    matched = {d: {key for key, ids in holders.items() if d in ids} for _, d in ranked}
    return ranked, matched


def score_documents(
    snapshot: Snapshot,
    leaves: dict[Key, float],
    norms: LengthNorms,
    statistics: Statistics | None = None,
    translated: dict[Key, float] | None = None,
    excluded: set[int] | None = None,
    deadline: Deadline = NO_DEADLINE,
) -> tuple[dict[int, float], dict[Key, set[int]]] | None:
    """The BM25 score of every live document matching the union of ``leaves`` but not
    ``excluded``, and the documents holding each leaf; ``None`` when Whoosh must score them
    (see :func:`top_documents`, which also describes ``translated`` and ``deadline``)."""
    if not snapshot.blocks_readable:
        return None
    stats: Statistics = statistics if statistics is not None else snapshot
    # Per segment: where its numbers start, every document's running total (by the segment's
    # own numbers: no offset added, no dict probed per posting), and the documents it is kept
    # for.
    totals: dict[int, tuple[int, list[float], set[int]]] = {}
    holders: dict[Key, set[int]] = {}
    k1p1 = norms.k1 + 1.0
    entries: list[tuple[Key, float, Language | None]] = [
        (key, boost, None) for key, boost in leaves.items()
    ]
    for key, boost in (translated or {}).items():
        field_lang = field_language(key[0])
        if field_lang is not None:
            entries.append((key, boost, field_lang.other))
    for key, boost, source in entries:
        fieldname, term = key
        found = snapshot.postings(fieldname, term)
        if not found:
            continue
        if not snapshot.scorable(fieldname):
            return None
        # The idf is the whole collection's: every segment's postings, looked up once (or the
        # statistics handed in, for a shard scored as part of a larger collection).
        if statistics is None:
            doc_frequency = sum(postings.doc_frequency for postings in found)
        else:
            doc_frequency = statistics.doc_frequency(fieldname, term)
        idf = ranking.bm25_idf(stats.doc_count, doc_frequency)
        held = holders.setdefault(key, set())
        for postings in found:
            deadline.check()
            offset, deleted = postings.offset, postings.deleted
            if source is not None:
                skipped = norms.skipped_by_fill_in(postings.segment, source, deleted)
                if skipped is None:
                    continue
                deleted = skipped
            norm, tf_one = norms.norms(postings.segment, fieldname, stats)
            if postings.segment not in totals:
                size = snapshot.segment_size(postings.segment)
                totals[postings.segment] = (offset, [0.0] * size, set())
            _, total, touched = totals[postings.segment]
            for ids, weights in postings.blocks:
                if deleted:
                    kept = [i for i, d in enumerate(ids) if d not in deleted]
                    ids = [ids[i] for i in kept]
                    weights = [weights[i] for i in kept] if weights is not None else None
                # (Each leaf adds its score in the order of the leaves, as a dict of totals
                # would: the same sums, to the bit.)
                if weights is None:
                    for d in ids:
                        total[d] = total[d] + idf * tf_one[d] * boost
                else:
                    for d, w in zip(ids, weights, strict=True):
                        # bm25_saturate(w, norm[d], k1), written out: the hot loop.
                        total[d] = total[d] + idf * (w * k1p1 / (w + norm[d])) * boost
                touched.update(ids)
                held.update([d + offset for d in ids])
    scores = {d + start: total[d] for start, total, touched in totals.values() for d in touched}
    for docnum in excluded or ():
        scores.pop(docnum, None)
    return scores, holders


def best(
    scores: dict[int, float], limit: int, record_id: Callable[[int], str]
) -> list[tuple[float, int]]:
    """The ``limit`` best ``(score, docnum)``, best first, ties by record id: the scores at or
    above the ``limit``-th best found in C, then only those sorted (every document tied with
    the ``limit``-th is a candidate, so the cut is by id too)."""
    if len(scores) > limit:
        floor = heapq.nlargest(limit, scores.values())[-1]
        candidates = [(score, docnum) for docnum, score in scores.items() if score >= floor]
    else:
        candidates = [(score, docnum) for docnum, score in scores.items()]
    candidates.sort(key=_by_score)
    return ties_by_id(candidates, record_id)[:limit]


def ties_by_id(
    ranked: list[tuple[float, int]], record_id: Callable[[int], str]
) -> list[tuple[float, int]]:
    """``ranked`` (sorted by score, best first) with each run of equal scores ordered by record
    id: the one tie rule of every ranking, so that a sharded index ranks as one index does.
    Ids are read only for the documents that tie."""
    out: list[tuple[float, int]] = []
    start = 0
    while start < len(ranked):
        end = start + 1
        while end < len(ranked) and ranked[end][0] == ranked[start][0]:
            end += 1
        run = ranked[start:end]
        if len(run) > 1:
            run.sort(key=lambda item: record_id(item[1]))
        out.extend(run)
        start = end
    return out


def _by_score(item: tuple[float, int]) -> float:
    return -item[0]


# Pruned scoring: the head's candidates only -----------------------------------------------------

BOUND_MARGIN = 1e-6
"""Relative slack on every bound comparison of :func:`head_scores` (partial sums are added in
another order than the final ones, so may differ from them in the last bits): a bound is kept
whenever it comes within this of the threshold, so that pruning never drops a document that
could reach the head."""


DEFERRED = 4.0
"""A leaf whose bound is at most the largest's divided by this is deferred: scored only in the
documents that may reach the head (when the other leaves show which)."""


class HeadScores(NamedTuple):
    """What :func:`head_scores` finds: the exact scores of the documents that may rank in the
    head (every document scoring at least the ``depth``-th best, and every ``always`` document
    matched), the documents holding each leaf, and how many documents match."""

    scores: dict[int, float]
    holders: dict[Key, set[int]]
    total: int
    pruned: bool


class _Entry(NamedTuple):
    key: Key
    boost: float
    source: Language | None
    idf: float
    postings: list[SegmentPostings]


def head_scores(
    snapshot: Snapshot,
    leaves: dict[Key, float],
    depth: int,
    norms: LengthNorms,
    always: set[int],
    statistics: Statistics | None = None,
    translated: dict[Key, float] | None = None,
    excluded: set[int] | None = None,
    deadline: Deadline = NO_DEADLINE,
) -> HeadScores | None:
    """The scores :func:`score_documents` gives, but only of the documents that can be among
    the ``depth`` best (ties included) or are ``always`` wanted; every match still counted and
    every leaf's holders still read. ``None`` when Whoosh must score them.

    MaxScore, term at a time: a leaf's score is below ``idf * boost * (k1 + 1)`` in any
    document (BM25 saturates). The leaves are scored in the order of that bound, highest (the
    rarest terms, the shortest lists) first, until the bounds of the leaves left sum below the
    ``depth``-th best partial score (a partial score is at most the document's score, so the
    ``depth``-th best is at most the head's last). Past that point no document unseen can reach
    the head, and only the documents seen whose partial score plus those bounds can reach it
    are scored by the leaves left; their other postings are read for their ids only (the count
    and the holders). Each score kept is then summed over the leaves in :func:`score_documents`'
    order, to the same bits."""
    entries = _entries(snapshot, leaves, statistics, translated)
    if entries is None:
        return None
    stats: Statistics = statistics if statistics is not None else snapshot
    k1p1 = norms.k1 + 1.0
    holders: dict[Key, set[int]] = {entry.key: set() for entry in entries}
    read = [_read(snapshot, entry, norms, stats, holders[entry.key], deadline) for entry in entries]
    skip = excluded or set()
    bounds = [entry.idf * entry.boost * k1p1 for entry in entries]
    # (Partial scores are lower bounds only when no leaf can subtract.)
    prunable = bool(bounds) and all(bound > 0 for bound in bounds)
    deferred = [i for i, bound in enumerate(bounds) if prunable and bound * DEFERRED <= max(bounds)]
    if deferred:
        first = [i for i in range(len(entries)) if i not in deferred]
        partial = _accumulate(entries, read, first, k1p1, skip)
        if len(partial) >= depth:
            threshold = heapq.nlargest(depth, partial.values())[-1]
            rest = sum(bounds[i] for i in deferred)
            floor = threshold * (1.0 - BOUND_MARGIN) - rest * (1.0 + BOUND_MARGIN)
            if floor > 0:  # (no document holding only deferred leaves can reach the head)
                wanted = {d for d, score in partial.items() if score >= floor} | (always - skip)
                contributions: list[dict[int, float]] = [{} for _ in entries]
                _look_up(entries, read, contributions, list(range(len(entries))), wanted, k1p1)
                total = len(set().union(*holders.values()) - skip)
                return HeadScores(_summed(contributions, wanted), holders, total, True)
    scores = _accumulate(entries, read, list(range(len(entries))), k1p1, skip)
    return HeadScores(scores, holders, len(scores), False)


def _accumulate(
    entries: list[_Entry],
    read: list[list[_Segment]],
    which: list[int],
    k1p1: float,
    excluded: set[int],
) -> dict[int, float]:
    """Each document's score in the entries of ``which`` (in that order, as
    :func:`score_documents` adds them: running totals per segment), ``excluded`` left out."""
    sums: dict[int, tuple[list[float], set[int]]] = {}
    for i in which:
        for seg in read[i]:
            if seg.offset not in sums:
                sums[seg.offset] = ([0.0] * (seg.end - seg.offset), set())
            total, touched = sums[seg.offset]
            for ids, weights in seg.blocks:
                scores = _block_scores(entries[i], ids, weights, seg.norm, seg.tf_one, k1p1)
                for d, score in zip(ids, scores, strict=True):
                    total[d] = total[d] + score
                touched.update(ids)
    out = {d + offset: total[d] for offset, (total, touched) in sums.items() for d in touched}
    for d in excluded:
        out.pop(d, None)
    return out


class _Segment(NamedTuple):
    """One segment's live postings of an entry, read: where its numbers start and end, its
    length norms, its blocks, and the last document of each (by the segment's numbers)."""

    offset: int
    end: int
    norm: list[float]
    tf_one: list[float]
    blocks: list[tuple[list[int], list[float] | None]]
    lasts: list[int]


def _read(
    snapshot: Snapshot,
    entry: _Entry,
    norms: LengthNorms,
    stats: Statistics,
    held: set[int],
    deadline: Deadline,
) -> list[_Segment]:
    """An entry's live postings in every segment, the documents holding it added to ``held``."""
    out = []
    for postings, deleted in _segments(entry, norms, deadline):
        offset = postings.offset
        norm, tf_one = norms.norms(postings.segment, entry.key[0], stats)
        blocks = [block for block in _live_blocks(postings, deleted) if block[0]]
        for ids, _ in blocks:
            held.update([d + offset for d in ids] if offset else ids)
        end = offset + snapshot.segment_size(postings.segment)
        out.append(_Segment(offset, end, norm, tf_one, blocks, [ids[-1] for ids, _ in blocks]))
    return out


def _look_up(
    entries: list[_Entry],
    read: list[list[_Segment]],
    contributions: list[dict[int, float]],
    which: list[int],
    documents: Iterable[int],
    k1p1: float,
) -> None:
    """The score of each of ``documents`` in each entry of ``which`` that it holds, added to
    the entry's ``contributions``: a block found by its last document, then the document."""
    for i in which:
        found = contributions[i]
        for seg in read[i]:
            for d in documents:
                if d in found or not seg.offset <= d < seg.end:
                    continue
                local = d - seg.offset
                at = bisect_left(seg.lasts, local)
                if at == len(seg.lasts):
                    continue
                ids, weights = seg.blocks[at]
                k = bisect_left(ids, local)
                if k < len(ids) and ids[k] == local:
                    weight = None if weights is None else [weights[k]]
                    found[d] = _block_scores(
                        entries[i], [local], weight, seg.norm, seg.tf_one, k1p1
                    )[0]


def _entries(
    snapshot: Snapshot,
    leaves: dict[Key, float],
    statistics: Statistics | None,
    translated: dict[Key, float] | None,
) -> list[_Entry] | None:
    """Each leaf with its boost, the language its translation is from (``None`` for a leaf
    of the query's own words), its idf and its postings, in :func:`score_documents`' order;
    ``None`` when Whoosh must score them."""
    if not snapshot.blocks_readable:
        return None
    stats: Statistics = statistics if statistics is not None else snapshot
    listed: list[tuple[Key, float, Language | None]] = [
        (key, boost, None) for key, boost in leaves.items()
    ]
    for key, boost in (translated or {}).items():
        field_lang = field_language(key[0])
        if field_lang is not None:
            listed.append((key, boost, field_lang.other))
    out: list[_Entry] = []
    for key, boost, source in listed:
        found = snapshot.postings(*key)
        if not found:
            continue
        if not snapshot.scorable(key[0]):
            return None
        if statistics is None:
            doc_frequency = sum(postings.doc_frequency for postings in found)
        else:
            doc_frequency = statistics.doc_frequency(*key)
        idf = ranking.bm25_idf(stats.doc_count, doc_frequency)
        out.append(_Entry(key, boost, source, idf, found))
    return out


def _segments(
    entry: _Entry, norms: LengthNorms, deadline: Deadline
) -> Iterator[tuple[SegmentPostings, frozenset[int]]]:
    """Each segment's postings of an entry to read, with the documents to leave out of it."""
    for postings in entry.postings:
        deadline.check()
        deleted = postings.deleted
        if entry.source is not None:
            skipped = norms.skipped_by_fill_in(postings.segment, entry.source, deleted)
            if skipped is None:
                continue
            deleted = skipped
        yield postings, deleted


def _live_blocks(
    postings: SegmentPostings, deleted: frozenset[int]
) -> Iterator[tuple[list[int], list[float] | None]]:
    for ids, weights in postings.blocks:
        if deleted:
            kept = [i for i, d in enumerate(ids) if d not in deleted]
            ids = [ids[i] for i in kept]
            weights = [weights[i] for i in kept] if weights is not None else None
        yield ids, weights


def _block_scores(
    entry: _Entry,
    ids: list[int],
    weights: list[float] | None,
    norm: list[float],
    tf_one: list[float],
    k1p1: float,
) -> list[float]:
    """The entry's score in each of ``ids`` (by the segment's numbers): the expressions of
    :func:`score_documents`' loop, so the same bits."""
    idf, boost = entry.idf, entry.boost
    if weights is None:
        return [idf * tf_one[d] * boost for d in ids]
    return [idf * (w * k1p1 / (w + norm[d])) * boost for d, w in zip(ids, weights, strict=True)]


def _summed(contributions: list[dict[int, float]], wanted: Iterable[int]) -> dict[int, float]:
    """The score of each of the ``wanted`` documents matched, summed over the entries in their
    order from 0.0 (as :func:`score_documents` adds them)."""
    scores: dict[int, float] = {}
    for d in wanted:
        total = 0.0
        matched = False
        for found in contributions:
            score = found.get(d)
            if score is not None:
                total = total + score
                matched = True
        if matched:
            scores[d] = total
    return scores
