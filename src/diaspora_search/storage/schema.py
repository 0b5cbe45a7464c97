"""The Whoosh schema, made from the field table (``_fields.py``)."""

from __future__ import annotations

from whoosh import fields, formats

from .._fields import FIELDS, IndexField, Kind
from .analyzers import whoosh_analyzer


def _field_type(field: IndexField) -> fields.FieldType:
    if field.kind is Kind.ID:
        return fields.ID(stored=True, unique=True)
    if field.kind is Kind.STORED:
        return fields.STORED()
    assert field.analyzer is not None  # (the table gives every analyzed field one)
    if field.kind is Kind.FORMS:
        return fields.FieldType(formats.Existence(), whoosh_analyzer(field.analyzer))
    return fields.TEXT(analyzer=whoosh_analyzer(field.analyzer), stored=field.stored, phrase=True)


def build_schema() -> fields.Schema:
    """A new schema for a diaspora_search index."""
    schema = fields.Schema()
    for field in FIELDS:
        schema.add(field.name, _field_type(field))
    return schema
