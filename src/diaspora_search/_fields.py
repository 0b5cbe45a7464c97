"""The fields of a record and of the index, declared once.

Every record key (docs/api.md, "Records") is described here: its JSON type, and the index
fields it feeds.
Records validation (``_records.py``), the Whoosh schema (``storage/schema.py``), the document
written for a record (:func:`document`), the fields a query looks words up in, and snippets all
read this table, so adding a key is one entry here (and a ``Record`` attribute).

Index fields, per language ``L`` (en, es):

- ``title_L``, ``summary_L``, ``text_L`` (the full text): analyzed by the ``L`` analyzer, with
  positions (phrases), stored (display, snippets, :meth:`SearchIndex.get`), scored with the
  field's boost (title above summary above full text);
- ``forms_L`` (derived from the title, summary and full text): the folded surface words with
  their accented forms, the vocabulary of spelling correction and accent expansion; not scored,
  not stored;
- ``names`` (derived from authors and source): folded, not stemmed;
- ``id``: the unique key; ``authors``, ``source``, ``url``, ``year``, ``date``, ``tags``: stored
  only (filters and facets read them from a per-commit table: ``search/facets.py``).
"""

from __future__ import annotations

import enum
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from . import _ranking as ranking
from ._language import LANGUAGES, Language

if TYPE_CHECKING:
    from ._records import Record


class Kind(enum.Enum):
    """What an index field holds, and so how the schema declares it."""

    ID = "id"  # the unique key, one term, stored
    TEXT = "text"  # analyzed text with positions, scored, stored
    NAMES = "names"  # analyzed names with positions, scored, not stored
    FORMS = "forms"  # accented forms: terms only (existence), not scored, not stored
    STORED = "stored"  # stored only


@dataclass(frozen=True)
class IndexField:
    """One field of the index."""

    name: str
    kind: Kind
    analyzer: str | None = None  # the registered analyzer's name (analysis/chain.py)
    lang: Language | None = None
    boost: float = 1.0  # a query's weight for a match in this field

    @property
    def stored(self) -> bool:
        return self.kind in (Kind.ID, Kind.TEXT, Kind.STORED)


@dataclass(frozen=True)
class RecordKey:
    """One key of a record: its JSON type and the index field that stores its value."""

    key: str
    type: type  # str, list (of strings) or int
    field: str  # the index field holding the value


ID = "id"
NAMES = "names"


def title_field(lang: Language) -> str:
    return f"title_{lang.value}"


def summary_field(lang: Language) -> str:
    return f"summary_{lang.value}"


def full_text_field(lang: Language) -> str:
    return f"text_{lang.value}"


def forms_field(lang: Language) -> str:
    return f"forms_{lang.value}"


def _text_fields(lang: Language) -> tuple[IndexField, IndexField, IndexField]:
    return (
        IndexField(title_field(lang), Kind.TEXT, lang.value, lang, ranking.TITLE_BOOST),
        IndexField(summary_field(lang), Kind.TEXT, lang.value, lang, 1.0),
        IndexField(full_text_field(lang), Kind.TEXT, lang.value, lang, ranking.FULL_TEXT_BOOST),
    )


TEXT_FIELDS: dict[Language, tuple[IndexField, ...]] = {
    lang: _text_fields(lang) for lang in LANGUAGES
}
"""Per language, the scored text fields a query word is looked up in: title, summary, full
text."""

NAMES_FIELD = IndexField(NAMES, Kind.NAMES, "name", None, ranking.NAME_BOOST)

FIELDS: tuple[IndexField, ...] = (
    IndexField(ID, Kind.ID),
    NAMES_FIELD,
    *(
        IndexField(name, Kind.STORED)
        for name in ("authors", "source", "url", "year", "date", "tags")
    ),
    *(field for lang in LANGUAGES for field in TEXT_FIELDS[lang]),
    *(IndexField(forms_field(lang), Kind.FORMS, f"forms-{lang.value}", lang) for lang in LANGUAGES),
)
"""Every field of the index."""

RECORD_KEYS: tuple[RecordKey, ...] = (
    RecordKey("id", str, ID),
    *(
        RecordKey(f"{part}_{lang.value}", str, f"{part}_{lang.value}")
        for part in ("title", "summary")
        for lang in LANGUAGES
    ),
    RecordKey("authors", list, "authors"),
    RecordKey("source", str, "source"),
    RecordKey("url", str, "url"),
    RecordKey("year", int, "year"),
    *(RecordKey(f"text_{lang.value}", str, f"text_{lang.value}") for lang in LANGUAGES),
    RecordKey("date", str, "date"),
    RecordKey("tags", list, "tags"),
)
"""Every key a record may have (docs/api.md), in the order ``Record`` declares them (the keys
added later last, so that positional construction of a ``Record`` keeps working)."""

FACETS: tuple[str, ...] = ("year", "source", "authors", "tags", "lang")
"""The keys a search can filter on and count (facets): record keys, and ``lang``, the
languages a record has text in."""

KEYS: tuple[str, ...] = tuple(k.key for k in RECORD_KEYS)


def names_text(record: Record) -> str:
    """The ``names`` field: authors and source, one per line."""
    return "\n".join(n for n in (*record.authors, record.source) if n)


def document(record: Record) -> dict[str, Any]:
    """The index document of a record: every stored or indexed value, empty ones left out.

    In field name order (the order Whoosh stores fields in), but the derived forms fields last:
    the fast path reuses the words of the titles and summaries they are made of.
    """
    doc: dict[str, Any] = {}
    for name, key in _DOCUMENT_ORDER:  # (computed once: this runs for every record)
        if key is None:
            value: Any = names_text(record)
        else:
            value = getattr(record, key.key)
            if key.type is list:
                value = list(value)
        if value or value == 0:  # ("", [] and None are left out; a year 0 is kept)
            doc[name] = value
    for lang, sources in _FORMS_SOURCES:
        texts = [getattr(record, name) for name in sources]
        if not all(text.isascii() for text in texts):  # only accented words have forms
            doc[forms_field(lang)] = forms_text(texts)
    return doc


def forms_text(texts: list[str]) -> str:
    """A forms field's value: the title, summary and full text it is made of (in
    :data:`FORMS_SOURCES` order), one per line; without full text, the title and summary."""
    return "\n".join(texts if texts[-1] else texts[:-1])


_DOCUMENT_ORDER: list[tuple[str, RecordKey | None]] = sorted(
    [*((k.field, k) for k in RECORD_KEYS), (NAMES, None)], key=lambda item: item[0]
)
FORMS_SOURCES: dict[Language, tuple[str, ...]] = {
    lang: tuple(f.name for f in TEXT_FIELDS[lang]) for lang in LANGUAGES
}
"""Per language, the text fields its forms field is made of."""
_FORMS_SOURCES = list(FORMS_SOURCES.items())


def field_language(fieldname: str) -> Language | None:
    """The language of a scored text field, or ``None`` for any other field."""
    return _TEXT_FIELD_LANGUAGE.get(fieldname)


_TEXT_FIELD_LANGUAGE = {f.name: lang for lang in LANGUAGES for f in TEXT_FIELDS[lang]}
