"""Which language a query is in: weights for looking its words up in each language.

Every query is looked up in both languages; each is weighted by the evidence that the query is
in it (the constants and formulas are in ``_ranking.py``).
"""

from __future__ import annotations

from .. import _ranking as ranking
from .._language import LANGUAGES, Language
from ..analysis import analyzer, fold_term, normalize
from ..analysis.stopwords import is_stopword
from .vocabulary import Vocabulary


def language_evidence(text: str, words: list[str], vocabulary: Vocabulary) -> float:
    """Evidence that the query is Spanish (positive) or English (negative): ¿ ¡ ñ, accented
    letters, stopwords of one language only, and words only one language's vocabulary of the
    index knows.
    """
    score = 0.0
    if any(ch in text for ch in "¿¡ñÑ"):
        score += ranking.INVERTED_MARK_EVIDENCE
    for word in words:
        norm = normalize(word)
        folded = fold_term(norm)
        if folded != norm:
            score += ranking.ACCENT_EVIDENCE
        stop_en, stop_es = is_stopword(norm, Language.EN), is_stopword(norm, Language.ES)
        if stop_es != stop_en:
            score += ranking.STOPWORD_EVIDENCE if stop_es else -ranking.STOPWORD_EVIDENCE
            continue
        if stop_en:
            continue
        known = {}
        for lang in LANGUAGES:
            term = analyzer(lang.value).chain.term(word)
            known[lang] = term is not None and vocabulary.knows(lang, term)
        if known[Language.ES] != known[Language.EN]:
            evidence = ranking.VOCABULARY_EVIDENCE
            score += evidence if known[Language.ES] else -evidence
    return score


def language_weights(text: str, words: list[str], vocabulary: Vocabulary) -> dict[Language, float]:
    """How likely the query is English or Spanish, as weights in [LANGUAGE_FLOOR, 1]."""
    p_es = ranking.spanish_likelihood(language_evidence(text, words, vocabulary))
    return {
        Language.ES: ranking.language_weight(p_es),
        Language.EN: ranking.language_weight(1.0 - p_es),
    }


def searched_languages(word: str, weights: dict[Language, float]) -> dict[Language, float]:
    """The languages to look ``word`` up in: a stopword of the language the query is more
    likely in ("de", "los" in a Spanish query) is not looked up in the other one either."""
    if len(weights) < 2:
        return weights
    norm = normalize(word)
    for lang in weights:
        if is_stopword(norm, lang) and weights[lang] >= weights[lang.other]:
            return {}
    return weights
