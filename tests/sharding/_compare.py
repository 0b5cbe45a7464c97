"""Comparing a sharded index's results with one index's, query by query."""

from __future__ import annotations

from collections.abc import Iterable

import diaspora_search as ds

LIMIT = 20


def differences(
    one: ds.SearchIndex, sharded: ds.ShardedIndex, queries: Iterable[str], limit: int = LIMIT
) -> list[str]:
    """The queries whose results differ: ids in order, scores to 1e-9, each hit's language,
    title, snippet and translation flag, and the spelling help."""
    out = []
    for query in queries:
        a, b = one.search(query, limit=limit), sharded.search(query, limit=limit)
        same = (
            [h.id for h in a] == [h.id for h in b]
            and all(abs(x.score - y.score) <= 1e-9 for x, y in zip(a, b, strict=True))
            and [(h.lang, h.title, h.snippet, h.names, h.translated) for h in a]
            == [(h.lang, h.title, h.snippet, h.names, h.translated) for h in b]
            and (a.corrected_query, a.suggestion) == (b.corrected_query, b.suggestion)
        )
        if not same:
            shown = [(h.id, h.score) for h in a], [(h.id, h.score) for h in b]
            out.append(f"{query!r}: {shown[0]} != {shown[1]}")
    return out
