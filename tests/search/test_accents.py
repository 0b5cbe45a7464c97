"""Accent-robust matching and accent-aware ranking."""

from __future__ import annotations

from pathlib import Path

import pytest

import diaspora_search as ds

RECORDS = [
    {"id": "papa-pope", "summary_es": "El papa visitó la comunidad migrante en Chicago."},
    {"id": "papa-dad", "summary_es": "Mi papá trabaja en la construcción en Texas."},
    {"id": "publico", "summary_es": "El debate público sobre la migración creció."},
    {"id": "publico-verb", "summary_es": "El consulado publicó un informe sobre remesas."},
    {"id": "secretaria-office", "summary_es": "La Secretaría de Relaciones Exteriores coordina."},
    {
        "id": "secretaria-person",
        "summary_es": "La secretaria del consulado atendió a las familias.",
    },
    {"id": "economia", "summary_es": "La economía de las familias migrantes depende de remesas."},
    {"id": "economico", "summary_es": "El desarrollo económico de las comunidades de origen."},
    {"id": "decidio", "summary_es": "El gobierno decidió abrir nuevos consulados."},
    {"id": "ninos", "summary_es": "Los niños migrantes y la educación bilingüe."},
    {"id": "ano", "summary_es": "Cada año llegan miles de estudiantes."},
    {"id": "politica", "summary_es": "La política migratoria y las políticas públicas."},
    {"id": "english", "summary_en": "Public policy on education for migrant children."},
]


@pytest.fixture(scope="module")
def index(tmp_path_factory: pytest.TempPathFactory):
    index = ds.SearchIndex.create(Path(tmp_path_factory.mktemp("accents")) / "index")
    index.add(RECORDS)
    yield index
    index.close()


def ids(results: ds.Results) -> list[str]:
    return [h.id for h in results]


@pytest.mark.parametrize(
    ("accented", "unaccented"),
    [
        ("economía", "economia"),
        ("decidió", "decidio"),
        ("educación", "educacion"),
        ("política", "politica"),
        ("políticas públicas", "politicas publicas"),
        ("niños", "ninos"),
        ("año", "ano"),
        ("bilingüe", "bilingue"),
        ("público", "publico"),
        ("Secretaría", "secretaria"),
        ("papá", "papa"),
        ("económico", "economico"),
        ("¿Qué decidió el gobierno?", "Que decidio el gobierno"),
    ],
)
def test_unaccented_query_finds_what_the_accented_finds(
    index: ds.SearchIndex, accented: str, unaccented: str
) -> None:
    with_accents = set(ids(index.search(accented, limit=50)))
    without = set(ids(index.search(unaccented, limit=50)))
    assert with_accents, accented
    assert with_accents <= without


def test_unaccented_word_finds_stems_snowball_gives_only_with_accents(
    index: ds.SearchIndex,
) -> None:
    # Snowball: economía -> econom but economia -> economi; decidió -> decid, decidio -> decidi.
    assert ds.analyze("economia", "es") != ds.analyze("economía", "es")
    assert {"economia", "economico"} <= set(ids(index.search("economia")))
    assert ids(index.search("decidio")) == ["decidio"]


@pytest.mark.parametrize(
    ("query", "first", "second"),
    [
        ("papá", "papa-dad", "papa-pope"),
        ("papa", "papa-pope", "papa-dad"),
        ("público", "publico", "publico-verb"),
        ("publicó", "publico-verb", "publico"),
        ("Secretaría", "secretaria-office", "secretaria-person"),
        ("secretaria", "secretaria-person", "secretaria-office"),
    ],
)
def test_exact_form_typed_ranks_first(
    index: ds.SearchIndex, query: str, first: str, second: str
) -> None:
    found = ids(index.search(query))
    assert first in found and second in found
    assert found.index(first) < found.index(second)


def test_snippet_highlights_the_accented_original(index: ds.SearchIndex) -> None:
    hit = index.search("educacion bilingue")[0]
    assert hit.id == "ninos"
    assert "**educación**" in hit.snippet
    assert "**bilingüe**" in hit.snippet


def test_spanish_query_prefers_spanish_text(index: ds.SearchIndex) -> None:
    hit = index.search("educación para los niños migrantes")[0]
    assert hit.lang == "es"
    assert hit.id == "ninos"


def test_spelling_correction_accent_is_no_error(index: ds.SearchIndex) -> None:
    results = index.search("consuldo")
    assert results.corrected_query == "consulado"
    assert ids(results)
    # A typo plus a missing accent is still one correction away.
    results = index.search("educacoin")
    assert results.corrected_query == "educación"
    assert ids(results)[0] == "ninos"  # (then the English record, through translation)


def test_no_correction_when_the_query_finds_something(index: ds.SearchIndex) -> None:
    assert index.search("consulado").corrected_query is None


def test_nothing_to_correct_gives_no_hits(index: ds.SearchIndex) -> None:
    results = index.search("zzzzqqqq")
    assert results == [] and results.corrected_query is None


def test_few_hits_get_a_suggestion(index: ds.SearchIndex) -> None:
    # "chicago" finds one record; the typo "remsas" nothing, but "remesas" finds more.
    results = index.search("remsas chicago")
    assert [h.id for h in results] == ["papa-pope"]
    assert results.corrected_query is None
    assert results.suggestion == "remesas chicago"


def test_no_suggestion_when_every_word_is_known(index: ds.SearchIndex) -> None:
    assert index.search("consulado").suggestion is None
