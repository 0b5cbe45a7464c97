"""Running a query plan: ranking, the language of each hit, snippets, spelling help."""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from itertools import chain
from typing import Any, NamedTuple

from .. import _ranking as ranking
from .._fields import forms_field
from .._hits import Hit, Results
from .._language import Language
from ..analysis import FORM_SEPARATOR, fold_term
from ..query import QueryPlan, Vocabulary, compile_query
from ..query.expand import DEFAULT_EXPANDERS, Expander
from ..query.plan import Key
from ..storage import Snapshot
from .deadline import NO_DEADLINE, Deadline
from .facets import Filters, RecordValues
from .rerank import Reranker
from .scorer import (
    Holders,
    LengthNorms,
    SegmentScores,
    Statistics,
    all_scores,
    best,
    best_of_segments,
    held_leaves,
    match_count,
    score_documents,
    scores_of,
    ties_by_id,
    top_documents,
    with_preferred,
)
from .spelling import correct

RERANK_DEPTH = 50
"""How many of the best hits are rescored for coordination (how many query words)."""
ACCENT_POOL = 10
"""How many of the records holding exactly the accented words typed join the reranked head
whatever their BM25 scores (the default page: a constant, so that every page is cut from the
same order)."""
FEW_HITS = 3
"""Fewer hits than this (and than the limit) make the search look for a spelling suggestion."""
MAX_QUERY_WORDS = 64
"""Longer queries keep their first 64 words: the clause limit (with :data:`MAX_WORD_TERMS`)."""


@dataclass(frozen=True)
class Page:
    """What a search returns of its matches: which page, filtered how, in what order, with
    which facets counted."""

    limit: int
    offset: int = 0
    filters: Filters = field(default_factory=Filters)
    sort: str = "relevance"
    facets: tuple[str, ...] = ()


class Found(NamedTuple):
    """A page of hits, how many records matched (after the filters), and the facets."""

    hits: list[Hit]
    total: int
    facets: dict[str, dict[str, int]]

    def results(self, corrected_query: str | None = None, suggestion: str | None = None) -> Results:
        return Results(self.hits, corrected_query, suggestion, total=self.total, facets=self.facets)


def search_with_correction(
    text: str,
    limit: int,
    run: Callable[[str], Found],
    correct_query: Callable[[str], str | None],
    deadline: Deadline = NO_DEADLINE,
) -> Results:
    """The page ``run`` finds for ``text``; when nothing matches, that of its best spelling
    correction (``correct_query``) instead, and when very little matches (fewer than
    :data:`FEW_HITS` and than ``limit``), the correction as a suggestion if it matches more.
    Past the ``deadline``, :class:`QueryTimeoutError`."""
    text = bounded(text)
    found = run(text)
    if found.total >= min(limit, FEW_HITS):
        return found.results()
    deadline.check()
    corrected = correct_query(text)
    if corrected is None:
        return found.results()
    better = run(corrected)
    if not found.total:
        return better.results(corrected_query=corrected) if better.total else found.results()
    return found.results(suggestion=corrected if better.total > found.total else None)


class Matches:
    """Every document a plan matches, with its BM25 score, and which of the plan's terms
    each holds (asked of the scorer's postings, or of the index for Whoosh's runs).

    The scorer's matches stay in its segment arrays (:class:`~.scorer.SegmentScores`): most
    searches need only their count and their best, and a dict of every match (a query's
    common word matches thousands) is made only when asked for (:attr:`scores`)."""

    def __init__(
        self,
        scored: list[SegmentScores] | dict[int, float],
        holders: Holders | None,
        snapshot: Snapshot,
        plan: QueryPlan,
    ) -> None:
        """``scored``: the scorer's segments, or (Whoosh's runs) a dict of every match's
        score, ``holders`` then ``None``."""
        self._segments = scored if isinstance(scored, list) else None
        self._scores = scored if isinstance(scored, dict) else None
        self._holders = holders
        self._snapshot = snapshot
        self._plan = plan

    @property
    def scores(self) -> dict[int, float]:
        """Every match's score (document -> BM25 score)."""
        if self._scores is None:
            self._scores = all_scores(self._segments or [])
        return self._scores

    @property
    def count(self) -> int:
        """How many documents match."""
        if self._segments is not None and self._scores is None:
            return match_count(self._segments)
        return len(self.scores)

    def best(self, limit: int) -> list[tuple[float, int]]:
        """The ``limit`` best ``(score, docnum)``, best first, ties by record id."""
        record_ids = self._snapshot.record_ids
        if self._segments is not None:
            return best_of_segments(self._segments, limit, record_ids)
        return best(self.scores, limit, record_ids)

    def scores_of(self, docnums: set[int]) -> dict[int, float]:
        """The scores of those of ``docnums`` that match."""
        if self._segments is not None and self._scores is None:
            return scores_of(self._segments, docnums)
        scores = self.scores
        return {d: scores[d] for d in docnums if d in scores}

    def groups_held(self, docnums: list[int]) -> dict[int, int] | Counter[int]:
        """How many of the plan's groups each of ``docnums`` holds (what coordination
        counts), in set operations over the holders rather than a loop per document."""
        if self._holders is None:
            plan = self._plan
            return {d: _groups_of(plan, keys) for d, keys in self.matched(docnums).items()}
        per_group: list[set[int]] = [set() for _ in range(self._plan.group_count)]
        for key, ids in self._holders.items():
            for group in self._plan.term_groups.get(key, ()):
                per_group[group].update(ids)
        wanted = set(docnums)
        return Counter(chain.from_iterable(docs & wanted for docs in per_group))

    def matched(self, docnums: list[int]) -> dict[int, set[Key]]:
        if self._holders is None:
            return self._snapshot.holders(self._plan.term_groups, docnums)
        return held_leaves(self._holders, docnums)


class Searcher:
    """Searches one snapshot; its vocabulary, length norms and record values are kept between
    searches."""

    def __init__(
        self,
        snapshot: Snapshot,
        *,
        statistics: Statistics | None = None,
        expanders: Sequence[Expander] = DEFAULT_EXPANDERS,
        norms: LengthNorms | None = None,
    ) -> None:
        """``norms``: length norms to share with other searchers of the snapshot scoring with
        the same document count and field lengths (a shard's, one searcher per query)."""
        self.snapshot = snapshot
        self.vocabulary = Vocabulary(snapshot)
        self.norms = norms if norms is not None else LengthNorms(snapshot)
        self.values = RecordValues(snapshot)
        self.statistics: Statistics = statistics if statistics is not None else snapshot
        self._given_statistics = statistics
        self.expanders = expanders
        self.reranker = Reranker(self.statistics)

    def search(
        self,
        text: str,
        limit: int | Page,
        lang: Language | None,
        expanders: Sequence[Expander] | None = None,
        deadline: Deadline = NO_DEADLINE,
    ) -> Results:
        """Search; when nothing is found, search the best spelling correction instead, and when
        very little is found, suggest it if it finds more. ``limit``: how many hits, or a
        :class:`Page`. ``expanders``: this search's (the searcher's own by default); past the
        ``deadline``, :class:`QueryTimeoutError`."""
        page = limit if isinstance(limit, Page) else Page(limit)
        return search_with_correction(
            text,
            page.limit,
            lambda query: self._run(self.plan(query, lang, expanders), page, deadline),
            lambda query: correct(query, self),
            deadline,
        )

    def plan(
        self, text: str, lang: Language | None, expanders: Sequence[Expander] | None = None
    ) -> QueryPlan:
        chosen = self.expanders if expanders is None else expanders
        return compile_query(text, self.vocabulary, lang, chosen)

    def top(
        self,
        plan: QueryPlan,
        depth: int,
        preferred: tuple[set[int], int] | None = None,
        deadline: Deadline = NO_DEADLINE,
    ) -> tuple[list[tuple[float, int]], dict[int, set[Key]]]:
        """The ``depth`` best ``(score, docnum)`` of a plan by BM25 (and the best ``preferred``
        documents: see :func:`top_documents`), and the terms each holds."""
        deadline.check()
        leaves = plan.union_leaves()
        excluded = self.snapshot.excluded_documents(plan, deadline.check) if plan.excluded else None
        found = None
        if leaves is not None:  # words only: scored here
            found = top_documents(
                self.snapshot,
                leaves,
                depth,
                self.norms,
                self._given_statistics,
                preferred,
                plan.translated_leaves(),
                excluded,
                deadline,
            )
        if found is not None:
            return found
        ranked = self._whoosh_top(plan, depth, excluded, deadline)  # phrases: by Whoosh
        return ranked, self.snapshot.holders(plan.term_groups, [d for _, d in ranked])

    def _whoosh_top(
        self, plan: QueryPlan, depth: int, excluded: set[int] | None, deadline: Deadline
    ) -> list[tuple[float, int]]:
        """Whoosh's ``depth`` best, ties by record id as everywhere (Whoosh breaks them by
        document number): asked for more until every document tied with the ``depth``-th is
        among them."""
        asked = depth
        while True:
            ranked = self.snapshot.run_whoosh(
                plan, asked + 1, excluded, deadline.check, self._given_statistics
            )
            if len(ranked) <= asked or ranked[asked][0] < ranked[depth - 1][0]:
                break
            asked *= 2
        return ties_by_id(ranked, self.snapshot.record_ids)[:depth]

    def stored(self, docnum: int) -> dict[str, Any]:
        """The stored fields of a document."""
        return self.snapshot.stored(docnum)

    def documents_with(self, fieldname: str, term: str) -> set[int]:
        """The live documents holding ``term`` in ``fieldname``."""
        return self.snapshot.documents_with(fieldname, term)

    def matches(self, plan: QueryPlan, deadline: Deadline = NO_DEADLINE) -> Matches:
        """Every document ``plan`` matches, with its BM25 score."""
        deadline.check()
        leaves = plan.union_leaves()
        excluded = self.snapshot.excluded_documents(plan, deadline.check) if plan.excluded else None
        if leaves is not None:  # words only: scored here
            found = score_documents(
                self.snapshot,
                leaves,
                self.norms,
                self._given_statistics,
                plan.translated_leaves(),
                excluded,
                deadline,
            )
            if found is not None:
                return Matches(found[0], found[1], self.snapshot, plan)
        # Phrases: by Whoosh, every match (as many as the index holds documents).
        ranked = self.snapshot.run_whoosh(
            plan, self.snapshot.doc_count, excluded, deadline.check, self._given_statistics
        )
        return Matches({d: score for score, d in ranked}, None, self.snapshot, plan)

    def kept(self, matches: Matches, filters: Filters) -> dict[int, float]:
        """The ``matches`` (document -> BM25 score) that pass the ``filters``."""
        if not filters:
            return matches.scores
        allowed = self.values.allowed(filters)
        return {d: s for d, s in matches.scores.items() if d in allowed}

    def _run(self, plan: QueryPlan, page: Page, deadline: Deadline) -> Found:
        if plan.is_empty:
            return Found([], 0, {name: {} for name in page.facets})
        matches = self.matches(plan, deadline)
        # The order is that of every match, the filters then taking records out of it: they
        # change neither scores nor the order of the records they keep (the head is reranked
        # among all matches, and the tail's order is each record's own).
        stored: dict[int, dict[str, Any]] = {}
        order = self._head(plan, matches, stored)
        end = page.offset + page.limit
        # (A page of the head, unfiltered, without facets, needs only the count of the
        # matches, not a dict of them: most searches.)
        kept = None
        facets: dict[str, dict[str, int]] = {}
        if page.filters or page.facets:
            kept = self.kept(matches, page.filters)
            if page.filters:
                order = [item for item in order if item[1] in kept]
            facets = self.values.count(page.facets, kept) if page.facets else {}
        if page.sort != "relevance" or end > len(order):
            deadline.check()
            kept = kept if kept is not None else self.kept(matches, page.filters)
            order += self.tail(plan, matches, kept, {d for _, d in order})
        if page.sort != "relevance":
            order = self._by_year(order, newest_first=page.sort == "-year")
        shown = order[page.offset : end]
        matched = matches.matched([d for _, d in shown])
        hits = self.reranker.hits(
            plan, shown, matched, lambda d: stored.get(d) or self.snapshot.stored(d)
        )
        return Found(hits, matches.count if kept is None else len(kept), facets)

    def _head(
        self, plan: QueryPlan, matches: Matches, stored: dict[int, dict[str, Any]]
    ) -> list[tuple[float, int]]:
        """The best matches by relevance: :meth:`head_candidates` rescored by the
        :class:`~.rerank.Reranker` (the stored fields read for it left in ``stored``)."""
        ranked = self.head_candidates(plan, matches)
        matched = matches.matched([d for _, d in ranked])

        def stored_of(docnum: int) -> dict[str, Any]:
            found = stored[docnum] = self.snapshot.stored(docnum)
            return found

        return self.reranker.rescore(plan, ranked, matched, stored_of)

    def head_candidates(
        self, plan: QueryPlan, matches: Matches, preferred: set[int] | None = None
    ) -> list[tuple[float, int]]:
        """The candidates of the head, by BM25 (best first, ties by record id): the
        :data:`RERANK_DEPTH` best and the :data:`ACCENT_POOL` best holders of the accented
        words typed. Both sizes are constants, so that every page is cut from one order (and
        a sharded index merges its shards' heads into the collection's). ``preferred``: the
        :meth:`accent_holders` of ``plan`` when already known."""
        ranked = matches.best(RERANK_DEPTH)
        if preferred is None:
            preferred = self.accent_holders(plan)
        if preferred:
            extra = matches.scores_of(preferred)
            ranked = with_preferred(ranked, extra, ACCENT_POOL, self.snapshot.record_ids)
        return ranked

    def tail(
        self, plan: QueryPlan, matches: Matches, kept: dict[int, float], head: set[int]
    ) -> list[tuple[float, int]]:
        """The ``kept`` matches after the head, by BM25 times coordination (ties by record id):
        an order that does not depend on how many are asked for, so that paging through them
        gives the same records as one long list."""
        rest = [d for d in kept if d not in head]
        scores = matches.scores
        if plan.group_count <= 1:
            negated = [(-scores[d], d) for d in rest]
        else:
            held = matches.groups_held(rest)
            factor = [
                ranking.coordination(n, plan.group_count) for n in range(plan.group_count + 1)
            ]
            negated = [(-scores[d] * factor[held[d]], d) for d in rest]
        negated.sort()  # (tuples compared in C: best first; then ties by id, read for ties only)
        return ties_by_id([(-score, d) for score, d in negated], self.snapshot.record_ids)

    def _by_year(
        self, order: list[tuple[float, int]], *, newest_first: bool
    ) -> list[tuple[float, int]]:
        """``order`` (by relevance) sorted by year, records without a year last; ties keep
        their relevance order (the sort is stable)."""
        keys = self.values.year_keys(newest_first)
        ranked = list(map(keys.__getitem__, [d for _, d in order]))
        return [order[i] for i in sorted(range(len(order)), key=ranked.__getitem__)]

    def accent_holders(self, plan: QueryPlan) -> set[int]:
        """The records holding exactly an accented word typed (its forms field term), so that
        the best of them are ranked whatever their BM25 scores (they rank first: see
        :func:`~.rerank._exact_forms_held`)."""
        found: set[int] = set()
        for lang, forms in plan.exact_forms.items():
            for form in forms:
                if fold_term(form) != form:
                    found |= self.snapshot.documents_with(forms_field(lang), _form_term(form))
        return found


def _groups_of(plan: QueryPlan, keys: set[Key]) -> int:
    held: set[int] = set()
    for key in keys:
        held |= plan.term_groups.get(key, set())
    return len(held)


def bounded(text: str) -> str:
    """The query's first :data:`MAX_QUERY_WORDS` words (a phrase's words, exclusions and ORs
    each count): the clause limit of every query, whatever its length in characters."""
    words = text.split()
    return text if len(words) <= MAX_QUERY_WORDS else " ".join(words[:MAX_QUERY_WORDS])


def _form_term(written: str) -> str:
    """The forms field's term of an accented word (``folded<US>written``)."""
    return fold_term(written) + FORM_SEPARATOR + written
