"""Running a query plan: ranking, the language of each hit, snippets, spelling help."""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, field
from itertools import chain
from typing import Any, NamedTuple

from .. import _ranking as ranking
from .._fields import (
    NAMES,
    field_language,
    forms_field,
    full_text_field,
    summary_field,
    title_field,
)
from .._hits import MARK_CLOSE, MARK_OPEN, Hit, Passage, Results, render
from .._language import LANGUAGES, Language
from .._records import Record
from ..analysis import FORM_SEPARATOR, fold_term, normalize, word_texts
from ..query import QueryPlan, Vocabulary, compile_query
from ..query.expand import DEFAULT_EXPANDERS, Expander
from ..query.plan import Key
from ..storage import Snapshot
from .deadline import NO_DEADLINE, Deadline
from .facets import Filters, RecordValues
from .scorer import LengthNorms, Statistics, best, score_documents, ties_by_id, top_documents
from .snippets import marked_names, passage, shorten
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


class _Found(NamedTuple):
    hits: list[Hit]
    total: int
    facets: dict[str, dict[str, int]]

    def results(self, corrected_query: str | None = None, suggestion: str | None = None) -> Results:
        return Results(self.hits, corrected_query, suggestion, total=self.total, facets=self.facets)


class _Matches:
    """Every document a plan matches, with its BM25 score, and which of the plan's terms
    each holds (asked of the scorer's postings, or of the index for Whoosh's runs)."""

    def __init__(
        self,
        scores: dict[int, float],
        holders: dict[Key, set[int]] | None,
        snapshot: Snapshot,
        plan: QueryPlan,
    ) -> None:
        self.scores = scores
        self._holders = holders
        self._snapshot = snapshot
        self._plan = plan

    def groups_held(self, docnums: list[int]) -> dict[int, int] | Counter[int]:
        """How many of the plan's groups each of ``docnums`` holds (what coordination
        counts), in set operations over the holders rather than a loop per document."""
        if self._holders is None:
            plan = self._plan
            return {d: _groups_of(plan, keys) for d, keys in self.matched(docnums).items()}
        per_group: list[set[int]] = [set() for _ in range(self._plan.group_count)]
        for key, ids in self._holders.items():
            for group in self._plan.term_groups.get(key, ()):
                per_group[group] |= ids
        wanted = set(docnums)
        return Counter(chain.from_iterable(docs & wanted for docs in per_group))

    def matched(self, docnums: list[int]) -> dict[int, set[Key]]:
        if self._holders is None:
            return self._snapshot.holders(self._plan.term_groups, docnums)
        if len(docnums) <= RERANK_DEPTH * 2:
            return {d: {key for key, ids in self._holders.items() if d in ids} for d in docnums}
        wanted = set(docnums)
        out: dict[int, set[Key]] = {d: set() for d in docnums}
        for key, ids in self._holders.items():
            for d in ids & wanted:
                out[d].add(key)
        return out


class Searcher:
    """Searches one snapshot; its vocabulary, length norms and record values are kept between
    searches."""

    def __init__(
        self,
        snapshot: Snapshot,
        *,
        statistics: Statistics | None = None,
        expanders: Sequence[Expander] = DEFAULT_EXPANDERS,
    ) -> None:
        self.snapshot = snapshot
        self.vocabulary = Vocabulary(snapshot)
        self.norms = LengthNorms(snapshot)
        self.values = RecordValues(snapshot)
        self.statistics: Statistics = statistics if statistics is not None else snapshot
        self._given_statistics = statistics
        self.expanders = expanders
        self._hit_idf: dict[Key, float] = {}

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
        text = bounded(text)
        found = self._run(self.plan(text, lang, expanders), page, deadline)
        if found.total >= min(page.limit, FEW_HITS):
            return found.results()
        deadline.check()
        corrected = correct(text, self)
        if corrected is None:
            return found.results()
        better = self._run(self.plan(corrected, lang, expanders), page, deadline)
        if not found.total:
            return better.results(corrected_query=corrected) if better.total else found.results()
        return found.results(suggestion=corrected if better.total > found.total else None)

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
            ranked = self.snapshot.run_whoosh(plan, asked + 1, excluded, deadline.check)
            if len(ranked) <= asked or ranked[asked][0] < ranked[depth - 1][0]:
                break
            asked *= 2
        return ties_by_id(ranked, self.snapshot.record_id)[:depth]

    def matches(self, plan: QueryPlan, deadline: Deadline = NO_DEADLINE) -> _Matches:
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
                return _Matches(found[0], found[1], self.snapshot, plan)
        # Phrases: by Whoosh, every match (as many as the index holds documents).
        ranked = self.snapshot.run_whoosh(plan, self.snapshot.doc_count, excluded, deadline.check)
        return _Matches({d: score for score, d in ranked}, None, self.snapshot, plan)

    def _run(self, plan: QueryPlan, page: Page, deadline: Deadline) -> _Found:
        if plan.is_empty:
            return _Found([], 0, {name: {} for name in page.facets})
        matches = self.matches(plan, deadline)
        # The order is that of every match, the filters then taking records out of it: they
        # change neither scores nor the order of the records they keep (the head is reranked
        # among all matches, and the tail's order is each record's own).
        stored: dict[int, dict[str, Any]] = {}
        order = self._head(plan, matches, stored)
        kept = matches.scores
        if page.filters:
            allowed = self.values.allowed(page.filters)
            kept = {d: s for d, s in matches.scores.items() if d in allowed}
            order = [item for item in order if item[1] in allowed]
        facets = self.values.count(page.facets, kept) if page.facets else {}
        end = page.offset + page.limit
        if page.sort != "relevance" or end > len(order):
            deadline.check()
            order += self._tail(plan, matches, kept, {d for _, d in order})
        if page.sort != "relevance":
            order = self._by_year(order, newest_first=page.sort == "-year")
        shown = order[page.offset : end]
        matched = matches.matched([d for _, d in shown])
        hits = [
            self._hit(plan, stored.get(d) or self.snapshot.stored(d), score, matched[d])
            for score, d in shown
        ]
        return _Found(hits, len(kept), facets)

    def _head(
        self, plan: QueryPlan, matches: _Matches, stored: dict[int, dict[str, Any]]
    ) -> list[tuple[float, int]]:
        """The best matches by relevance: the :data:`RERANK_DEPTH` best by BM25 and the
        :data:`ACCENT_POOL` best holders of the accented words typed, rescored for
        coordination and the forms typed (the stored fields read for it left in ``stored``).
        Both sizes are constants, so that every page is cut from one order."""
        scores = matches.scores
        record_id = self.snapshot.record_id
        ranked = best(scores, RERANK_DEPTH, record_id)
        preferred = self._accent_holders(plan)
        if preferred:
            extra = best({d: scores[d] for d in preferred if d in scores}, ACCENT_POOL, record_id)
            ranked = ties_by_id(sorted(set(ranked).union(extra), key=_by_score), record_id)
        matched = matches.matched([d for _, d in ranked])
        # The stored text of every hit reranked only when the exact-form ranking reads it.
        if plan.exact_forms:
            stored.update((docnum, self.snapshot.stored(docnum)) for _, docnum in ranked)
        exact = _exact_forms_held(plan, [stored.get(docnum, {}) for _, docnum in ranked])
        rescored = [
            (tier, score * plan.coordination(matched[docnum]) * factor, rank, docnum)
            for rank, ((score, docnum), (tier, factor)) in enumerate(
                zip(ranked, exact, strict=True)
            )
        ]
        rescored.sort(key=lambda item: (-item[0], -item[1], item[2]))
        return [(score, docnum) for _, score, _, docnum in rescored]

    def _tail(
        self, plan: QueryPlan, matches: _Matches, kept: dict[int, float], head: set[int]
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
        return ties_by_id([(-score, d) for score, d in negated], self.snapshot.record_id)

    def _by_year(
        self, order: list[tuple[float, int]], *, newest_first: bool
    ) -> list[tuple[float, int]]:
        """``order`` (by relevance) sorted by year, records without a year last; ties keep
        their relevance order (the sort is stable)."""
        keys = self.values.year_keys(newest_first)
        ranked = list(map(keys.__getitem__, [d for _, d in order]))
        return [order[i] for i in sorted(range(len(order)), key=ranked.__getitem__)]

    def _accent_holders(self, plan: QueryPlan) -> set[int]:
        """The records holding exactly an accented word typed (its forms field term), so that
        the best of them are ranked whatever their BM25 scores (they rank first: see
        :func:`_exact_forms_held`)."""
        found: set[int] = set()
        for lang, forms in plan.exact_forms.items():
            for form in forms:
                if fold_term(form) != form:
                    found |= self.snapshot.documents_with(forms_field(lang), _form_term(form))
        return found

    def _language_idf(self, key: Key) -> float:
        """:func:`~._ranking.hit_language_idf` of a term, kept for this snapshot."""
        found = self._hit_idf.get(key)
        if found is None:
            stats = self.statistics
            found = ranking.hit_language_idf(stats.doc_count, stats.doc_frequency(*key))
            if len(self._hit_idf) > 100_000:
                self._hit_idf.clear()
            self._hit_idf[key] = found
        return found

    def _hit(self, plan: QueryPlan, fields: dict[str, Any], score: float, matched: set[Key]) -> Hit:
        lang = self._matched_language(plan, matched, fields)
        title = fields.get(title_field(lang)) or fields.get(title_field(lang.other)) or ""
        names = {term for fieldname, term in matched if fieldname == NAMES}
        shown = _passage(plan, lang, fields)
        return Hit(
            id=fields["id"],
            score=float(score),
            lang=lang.value,
            title=title,
            snippet=render(shown, MARK_OPEN, MARK_CLOSE, None),
            names=marked_names(_names_of(fields), names) if names else "",
            translated=plan.only_translated(matched),
            record=Record.from_stored(fields),
            passage=shown,
        )

    def _matched_language(
        self, plan: QueryPlan, matched: set[Key], fields: dict[str, Any]
    ) -> Language:
        """The language whose text matched best: matched terms weighed by idf and language
        weight."""
        weight = {lang: 0.0 for lang in LANGUAGES}
        for key in matched:
            lang = field_language(key[0])
            if lang is not None:
                weight[lang] += self._language_idf(key) * plan.weights.get(lang, 0.0)
        present = [lang for lang in LANGUAGES if fields.get(summary_field(lang))]
        ranked = sorted(
            LANGUAGES,
            key=lambda lang: (weight[lang], lang in present, plan.weights.get(lang, 0.0)),
            reverse=True,
        )
        return ranked[0]


def _by_score(item: tuple[float, int]) -> float:
    return -item[0]


def _groups_of(plan: QueryPlan, keys: set[Key]) -> int:
    held: set[int] = set()
    for key in keys:
        held |= plan.term_groups.get(key, set())
    return len(held)


def _names_of(fields: dict[str, Any]) -> list[str]:
    """A record's authors, then its source."""
    return [n for n in (*fields.get("authors", ()), fields.get("source", "")) if n]


def bounded(text: str) -> str:
    """The query's first :data:`MAX_QUERY_WORDS` words (a phrase's words, exclusions and ORs
    each count): the clause limit of every query, whatever its length in characters."""
    words = text.split()
    return text if len(words) <= MAX_QUERY_WORDS else " ".join(words[:MAX_QUERY_WORDS])


def _text_of(fields: dict[str, Any], lang: Language) -> str:
    """A record's title and summary in ``lang``, joined by a newline (not its full text, which
    may be long: reading the words of the head's full texts would cost more than the search)."""
    return "\n".join(fields.get(name, "") for name in (title_field(lang), summary_field(lang)))


def _form_term(written: str) -> str:
    """The forms field's term of an accented word (``folded<US>written``)."""
    return fold_term(written) + FORM_SEPARATOR + written


def _exact_forms_held(plan: QueryPlan, hits: list[dict[str, Any]]) -> list[tuple[int, float]]:
    """Accent-aware ranking, per hit: its tier and its factor, for the words the hits write in
    several ways differing only by accents (papá and papa, médico and medicó: ambiguous words).

    The tier is minus the number of ambiguous words typed *with* accents that the hit holds
    only in another form: hits rank by tier first, so "papá" finds every record holding "papá"
    before any holding only "papa", whatever the lengths and frequencies, while a record not
    holding the word at all keeps its place (a question's "además" must not push the paragraph
    it is about below those that happen to hold "además"). The factor
    (:func:`~diaspora_search._ranking.exact_form_factor`) is a milder bonus for every ambiguous
    word held as typed, unaccented too: readers leave accents out without meaning the
    unaccented word, so "papa" typed prefers "papa" but lets BM25 decide. Words the hits write
    one way only change nothing, so a query typed without accents ranks as the accented one
    wherever the collection is unambiguous.
    """
    unchanged = [(0, 1.0)] * len(hits)
    if not plan.exact_forms:
        return unchanged
    wanted = {
        (lang, fold_term(form)): form for lang, forms in plan.exact_forms.items() for form in forms
    }
    folded_wanted = {folded for _, folded in wanted}
    held: list[dict[tuple[Language, str], set[str]]] = []
    seen: dict[tuple[Language, str], set[str]] = {key: set() for key in wanted}
    for fields in hits:
        forms: dict[tuple[Language, str], set[str]] = {}
        for lang in plan.exact_forms:
            for word in word_texts(_text_of(fields, lang)):
                if word.isascii() and "." not in word:  # normalized, folded: just lowercase
                    written = word.lower()
                    if written not in folded_wanted:
                        continue
                    key = (lang, written)
                else:
                    written = normalize(word)
                    key = (lang, fold_term(written))
                if key in wanted:
                    forms.setdefault(key, set()).add(written)
                    seen[key].add(written)
        held.append(forms)
    ambiguous = [key for key, written in seen.items() if len(written) > 1]
    if not ambiguous:
        return unchanged
    accented = [key for key in ambiguous if wanted[key] != key[1]]
    return [
        (
            -sum(bool(forms.get(key)) and wanted[key] not in forms[key] for key in accented),
            ranking.exact_form_factor(
                sum(wanted[key] in forms.get(key, ()) for key in ambiguous), len(ambiguous)
            ),
        )
        for forms in held
    ]


def _passage(plan: QueryPlan, lang: Language, fields: dict[str, Any]) -> Passage:
    """The snippet: from the summary where the query's words matched there, else from the full
    text, else the title; without a matched word, the start of a summary."""
    for name in (summary_field(lang), full_text_field(lang), title_field(lang)):
        text = fields.get(name)
        if text:
            found = passage(text, lang, plan.field_terms(name))
            if found:
                return found
    text = shorten(fields.get(summary_field(lang)) or fields.get(summary_field(lang.other)) or "")
    return ((text, False),) if text else ()
