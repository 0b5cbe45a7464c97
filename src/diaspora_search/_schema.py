"""The Whoosh schema: which field holds what, and with which registered analyzer.

Per language ``L`` (en, es): ``title_L`` and ``summary_L`` (stemmed, positions for phrases,
stored for display and snippets) and ``forms_L`` (the folded surface words and their accented
forms: vocabulary for spelling correction and accent expansion, not scored). ``names`` holds
authors and publisher, folded but not stemmed. ``id`` is unique; the rest is stored only.
"""

from __future__ import annotations

from whoosh import fields, formats

from ._language import LANGUAGES, Language
from .analysis import analyzer

ID = "id"
NAMES = "names"
STORED_ONLY = ("authors", "source", "url", "year")


def title_field(lang: Language) -> str:
    return f"title_{lang.value}"


def summary_field(lang: Language) -> str:
    return f"summary_{lang.value}"


def forms_field(lang: Language) -> str:
    return f"forms_{lang.value}"


def build_schema() -> fields.Schema:
    """A new schema for a diaspora_search index."""
    schema = fields.Schema(
        id=fields.ID(stored=True, unique=True),
        names=fields.TEXT(analyzer=analyzer("name"), phrase=True),
        **{name: fields.STORED() for name in STORED_ONLY},
    )
    for lang in LANGUAGES:
        text = analyzer(lang.value)
        schema.add(title_field(lang), fields.TEXT(analyzer=text, stored=True, phrase=True))
        schema.add(summary_field(lang), fields.TEXT(analyzer=text, stored=True, phrase=True))
        schema.add(
            forms_field(lang),
            fields.FieldType(formats.Existence(), analyzer(f"forms-{lang.value}")),
        )
    return schema
