"""Compiling a query: the parsed syntax, looked up in both languages, as a :class:`QueryPlan`.

Every word is analyzed as English and as Spanish (the analyzers of the index, by name) and looked
up in each language's text fields (``_fields.TEXT_FIELDS``) and in the names; the words are
OR-ed with a coordination factor, so records that hold more of them rank first. Each language
is weighted by how likely the query is to be in it (:mod:`.languages`), and each word also
stands for the terms its expanders give (:mod:`.expand`: accent variants first).
"""

from __future__ import annotations

from collections.abc import Sequence

from .._fields import NAMES_FIELD, TEXT_FIELDS
from .._language import LANGUAGES, Language
from ..analysis import analyzer
from .expand import (
    DEFAULT_EXPANDERS,
    Expander,
    exact_form,
    expansions,
    word_terms,
    written_form_terms,
)
from .languages import language_weights, searched_languages
from .parse import parse
from .plan import Alternative, FieldPhrase, Leaf, PhraseMatch, QueryPlan, WordMatch
from .translate import Translations
from .vocabulary import Vocabulary


def compile_query(
    text: str,
    vocabulary: Vocabulary,
    lang: Language | None = None,
    expanders: Sequence[Expander] = DEFAULT_EXPANDERS,
) -> QueryPlan:
    """Parse ``text`` and plan it; ``lang`` restricts it to the records' text in that language.

    With ``lang`` and a translating expander, the words are still read in both languages (a
    Spanish word finds English text through its translations); without one, only in ``lang``.
    """
    parsed = parse(text)
    fields = frozenset(LANGUAGES) if lang is None else frozenset([lang])
    if lang is None:
        weights = language_weights(text, parsed.words, vocabulary)
    elif any(isinstance(e, Translations) for e in expanders):
        weights = {**language_weights(text, parsed.words, vocabulary), lang: 1.0}
    else:
        weights = {lang: 1.0}
    plan = QueryPlan(weights, parsed)
    compiler = _Compiler(vocabulary, expanders, fields)
    for group in parsed.groups:
        alternatives = [
            a for c in group if (a := compiler.clause(c.words, weights, plan)) is not None
        ]
        if alternatives:
            plan.add_group(alternatives)
    # A term one word stands for as typed and another's translation gives (a cognate across the
    # query's words) counts as typed: for coordination, a record holding it holds the first word
    # only (the translation cannot count for a record with text in both languages anyway).
    typed = {key for key, _ in plan.word_leaves(translated=False)}
    plan.translated = {
        key: source
        for key, leaf in plan.word_leaves(translated=True)
        if key not in typed and (source := leaf.translated_from) is not None
    }
    for g, planned in enumerate(plan.groups):
        for key in typed & {
            (leaf.field, leaf.term)
            for alternative in planned
            if isinstance(alternative, WordMatch)
            for leaf in alternative.leaves
            if leaf.translated_from is not None
        }:
            if not _stands_for_as_typed(planned, key):
                plan.term_groups[key].discard(g)
    if plan.is_empty:
        return plan
    # Exclusions: every written form in both languages, but not their translations (excluding
    # "consejo" must not exclude every record about advice). Looked up with the query's own
    # language weights, so that a word that is a stopword only in the language the query is
    # less likely in still excludes ("-los" in an English query: Los Angeles).
    all_langs = {language: weights.get(language, 0.0) for language in LANGUAGES}
    untranslated = [e for e in expanders if not isinstance(e, Translations)]
    excluder = _Compiler(vocabulary, untranslated, frozenset(LANGUAGES))
    plan.excluded = [
        a for c in parsed.excluded if (a := excluder.clause(c.words, all_langs, None)) is not None
    ]
    return plan


class _Compiler:
    def __init__(
        self, vocabulary: Vocabulary, expanders: Sequence[Expander], fields: frozenset[Language]
    ) -> None:
        self.vocabulary = vocabulary
        self.expanders = expanders
        self.fields = fields  # the languages whose fields are searched

    def clause(
        self, words: tuple[str, ...], weights: dict[Language, float], plan: QueryPlan | None
    ) -> Alternative | None:
        if len(words) == 1:
            return self.word(words[0], weights, plan)
        return self.phrase(words, weights)

    def word(
        self, word: str, weights: dict[Language, float], plan: QueryPlan | None
    ) -> WordMatch | None:
        """Any of the terms ``word`` stands for, in every language it is looked up in, and in
        the names (``plan``: where the exact forms typed are recorded; ``None`` for an
        exclusion).

        The word's own terms and accent variants come first, then its translations; a
        translation that is also a term the word stands for in that language as typed adds
        nothing (a cognate counts once).
        """
        chosen: dict[tuple[Language, str], tuple[float, Language | None]] = {}
        translated: list[tuple[Language, str, float, Language]] = []
        for lang, weight in searched_languages(word, weights).items():
            found = expansions(word, lang, self.vocabulary, self.expanders)
            if plan is not None and found and lang in self.fields:
                exact = exact_form(word, lang, self.vocabulary)
                if exact is not None:
                    terms = written_form_terms(exact, lang, self.vocabulary)
                    plan.add_exact_form(lang, exact, terms)
            for expansion in found:
                key = (expansion.lang, expansion.term)
                boost = weight * expansion.weight
                if expansion.translated:
                    translated.append((expansion.lang, expansion.term, boost, lang))
                elif key not in chosen:
                    chosen[key] = (boost, None)
        for lang, term, boost, translated_from in translated:
            chosen.setdefault((lang, term), (boost, translated_from))
        leaves: list[Leaf] = []
        for (field_lang, term), (boost, source) in chosen.items():
            if field_lang not in self.fields:
                continue
            for field in TEXT_FIELDS[field_lang]:
                leaves.append(Leaf(field.name, term, field.boost * boost, source))
        name = analyzer(NAMES_FIELD.analyzer or "name").chain.term(word)
        if name is not None:
            leaves.append(Leaf(NAMES_FIELD.name, name, NAMES_FIELD.boost))
        return WordMatch(tuple(leaves)) if leaves else None

    def phrase(self, words: tuple[str, ...], weights: dict[Language, float]) -> PhraseMatch | None:
        """The phrase in each language's text fields (each word any of its written forms in
        that language: phrases are not translated), and in the names."""
        phrases: list[FieldPhrase] = []
        for lang, weight in weights.items():
            if lang not in self.fields:
                continue
            per_word = [
                word_terms(w, lang, self.vocabulary, self.expanders).get(lang, {})
                if lang in searched_languages(w, weights)
                else {}
                for w in words
            ]
            kept = tuple(tuple(terms.items()) for terms in per_word if terms)
            if not kept:
                continue
            slop = _largest_gap(per_word)
            for field in TEXT_FIELDS[lang]:
                phrases.append(FieldPhrase(field.name, kept, slop, field.boost * weight))
        name_chain = analyzer(NAMES_FIELD.analyzer or "name").chain
        per_name = [{t: 1.0} if (t := name_chain.term(w)) else {} for w in words]
        names = tuple(tuple(terms.items()) for terms in per_name if terms)
        if len(names) > 1:
            slop = _largest_gap(per_name)
            phrases.append(FieldPhrase(NAMES_FIELD.name, names, slop, NAMES_FIELD.boost))
        return PhraseMatch(tuple(phrases)) if phrases else None


def _stands_for_as_typed(alternatives: tuple[Alternative, ...], key: tuple[str, str]) -> bool:
    """Whether a group looks ``key`` up other than through a translation."""
    for alternative in alternatives:
        if isinstance(alternative, WordMatch):
            if any(
                (leaf.field, leaf.term) == key and leaf.translated_from is None
                for leaf in alternative.leaves
            ):
                return True
        elif key in set(alternative.term_keys()):
            return True
    return False


def _largest_gap(per_word: list[dict[str, float]]) -> int:
    """The slop a phrase needs: 1, plus the longest run of stopwords inside it."""
    gap = run = 0
    for terms in per_word:
        run = 0 if terms else run + 1
        gap = max(gap, run)
    return gap + 1
