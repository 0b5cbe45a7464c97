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
from array import array
from bisect import bisect_right
from collections.abc import Callable, Iterable
from itertools import compress
from typing import NamedTuple

from .. import _ranking as ranking
from .._compiled import core as _core
from .._fields import TEXT_FIELDS, field_language
from .._language import Language
from ..query.plan import Key
from ..storage import LENGTH_OF_BYTE, Snapshot, Statistics
from .deadline import NO_DEADLINE, Deadline

__all__ = [
    "LengthNorms",
    "SegmentScores",
    "Statistics",
    "best",
    "held_leaves",
    "score_documents",
    "top_documents",
    "with_preferred",
]


class LengthNorms:
    """Per snapshot: BM25's length normalization of every document of every segment, per field,
    read from the length columns on first use (and BM25's tf for a frequency of 1, the
    commonest, from it), and the documents each segment's scoring skips. All are flat arrays
    indexed by the segment's own numbers, as the core reads them."""

    def __init__(
        self, snapshot: Snapshot, k1: float = ranking.BM25_K1, b: float = ranking.BM25_B
    ) -> None:
        self.snapshot = snapshot
        self.k1 = k1
        self.b = b
        self._norms: dict[tuple[int, str], tuple[array[float], array[float]]] = {}
        self._skipped: dict[tuple[int, Language | None], bytes | None] = {}

    def skipped_deleted(self, segment: int, deleted: frozenset[int]) -> bytes | None:
        """The flags of the documents of ``segment`` (by its own numbers) deleted, ``None``
        when none is."""
        key = (segment, None)
        if key not in self._skipped:
            self._skipped[key] = self._flags(segment, deleted) if deleted else None
        return self._skipped[key]

    def skipped_by_fill_in(
        self, segment: int, lang: Language, deleted: frozenset[int]
    ) -> bytes | None:
        """The flags of the documents of ``segment`` (by its own numbers) a translation from
        ``lang`` does not count for: the deleted ones and those with text in ``lang`` (a title
        or summary of that language, a length above 0); ``None`` when that is every document
        (a segment of bilingual records: its postings need not be read at all)."""
        key = (segment, lang)
        if key not in self._skipped:
            size = self.snapshot.segment_size(segment)
            # Each document's flag, from its length bytes (a length above 0 is a byte above 0),
            # the fields' flags OR-ed as one integer each: not a set of 26,000 numbers a field.
            with_text = 0
            for field in TEXT_FIELDS[lang]:
                lengths = self.snapshot.length_bytes(segment, field.name)[:size]
                with_text |= int.from_bytes(lengths.translate(_ABOVE_ZERO), "little")
            flags = bytearray(with_text.to_bytes(size, "little"))
            for docnum in deleted:
                flags[docnum] = 1
            full = flags.count(1) >= size
            self._skipped[key] = None if full else bytes(flags)
        return self._skipped[key]

    def _flags(self, segment: int, docnums: Iterable[int]) -> bytes:
        flags = bytearray(self.snapshot.segment_size(segment))
        for docnum in docnums:
            flags[docnum] = 1
        return bytes(flags)

    def norms(
        self, segment: int, fieldname: str, statistics: Statistics
    ) -> tuple[array[float], array[float]]:
        """For each document of ``segment``: :func:`~._ranking.bm25_length_norm`, and
        :func:`~._ranking.bm25_saturate` of a frequency of 1."""
        key = (segment, fieldname)
        found = self._norms.get(key)
        if found is None:
            k1, b = self.k1, self.b
            avg = statistics.avg_field_length(fieldname)
            # (A length is one of 256 bytes: each one's norm computed once, the very floats a
            # document's length would give, then looked up for each document.)
            norm_of = [ranking.bm25_length_norm(n, avg, k1, b) for n in LENGTH_OF_BYTE]
            one_of = [ranking.bm25_saturate(1.0, norm, k1) for norm in norm_of]
            lengths = self.snapshot.length_bytes(segment, fieldname)
            norms = array("d", map(norm_of.__getitem__, lengths))
            ones = array("d", map(one_of.__getitem__, lengths))
            found = self._norms[key] = (norms, ones)
        return found


_ABOVE_ZERO = bytes([0, *[1] * 255])
"""``bytes.translate`` table: 0 for the byte 0, 1 for any other."""


class SegmentScores(NamedTuple):
    """The scores of one segment's matches: by the segment's own numbers, each document's
    BM25 total and whether it matched (``touched``: a flag a document), the segment's numbers
    starting at ``start`` in the snapshot. Flat arrays, written by the core without a Python
    object per posting, and read without a dict of every match (:func:`best_in_segments`)."""

    start: int
    total: array[float]
    touched: bytearray


Holders = dict[Key, "array[int]"]
"""The documents holding each leaf of a plan (numbered in the snapshot), in the order scored."""


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
    segments, holders = found
    record_ids = snapshot.record_ids
    ranked = best_of_segments(segments, limit, record_ids)
    if preferred and preferred[0]:
        chosen, count = preferred
        ranked = with_preferred(ranked, scores_of(segments, chosen), count, record_ids)
    return ranked, held_leaves(holders, [d for _, d in ranked])


def with_preferred(
    ranked: list[tuple[float, int]],
    preferred: dict[int, float],
    count: int,
    record_ids: RecordIds,
) -> list[tuple[float, int]]:
    """``ranked`` (the best, best first, ties by record id) joined by the ``count`` best of
    the ``preferred`` documents' scores, whatever their place, in one order again."""
    extra = best(preferred, count, record_ids)
    return ties_by_id(sorted(set(ranked).union(extra), key=_by_score), record_ids)


def python_held_leaves(holders: Holders, docnums: list[int]) -> dict[int, set[Key]]:
    """The leaves each of ``docnums`` holds, from the documents holding each leaf
    (``holders``, as :func:`score_documents` gives them; ``_core.held_leaves``, one pass over
    them in C with a table of ``docnums``). Each document's leaves are added in the order of
    ``holders``, so that their sets iterate in one order whatever the number of documents
    (a hit's language sums idfs over them: the same sums, to the bit)."""
    out: dict[int, set[Key]] = {d: set() for d in docnums}
    wanted = set(out)
    for key, ids in holders.items():
        for d in wanted.intersection(ids):
            out[d].add(key)
    return out


def all_scores(segments: list[SegmentScores]) -> dict[int, float]:
    """The score of every match (document -> BM25 score), in document order."""
    scores: dict[int, float] = {}
    for start, total, touched in segments:
        collect_scores(scores, total, touched, start)
    return scores


def match_count(segments: list[SegmentScores]) -> int:
    """How many documents match."""
    return sum(flag_count(segment.touched) for segment in segments)


def scores_of(segments: list[SegmentScores], docnums: Iterable[int]) -> dict[int, float]:
    """The scores of those of ``docnums`` that match."""
    starts = [segment.start for segment in segments]
    out: dict[int, float] = {}
    for d in docnums:
        found = _holding_segment(segments, starts, d)
        if found is not None and found[0].touched[found[1]]:
            out[d] = found[0].total[found[1]]
    return out


def _holding_segment(
    segments: list[SegmentScores], starts: list[int], docnum: int
) -> tuple[SegmentScores, int] | None:
    """The segment of ``segments`` (whose ``starts`` these are) holding ``docnum``, and its
    number there; ``None`` when none does."""
    i = bisect_right(starts, docnum) - 1
    if i < 0 or docnum - segments[i].start >= len(segments[i].touched):
        return None
    return segments[i], docnum - segments[i].start


def score_documents(
    snapshot: Snapshot,
    leaves: dict[Key, float],
    norms: LengthNorms,
    statistics: Statistics | None = None,
    translated: dict[Key, float] | None = None,
    excluded: set[int] | None = None,
    deadline: Deadline = NO_DEADLINE,
) -> tuple[list[SegmentScores], Holders] | None:
    """The BM25 score of every live document matching the union of ``leaves`` but not
    ``excluded``, per segment (in the order of their numbers), and the documents holding each
    leaf; ``None`` when Whoosh must score them (see :func:`top_documents`, which also describes
    ``translated`` and ``deadline``)."""
    if not snapshot.blocks_readable:
        return None
    stats: Statistics = statistics if statistics is not None else snapshot
    segments: dict[int, SegmentScores] = {}
    holders: Holders = {}
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
        held = holders.setdefault(key, array("q"))
        for postings in found:
            deadline.check()
            segment, offset = postings.segment, postings.offset
            if source is None:
                skip = norms.skipped_deleted(segment, postings.deleted)
            else:
                skip = norms.skipped_by_fill_in(segment, source, postings.deleted)
                if skip is None:
                    continue
            norm, tf_one = norms.norms(segment, fieldname, stats)
            scored = segments.get(segment)
            if scored is None:
                size = snapshot.segment_size(segment)
                scored = segments[segment] = SegmentScores(
                    offset, array("d", bytes(8 * size)), bytearray(size)
                )
            total, touched = scored.total, scored.touched
            # (Each leaf adds its score in the order of the leaves, as a dict of totals would:
            # the same sums, to the bit.) In the core, straight from the postings file when it
            # can, without a list of ids and weights for each block.
            extent = postings.extent
            if extent is not None and score_term is not None:
                args = (total, norm, tf_one, skip, idf, boost, k1p1, touched, held, offset)
                if score_term(*extent, *args):
                    continue
            for ids, weights in postings.blocks:
                add_scores(
                    total, ids, weights, norm, tf_one, skip, idf, boost, k1p1, touched, held, offset
                )
    ordered = sorted(segments.values(), key=lambda scored: scored.start)
    starts = [scored.start for scored in ordered]
    for docnum in excluded or ():  # (taken out of the matches)
        holding = _holding_segment(ordered, starts, docnum)
        if holding is not None:
            holding[0].touched[holding[1]] = 0
    return ordered, holders


def python_add_scores(
    total: array[float],
    ids: list[int],
    weights: list[float] | None,
    norm: array[float],
    tf_one: array[float],
    skipped: bytes | None,
    idf: float,
    boost: float,
    k1p1: float,
    touched: bytearray,
    held: array[int],
    offset: int,
) -> None:
    """One block of a term's postings in one segment, scored (``_core.add_scores``): each
    document of ``ids`` not flagged in ``skipped`` gets its BM25 score added to its ``total``,
    is flagged in ``touched`` and (numbered in the whole index, ``offset`` added) appended to
    ``held``."""
    if skipped is not None:
        kept = [i for i, d in enumerate(ids) if not skipped[d]]
        ids = [ids[i] for i in kept]
        weights = [weights[i] for i in kept] if weights is not None else None
    scored = 0  # (the documents scored before an error are held, as the core holds them)
    try:
        if weights is None:
            for d in ids:
                total[d] = total[d] + idf * tf_one[d] * boost
                touched[d] = 1
                scored += 1
        else:
            for d, w in zip(ids, weights, strict=True):
                # bm25_saturate(w, norm[d], k1), written out: the hot loop.
                total[d] = total[d] + idf * (w * k1p1 / (w + norm[d])) * boost
                touched[d] = 1
                scored += 1
    finally:
        held.extend([d + offset for d in ids[:scored]])


def python_collect_scores(
    scores: dict[int, float], total: array[float], touched: bytearray, start: int
) -> None:
    """``scores[d + start] = total[d]`` for each document ``touched`` flags
    (``_core.collect_scores``)."""
    scores.update({d + start: total[d] for d in compress(range(len(total)), touched)})


def python_best_in_segments(segments: list[SegmentScores], limit: int) -> list[tuple[float, int]]:
    """:func:`python_best_candidates` of the scores of ``segments``, without their dict
    (``_core.best_in_segments``)."""
    scores: dict[int, float] = {}
    for start, total, touched in segments:
        python_collect_scores(scores, total, touched, start)
    return python_best_candidates(scores, limit)


add_scores: Callable[..., None] = _core.add_scores if _core is not None else python_add_scores
score_term: Callable[..., bool] | None = _core.score_term if _core is not None else None
"""``add_scores`` over each block of a term's postings in one segment, read by the core from
the postings file (``SegmentPostings.extent``): ``False``, nothing changed, when it cannot read
them (then read them a block at a time). No Python twin: without the core, the blocks are read."""
collect_scores: Callable[[dict[int, float], array[float], bytearray, int], None] = (
    _core.collect_scores if _core is not None else python_collect_scores
)
best_in_segments: Callable[[list[SegmentScores], int], list[tuple[float, int]]] = (
    _core.best_in_segments if _core is not None else python_best_in_segments
)
flag_count: Callable[[bytearray], int] = (
    _core.flag_count if _core is not None else lambda flags: flags.count(1)
)
"""How many documents a segment's flags flag (``bytearray.count(1)``, a byte at a time)."""
held_leaves: Callable[[Holders, list[int]], dict[int, set[Key]]] = (
    _core.held_leaves if _core is not None else python_held_leaves
)


def best_of_segments(
    segments: list[SegmentScores], limit: int, record_ids: RecordIds
) -> list[tuple[float, int]]:
    """:func:`best` of the scores of ``segments``."""
    return _best_of(best_in_segments(segments, limit), limit, record_ids)


def best(scores: dict[int, float], limit: int, record_ids: RecordIds) -> list[tuple[float, int]]:
    """The ``limit`` best ``(score, docnum)``, best first, ties by record id: the scores at or
    above the ``limit``-th best (:func:`best_candidates`), then only those sorted (every
    document tied with the ``limit``-th is a candidate, so the cut is by id too)."""
    return _best_of(best_candidates(scores, limit), limit, record_ids)


def _best_of(
    candidates: list[tuple[float, int]], limit: int, record_ids: RecordIds
) -> list[tuple[float, int]]:
    """The ``limit`` best of the candidates of a cut (every document scored at least the
    ``limit``-th best), sorted, ties by record id."""
    candidates.sort(key=_by_score)
    return ties_by_id(candidates, record_ids)[:limit]


def python_best_candidates(scores: dict[int, float], limit: int) -> list[tuple[float, int]]:
    """The ``(score, docnum)`` of every document scored at least the ``limit``-th best score,
    equal scores each counting (all of them when there are no more; ``_core.best_candidates``,
    which makes no tuple for the others: a query matching thousands of documents spent a
    millisecond here)."""
    if limit < 1:
        return []
    if len(scores) <= limit:
        return [(score, docnum) for docnum, score in scores.items()]
    floor = heapq.nlargest(limit, scores.values())[-1]
    return [(score, docnum) for docnum, score in scores.items() if score >= floor]


best_candidates: Callable[[dict[int, float], int], list[tuple[float, int]]] = (
    _core.best_candidates if _core is not None else python_best_candidates
)


RecordIds = Callable[[list[int]], list[str]]
"""The record ids of documents (``Snapshot.record_ids``): what ties are ordered by."""


def ties_by_id(ranked: list[tuple[float, int]], record_ids: RecordIds) -> list[tuple[float, int]]:
    """``ranked`` (sorted by score, best first) with each run of equal scores ordered by record
    id: the one tie rule of every ranking, so that a sharded index ranks as one index does.
    Ids are read only for the documents that tie, a run at a time."""
    if len({score for score, _ in ranked}) == len(ranked):  # (no tie: most rankings, in C)
        return list(ranked)
    out: list[tuple[float, int]] = []
    start = 0
    while start < len(ranked):
        end = start + 1
        while end < len(ranked) and ranked[end][0] == ranked[start][0]:
            end += 1
        if end - start > 1:
            run = ranked[start:end]
            ids = record_ids([d for _, d in run])
            out.extend(item for _, item in sorted(zip(ids, run, strict=True)))
        else:
            out.append(ranked[start])
        start = end
    return out


def _by_score(item: tuple[float, int]) -> float:
    return -item[0]
