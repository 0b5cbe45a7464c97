"""Bilingual analysis: ICU word breaking, normalization, stopwords, Snowball stems, folding.

>>> analyze("Las políticas de integración", "es")
['polit', 'integr']
>>> analyze("The communities' integration policies", "en")
['communiti', 'integr', 'polici']
>>> fold("Educación")
'Educacion'
"""

from __future__ import annotations

from .._language import Language
from .chain import ANALYSIS_VERSION, ANALYZER_NAMES, FORM_SEPARATOR, Analyzer, TermChain, analyzer
from .fold import fold, fold_term
from .normalize import normalize
from .tokenizer import word_texts, words

__all__ = [
    "ANALYSIS_VERSION",
    "ANALYZER_NAMES",
    "FORM_SEPARATOR",
    "Analyzer",
    "TermChain",
    "analyze",
    "analyzer",
    "fold",
    "fold_term",
    "normalize",
    "word_texts",
    "words",
]


def analyze(text: str, lang: str | Language) -> list[str]:
    """The index terms of ``text`` analyzed as English or Spanish, in order.

    One term per word that is not a stopword: the word's Snowball stem with diacritics folded.

    Args:
        text: any text.
        lang: ``"en"`` or ``"es"`` (or an alias: ``"english"``, ``"spanish"``, ``"español"``).

    Raises:
        UnsupportedLanguageError: for any other language.
    """
    chain = _CHAINS.get(lang) if isinstance(lang, str) else None  # the common case, quickly
    if chain is None:
        chain = analyzer(Language.parse(lang).value).chain
    return chain.terms(word_texts(text))


_CHAINS = {"en": analyzer("en").chain, "es": analyzer("es").chain}
