"""The field table: one description of every record key and index field."""

from __future__ import annotations

import dataclasses

import diaspora_search as ds
from diaspora_search import _fields
from diaspora_search.storage.schema import build_schema


def test_record_keys_are_the_record_type() -> None:
    assert [f.name for f in dataclasses.fields(ds.Record)] == list(_fields.KEYS)


def test_schema_has_every_field_and_nothing_else() -> None:
    schema = build_schema()
    assert sorted(schema.names()) == sorted(f.name for f in _fields.FIELDS)
    for field in _fields.FIELDS:
        assert bool(schema[field.name].stored) == field.stored, field.name
        assert bool(schema[field.name].scorable) == (
            field.kind in (_fields.Kind.TEXT, _fields.Kind.NAMES)
        ), field.name


def test_document_is_sorted_with_the_forms_last() -> None:
    record = ds.Record.from_dict(
        {
            "id": "a",
            "title_es": "Políticas",
            "summary_es": "La educación",
            "summary_en": "Education",
            "authors": ["Ana Pérez"],
            "source": "IME",
            "year": 2009,
        }
    )
    doc = _fields.document(record)
    assert list(doc) == [
        "authors",
        "id",
        "names",
        "source",
        "summary_en",
        "summary_es",
        "title_es",
        "year",
        "forms_es",
    ]
    assert doc["names"] == "Ana Pérez\nIME"
    assert doc["forms_es"] == "Políticas\nLa educación"
    assert doc["authors"] == ["Ana Pérez"]


def test_ascii_text_has_no_forms_field() -> None:
    doc = _fields.document(ds.Record.from_dict({"id": "a", "summary_en": "Plain"}))
    assert "forms_en" not in doc and "forms_es" not in doc


def test_text_fields_are_title_summary_and_full_text_with_their_boosts() -> None:
    for lang, fields in _fields.TEXT_FIELDS.items():
        code = lang.value
        assert [f.name for f in fields] == [f"title_{code}", f"summary_{code}", f"text_{code}"]
        assert fields[0].boost > fields[1].boost > fields[2].boost
        assert all(_fields.field_language(f.name) is lang for f in fields)
    assert _fields.field_language("names") is None
