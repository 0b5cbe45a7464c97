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


class RecordValues:
    """Per snapshot: each live document's year, source, authors, tags and languages."""

    def __init__(self, snapshot: Snapshot) -> None:
        self.snapshot = snapshot
        self._values: dict[int, tuple[int | None, str, tuple[str, ...], tuple[str, ...], str]]
        self._values = {}
        self._loaded = False
        self._allowed: dict[Filters, frozenset[int]] = {}

    def _load(self) -> None:
        text_fields = [(lang, [f.name for f in TEXT_FIELDS[lang]]) for lang in LANGUAGES]
        for docnum, stored in self.snapshot.stored_by_number():
            langs = "".join(
                lang.value for lang, names in text_fields if any(stored.get(n) for n in names)
            )
            self._values[docnum] = (
                stored.get("year"),
                stored.get("source") or "",
                tuple(stored.get("authors") or ()),
                tuple(stored.get("tags") or ()),
                langs,
            )
        self._loaded = True

    def values(self) -> dict[int, tuple[int | None, str, tuple[str, ...], tuple[str, ...], str]]:
        """Per live document: (year, source, authors, tags, languages as "en", "es", "enes")."""
        if not self._loaded:
            self._load()
        return self._values

    def allowed(self, filters: Filters) -> frozenset[int]:
        """The live documents that pass ``filters`` (kept per filter for this snapshot)."""
        found = self._allowed.get(filters)
        if found is None:
            found = frozenset(d for d, v in self.values().items() if _passes(filters, v))
            if len(self._allowed) >= _FILTER_CACHE:
                self._allowed.clear()
            self._allowed[filters] = found
        return found

    def year(self, docnum: int) -> int | None:
        return self.values()[docnum][0]

    def count(self, names: tuple[str, ...], docnums: Iterable[int]) -> dict[str, dict[str, int]]:
        """For each facet of ``names``: how many of ``docnums`` have each value (most first,
        then by value)."""
        values = self.values()
        counters: dict[str, Counter[str]] = {name: Counter() for name in names}
        wanted = [(name, counters[name]) for name in names]
        for docnum in docnums:
            year, source, authors, tags, langs = values[docnum]
            for name, counter in wanted:
                if name == "year":
                    if year is not None:
                        counter[str(year)] += 1
                elif name == "source":
                    if source:
                        counter[source] += 1
                elif name == "authors":
                    counter.update(set(authors))
                elif name == "tags":
                    counter.update(set(tags))
                else:
                    counter.update(langs[i : i + 2] for i in range(0, len(langs), 2))
        return {
            name: dict(sorted(counter.items(), key=lambda item: (-item[1], item[0])))
            for name, counter in counters.items()
        }


def _passes(
    filters: Filters, value: tuple[int | None, str, tuple[str, ...], tuple[str, ...], str]
) -> bool:
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
