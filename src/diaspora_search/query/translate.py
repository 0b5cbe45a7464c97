"""Query translation as an expander: each query word, in each language it is looked up in,
also stands for its translations in the other language, weighted by translation probability
(Darwish & Oard, "Probabilistic Structured Query Methods", SIGIR 2003).

A word's translations join the word's group, so a record holding the word or any translation
holds that query word once (coordination). Unlike PSQ, each translation is scored as its own
term (its own idf), weighted by ``P(t | word) / max P`` (:func:`~._ranking.translation_weight`):
the word's likeliest translation stands for the word, the others in proportion. Translations
the index does not hold are left out; phrases are not translated.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from typing import Protocol

from .. import _ranking as ranking
from .._language import Language
from .expand import Expansion
from .vocabulary import Vocabulary


class TranslationSource(Protocol):
    """A translation table (``diaspora_search.translation``)."""

    def translations(self, lang: Language, term: str) -> Sequence[tuple[str, float]]: ...


class Translations:
    """The expander: a word's index term of ``lang`` into the other language's index terms."""

    def __init__(
        self, table: TranslationSource, weight: float = ranking.TRANSLATION_WEIGHT
    ) -> None:
        self.table = table
        self.weight = weight

    # Equal when they translate with the same table (the very object: a table read again after
    # a change is another) and weight, so that a word's expansions are kept across searches.
    def __eq__(self, other: object) -> bool:
        return (
            isinstance(other, Translations)
            and other.table is self.table
            and other.weight == self.weight
        )

    def __hash__(self) -> int:
        return hash((id(self.table), self.weight))

    def expand(
        self, word: str, lang: Language, own: str, vocabulary: Vocabulary
    ) -> Iterator[Expansion]:
        other = lang.other
        found = [
            (t, p) for t, p in self.table.translations(lang, own) if vocabulary.knows(other, t)
        ]
        if not found:
            return
        likeliest = max(p for _, p in found)
        for term, probability in found:
            weight = self.weight * ranking.translation_weight(probability, likeliest)
            yield Expansion(other, term, weight, translated=True)
