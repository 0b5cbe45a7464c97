"""Cross-language search: a Spanish query finds English-only records and the reverse, through
the bundled lexicon, a table learned from the collection's bilingual records, and a glossary."""

from __future__ import annotations

from pathlib import Path

import pytest

import diaspora_search as ds

SPANISH_ONLY = [
    {"id": "es-educacion", "summary_es": "La educación bilingüe de los niños migrantes."},
    {"id": "es-salud", "summary_es": "La salud de los trabajadores agrícolas y sus familias."},
    {"id": "es-voto", "summary_es": "El voto de los mexicanos en el extranjero."},
]


@pytest.fixture(scope="module")
def index(tmp_path_factory: pytest.TempPathFactory, bundled_records: list[ds.Record]):
    index = ds.SearchIndex.create(Path(tmp_path_factory.mktemp("translation")) / "index")
    index.add([*bundled_records, *SPANISH_ONLY])
    yield index
    index.close()


@pytest.mark.parametrize(
    ("query", "found", "lang"),
    [
        # Spanish queries, English-only records
        ("remesas", "ime-latest-news-mexican-diaspora", "en"),
        ("páginas de recursos", "ime-imagining-2024", "en"),
        ("paginas de recursos", "ime-imagining-2024", "en"),
        ("lecturas", "ime-imagining-2024", "en"),
        ("ensayos cortos", "ime-imagining-2024", "en"),
        # English queries, Spanish-only records
        ("bilingual education", "es-educacion", "es"),
        ("health of farm workers", "es-salud", "es"),
        ("voting from abroad", "es-voto", "es"),
    ],
)
def test_queries_find_records_only_in_the_other_language(
    index: ds.SearchIndex, query: str, found: str, lang: str
) -> None:
    results = index.search(query)
    assert results and results[0].id == found, [h.id for h in results]
    hit = results[0]
    assert hit.lang == lang and hit.translated
    assert "**" in hit.snippet  # the translated words, marked in the record's own language


def test_remittances_in_spanish_marks_remittances(index: ds.SearchIndex) -> None:
    assert "**remittances**" in index.search("remesas")[0].snippet


def test_translation_can_be_turned_off(index: ds.SearchIndex) -> None:
    assert not index.search("remesas", translate=False)
    assert "es-educacion" not in [
        h.id for h in index.search("bilingual education", translate=False)
    ]


def test_lang_is_the_language_of_the_records_text(index: ds.SearchIndex) -> None:
    results = index.search("remesas", lang="en")
    assert [h.id for h in results] == ["ime-latest-news-mexican-diaspora"]
    assert not index.search("remesas", lang="en", translate=False)
    assert all(h.lang == "es" for h in index.search("education", lang="es"))


def test_a_hit_in_the_query_language_is_not_translated(index: ds.SearchIndex) -> None:
    hit = index.search("remittances")[0]
    assert hit.id == "ime-latest-news-mexican-diaspora" and not hit.translated


def test_a_word_and_its_translation_count_once_for_coordination(index: ds.SearchIndex) -> None:
    """A bilingual record holding "consulado" and "consular" holds one query word, not two:
    its score is not doubled by coordination (both words of the query would be needed)."""
    one = index.search("consulares")[0].score
    both = index.search("consulares apoyo")[0].score
    assert both > one


def test_a_learned_pair_the_lexicon_lacks(tmp_path: Path) -> None:
    """Bilingual records pair "oriundos" with "hometown"; after ``learn`` a Spanish query finds
    the English-only record about hometown associations."""
    bilingual = [
        {
            "id": f"b{i}",
            "summary_en": f"Hometown associations of {town} send money.",
            "summary_es": f"Las asociaciones de oriundos de {town} envían dinero.",
        }
        for i, town in enumerate(["Zacatecas", "Jalisco", "Oaxaca", "Puebla", "Michoacán"] * 4)
    ]
    other = [
        {"id": f"o{i}", "summary_en": f"Report {i} on schools.", "summary_es": f"Informe {i}."}
        for i in range(20)
    ]
    target = {"id": "en-only", "summary_en": "A hometown club in Chicago."}
    with ds.SearchIndex.create(tmp_path / "index") as index:
        index.add([*bilingual, *other, target])
        assert "en-only" not in [h.id for h in index.search("oriundos", limit=50)]
        assert index.learn() > 0
        assert "en-only" in [h.id for h in index.search("oriundos", limit=50)]
    with ds.SearchIndex.open(tmp_path / "index") as reopened:  # kept in the index
        assert "en-only" in [h.id for h in reopened.search("oriundos", limit=50)]


def test_a_glossary_adds_what_neither_source_knows(index: ds.SearchIndex, tmp_path: Path) -> None:
    glossary = tmp_path / "glossary.tsv"
    glossary.write_text("# our words\nbackground\tantecedentes\nissue\ttema\n", encoding="utf-8")
    before = [h.id for h in index.search("antecedentes del tema")]
    assert before[:1] != ["ime-imagining-2024"]
    assert index.set_glossary(glossary) > 0
    assert index.search("antecedentes del tema")[0].id == "ime-imagining-2024"
    index.set_glossary(None)
    assert [h.id for h in index.search("antecedentes del tema")] == before


def test_a_bad_glossary_line_is_one_clear_error(index: ds.SearchIndex, tmp_path: Path) -> None:
    glossary = tmp_path / "glossary.tsv"
    glossary.write_text("background\tantecedentes\nno tab here\n", encoding="utf-8")
    with pytest.raises(ds.RecordError, match=r"glossary.tsv:2"):
        index.set_glossary(glossary)


@pytest.mark.parametrize("query", ["diáspora mexicana", "diaspora mexicana"])
def test_a_spanish_query_finds_both_languages(index: ds.SearchIndex, query: str) -> None:
    """The English "The Mexican Diaspora" and the Spanish record about the Mexican diaspora."""
    ranked = [h.id for h in index.search(query)]
    assert ranked[0] == "ime-latest-news-mexican-diaspora"
    assert "ime-consejo-consultivo-cc-ime" in ranked[:3]


def test_translation_changes_nothing_on_a_bilingual_collection(tmp_path: Path) -> None:
    """Translations count only for records without text in the word's language: on records
    that all hold both languages, every ranking and score is that of ``translate=False`` (also
    where one word's translation is a term another word stands for as typed). Not for queries
    with phrases or exclusions: Whoosh runs those, and cannot apply the rule."""
    from tests.fixtures.synthetic import synthetic_queries, synthetic_records

    bilingual = [r for r in synthetic_records(900) if "summary_en" in r and "summary_es" in r]
    queries = [q for q in synthetic_queries(200) if '"' not in q and "-" not in q]
    queries.append("gas oxygen poisonous")
    with ds.SearchIndex.create(tmp_path / "index") as index:
        index.add(bilingual)
        for query in queries:
            on = [(h.id, round(h.score, 9)) for h in index.search(query)]
            off = [(h.id, round(h.score, 9)) for h in index.search(query, translate=False)]
            assert on == off, query
