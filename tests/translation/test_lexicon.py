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


# ---------------------------------------------------------------------------------------------
# The shipped stemmed table (data/lexicon-en-es.table.tsv.gz): loaded instead of stemming the
# lexicon when it was made from it by the running analysis, and then the very same table.


def _package_data(name: str) -> bytes:
    from importlib import resources

    return resources.files("diaspora_search").joinpath("data", name).read_bytes()


def test_the_shipped_stemmed_table_is_the_lexicon_stemmed_now() -> None:
    # Fails after a change of the analysis or the lexicon until `python scripts/build_table.py`
    # is run: the shipped table would be left unused (and every process would stem again).
    import gzip

    from diaspora_search.translation import lexicon
    from diaspora_search.translation.table import TranslationTable

    lexicon_bytes = _package_data(lexicon.LEXICON_FILE)
    shipped = gzip.decompress(_package_data(lexicon.TABLE_FILE)).decode("utf-8")
    assert shipped == lexicon.stemmed_table_text()
    loaded = bundled_table()
    assert loaded == TranslationTable.from_pairs(
        lexicon_pairs(gzip.decompress(lexicon_bytes).decode("utf-8"))
    )
    assert all(type(entries).__name__ == "_TsvEntries" for entries in loaded._entries.values())


def test_a_stemmed_table_of_another_analysis_or_lexicon_is_not_used() -> None:
    import gzip

    from diaspora_search.translation import lexicon

    pairs = (
        "# diaspora_search lexicon-en-es format 1; test\nschool\tescuela\t3\nschool\tcolegio\t1\n"
    )
    lexicon_bytes = gzip.compress(pairs.encode("utf-8"))
    good = lexicon._table_header(lexicon_bytes)
    bogus = "en\tschool\tzzz\t1.0\n"
    for header in (
        good.replace("; analysis ", "; analysis 9"),  # another analysis version
        good.replace("; stemmer ", "; stemmer 0."),  # another Snowball stemmer
        good[:-8] + "00000000",  # another lexicon
        good.replace("; top 8 ", "; top 7 "),  # another pruning
    ):
        stale = gzip.compress(f"{header}\n{bogus}".encode())
        table = lexicon.table_of(lexicon_bytes, stale)
        assert table.translations(Language.EN, "school") == (("escuel", 0.75), ("colegi", 0.25))
    fresh = gzip.compress(f"{good}\n{bogus}".encode())  # (what decides is the first line)
    assert lexicon.table_of(lexicon_bytes, fresh).translations(Language.EN, "school") == (
        ("zzz", 1.0),
    )
    assert lexicon.table_of(lexicon_bytes, None).translations(Language.EN, "school") == (
        ("escuel", 0.75),
        ("colegi", 0.25),
    )


def test_a_damaged_stemmed_table_falls_back_to_stemming() -> None:
    # A search must not fail for want of a cache: a table that is not gzip, is cut short, is
    # not UTF-8 or has a half line is ignored, and the lexicon is stemmed instead.
    import gzip

    from diaspora_search.translation import lexicon

    pairs = "# diaspora_search lexicon-en-es format 1; test\nschool\tescuela\t1\n"
    lexicon_bytes = gzip.compress(pairs.encode("utf-8"))
    good = lexicon._table_header(lexicon_bytes)
    whole = gzip.compress(f"{good}\nen\tschool\tzzz\t1.0\n".encode())
    assert lexicon.table_of(lexicon_bytes, whole).translations(Language.EN, "school") == (
        ("zzz", 1.0),
    )
    for damaged in (
        b"not gzip at all",
        whole[: len(whole) // 2],
        gzip.compress(good.encode() + b"\n\xff\xfe\n"),
        gzip.compress(f"{good}\nen\tschool\tzzz\n".encode()),  # (no probability)
    ):
        table = lexicon.table_of(lexicon_bytes, damaged)
        assert table.translations(Language.EN, "school") == (("escuel", 1.0),), damaged
