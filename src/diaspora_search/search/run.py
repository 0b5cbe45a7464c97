"""Running a query plan: ranking, the language of each hit, snippets, spelling help."""

from __future__ import annotations

from collections.abc import Callable, Hashable, Mapping, Sequence
from typing import Any, TypeVar

from .. import _ranking as ranking
from .._fields import (
    NAMES,
    TEXT_FIELDS,
    field_language,
    forms_field,
    summary_field,
    title_field,
)
from .._hits import Hit, Results
from .._language import LANGUAGES, Language
from ..analysis import FORM_SEPARATOR, fold_term, normalize, word_texts
from ..query import QueryPlan, Vocabulary, compile_query
from ..query.expand import DEFAULT_EXPANDERS, Expander
from ..query.plan import Key
from ..storage import Snapshot
from .deadline import NO_DEADLINE, Deadline
from .scorer import LengthNorms, Statistics, ties_by_id, top_documents
from .snippets import marked_names, shorten, snippet
from .spelling import correct

RERANK_DEPTH = 50
"""How many of the best hits are rescored for coordination (how many query words)."""
FEW_HITS = 3
"""Fewer hits than this (and than the limit) make the search look for a spelling suggestion."""
MAX_QUERY_WORDS = 64
"""Longer queries keep their first 64 words: the clause limit (with :data:`MAX_WORD_TERMS`)."""

D = TypeVar("D", bound=Hashable)
"""What names a candidate: a document number, or a shard's document in a sharded index."""


def search_with_correction(
    text: str,
    limit: int,
    run: Callable[[str], list[Hit]],
    correct_query: Callable[[str], str | None],
    deadline: Deadline = NO_DEADLINE,
) -> Results:
    """The hits ``run`` finds for ``text``; when there are none, those of its best spelling
    correction (``correct_query``) instead, and when there are very few, the correction as a
    suggestion if it finds more. Past the ``deadline``, :class:`QueryTimeoutError`."""
    text = bounded(text)
    hits = run(text)
    if len(hits) >= min(limit, FEW_HITS):
        return Results(hits)
    deadline.check()
    corrected = correct_query(text)
    if corrected is None:
        return Results(hits)
    better = run(corrected)
    if not hits:
        return Results(better, corrected_query=corrected) if better else Results()
    return Results(hits, suggestion=corrected if len(better) > len(hits) else None)


class Searcher:
    """Searches one snapshot; its vocabulary and length norms are kept between searches."""

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
        self.statistics: Statistics = statistics if statistics is not None else snapshot
        self._given_statistics = statistics
        self.expanders = expanders
        self.reranker = Reranker(self.statistics)

    def search(
        self,
        text: str,
        limit: int,
        lang: Language | None,
        expanders: Sequence[Expander] | None = None,
        deadline: Deadline = NO_DEADLINE,
    ) -> Results:
        """Search; when nothing is found, search the best spelling correction instead, and when
        very little is found, suggest it if it finds more. ``expanders``: this search's (the
        searcher's own by default); past the ``deadline``, :class:`QueryTimeoutError`."""
        return search_with_correction(
            text,
            limit,
            lambda query: self._run(self.plan(query, lang, expanders), limit, deadline),
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
        return ties_by_id(ranked, self.snapshot.record_id)[:depth]

    def stored(self, docnum: int) -> dict[str, Any]:
        """The stored fields of a document."""
        return self.snapshot.stored(docnum)

    def documents_with(self, fieldname: str, term: str) -> set[int]:
        """The live documents holding ``term`` in ``fieldname``."""
        return self.snapshot.documents_with(fieldname, term)

    def candidates(
        self, plan: QueryPlan, limit: int, deadline: Deadline = NO_DEADLINE
    ) -> tuple[list[tuple[float, int]], dict[int, set[Key]], set[int]]:
        """The first stage of a search: the candidates reranked for a page of ``limit`` hits,
        by BM25 (the best ``RERANK_DEPTH``, and the best ``limit`` records holding exactly an
        accented word typed), the terms each holds, and which of them hold such a word. A
        shard of a sharded index runs this stage with the collection's statistics."""
        holders = self._accent_holders(plan)
        ranked, matched = self.top(plan, max(limit, RERANK_DEPTH), (holders, limit), deadline)
        return ranked, matched, holders

    def _run(self, plan: QueryPlan, limit: int, deadline: Deadline) -> list[Hit]:
        if plan.is_empty:
            return []
        ranked, matched, _ = self.candidates(plan, limit, deadline)
        return self.reranker.rerank(plan, ranked, matched, self.snapshot.stored, limit)

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


class Reranker:
    """The second stage of a search: the BM25 candidates rescored for coordination (how many
    query words a record holds) and the exact accented forms typed, then made into hits. It
    reads collection statistics only for the language of each hit, so a sharded index reranks
    the candidates of all its shards here with its global statistics."""

    def __init__(self, statistics: Statistics) -> None:
        self.statistics = statistics
        self._hit_idf: dict[Key, float] = {}

    def rerank(
        self,
        plan: QueryPlan,
        ranked: Sequence[tuple[float, D]],
        matched: Mapping[D, set[Key]],
        stored_of: Callable[[D], dict[str, Any]],
        limit: int,
        prefetch: Callable[[list[D]], None] | None = None,
    ) -> list[Hit]:
        """The ``limit`` best hits of the BM25 candidates ``ranked`` (best first), each
        holding the ``matched`` terms, their stored fields read by ``stored_of`` (after
        ``prefetch`` is given the page's documents whose fields were not read yet, to read
        them together: a sharded index asks each shard once)."""
        # The stored text of every hit reranked only when the exact-form ranking reads it.
        stored: dict[D, dict[str, Any]] = {}
        if plan.exact_forms:
            stored = {doc: stored_of(doc) for _, doc in ranked}
        exact = _exact_forms_held(plan, [stored.get(doc, {}) for _, doc in ranked])
        rescored = [
            (tier, score * plan.coordination(matched[doc]) * factor, rank, doc)
            for rank, ((score, doc), (tier, factor)) in enumerate(zip(ranked, exact, strict=True))
        ]
        rescored.sort(key=lambda item: (-item[0], -item[1], item[2]))
        page = rescored[:limit]
        if prefetch is not None:
            prefetch([doc for _, _, _, doc in page if doc not in stored])
        return [
            self._hit(plan, stored.get(doc) or stored_of(doc), score, matched[doc])
            for _, score, _, doc in page
        ]

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
        return Hit(
            id=fields["id"],
            score=float(score),
            lang=lang.value,
            title=title,
            snippet=_snippet(plan, lang, fields),
            names=marked_names(_names_of(fields), names) if names else "",
            translated=plan.only_translated(matched),
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


def _names_of(fields: dict[str, Any]) -> list[str]:
    """A record's authors, then its source."""
    return [n for n in (*fields.get("authors", ()), fields.get("source", "")) if n]


def bounded(text: str) -> str:
    """The query's first :data:`MAX_QUERY_WORDS` words (a phrase's words, exclusions and ORs
    each count): the clause limit of every query, whatever its length in characters."""
    words = text.split()
    return text if len(words) <= MAX_QUERY_WORDS else " ".join(words[:MAX_QUERY_WORDS])


def _text_of(fields: dict[str, Any], lang: Language) -> str:
    """A record's searched text in ``lang``: its text fields joined by newlines."""
    return "\n".join(fields.get(field.name, "") for field in TEXT_FIELDS[lang])


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


def _snippet(plan: QueryPlan, lang: Language, fields: dict[str, Any]) -> str:
    for field in reversed(TEXT_FIELDS[lang]):  # the summary first, then the title
        text = fields.get(field.name)
        if text:
            found = snippet(text, lang, plan.field_terms(field.name))
            if found:
                return found
    return shorten(fields.get(summary_field(lang)) or fields.get(summary_field(lang.other)) or "")
