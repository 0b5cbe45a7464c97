"""The second stage of a search: the head's candidates rescored for coordination (how many
query words a record holds) and the exact accented forms typed, and hits made of records.

One home for both, used by :class:`~diaspora_search.search.run.Searcher` (one index) and by
the sharded searcher (the candidates of every shard reranked together with the collection's
statistics): a record's rescored score and its hit read only the record, the plan, and the
collection statistics of the language of the hit.
"""

from __future__ import annotations

import functools
from collections.abc import Callable, Hashable, Mapping, Sequence
from typing import Any, TypeVar

from .. import _ranking as ranking
from .._compiled import core as _core
from .._fields import (
    NAMES,
    field_language,
    full_text_field,
    summary_field,
    title_field,
)
from .._hits import MARK_CLOSE, MARK_OPEN, Hit, Later, Passage, render
from .._language import LANGUAGES, Language
from .._records import Record
from ..analysis import fold_term, normalize, word_texts
from ..query import QueryPlan
from ..query.plan import Key
from .scorer import Statistics
from .snippets import marked_names, passage, shorten

D = TypeVar("D", bound=Hashable)
"""What names a candidate: a document number, or a shard's document in a sharded index."""


class Reranker:
    """Rescores a head of BM25 candidates and makes hits. It reads collection statistics only
    for the language of each hit, so a sharded index reranks the candidates of all its shards
    here with its global statistics."""

    def __init__(self, statistics: Statistics) -> None:
        self.statistics = statistics
        self._hit_idf: dict[Key, float] = {}

    def rescore(
        self,
        plan: QueryPlan,
        ranked: Sequence[tuple[float, D]],
        matched: Mapping[D, set[Key]],
        stored_of: Callable[[D], dict[str, Any]],
    ) -> list[tuple[float, D]]:
        """The candidates ``ranked`` (by BM25, best first, ties by record id), each holding
        the ``matched`` terms, in their final order with their final scores: by exact-form
        tier, then BM25 times coordination times the exact-form factor, then BM25 rank. The
        stored fields (``stored_of``) are read only when the exact-form ranking needs them."""
        # The stored text of a candidate only when the exact-form ranking reads it: the
        # candidates whose titles and summaries may hold a written form of a word typed, and
        # of those, the languages they may hold one in.
        fields: list[dict[str, Any]] = [{}] * len(ranked)
        scanned: list[tuple[Language, ...]] = [()] * len(ranked)
        if plan.exact_forms:
            keys = _written_form_keys(plan)
            scanned = [
                tuple(
                    lang
                    for lang in plan.exact_forms
                    if keys is None or not keys[lang].isdisjoint(matched[doc])
                )
                for _, doc in ranked
            ]
            fields = [
                stored_of(doc) if langs else {}
                for (_, doc), langs in zip(ranked, scanned, strict=True)
            ]
        exact = _exact_forms_held(plan, fields, scanned)
        coordination = plan.coordinations([matched[doc] for _, doc in ranked])
        rescored = [
            (tier, score * held * factor, rank, doc)
            for rank, ((score, doc), held, (tier, factor)) in enumerate(
                zip(ranked, coordination, exact, strict=True)
            )
        ]
        rescored.sort(key=lambda item: (-item[0], -item[1], item[2]))
        return [(score, doc) for _, score, _, doc in rescored]

    def rerank(
        self,
        plan: QueryPlan,
        ranked: Sequence[tuple[float, D]],
        matched: Mapping[D, set[Key]],
        stored_of: Callable[[D], dict[str, Any]],
        limit: int,
        prefetch: Callable[[list[D]], None] | None = None,
    ) -> list[Hit]:
        """The ``limit`` best hits of the candidates ``ranked`` (:meth:`rescore`), after
        ``prefetch`` is given the page's documents, to read them together (a sharded index
        asks each shard once)."""
        page = self.rescore(plan, ranked, matched, stored_of)[:limit]
        return self.hits(plan, page, matched, stored_of, prefetch)

    def hits(
        self,
        plan: QueryPlan,
        page: Sequence[tuple[float, D]],
        matched: Mapping[D, set[Key]],
        stored_of: Callable[[D], dict[str, Any]],
        prefetch: Callable[[list[D]], None] | None = None,
    ) -> list[Hit]:
        """The hits of ``page`` (``(score, doc)`` in order)."""
        if prefetch is not None:
            prefetch([doc for _, doc in page])
        return [self.hit(plan, stored_of(doc), score, matched[doc]) for score, doc in page]

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

    def hit(self, plan: QueryPlan, fields: dict[str, Any], score: float, matched: set[Key]) -> Hit:
        """The hit of a record (its stored ``fields``), scored ``score``, holding ``matched``."""
        lang = self._matched_language(plan, matched, fields)
        title = fields.get(title_field(lang)) or fields.get(title_field(lang.other)) or ""
        names = {term for fieldname, term in matched if fieldname == NAMES}
        # The snippet made when it is first read (most of a hit's cost, and many callers want
        # ids, scores or records only): from the record and the plan alone.
        shown = Later(lambda: _passage(plan, lang, fields))
        return Hit(
            id=fields["id"],
            score=float(score),
            lang=lang.value,
            title=title,
            snippet=Later(lambda: render(shown.value(), MARK_OPEN, MARK_CLOSE, None)),
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
        # (The first of LANGUAGES with the greatest key, as the first of a stable sort's.)
        return max(
            LANGUAGES,
            key=lambda lang: (weight[lang], lang in present, plan.weights.get(lang, 0.0)),
        )


def _names_of(fields: dict[str, Any]) -> list[str]:
    """A record's authors, then its source."""
    return [n for n in (*fields.get("authors", ()), fields.get("source", "")) if n]


def _text_fields(lang: Language) -> tuple[str, str]:
    """The fields of a record's text in ``lang`` that the exact-form ranking reads: its title
    and summary (not its full text, which may be long: reading the words of the head's full
    texts would cost more than the search)."""
    return title_field(lang), summary_field(lang)


def _written_form_keys(plan: QueryPlan) -> dict[Language, frozenset[Key]] | None:
    """Per language of the plan's exact forms, the ``(field, term)`` keys a record's title or
    summary in that language is indexed under when it holds any written form of them
    (:attr:`~.QueryPlan.exact_form_terms`): a candidate holding none of a language's holds no
    such form in that language's text, and that text need not be read. ``None`` when they are
    not known, or when one is not a term of the plan (whose holders the matches do not tell):
    then every candidate's text is read."""
    found: dict[Language, frozenset[Key]] = {}
    for lang in plan.exact_forms:
        terms = plan.exact_form_terms.get(lang)
        if terms is None:
            return None
        keys = frozenset((name, term) for name in _text_fields(lang) for term in terms)
        if not keys <= plan.term_groups.keys():
            return None
        found[lang] = keys
    return found


def _exact_forms_held(
    plan: QueryPlan, hits: list[dict[str, Any]], scanned: Sequence[tuple[Language, ...]]
) -> list[tuple[int, float]]:
    """Accent-aware ranking, per hit: its tier and its factor, for the words the hits write in
    several ways differing only by accents (papá and papa, médico and medicó: ambiguous words),
    read in the title and summary (its stored ``hits``) of each language ``scanned`` for it.

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
    for fields, langs in zip(hits, scanned, strict=True):
        forms: dict[tuple[Language, str], set[str]] = {}
        held.append(forms)
        for lang in langs:  # (none for a candidate left unread: see Reranker.rescore)
            title, summary = _text_fields(lang)
            # (Title and summary joined by a newline: no word spans the two.)
            text = f"{fields.get(title, '')}\n{fields.get(summary, '')}"
            for folded, written in _typed_forms_in(text, folded_wanted):
                key = (lang, folded)
                if key in wanted:
                    forms.setdefault(key, set()).add(written)
                    seen[key].add(written)
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


def _typed_forms_in(text: str, folded_wanted: set[str]) -> list[tuple[str, str]]:
    """``(folded, written)`` of the words of ``text`` that may be typed forms: those whose
    folded form is in ``folded_wanted``, and (without the compiled core, or in a text it does
    not fold) others besides.

    The core folds each word of the text character by character (:func:`_fold_table`) and
    keeps those whose folding, with or without their dots, is wanted: a word's folded form
    is one of the two (tests/search/test_exact_accents.py), so every word that folds to a
    wanted form is kept, and only those are normalized here (a Spanish summary's every
    accented word was, a tenth of the head's time)."""
    if _core is not None:
        words = _core.held_words(text, _fold_table(), folded_wanted)
        if words is not None:
            return [_folded_and_written(word) for word in words]
    if not _may_hold(text, folded_wanted):
        return []
    return _candidate_forms(text, folded_wanted)


def _folded_and_written(word: str) -> tuple[str, str]:
    """A word of a text folded and normalized (as written)."""
    if word.isascii() and "." not in word:
        written = word.lower()
        return written, written
    written, folded = _written_and_folded(word)
    return folded, written


def _may_hold(text: str, folded_wanted: set[str]) -> bool:
    """Whether a word of ``text`` may be written as a form folded in ``folded_wanted``:
    ``False`` only when none is (most of a head's texts hold none of the accented words typed,
    and reading their words costs ten times more than this).

    A word's folded form (:func:`_written_and_folded`) is the folding of each of its
    characters in turn, where :func:`_fold_table` knows them all (Latin letters; and then the
    dots of an abbreviation go too, as ``normalize`` takes them out): so each word's folded
    form is then in the text's characters folded, and a wanted form found in neither the
    folded text nor that without dots is in no word. With a character the table does not
    know, the words are read."""
    folded = _fold_chars(text, _fold_table())
    if folded is None:
        return True
    for form in folded_wanted:
        if form in folded:
            return True
    if "." in folded:
        folded = folded.replace(".", "")
        return any(form in folded for form in folded_wanted)
    return False


@functools.cache
def _fold_table() -> tuple[str | None, ...]:
    """Each character up to the end of Latin Extended-A, by code point, folded
    (``fold_term(normalize(c))``, ICU's own) where that is ASCII, else ``None``.

    Not the vulgar fractions (``normalize`` keeps a number and its fraction apart):
    tests/search/test_exact_accents.py checks that a word's folded form is its characters'.
    (What a character that is in no word maps to matters not.)"""
    table: list[str | None] = []
    for code in range(0x180):
        char = chr(code)
        folded = fold_term(normalize(char))
        table.append(folded if folded.isascii() and char not in "¼½¾" else None)
    return tuple(table)


def _python_fold_chars(text: str, table: tuple[str | None, ...]) -> str | None:
    """``_core.fold_chars`` in Python: ``str.translate``, a character without an entry left
    as it is (none of them is ASCII)."""
    folded = text.translate(_translation(table))
    return folded if folded.isascii() else None


@functools.cache
def _translation(table: tuple[str | None, ...]) -> dict[int, str]:
    return {code: folded for code, folded in enumerate(table) if folded is not None}


_fold_chars = _core.fold_chars if _core is not None else _python_fold_chars


def _candidate_forms(text: str, folded_wanted: set[str]) -> list[tuple[str, str]]:
    """``(folded, written)`` of the words of ``text`` that may be typed forms: every word that
    is not plain ASCII, and the plain ones whose lowercase (their normalized, folded form) is
    in ``folded_wanted``."""
    words = word_texts(text)
    if text.isascii() and "." not in text:  # plain words only: matched in one pass in C
        return [(w, w) for w in folded_wanted.intersection(map(str.lower, words))]
    out: list[tuple[str, str]] = []
    for word in words:
        folded, written = _folded_and_written(word)
        if folded in folded_wanted or not word.isascii() or "." in word:
            out.append((folded, written))
    return out


_WRITTEN: dict[str, tuple[str, str]] = {}
_WRITTEN_LIMIT = 200_000


def _written_and_folded(word: str) -> tuple[str, str]:
    """A word of a text normalized (as written) and folded, kept for the process: pure
    functions of the word, and the head's texts repeat their accented words from query to
    query."""
    found = _WRITTEN.get(word)
    if found is None:
        if len(_WRITTEN) >= _WRITTEN_LIMIT:
            _WRITTEN.clear()
        written = normalize(word)
        found = _WRITTEN[word] = (written, fold_term(written))
    return found


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
