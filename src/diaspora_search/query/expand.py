"""Query expansion: what else a query word stands for, one expander per reason.

An expander turns a query word, looked up in one language, into more ``(language, term,
weight)`` leaves; the compiler gives them the word's group, so a record holding any of them
holds that query word (coordination). The first expander is :class:`AccentVariants`; query
translation adds terms of the other language through the same seam.
"""

from __future__ import annotations

import itertools
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from typing import Protocol

from .. import _ranking as ranking
from .._language import Language
from ..analysis import analyzer, fold_term, normalize
from .vocabulary import Vocabulary


@dataclass(frozen=True)
class Expansion:
    """One more term a query word stands for, in ``lang``'s fields, with a weight in (0, 1];
    ``translated`` when it is a translation (in the other language's fields)."""

    lang: Language
    term: str
    weight: float
    translated: bool = False


class Expander(Protocol):
    """Turns a query word (as typed) looked up in ``lang`` into more terms."""

    def expand(
        self, word: str, lang: Language, own: str, vocabulary: Vocabulary
    ) -> Iterable[Expansion]:
        """``own`` is the word's own index term in ``lang`` (never a stopword)."""
        ...


MAX_VARIANT_LENGTH = 40
"""Longer words get no accent variants (the longest Spanish words have about 25 letters)."""
_SPANISH_ACCENTS = {"a": "á", "e": "é", "i": "í", "o": "ó", "u": "úü", "n": "ñ"}


def spanish_variants(word: str) -> Iterator[str]:
    """``word`` (unaccented, lowercase) with one accent, ñ or ü added.

    >>> sorted(spanish_variants("ano"))
    ['anó', 'año', 'áno']
    """
    for i, ch in enumerate(word):
        for accented in _SPANISH_ACCENTS.get(ch, ""):
            yield word[:i] + accented + word[i + 1 :]


class AccentVariants:
    """Every written form that folds like the word: so that a query with or without accents
    finds the same records. The terms of the accented forms the index holds (``forms_L``) and,
    in Spanish, of the word with one accent, ñ or ü added, where that stem is in the index, each
    weighing :data:`~diaspora_search._ranking.ACCENT_VARIANT_WEIGHT`.

    Needed because Snowball stems unaccented forms differently: economía -> econom, but
    economia -> economi.
    """

    def __eq__(self, other: object) -> bool:  # (stateless: every instance expands alike)
        return type(other) is type(self)

    def __hash__(self) -> int:
        return hash(type(self))

    def expand(
        self, word: str, lang: Language, own: str, vocabulary: Vocabulary
    ) -> Iterator[Expansion]:
        chain = analyzer(lang.value).chain
        folded = fold_term(normalize(word))
        # (The candidates' terms in batches: each stage over all the new ones together.)
        terms = chain.word_terms(written_forms(folded, lang, vocabulary))
        if lang is Language.ES and folded.isascii() and len(folded) <= MAX_VARIANT_LENGTH:
            terms += chain.accent_variant_terms(folded, list(spanish_variants(folded)))
        seen = {own}
        for term in terms:
            if term and term not in seen and vocabulary.knows(lang, term):
                seen.add(term)
                yield Expansion(lang, term, ranking.ACCENT_VARIANT_WEIGHT)


DEFAULT_EXPANDERS: tuple[Expander, ...] = (AccentVariants(),)

MAX_WORD_TERMS = 32
"""A query word stands for at most this many terms (its own first, then each expander's, in
order): with the 64 words a query keeps, the clause limit of every query."""


def expansions(
    word: str,
    lang: Language,
    vocabulary: Vocabulary,
    expanders: Sequence[Expander] = DEFAULT_EXPANDERS,
) -> list[Expansion]:
    """Everything one query word stands for when looked up in ``lang``: its own term (weight
    1), then each expander's terms. Empty for a stopword. Kept by the ``vocabulary`` (one
    index generation) for expanders that are equal values (hashable), so that each word is
    expanded once per generation; the list is shared: never change it."""
    chosen = tuple(expanders)
    try:
        key = ("expansions", word, lang, chosen)
        hash(key)
    except TypeError:  # (an expander that is not a value: expanded every time)
        return _expansions(word, lang, vocabulary, chosen)
    return vocabulary.memoized(key, lambda: _expansions(word, lang, vocabulary, chosen))


def _expansions(
    word: str, lang: Language, vocabulary: Vocabulary, expanders: Sequence[Expander]
) -> list[Expansion]:
    own = analyzer(lang.value).chain.term(word)
    if own is None:
        return []
    found = [Expansion(lang, own, 1.0)]
    for expander in expanders:
        found.extend(itertools.islice(expander.expand(word, lang, own, vocabulary), MAX_WORD_TERMS))
    return found[:MAX_WORD_TERMS]


def word_terms(
    word: str,
    lang: Language,
    vocabulary: Vocabulary,
    expanders: Sequence[Expander] = DEFAULT_EXPANDERS,
) -> dict[Language, dict[str, float]]:
    """The terms of :func:`expansions`, per language of the fields they are looked up in, each
    with its weight (a term found twice keeps its first weight)."""
    found: dict[Language, dict[str, float]] = {}
    for expansion in expansions(word, lang, vocabulary, expanders):
        found.setdefault(expansion.lang, {}).setdefault(expansion.term, expansion.weight)
    return found


def written_forms(folded: str, lang: Language, vocabulary: Vocabulary) -> list[str]:
    """Every way the text of ``lang`` in the index may write a word that folds to ``folded``
    (normalized): unaccented, then each accented form the index holds (its forms field is made
    of all the text fields)."""
    return [folded, *vocabulary.surfaces(lang, folded)]


def written_form_terms(form: str, lang: Language, vocabulary: Vocabulary) -> frozenset[str] | None:
    """The terms of ``lang``'s text fields that a word written in any of the
    :func:`written_forms` of ``form`` is indexed under, those the index holds: a record whose
    text fields hold none of them writes ``form`` in no way. ``None`` when one of those forms
    is a stopword (indexed under no term)."""
    terms = analyzer(lang.value).chain.word_terms(written_forms(fold_term(form), lang, vocabulary))
    if "" in terms:
        return None
    return frozenset(term for term in terms if vocabulary.knows(lang, term))


def exact_form(word: str, lang: Language, vocabulary: Vocabulary) -> str | None:
    """``word`` as typed (normalized) when other written forms may fold like it (papá and papa,
    público and publicó): a typed word with accents, or one whose accented forms the index has.
    Where the hits really hold several such forms, those holding the typed one rank first."""
    norm = normalize(word)
    if fold_term(norm) != norm or vocabulary.surfaces(lang, norm):
        return norm
    return None
