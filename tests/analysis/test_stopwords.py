"""Stage 3: stopwords per language, matched without accents."""

from __future__ import annotations

from collections.abc import Callable

import pytest

from diaspora_search import Language, analyze, fold
from diaspora_search.analysis.stopwords import STOPWORDS, StopwordFilter, is_stopword
from diaspora_search.storage.analyzers import StageFilter, WordTokenizer

AssertTerms = Callable[[str, str, list[str]], None]


@pytest.mark.parametrize("word", ["son", "era", "Son", "ERA", "sea", "fue", "pero", "nada"])
def test_spanish_stopwords_survive_english_analysis(word: str) -> None:
    assert is_stopword(word.lower(), Language.ES)
    assert not is_stopword(word.lower(), Language.EN)
    assert len(analyze(word, "en")) == 1


def test_he_is_on_both_lists() -> None:
    # The point is that the *Spanish* list must not touch English text; "he" is also
    # on Snowball's English list (the pronoun), so English analysis drops it on its own.
    assert is_stopword("he", Language.EN)
    assert is_stopword("he", Language.ES)
    assert analyze("he", "es") == []


@pytest.mark.parametrize("word", ["the", "and", "of", "which", "was", "would"])
def test_english_stopwords_survive_spanish_analysis(word: str) -> None:
    assert is_stopword(word, Language.EN)
    assert not is_stopword(word, Language.ES)
    assert len(analyze(word, "es")) == 1


@pytest.mark.parametrize(
    ("text", "lang", "expected"),
    [
        ("son era", "en", ["son", "era"]),
        ("The son of the era", "en", ["son", "era"]),
        ("Los hijos de la era", "es", ["hij"]),
        ("Juan de la Cruz", "en", ["juan", "de", "la", "cruz"]),
        ("Juan de la Cruz", "es", ["juan", "cruz"]),
        ("the policies of the state", "es", ["the", "polici", "of", "the", "stat"]),
        ("don't don’t DON’T it’s", "en", []),
    ],
)
def test_each_language_uses_only_its_own_list(
    assert_terms: AssertTerms, text: str, lang: str, expected: list[str]
) -> None:
    assert_terms(text, lang, expected)


@pytest.mark.parametrize(
    "word",
    [
        "también",
        "tambien",
        "TAMBIÉN",
        "tambie\u0301n",  # combining accent
        "más",
        "mas",
        "Más",
        "qué",
        "que",
        "él",
        "el",
        "está",
        "esta",
        "estáis",
        "estais",
        "tú",
        "tu",
        "mí",
        "mi",
        "sí",
        "si",
        "habéis",
        "habeis",
        "fuéramos",
        "fueramos",
    ],
)
def test_spanish_stopwords_match_without_accents(word: str) -> None:
    assert analyze(word, "es") == []


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("Estados Unidos", ["estad", "unid"]),  # nouns, though forms of "estar"
        ("estado", ["estad"]),
        ("el sentido", ["sent"]),
    ],
)
def test_spanish_list_keeps_content_words(
    assert_terms: AssertTerms, text: str, expected: list[str]
) -> None:
    assert_terms(text, "es", expected)


@pytest.mark.parametrize("lang", list(Language))
def test_lists_are_stored_folded(lang: Language) -> None:
    assert STOPWORDS[lang]
    assert all(fold(w) == w and w == w.lower() for w in STOPWORDS[lang])


def test_list_sizes_and_membership() -> None:
    assert {"the", "and", "he", "don't"} <= STOPWORDS[Language.EN]
    assert {"de", "la", "tambien", "mas", "son", "era", "he"} <= STOPWORDS[Language.ES]
    assert {"estado", "estados", "sentido"}.isdisjoint(STOPWORDS[Language.ES])


def test_stopword_filter_drops_or_marks() -> None:
    pipeline = WordTokenizer() | StageFilter(StopwordFilter("es"))
    assert [t.text for t in pipeline("de casa en casa")] == ["casa", "casa"]
    marked = [(t.text, t.stopped) for t in pipeline("de casa", removestops=False)]
    assert marked == [("de", True), ("casa", False)]


def test_stopword_filter_accepts_aliases() -> None:
    assert StopwordFilter("español") == StopwordFilter(Language.ES)
    assert StopwordFilter("english") != StopwordFilter("es")
