"""Scoring by Whoosh's own searcher and collectors, for the plans the block scorer does not take
(phrases). A module of its own so that Whoosh's search modules are loaded by the first such
search, not by ``import diaspora_search`` (they cost an indexing run 30 ms for nothing).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from whoosh.collectors import Collector, FilterCollector, TopCollector, WrappingCollector
from whoosh.searching import Searcher


def top_documents(
    searcher: Searcher,
    query: Any,
    limit: int,
    excluded: set[int] | None,
    check: Callable[[], None] | None,
) -> list[tuple[float, int]]:
    """The ``limit`` best ``(score, docnum)`` of the Whoosh ``query``, leaving out the
    ``excluded`` documents; ``check`` is called every 256 matches (it raises to end the
    search)."""
    # Every match scored: no block-quality skipping and no matcher replacement. Both prune by
    # Whoosh's score bounds, and they went wrong under an exclusion (an IndexError from
    # AndNotMatcher.skip_to_quality, a top 50 holding an excluded record); exclusions are a set
    # of documents left out by the collector instead of an AndNot.
    collector: Collector = TopCollector(limit, usequality=False, replace=0)
    if check is not None:
        collector = _CheckingCollector(collector, check)
    if excluded:
        collector = FilterCollector(collector, restrict=excluded)
    searcher.search_with_collector(query, collector)
    return [(hit.score, hit.docnum) for hit in collector.results()]


class _CheckingCollector(WrappingCollector):  # type: ignore[misc]
    """Whoosh's collector ``child``, calling ``check`` every 256 matches (Whoosh's own
    ``TimeLimitCollector`` starts a timer thread per search)."""

    def __init__(self, child: Collector, check: Callable[[], None]) -> None:
        super().__init__(child)
        self._check = check
        self._count = 0

    def collect(self, sub_docnum: int) -> Any:
        self._count += 1
        if not self._count & 255:
            self._check()
        return self.child.collect(sub_docnum)
