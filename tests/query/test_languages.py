"""Language weights: evidence for Spanish or English, as weights in [floor, 1]."""

from __future__ import annotations

import pytest

from diaspora_search import Language
from diaspora_search import _ranking as ranking
from diaspora_search.query import Vocabulary, parse
from diaspora_search.query.languages import (
    language_evidence,
    language_weights,
    searched_languages,
)


def weights(text: str, vocabulary: Vocabulary) -> dict[Language, float]:
    return language_weights(text, parse(text).words, vocabulary)


@pytest.mark.parametrize(
    ("text", "evidence"),
    [
        ("¿remesas?", ranking.INVERTED_MARK_EVIDENCE + ranking.VOCABULARY_EVIDENCE),
        # English folds before stemming: "educacion" is no English term of the index.
        ("educación", ranking.ACCENT_EVIDENCE + ranking.VOCABULARY_EVIDENCE),
        ("de", ranking.STOPWORD_EVIDENCE),
        ("the", -ranking.STOPWORD_EVIDENCE),
        ("hometown", -ranking.VOCABULARY_EVIDENCE),
        ("zzzz", 0.0),
    ],
)
def test_evidence(text: str, evidence: float, vocabulary: Vocabulary) -> None:
    assert language_evidence(text, parse(text).words, vocabulary) == pytest.approx(evidence)


def test_a_spanish_query_weighs_spanish_fully(vocabulary: Vocabulary) -> None:
    found = weights("¿la educación de los niños?", vocabulary)
    assert found[Language.ES] == 1.0
    assert ranking.LANGUAGE_FLOOR <= found[Language.EN] < 0.5


def test_an_english_query_weighs_english_fully(vocabulary: Vocabulary) -> None:
    found = weights("the education of the children", vocabulary)
    assert found[Language.EN] == 1.0
    assert found[Language.ES] < 0.5


def test_no_evidence_weighs_both_fully(vocabulary: Vocabulary) -> None:
    assert weights("zzzz", vocabulary) == {Language.ES: 1.0, Language.EN: 1.0}


def test_stopwords_of_the_likelier_language_are_not_searched_at_all() -> None:
    spanish = {Language.ES: 1.0, Language.EN: 0.4}
    assert searched_languages("de", spanish) == {}
    assert searched_languages("educación", spanish) == spanish
    # "a" is a stopword of both; "the" only of English, the less likely language here.
    assert searched_languages("the", spanish) == spanish
    assert searched_languages("de", {Language.EN: 1.0}) == {Language.EN: 1.0}
