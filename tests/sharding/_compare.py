"""Comparing a sharded index's results with one index's, query by query."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

import diaspora_search as ds

LIMIT = 20


def differences(
    one: ds.SearchIndex,
    sharded: ds.ShardedIndex,
    queries: Iterable[str],
    limit: int = LIMIT,
    **options: Any,
) -> list[str]:
    """The queries whose results differ (both searched with ``options``: offset, filters,
    facets): ids in order, scores to 1e-9, each hit's language, title, snippet, names,
    translation flag and record, the spelling help, the total and the facets."""
    out = []
    for query in queries:
        a = one.search(query, limit=limit, **options)
        b = sharded.search(query, limit=limit, **options)
        same = (
            [h.id for h in a] == [h.id for h in b]
            and all(abs(x.score - y.score) <= 1e-9 for x, y in zip(a, b, strict=True))
            and [(h.lang, h.title, h.snippet, h.names, h.translated) for h in a]
            == [(h.lang, h.title, h.snippet, h.names, h.translated) for h in b]
            and [h.record for h in a] == [h.record for h in b]
            and (a.corrected_query, a.suggestion) == (b.corrected_query, b.suggestion)
            and a.total == b.total
            and list(a.facets.items()) == list(b.facets.items())
            and all(list(a.facets[n].items()) == list(b.facets[n].items()) for n in a.facets)
        )
        if not same:
            shown = [(h.id, h.score) for h in a], [(h.id, h.score) for h in b]
            out.append(f"{query!r}: {shown[0]} != {shown[1]}")
    return out
