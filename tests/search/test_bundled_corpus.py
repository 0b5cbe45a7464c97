"""The bundled IME corpus: its content, and typical queries in both languages."""

from __future__ import annotations

import json

import pytest

import diaspora_search as ds


def test_corpus_holds_every_item_of_the_page(bundled_records: list[ds.Record]) -> None:
    ids = [r.id for r in bundled_records]
    assert len(ids) == len(set(ids)) == 7
    bilingual = [r for r in bundled_records if r.summary_en and r.summary_es]
    assert len(bilingual) == 4
    english_only = {r.id for r in bundled_records if not r.summary_es}
    assert english_only == {"ime-intro", "ime-imagining-2024", "ime-latest-news-mexican-diaspora"}


def test_corpus_has_no_page_furniture() -> None:
    text = ds.bundled_corpus().read_text(encoding="utf-8")
    for furniture in ("Ctrl +", "Tino", "click the following link", "table of contents"):
        assert furniture not in text


def test_corpus_facts_come_from_the_page(bundled_records: list[ds.Record]) -> None:
    by_id = {r.id: r for r in bundled_records}
    assert by_id["ime-acercamiento-inclusion-institucional"].authors == (
        "Carlos González Gutiérrez",
    )
    assert by_id["ime-consejo-consultivo-cc-ime"].source == "Politics and Policy"
    assert by_id["ime-day-after-156-years"].authors == ("Gustavo Cano", "Alejandro Delano")
    assert all(r.year is None and r.url == "" for r in bundled_records)
    seed = ds.bundled_corpus().parents[1].parent / "shared" / "seed" / "000_9cf52cd636976a15.txt"
    if seed.exists():
        page = " ".join(seed.read_text(encoding="utf-8").split())
        for record in bundled_records:
            for text in (record.summary_en, record.summary_es, *record.authors):
                for sentence in text.split(". "):
                    assert sentence.replace("Unidos.", "Unidos") in page.replace(" .", ".")


def test_corpus_lines_are_valid_json_objects() -> None:
    for line in ds.bundled_corpus().read_text(encoding="utf-8").splitlines():
        assert isinstance(json.loads(line), dict)


@pytest.mark.parametrize(
    ("query", "lang", "expected_first"),
    [
        ("integration policies", "en", "ime-protection-through-integration"),
        ("políticas de integración", "es", "ime-protection-through-integration"),
        ("politicas de integracion", "es", "ime-protection-through-integration"),
        ("Advisory Council", "en", "ime-consejo-consultivo-cc-ime"),
        ("Consejo Consultivo", None, "ime-consejo-consultivo-cc-ime"),
        ("diáspora mexicana", "es", "ime-consejo-consultivo-cc-ime"),
        ("diaspora mexicana", "es", "ime-consejo-consultivo-cc-ime"),
        ("remittances Hometown Associations", "en", "ime-latest-news-mexican-diaspora"),
        ("1848", None, "ime-day-after-156-years"),
        ("Imagining 2024", "en", "ime-imagining-2024"),
        ("salud educativos financieros", "es", "ime-protection-through-integration"),
        ("inclusión institucional", "es", "ime-acercamiento-inclusion-institucional"),
        ("inclusion institucional", "es", "ime-acercamiento-inclusion-institucional"),
    ],
)
def test_typical_queries(
    ime_index: ds.SearchIndex, query: str, lang: str | None, expected_first: str
) -> None:
    # Within each language, without translation (tests/search/test_translation.py has the
    # cross-language rankings).
    results = ime_index.search(query, translate=False)
    assert results, query
    assert results[0].id == expected_first
    if lang is not None:
        assert results[0].lang == lang
    assert results.corrected_query is None


@pytest.mark.parametrize(
    ("query", "author_record"),
    [
        ("Gonzalez Gutierrez", "ime-acercamiento-inclusion-institucional"),
        ("González Gutiérrez", "ime-acercamiento-inclusion-institucional"),
        ("Laglagaron", "ime-protection-through-integration"),
        ('"Politics and Policy"', "ime-consejo-consultivo-cc-ime"),
        ("Bayes", "ime-consejo-consultivo-cc-ime"),
    ],
)
def test_names_and_publishers(ime_index: ds.SearchIndex, query: str, author_record: str) -> None:
    assert ime_index.search(query)[0].id == author_record


def test_hits_carry_language_title_and_highlighted_snippet(ime_index: ds.SearchIndex) -> None:
    hit = ime_index.search("integración")[0]
    assert hit.lang == "es"
    assert "**integración**" in hit.snippet
    assert hit.title.startswith("Protection through Integration")
    hit = ime_index.search("integration")[0]
    assert hit.lang == "en"
    assert "**integration**" in hit.snippet.lower()
    spanish_title = ime_index.search("acercamiento")[0]
    assert spanish_title.title.startswith("Del acercamiento")


def test_lang_restricts_to_one_language(ime_index: ds.SearchIndex) -> None:
    english = ime_index.search("diaspora", lang="en")
    spanish = ime_index.search("diaspora", lang="es")
    assert english and spanish
    assert {h.lang for h in english} == {"en"}
    assert [h.id for h in spanish] == ["ime-consejo-consultivo-cc-ime"]
    assert ime_index.search("diaspora", lang="español") == spanish
    with pytest.raises(ds.UnsupportedLanguageError, match="choose one of: en, es"):
        ime_index.search("diaspora", lang="fr")


def test_syntax_phrase_exclusion_or(ime_index: ds.SearchIndex) -> None:
    phrase = {h.id for h in ime_index.search('"Estados Unidos"')}
    excluded = {h.id for h in ime_index.search('"Estados Unidos" -consejo')}
    assert "ime-consejo-consultivo-cc-ime" in phrase
    assert "ime-consejo-consultivo-cc-ime" not in excluded
    assert excluded and excluded < phrase
    either = {h.id for h in ime_index.search("remittances OR Laglagaron")}
    assert either == {"ime-latest-news-mexican-diaspora", "ime-protection-through-integration"}
    # A phrase matches only adjacent words, in order.
    assert ime_index.search('"Unidos Estados"') == []


def test_results_are_ranked_best_first(ime_index: ds.SearchIndex) -> None:
    scores = [h.score for h in ime_index.search("mexican government immigrant community")]
    assert len(scores) >= 3
    assert scores == sorted(scores, reverse=True)


def test_limit(ime_index: ds.SearchIndex) -> None:
    assert len(ime_index.search("mexicanos", limit=2)) == 2
    with pytest.raises(ds.QueryError):
        ime_index.search("mexicanos", limit=0)
