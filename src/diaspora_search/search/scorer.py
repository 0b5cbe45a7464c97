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
from collections.abc import Callable

from .. import _ranking as ranking
from .._compiled import core as _core
from .._fields import TEXT_FIELDS, field_language
from .._language import Language
from ..query.plan import Key
from ..storage import Snapshot, Statistics
from .deadline import NO_DEADLINE, Deadline

__all__ = ["LengthNorms", "Statistics", "best", "held_leaves", "top_documents"]


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
    return ranked, held_leaves(holders, [d for _, d in ranked])


def held_leaves(holders: dict[Key, set[int]], docnums: list[int]) -> dict[int, set[Key]]:
    """The leaves each of ``docnums`` holds, from the documents holding each leaf
    (``holders``, as :func:`score_documents` gives them): one set intersection per leaf, in C,
    rather than a test per leaf per document in Python (a fifth of the time a search spent
    after its postings were read). Each document's leaves are added in the order of
    ``holders``, so that their sets iterate in one order whatever the number of documents
    (a hit's language sums idfs over them: the same sums, to the bit)."""
    out: dict[int, set[Key]] = {d: set() for d in docnums}
    wanted = set(out)
    for key, ids in holders.items():
        for d in ids & wanted:  # (iterates over the smaller of the two)
            out[d].add(key)
    return out


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
    totals: dict[int, tuple[int, array[float], set[int]]] = {}
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
                totals[postings.segment] = (offset, array("d", bytes(8 * size)), set())
            _, total, touched = totals[postings.segment]
            skip = deleted or None
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
    scores: dict[int, float] = {}
    for start, total, touched in totals.values():
        collect_scores(scores, total, touched, start)
    for docnum in excluded or ():
        scores.pop(docnum, None)
    return scores, holders


def python_add_scores(
    total: array[float],
    ids: list[int],
    weights: list[float] | None,
    norm: list[float],
    tf_one: list[float],
    skipped: frozenset[int] | None,
    idf: float,
    boost: float,
    k1p1: float,
    touched: set[int],
    held: set[int],
    offset: int,
) -> None:
    """One block of a term's postings in one segment, scored (``_core.add_scores``): each
    document of ``ids`` not ``skipped`` gets its BM25 score added to its ``total``, and is
    noted in ``touched`` and (numbered in the whole index, ``offset`` added) in ``held``."""
    if skipped:
        kept = [i for i, d in enumerate(ids) if d not in skipped]
        ids = [ids[i] for i in kept]
        weights = [weights[i] for i in kept] if weights is not None else None
    if weights is None:
        for d in ids:
            total[d] = total[d] + idf * tf_one[d] * boost
    else:
        for d, w in zip(ids, weights, strict=True):
            # bm25_saturate(w, norm[d], k1), written out: the hot loop.
            total[d] = total[d] + idf * (w * k1p1 / (w + norm[d])) * boost
    touched.update(ids)
    held.update([d + offset for d in ids])


def python_collect_scores(
    scores: dict[int, float], total: array[float], touched: set[int], start: int
) -> None:
    """``scores[d + start] = total[d]`` for each ``touched`` document (``_core.collect_scores``)."""
    scores.update({d + start: total[d] for d in touched})


add_scores: Callable[..., None] = _core.add_scores if _core is not None else python_add_scores
score_term: Callable[..., bool] | None = _core.score_term if _core is not None else None
"""``add_scores`` over each block of a term's postings in one segment, read by the core from
the postings file (``SegmentPostings.extent``): ``False``, nothing changed, when it cannot read
them (then read them a block at a time). No Python twin: without the core, the blocks are read."""
collect_scores: Callable[[dict[int, float], array[float], set[int], int], None] = (
    _core.collect_scores if _core is not None else python_collect_scores
)


def best(
    scores: dict[int, float], limit: int, record_id: Callable[[int], str]
) -> list[tuple[float, int]]:
    """The ``limit`` best ``(score, docnum)``, best first, ties by record id: the scores at or
    above the ``limit``-th best (:func:`best_candidates`), then only those sorted (every
    document tied with the ``limit``-th is a candidate, so the cut is by id too)."""
    candidates = best_candidates(scores, limit)
    candidates.sort(key=_by_score)
    return ties_by_id(candidates, record_id)[:limit]


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
