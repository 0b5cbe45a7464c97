"""The bundled table: golden lookups in both directions, probability sums, pruning bounds."""

from __future__ import annotations

import pytest

from diaspora_search import Language
from diaspora_search.analysis import analyzer
from diaspora_search.translation.lexicon import bundled_table, lexicon_pairs
from diaspora_search.translation.table import MIN_PROBABILITY, TOP_K


def term(word: str, lang: Language) -> str:
    found = analyzer(lang.value).chain.term(word)
    assert found is not None, word
    return found


@pytest.mark.parametrize(
    ("lang", "word", "translation", "within"),
    [
        (Language.ES, "remesas", "remittance", 1),
        (Language.EN, "education", "educación", 1),
        (Language.ES, "antecedentes", "antecedent", 1),  # "background" is not in the wordnets
        (Language.ES, "recursos", "resources", 4),
        (Language.ES, "páginas", "pages", 1),
        (Language.EN, "school", "escuela", 1),
        (Language.EN, "migration", "migración", 1),
        (Language.ES, "vivienda", "home", 5),
        (Language.EN, "radio", "radio", 1),  # identical pairs are translations too
    ],
)
def test_golden_lookups(lang: Language, word: str, translation: str, within: int) -> None:
    found = [t for t, _ in bundled_table().translations(lang, term(word, lang))]
    assert term(translation, lang.other) in found[:within], found


def test_loaded_once_per_process() -> None:
    assert bundled_table() is bundled_table()


def test_unknown_terms_have_no_translation() -> None:
    assert bundled_table().translations(Language.EN, "zzqx") == ()
    assert bundled_table().translations(Language.ES, "oriund") == ()  # learned, not in wordnets


def test_probabilities_are_bounded_and_sorted() -> None:
    table = bundled_table()
    assert len(table) > 50_000
    for (_, _), targets in table.items():
        probabilities = [p for _, p in targets]
        assert 1 <= len(targets) <= TOP_K
        assert sum(probabilities) <= 1 + 1e-9
        assert all(MIN_PROBABILITY <= p <= 1 for p in probabilities)
        assert probabilities == sorted(probabilities, reverse=True)


def test_multi_word_targets_are_phrases_and_single_lookups_ignore_them() -> None:
    table = bundled_table()
    source = term("page", Language.EN)
    phrases = [t for t, _ in table.targets(Language.EN, source) if len(t) > 1]
    singles = [t for t, _ in table.translations(Language.EN, source)]
    assert phrases and all(isinstance(t, str) for t in singles)
    assert not any(len(source_phrase) > 1 for source_phrase in [(s,) for s in singles])
    assert table.translations(Language.EN, "ciudad natal") == ()


@pytest.mark.parametrize(
    "text",
    [
        "no header\n",
        "# diaspora_search lexicon-en-es format 2; x\n",
        "# diaspora_search lexicon-en-es format 1; x\nschool\tescuela\n",
        "# diaspora_search lexicon-en-es format 1; x\nschool\tescuela\tmany\n",
    ],
)
def test_bad_lexicon_text_is_refused(text: str) -> None:
    with pytest.raises(ValueError):
        list(lexicon_pairs(text))
