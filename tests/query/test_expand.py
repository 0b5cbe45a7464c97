"""Expansion: accent variants, and the expander seam a second expander plugs into."""

from __future__ import annotations

from collections.abc import Iterator

from diaspora_search import Language
from diaspora_search import _ranking as ranking
from diaspora_search.analysis import analyzer
from diaspora_search.query import AccentVariants, Expansion, Vocabulary, compile_query
from diaspora_search.query.expand import exact_form, spanish_variants, word_terms

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


def test_exact_forms(vocabulary: Vocabulary) -> None:
    assert exact_form("Papá", ES, vocabulary) == "papá"  # typed with an accent
    assert exact_form("ninos", ES, vocabulary) == "ninos"  # the index also has "niños"
    assert exact_form("remesas", ES, vocabulary) is None  # one way only


class ToEnglish:
    """A second expander, as query translation will be: Spanish words into English terms."""

    def __init__(self, table: dict[str, str]) -> None:
        self.table = table

    def expand(
        self, word: str, lang: Language, own: str, vocabulary: Vocabulary
    ) -> Iterator[Expansion]:
        if lang is ES and word in self.table:
            yield Expansion(EN, term(self.table[word], EN), 0.5)


def test_a_second_expander_adds_leaves_in_the_other_language(vocabulary: Vocabulary) -> None:
    expanders = (AccentVariants(), ToEnglish({"remesas": "remittances"}))
    found = word_terms("remesas", ES, vocabulary, expanders)
    assert found[EN] == {term("remittances", EN): 0.5}
    plan = compile_query("remesas", vocabulary, ES, expanders)
    leaves = plan.union_leaves()
    assert leaves is not None
    assert ("summary_en", "remitt") in leaves
    assert leaves[("summary_en", "remitt")] == 0.5
    assert leaves[("title_en", "remitt")] == ranking.TITLE_BOOST * 0.5
    # One query word, one group: a record holding the translation holds the word.
    assert plan.term_groups[("summary_en", "remitt")] == {0}
