"""The arguments of a search, checked once for every kind of index (one folder or sharded)."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

from .._errors import QueryError
from .._language import Language
from .facets import Filters, check_sort, facet_names
from .run import Page

MAX_LIMIT = 10_000
"""The most hits one page may ask for."""


def search_request(
    query: object,
    *,
    limit: object,
    lang: str | None,
    offset: object,
    filters: Mapping[str, Any] | None,
    sort: str,
    facets: Iterable[str],
    time_limit: object,
) -> tuple[Language | None, Page]:
    """The language and the page of a search, or :class:`QueryError` naming the bad argument
    (:class:`~diaspora_search.UnsupportedLanguageError` for ``lang``).

    >>> search_request("x", limit=5, lang="ES", offset=0, filters=None, sort="year",
    ...                facets=(), time_limit=None)[1].sort
    'year'
    """
    if not isinstance(query, str):
        raise QueryError(f"query must be a string, got {type(query).__name__}")
    if isinstance(limit, bool) or not isinstance(limit, int) or not 1 <= limit <= MAX_LIMIT:
        raise QueryError(f"limit must be an integer from 1 to {MAX_LIMIT:,}, got {limit!r}")
    if isinstance(offset, bool) or not isinstance(offset, int) or offset < 0:
        raise QueryError(f"offset must be an integer from 0, got {offset!r}")
    if time_limit is not None and (
        isinstance(time_limit, bool)
        or not isinstance(time_limit, int | float)
        or not time_limit > 0
    ):
        raise QueryError(f"time_limit must be a positive number of seconds, got {time_limit!r}")
    language = Language.parse(lang) if lang is not None else None
    return language, Page(
        limit, offset, Filters.parse(filters), check_sort(sort), facet_names(facets)
    )
