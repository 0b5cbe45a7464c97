"""Filters, facets and sorting by year: the values of every record, kept per commit.

A :class:`RecordValues` holds, for every live document of a snapshot, the values a search
filters on, counts and sorts by (year, source, authors, tags, and the languages the record has
text in), read from the stored fields on first use and kept until the next commit, as the
length norms are. Filters only choose which documents count: scores are computed as without
them (the collection statistics are the whole index's).

>>> Filters.parse({"year": (2000, None), "tags": "migración"}).keys()
['tags', 'year']
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from itertools import chain
from typing import Any

from .._errors import QueryError
from .._fields import FACETS, TEXT_FIELDS
from .._language import LANGUAGES, Language
from ..storage import Snapshot

SORTS = ("relevance", "year", "-year")
"""The orders a search can return: by relevance, oldest first, newest first."""
_STRING_VALUED = ("source", "authors", "tags")
_FILTER_CACHE = 64


@dataclass(frozen=True)
class Filters:
    """Which records may count: a year range (inclusive, either end open), any of some
    sources, authors or tags, and a language the record must have text in. Empty: all."""

    year: tuple[int | None, int | None] | None = None
    values: tuple[tuple[str, frozenset[str]], ...] = ()  # (key, any of these), by key
    lang: Language | None = None
    _keys: tuple[str, ...] = field(default=(), compare=False, repr=False)

    @classmethod
    def parse(cls, given: Mapping[str, Any] | None) -> Filters:
        """Filters from the ``filters`` argument of a search.

        Raises:
            QueryError: an unknown key or a value of the wrong type, naming both.
            UnsupportedLanguageError: a ``lang`` other than en or es.
        """
        if given is None:
            return cls()
        if not isinstance(given, Mapping):
            raise QueryError(f"filters must be a dict, got {type(given).__name__}")
        year = None
        values: list[tuple[str, frozenset[str]]] = []
        lang = None
        for key in sorted(given, key=str):
            value = given[key]
            if key == "year":
                year = _year_range(value)
            elif key in _STRING_VALUED:
                values.append((key, _strings(key, value)))
            elif key == "lang":
                if not isinstance(value, (str, Language)):
                    raise QueryError(f"filter 'lang' must be 'en' or 'es', got {value!r}")
                lang = Language.parse(value)
            else:
                raise QueryError(
                    f"unknown filter {key!r}; choose from: {', '.join(sorted(FACETS))}"
                )
        return cls(year, tuple(values), lang, tuple(sorted(str(k) for k in given)))

    def keys(self) -> list[str]:
        """The keys filtered on."""
        return list(self._keys)

    def __bool__(self) -> bool:
        return self.year is not None or bool(self.values) or self.lang is not None


def _year_range(value: object) -> tuple[int | None, int | None]:
    if _is_int(value):
        return (value, value)  # type: ignore[return-value]
    if isinstance(value, (tuple, list)) and len(value) == 2:
        lo, hi = value
        if all(end is None or _is_int(end) for end in (lo, hi)):
            return (lo, hi)
    raise QueryError(
        f"filter 'year' must be a year or a (from, to) pair of years or None, got {value!r}"
    )


def _is_int(value: object) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


def _strings(key: str, value: object) -> frozenset[str]:
    if isinstance(value, str):
        return frozenset([value])
    if isinstance(value, (list, tuple, set, frozenset)) and all(isinstance(v, str) for v in value):
        return frozenset(value)
    raise QueryError(f"filter {key!r} must be a string or a list of strings, got {value!r}")


def facet_names(facets: Iterable[str]) -> tuple[str, ...]:
    """The facets asked for, checked, in the order given (each once).

    Raises:
        QueryError: one that is not a facet.
    """
    if isinstance(facets, str):
        facets = [facets]
    out: list[str] = []
    for name in facets:
        if name not in FACETS:
            raise QueryError(f"unknown facet {name!r}; choose from: {', '.join(FACETS)}")
        if name not in out:
            out.append(name)
    return tuple(out)


def check_sort(sort: object) -> str:
    """``sort`` if it is one of :data:`SORTS`.

    Raises:
        QueryError: it is not.
    """
    if sort not in SORTS:
        raise QueryError(f"unknown sort {sort!r}; choose one of: {', '.join(SORTS)}")
    return str(sort)


Values = tuple[int | None, str, tuple[str, ...], tuple[str, ...], tuple[str, ...]]
"""A document's (year, source, authors, tags, languages)."""
_EMPTY: Values = (None, "", (), (), ())


class RecordValues:
    """Per snapshot: each live document's year, source, authors, tags and languages, in
    columns by document number (so that counting and sorting run in C: ``map`` over them)."""

    def __init__(self, snapshot: Snapshot) -> None:
        self.snapshot = snapshot
        self._rows: list[Values] | None = None
        self._live: dict[int, Values] = {}
        self._columns: dict[str, list[Any]] = {}
        self._allowed: dict[Filters, frozenset[int]] = {}
        self._year_keys: dict[bool, list[tuple[bool, int]]] = {}

    def _load(self) -> list[Values]:
        text_fields = [(lang.value, [f.name for f in TEXT_FIELDS[lang]]) for lang in LANGUAGES]
        rows: list[Values] = [_EMPTY] * self.snapshot.doc_count
        for docnum, stored in self.snapshot.stored_by_number():
            langs = tuple(code for code, names in text_fields if any(stored.get(n) for n in names))
            row: Values = (
                stored.get("year"),
                stored.get("source") or "",
                tuple(stored.get("authors") or ()),
                tuple(stored.get("tags") or ()),
                langs,
            )
            rows[docnum] = self._live[docnum] = row
        for position, name in enumerate(("year", "source", "authors", "tags", "lang")):
            self._columns[name] = [row[position] for row in rows]
        self._rows = rows
        return rows

    def rows(self) -> list[Values]:
        """Per document number: (year, source, authors, tags, languages); deleted ones empty."""
        return self._rows if self._rows is not None else self._load()

    def column(self, name: str) -> list[Any]:
        """One facet's values by document number (a tuple for authors, tags and lang)."""
        self.rows()
        return self._columns[name]

    def allowed(self, filters: Filters) -> frozenset[int]:
        """The live documents that pass ``filters`` (kept per filter for this snapshot)."""
        found = self._allowed.get(filters)
        if found is None:
            self.rows()
            found = frozenset(d for d, v in self._live.items() if _passes(filters, v))
            if len(self._allowed) >= _FILTER_CACHE:
                self._allowed.clear()
            self._allowed[filters] = found
        return found

    def year_keys(self, newest_first: bool) -> list[tuple[bool, int]]:
        """Per document number, its key sorting by year (records without a year last)."""
        found = self._year_keys.get(newest_first)
        if found is None:
            sign = -1 if newest_first else 1
            years = self.column("year")
            found = [(y is None, sign * y if y is not None else 0) for y in years]
            self._year_keys[newest_first] = found
        return found

    def count(self, names: tuple[str, ...], docnums: Iterable[int]) -> dict[str, dict[str, int]]:
        """For each facet of ``names``: how many of ``docnums`` have each value (most first,
        then by value)."""
        wanted = list(docnums)
        out: dict[str, dict[str, int]] = {}
        for name in names:
            values = map(self.column(name).__getitem__, wanted)
            if name in ("authors", "tags"):
                counter = Counter(chain.from_iterable(map(_distinct, values)))
            elif name == "lang":
                counter = Counter(chain.from_iterable(values))
            else:  # (a year or a source: none is no value)
                counter = Counter(value for value in values if value is not None and value != "")
            out[name] = {
                str(value): count
                for value, count in sorted(counter.items(), key=lambda item: (-item[1], item[0]))
            }
        return out


def _distinct(values: tuple[str, ...]) -> tuple[str, ...] | set[str]:
    return values if len(values) < 2 else set(values)


def _passes(filters: Filters, value: Values) -> bool:
    year, source, authors, tags, langs = value
    if filters.year is not None:
        lo, hi = filters.year
        if year is None or (lo is not None and year < lo) or (hi is not None and year > hi):
            return False
    for key, wanted in filters.values:
        if key == "source":
            if source not in wanted:
                return False
        elif wanted.isdisjoint(authors if key == "authors" else tags):
            return False
    return filters.lang is None or filters.lang.value in langs
