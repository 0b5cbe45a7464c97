"""Records come back: ``get``, ``Hit.record``, and the keys tags, date, text_en and text_es."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

import diaspora_search as ds

FULL: dict[str, Any] = {
    "id": "full",
    "title_en": "Remittances",
    "title_es": "Remesas",
    "summary_en": "Money sent home by migrants.",
    "summary_es": "Dinero enviado por los migrantes.",
    "text_en": "The long report on remittances and hometown associations.",
    "text_es": "El informe largo sobre las remesas y los clubes de oriundos.",
    "authors": ["Ana Pérez", "Luis Gómez"],
    "source": "IME",
    "url": "https://example.org/full",
    "year": 2009,
    "date": "2009-05-17",
    "tags": ["remesas", "economía"],
}


@pytest.fixture
def index(tmp_path: Path) -> ds.SearchIndex:
    index = ds.SearchIndex.create(tmp_path / "index")
    index.add(
        [
            FULL,
            {"id": "short", "summary_en": "Consular services for migrants."},
            {"id": "dated", "summary_es": "Un informe de la oficina consular.", "date": "1998-02"},
            {
                "id": "deep",
                "summary_en": "A report on consular offices.",
                "text_en": "Buried deep in the full text: the word hometown.",
            },
        ]
    )
    return index


def test_get_returns_every_key_it_was_given(index: ds.SearchIndex) -> None:
    record = index.get("full")
    assert record is not None
    assert record.to_dict() == FULL
    assert record.tags == ("remesas", "economía") and record.date == "2009-05-17"


def test_get_of_an_unknown_id_is_none(index: ds.SearchIndex) -> None:
    assert index.get("nope") is None
    index.delete(["short"])
    assert index.get("short") is None
    with pytest.raises(ds.QueryError, match="id must be a string"):
        index.get(5)  # type: ignore[arg-type]


def test_a_date_gives_the_year(index: ds.SearchIndex) -> None:
    record = index.get("dated")
    assert record is not None and (record.date, record.year) == ("1998-02", 1998)


def test_every_hit_carries_its_record(index: ds.SearchIndex) -> None:
    hits = index.search("remittances migrants", translate=False)
    assert hits and all(hit.record is not None for hit in hits)
    assert {hit.id: hit.record for hit in hits} == {hit.id: index.get(hit.id) for hit in hits}
    assert hits[0].to_dict()["record"] == index.get(hits[0].id).to_dict()  # type: ignore[union-attr]


def test_full_text_is_searched_and_gives_the_snippet(index: ds.SearchIndex) -> None:
    hits = index.search("hometown", translate=False)
    assert {hit.id for hit in hits} == {"full", "deep"}
    deep = next(hit for hit in hits if hit.id == "deep")
    assert deep.snippet == "Buried deep in the full text: the word **hometown**."


def test_full_text_ranks_below_the_summary(tmp_path: Path) -> None:
    index = ds.SearchIndex.create(tmp_path / "index")
    text = "Another subject entirely, at the same length as the other."
    index.add(
        [
            {"id": "in-text", "summary_en": text, "text_en": "It is about asylum."},
            {"id": "in-summary", "summary_en": "It is about asylum.", "text_en": text},
        ]
    )
    assert [hit.id for hit in index.search("asylum")] == ["in-summary", "in-text"]


@pytest.mark.parametrize(
    ("given", "key", "message"),
    [
        ({"date": "2009-13"}, "date", "not a calendar date"),
        ({"date": "2009-02-30"}, "date", "not a calendar date"),
        ({"date": "09"}, "date", "must be an ISO 8601 date"),
        ({"date": "2009-05-17T10:00"}, "date", "must be an ISO 8601 date"),
        ({"date": 2009}, "date", "must be a string, got a number"),
        ({"date": "2009", "year": 2010}, "date", "'2009' is in 2009, but 'year' is 2010"),
        ({"tags": "remesas"}, "tags", "must be a list of strings, got a string"),
        ({"tags": ["a", 1]}, "tags", "must be a list of strings, got a list holding a number"),
        ({"text_en": ["a"]}, "text_en", "must be a string, got an array"),
        ({"text_es": "a\x00b"}, "text_es", "contains a NUL character"),
    ],
)
def test_bad_new_keys_are_refused_naming_file_line_and_key(
    tmp_path: Path, given: dict[str, Any], key: str, message: str
) -> None:
    path = tmp_path / "corpus.jsonl"
    lines = [{"id": "ok", "summary_en": "fine"}, {"id": "bad", "summary_en": "x", **given}]
    path.write_text("".join(json.dumps(line) + "\n" for line in lines), encoding="utf-8")
    with pytest.raises(ds.RecordError) as info:
        ds.read_corpus(path)
    assert str(info.value).startswith(f"{path}:2: key '{key}': ")
    assert message in str(info.value)


def test_date_and_year_that_agree_are_kept() -> None:
    record = ds.Record.from_dict({"id": "a", "summary_en": "x", "date": "2009-01", "year": 2009})
    assert (record.date, record.year) == ("2009-01", 2009)
