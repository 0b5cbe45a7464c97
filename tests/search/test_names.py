"""Names in spelling and display: author and source names are corrected to, never away from,
and a hit that matched on them shows them marked."""

from __future__ import annotations

from pathlib import Path

import pytest

import diaspora_search as ds


@pytest.fixture(scope="module")
def index(tmp_path_factory: pytest.TempPathFactory, bundled_records: list[ds.Record]):
    index = ds.SearchIndex.create(Path(tmp_path_factory.mktemp("names")) / "index")
    index.add(bundled_records)
    index.add(
        [
            {"id": "ana", "summary_es": "Informe sobre remesas.", "authors": ["Ana Pérez"]},
            {"id": "ano", "summary_es": "El año de las remesas."},
        ]
    )
    yield index
    index.close()


@pytest.mark.parametrize(
    ("typed", "corrected", "found"),
    [
        ("Delanno", "Delano", "ime-day-after-156-years"),
        ("Laglagarom", "Laglagaron", "ime-protection-through-integration"),
        ("Bayez", "Bayes", "ime-consejo-consultivo-cc-ime"),
    ],
)
def test_a_misspelled_author_is_corrected(
    index: ds.SearchIndex, typed: str, corrected: str, found: str
) -> None:
    results = index.search(typed)
    assert results.corrected_query == corrected
    assert results[0].id == found


@pytest.mark.parametrize("query", ["Ana Pérez", "Ana", "Delano", "Cano Delano"])
def test_a_name_the_index_knows_is_never_corrected(index: ds.SearchIndex, query: str) -> None:
    results = index.search(query)
    assert results.corrected_query is None and results.suggestion is None
    assert results


def test_ana_finds_ana_not_ano(index: ds.SearchIndex) -> None:
    assert index.search("Ana Pérez")[0].id == "ana"


def test_a_hit_that_matched_on_names_shows_them_marked(index: ds.SearchIndex) -> None:
    hit = index.search("Delano")[0]
    assert (
        hit.names
        == "Gustavo Cano; Alejandro **Delano**; Center for U.S.-Mexican Studies, UC San Diego"
    )
    hit = index.search("Migration Policy")[0]
    assert "**Migration** **Policy** Institute" in hit.names


def test_a_hit_that_did_not_match_on_names_shows_none(index: ds.SearchIndex) -> None:
    assert all(hit.names == "" for hit in index.search("remesas"))
