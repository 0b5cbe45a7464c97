"""Expansion: accent variants, and the expander seam a second expander plugs into."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from diaspora_search import Language
from diaspora_search import _ranking as ranking
from diaspora_search.analysis import analyzer, normalize
from diaspora_search.query import AccentVariants, Expansion, Vocabulary, compile_query
from diaspora_search.query.expand import (
    exact_form,
    spanish_variants,
    word_terms,
    written_form_terms,
)
from diaspora_search.query.translate import Translations

ES = Language.ES
EN = Language.EN


def term(word: str, lang: Language) -> str:
    found = analyzer(lang.value).chain.term(word)
    assert found is not None
    return found


def test_an_unaccented_word_stands_for_the_accented_stem_the_index_has(
    vocabulary: Vocabulary,
) -> None:
    # economía -> econom, economia -> economi: Snowball stems them differently.
    assert term("economía", ES) != term("economia", ES)
    found = word_terms("economia", ES, vocabulary)
    assert found == {ES: {"economi": 1.0, "econom": ranking.ACCENT_VARIANT_WEIGHT}}


def test_a_word_the_index_writes_one_way_only_gets_nothing_more(vocabulary: Vocabulary) -> None:
    assert word_terms("remesas", ES, vocabulary) == {ES: {term("remesas", ES): 1.0}}


def test_a_stopword_stands_for_nothing(vocabulary: Vocabulary) -> None:
    assert word_terms("los", ES, vocabulary) == {}


def test_variants_are_only_those_the_index_knows(vocabulary: Vocabulary) -> None:
    # "publicas" and "públicas" stem alike: nothing more to look up.
    assert list(AccentVariants().expand("publicas", ES, term("publicas", ES), vocabulary)) == []
    # "economia" has one variant the index knows (economía), of all those one accent away.
    variants = list(AccentVariants().expand("economia", ES, term("economia", ES), vocabulary))
    assert variants == [Expansion(ES, term("economía", ES), ranking.ACCENT_VARIANT_WEIGHT)]


def test_spanish_variants() -> None:
    assert sorted(spanish_variants("nino")) == ["ninó", "niño", "níno", "ñino"]


# Query words' foldings: plain words, stopwords (the variants of "de" and "mas" are stopwords
# too), capitals, dots (an abbreviation's and a number's), apostrophes, digits and "+".
_FOLDINGS = ["nino", "economia", "de", "mas", "tambien", "Mexico", "u.s", "e.g", "3.5", "o'neill"]
_FOLDINGS += ["+nino", "+a"]  # (normalize takes a leading "+" from an accented word only)


@pytest.mark.parametrize("lang", list(Language), ids=str)
@settings(max_examples=300, deadline=None)
@given(base=st.sampled_from(_FOLDINGS) | st.text(alphabet="abeinosuxzDE.'1+", max_size=12))
def test_accent_variant_terms_are_the_chains_terms(lang: Language, base: str) -> None:
    # The variants' terms by the stages after normalizing and stopwords (when those leave the
    # word as it is) equal those of every stage, word by word: the shortcut the Spanish
    # variants take changes no term.
    chain = analyzer(lang.value).chain
    variants = list(spanish_variants(base))
    assert chain.accent_variant_terms(base, variants) == chain.word_terms(variants)


def test_exact_forms(vocabulary: Vocabulary) -> None:
    assert exact_form("Papá", ES, vocabulary) == "papá"  # typed with an accent
    assert exact_form("ninos", ES, vocabulary) == "ninos"  # the index also has "niños"
    assert exact_form("remesas", ES, vocabulary) is None  # one way only


def test_written_form_terms_are_those_of_every_form_the_index_holds(
    vocabulary: Vocabulary,
) -> None:
    # economia and economía stem apart; the index holds the accented form only.
    for typed in ("economia", "economía", "ECONOMÍA"):
        assert written_form_terms(normalize(typed), ES, vocabulary) == {term("economía", ES)}
    assert written_form_terms("papá", ES, vocabulary) == {term("papá", ES), term("papa", ES)}
    assert written_form_terms("remesas", ES, vocabulary) == {term("remesas", ES)}
    assert written_form_terms("guitarra", ES, vocabulary) == frozenset()  # in no record


def test_written_form_terms_of_a_stopword_form_are_not_known(vocabulary: Vocabulary) -> None:
    # "más" is indexed under no term: a record holding it cannot be told from its terms.
    assert written_form_terms("más", ES, vocabulary) is None


class Table:
    """A translation table of our own: Spanish terms to English terms with probabilities."""

    def __init__(self, pairs: dict[str, list[tuple[str, float]]]) -> None:
        self.pairs = pairs

    def translations(self, lang: Language, term: str) -> list[tuple[str, float]]:
        return self.pairs.get(term, []) if lang is ES else []


def translator() -> Translations:
    return Translations(Table({"remes": [("remitt", 0.5), ("nosuchterm", 0.3)]}))


def test_translations_add_leaves_in_the_other_language(vocabulary: Vocabulary) -> None:
    expanders = (AccentVariants(), translator())
    found = word_terms("remesas", ES, vocabulary, expanders)
    # "nosuchterm" is not in the index: left out, and "remitt" is the likeliest of the rest.
    assert found[EN] == {"remitt": ranking.TRANSLATION_WEIGHT}
    plan = compile_query("remesas", vocabulary, None, expanders)
    assert plan.union_leaves() is not None
    leaves = plan.translated_leaves()
    assert ("summary_en", "remitt") not in (plan.union_leaves() or {})
    weight = plan.weights[ES] * ranking.TRANSLATION_WEIGHT
    assert leaves[("summary_en", "remitt")] == pytest.approx(weight)
    assert leaves[("title_en", "remitt")] == pytest.approx(ranking.TITLE_BOOST * weight)
    # One query word, one group: a record holding the translation holds the word.
    assert plan.term_groups[("summary_en", "remitt")] == {0}
    assert plan.translated == {
        ("summary_en", "remitt"): ES,
        ("title_en", "remitt"): ES,
        ("text_en", "remitt"): ES,
    }
    assert leaves[("text_en", "remitt")] == pytest.approx(ranking.FULL_TEXT_BOOST * weight)
    assert plan.only_translated([("summary_en", "remitt")])
    assert not plan.only_translated([("summary_en", "remitt"), ("summary_es", "remes")])


def test_lang_means_the_records_text_and_translation_reaches_it(vocabulary: Vocabulary) -> None:
    expanders = (AccentVariants(), translator())
    plan = compile_query("remesas", vocabulary, EN, expanders)
    leaves = {**(plan.union_leaves() or {}), **plan.translated_leaves()}
    assert {field for field, _ in leaves} == {"summary_en", "title_en", "text_en", "names"}
    assert ("summary_en", "remitt") in plan.translated_leaves()
    untranslated = compile_query("remesas", vocabulary, EN)
    assert ("summary_en", "remitt") not in untranslated.translated_leaves()


def test_exclusions_are_not_translated(vocabulary: Vocabulary) -> None:
    plan = compile_query("migrantes -remesas", vocabulary, None, (AccentVariants(), translator()))
    excluded = {key for alternative in plan.excluded for key in alternative.term_keys()}
    assert ("summary_es", "remes") in excluded
    assert ("summary_en", "remitt") not in excluded
