"""TranslationTable: from_pairs and combine math, pruning bounds, JSON round trip."""

from __future__ import annotations

import json

import pytest

from diaspora_search import Language
from diaspora_search.translation.table import TranslationTable, combine

EN, ES = Language.EN, Language.ES


def test_probabilities_merge_lemmas_that_share_a_stem() -> None:
    table = TranslationTable.from_pairs(
        [
            ("organize", "organizar", 1),
            ("organization", "organización", 1),
            ("school", "escuela", 1),
        ]
    )
    # "organize" and "organization" share a stem: their counts merge.
    assert table.translations(EN, "organiz") == (("organiz", 1.0),)
    assert table.translations(ES, "escuel") == (("school", 1.0),)


def test_pruning_keeps_top_k_and_drops_low_probabilities() -> None:
    words = ["perro", "gato", "casa", "mesa", "silla", "libro"]
    pairs = [
        ("dog", word, weight) for word, weight in zip(words, [50, 20, 10, 10, 9, 1], strict=True)
    ]
    table = TranslationTable.from_pairs(pairs, top_k=4, min_probability=0.05)
    found = table.translations(EN, "dog")
    assert [t for t, _ in found] == ["perr", "gat", "cas", "mes"]  # ties: alphabetical
    assert found[0][1] == 0.5 and sum(p for _, p in found) == pytest.approx(0.9)


def test_multi_word_entries_are_phrases() -> None:
    table = TranslationTable.from_pairs(
        [("hometown", "ciudad de origen", 1), ("hometown", "pueblo", 1)]
    )
    assert table.targets(EN, "hometown") == ((("ciud", "orig"), 0.5), (("puebl",), 0.5))
    assert table.translations(EN, "hometown") == (("puebl", 0.5),)  # single terms only
    assert table.targets(ES, ["ciud", "orig"]) == ((("hometown",), 1.0),)
    assert table.translations(ES, "ciud") == ()  # a phrase source never answers one word


def test_stopword_sides_are_dropped() -> None:
    table = TranslationTable.from_pairs([("the", "el", 1), ("of", "escuela", 1)])
    assert len(table) == 0


@pytest.mark.parametrize("weight", [0, -1, float("nan"), float("inf")])
def test_bad_weights_are_refused(weight: float) -> None:
    with pytest.raises(ValueError, match="positive"):
        TranslationTable.from_pairs([("school", "escuela", weight)])


def test_combine_is_a_renormalized_mixture() -> None:
    a = TranslationTable.from_pairs([("school", "escuela", 1), ("school", "colegio", 1)])
    b = TranslationTable.from_pairs([("school", "escuela", 1), ("hometown", "oriundo", 1)])
    mixed = combine([(a, 1.0), (b, 3.0)])
    assert mixed.translations(EN, "school") == (("escuel", 0.125 + 0.75), ("colegi", 0.125))
    # Only b knows "hometown": it keeps b's distribution.
    assert mixed.translations(EN, "hometown") == (("oriund", 1.0),)
    with pytest.raises(ValueError):
        combine([(a, 0.0)])


def test_json_round_trip_is_plain_data() -> None:
    table = TranslationTable.from_pairs([("school", "escuela", 3), ("hometown", "ciudad natal", 1)])
    text = table.to_json()
    data = json.loads(text)
    assert data["version"] == 1 and isinstance(data["entries"], dict)
    assert TranslationTable.from_json(text) == table


@pytest.mark.parametrize(
    "change",
    [{"version": 99}, {"analysis_version": -1}, {"format": "pickle"}, {"entries": {"fr": []}}],
)
def test_json_of_another_version_or_shape_is_refused(change: dict[str, object]) -> None:
    data = json.loads(TranslationTable.from_pairs([("school", "escuela", 1)]).to_json())
    data.update(change)
    with pytest.raises(ValueError, match="not a translation table"):
        TranslationTable.from_json(json.dumps(data))


# ---------------------------------------------------------------------------------------------
# A table as lines of text (to_tsv, from_tsv): the same mapping, decoded when read.


def test_a_table_read_from_its_lines_is_the_same_table() -> None:
    import gc

    table = TranslationTable.from_pairs(
        [
            ("city of origin", "ciudad de origen", 2),
            ("hometown", "ciudad de origen", 1),
            ("school", "escuela", 3),
            ("school", "colegio", 1),
            ("remittances", "remesas", 1),
        ]
    )
    read = TranslationTable.from_tsv(table.to_tsv())
    assert read == table
    assert len(read) == len(table) and set(read) == set(table)
    for lang in Language:
        assert sorted(read.sources(lang)) == sorted(table.sources(lang))
        for source in table.sources(lang):
            assert read.targets(lang, source) == table.targets(lang, source)
            if len(source) == 1:
                assert read.translations(lang, source[0]) == table.translations(lang, source[0])
    assert read.targets(Language.ES, ("ciud", "orig")) == table.targets(
        Language.ES, ("ciud", "orig")
    )
    assert read.translations(Language.EN, "unheld") == ()
    assert read.targets(Language.EN, ("city of",)) == ()  # (a term with a space is no source)
    assert (Language.EN, ("school",)) in read
    assert (Language.EN, "school") not in read and (Language.EN, "school") not in table
    # Looked up with get (what a lookup of a query word asks), as the table's own dicts.
    asked = [("school",), ("unheld",), ("city of",), ("city", "of", "origin"), "school", ()]
    for lang in Language:
        for phrase in asked:
            assert read._entries[lang].get(phrase, "-") == table._entries[lang].get(phrase, "-")
    assert read._entries[Language.EN].get(("school",)) == table.targets(Language.EN, "school")
    # Its lines are strings in dicts of strings: nothing the garbage collector traverses.
    assert not any(gc.is_tracked(entries._rows) for entries in read._entries.values())


def test_lines_cannot_write_a_term_with_a_blank_or_be_read_half() -> None:
    spaced = TranslationTable.from_probabilities({Language.EN: {("a b",): [(("c",), 0.5)]}})
    with pytest.raises(ValueError, match="without blanks"):
        spaced.to_tsv()
    with pytest.raises(ValueError, match="line 2"):
        TranslationTable.from_tsv("en\tschool\tescuel\t1.0\nen\tschool\n")
    with pytest.raises(ValueError, match="line 1"):
        TranslationTable.from_tsv("xx\tschool\tescuel\t1.0\n")
    with pytest.raises(ValueError, match="line 1"):  # (a target without its probability)
        TranslationTable.from_tsv("en\tschool\tescuel\t1.0\tcolegi\n")
    # Only "\n" ends a line: a term holding another line break (none an analyzer writes) is
    # read back as written.
    odd = TranslationTable.from_probabilities({Language.EN: {("a\rb",): [(("c\u2028",), 0.5)]}})
    assert TranslationTable.from_tsv(odd.to_tsv()) == odd
