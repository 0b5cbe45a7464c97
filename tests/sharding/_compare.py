"""Comparing a sharded index's results with one index's, query by query."""

from __future__ import annotations

from collections.abc import Iterable

import diaspora_search as ds

LIMIT = 20


def _tie_groups(hits: ds.Results) -> list[list[tuple[str, float]]]:
    """The hits as runs of equal scores, each run's ids sorted."""
    groups: list[list[tuple[str, float]]] = []
    for hit in hits:
        if groups and groups[-1][0][1] == hit.score:
            groups[-1].append((hit.id, hit.score))
        else:
            groups.append([(hit.id, hit.score)])
    return [sorted(group) for group in groups]


def _shown(hits: ds.Results) -> dict[str, tuple[str, str, str, bool]]:
    return {h.id: (h.lang, h.title, h.snippet, h.translated) for h in hits}


def differences(
    one: ds.SearchIndex, sharded: ds.ShardedIndex, queries: Iterable[str], limit: int = LIMIT
) -> list[str]:
    """The queries whose results differ: ids in order, scores to 1e-9, the spelling help.

    Equal scores are compared as sets where ``SearchIndex`` orders them by document number
    (the order records were added) rather than by id, as a sharded index must; a run of equal
    scores cut by the page is compared by its scores only, for the same reason."""
    out = []
    for query in queries:
        a, b = one.search(query, limit=limit), sharded.search(query, limit=limit)
        ga, gb = _tie_groups(a), _tie_groups(b)
        if len(a) == limit and len(b) == limit and ga and gb:
            # (the run the page cuts: which of the tied records it shows depends on the rule)
            ga[-1] = [("", score) for _, score in ga[-1]]
            gb[-1] = [("", score) for _, score in gb[-1]]
        flat_a = [item for group in ga for item in group]
        flat_b = [item for group in gb for item in group]
        same = (
            [i for i, _ in flat_a] == [i for i, _ in flat_b]
            and all(abs(x - y) <= 1e-9 for (_, x), (_, y) in zip(flat_a, flat_b, strict=True))
            and all(_shown(a)[i] == found for i, found in _shown(b).items() if i in _shown(a))
            and (a.corrected_query, a.suggestion) == (b.corrected_query, b.suggestion)
        )
        if not same:
            out.append(
                f"{query!r}: {[(h.id, h.score) for h in a]} != {[(h.id, h.score) for h in b]}"
            )
    return out
