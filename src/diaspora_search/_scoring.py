"""Term-at-a-time scoring of unions of terms: the top documents Whoosh's collector finds for
them, several times faster.

Most queries are words, each standing for a few terms in a few fields of two languages: a tree
of ``Or`` over ``Term`` leaves. Whoosh scores such a tree document at a time, through a tree of
union matchers, one Python call per matcher per document. Here each term's postings are read a
block at a time and each posting adds its BM25 score to the document's total: the same scores
(each leaf's ``idf * tf`` times the boosts above it, summed over the leaves a document holds; the
sums may differ in the last bit, being added in another order), the same order (score, then
document number), and which terms each document holds comes for free.

Anything else goes to Whoosh: phrases and exclusions (:func:`union_leaves` gives ``None``) and
unscored fields (:func:`top_documents` gives ``None``). ``tests/search/test_scoring.py``
compares the two on many queries.
"""

from __future__ import annotations

import heapq
from array import array
from collections.abc import Iterator
from itertools import accumulate
from typing import Any

from whoosh import query as wq
from whoosh.codec.whoosh3 import LENGTHS_COLUMN, W3LeafMatcher, _lenfield
from whoosh.reading import TermNotFound
from whoosh.searching import Searcher
from whoosh.util.numeric import byte_to_length

from ._ranking import bm25_idf

Key = tuple[str, str]


def union_leaves(query: wq.Query) -> dict[Key, float] | None:
    """The ``(field, term)`` leaves of a tree of ``Or`` queries, each with the product of the
    boosts above it (added up where a leaf appears twice); ``None`` for any other query."""
    leaves: dict[Key, float] = {}
    return leaves if _collect(query, 1.0, leaves) else None


def _collect(query: wq.Query, boost: float, leaves: dict[Key, float]) -> bool:
    if type(query) is wq.Term:
        key = (query.fieldname, query.text)
        leaves[key] = leaves.get(key, 0.0) + boost * query.boost
        return True
    if isinstance(query, wq.Or) and not query.minmatch and not query.scale:
        subs = query.subqueries
        # Whoosh applies an Or's boost only when it has two or more clauses.
        inner = boost * query.boost if len(subs) > 1 else boost
        return all(_collect(sub, inner, leaves) for sub in subs)
    return False


class FieldNorms:
    """Per searcher (one index generation): BM25's length factor of every document of every
    segment, per field, read from the length columns on first use."""

    def __init__(self, searcher: Searcher, k1: float, b: float) -> None:
        self.searcher = searcher
        self.k1 = k1
        self.b = b
        self._norms: dict[tuple[int, str], list[float]] = {}
        self._ones: dict[tuple[int, str], list[float]] = {}

    def norms(self, leaf: int, reader: Any, fieldname: str) -> tuple[list[float], list[float]]:
        """For each document of segment ``leaf``: ``k1 * (1 - b + b * length / avg_length)``,
        and BM25's tf for a frequency of 1 (the commonest)."""
        key = (leaf, fieldname)
        found = self._norms.get(key)
        if found is None:
            k1, b = self.k1, self.b
            avg = self.searcher.avg_field_length(fieldname) or 1.0
            column = reader._perdoc._cached_reader(_lenfield(fieldname), LENGTHS_COLUMN)
            lengths = [byte_to_length(v) for v in column] if column is not None else []
            # Exactly the terms of bm25_tf, in its order of operations.
            found = self._norms[key] = [k1 * (1.0 - b + b * n / avg) for n in lengths]
            self._ones[key] = [1.0 * (k1 + 1.0) / (1.0 + norm) for norm in found]
        return found, self._ones[key]


def top_documents(
    searcher: Searcher, leaves: dict[Key, float], limit: int, norms: FieldNorms
) -> tuple[list[tuple[float, int]], dict[int, set[Key]]] | None:
    """The ``limit`` best ``(score, docnum)`` for the union of ``leaves``, best first (ties by
    document number), and the leaves each of them holds; ``None`` if a leaf's field is not
    scored (Whoosh then scores by weight)."""
    schema = searcher.schema
    segments = [(sub.reader(), offset) for sub, offset in searcher.leaf_searchers()]
    if not all(hasattr(reader, "_terms") for reader, _ in segments if reader.doc_count_all()):
        return None  # not Whoosh's own segments: Whoosh scores
    scores: dict[int, float] = {}
    holders: dict[Key, set[int]] = {}
    doc_count = searcher.doc_count_all()
    k1p1 = norms.k1 + 1.0
    get = scores.get
    for key, boost in leaves.items():
        fieldname, text = key
        if fieldname not in schema:
            continue
        field = schema[fieldname]
        try:
            btext = field.to_bytes(text)
        except ValueError:  # (Whoosh matches nothing)
            continue
        # Each segment's postings of the term, looked up once; the idf is the whole index's.
        found = [
            (leaf, reader, offset, postings)
            for leaf, (reader, offset) in enumerate(segments)
            if (postings := _postings(reader, fieldname, btext, field.format)) is not None
        ]
        if not found:
            continue
        if not field.scorable:
            return None
        idf = bm25_idf(doc_count, sum(p[1] for *_, p in found))
        held = holders[key] = set()
        for leaf, reader, offset, (matcher, _) in found:
            norm, tf_one = norms.norms(leaf, reader, fieldname)
            deleted: frozenset[int] = getattr(reader, "deleted_docs_set", frozenset())
            for ids, weights in _blocks(matcher):
                if deleted:
                    kept = [i for i, d in enumerate(ids) if d not in deleted]
                    ids = [ids[i] for i in kept]
                    weights = [weights[i] for i in kept] if weights is not None else None
                if weights is None:
                    for d in ids:
                        g = d + offset
                        scores[g] = get(g, 0.0) + idf * tf_one[d] * boost
                else:
                    for d, w in zip(ids, weights, strict=True):
                        g = d + offset
                        scores[g] = get(g, 0.0) + idf * (w * k1p1 / (w + norm[d])) * boost
                held.update([d + offset for d in ids])
    ranked = _best(scores, limit)
    matched = {d: {key for key, ids in holders.items() if d in ids} for _, d in ranked}
    return ranked, matched


def _best(scores: dict[int, float], limit: int) -> list[tuple[float, int]]:
    """The ``limit`` best ``(score, docnum)``, best first, ties by document number: the scores
    at or above the ``limit``-th best found in C, then only those sorted."""
    if len(scores) > limit:
        floor = heapq.nlargest(limit, scores.values())[-1]
        candidates = [(-score, docnum) for docnum, score in scores.items() if score >= floor]
    else:
        candidates = [(-score, docnum) for docnum, score in scores.items()]
    candidates.sort()
    return [(-negated, docnum) for negated, docnum in candidates[:limit]]


def _postings(reader: Any, fieldname: str, btext: bytes, fmt: Any) -> tuple[Any, int] | None:
    """A segment's postings of a term, unfiltered, and its document frequency; ``None`` if the
    segment does not hold the term."""
    terms = getattr(reader, "_terms", None)  # a segment's terms and postings
    if terms is None:  # an empty index
        return None
    try:
        info = terms.term_info(fieldname, btext)
    except TermNotFound:
        return None
    matcher = terms._codec.postings_reader(terms._postfile, info, fmt, term=(fieldname, btext))
    return matcher, info.doc_frequency()


def _blocks(matcher: Any) -> Iterator[tuple[list[int], list[float] | None]]:
    """Each block of a term's postings: its document numbers, and its weights (``None`` when all
    are 1.0)."""
    if not isinstance(matcher, W3LeafMatcher):  # pragma: no cover - another codec
        ids, weights = [], []
        while matcher.is_active():
            ids.append(matcher.id())
            weights.append(matcher.weight())
            matcher.next()
        yield ids, weights
        return
    while matcher.is_active():
        matcher._read_data()
        deltas, mini_weights, _ = matcher._data
        block: list[float] | None = None
        if isinstance(mini_weights, float):  # one weight for the whole block
            # (Whoosh reads it through a float32 array.)
            weight = array("f", [mini_weights])[0]
            block = None if weight == 1.0 else [weight] * len(deltas)
        elif mini_weights is not None:
            block = list(mini_weights)
        yield list(accumulate(deltas)), block
        matcher._next_block()
