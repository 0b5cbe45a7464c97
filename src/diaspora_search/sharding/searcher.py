"""A search over every shard, ranked as one index holding the same records would rank it.

The query is compiled here, against the vocabulary of all shards. Each shard then scores it
with the collection's statistics and returns its head candidates (its best ``RERANK_DEPTH`` by
BM25 and its best ``ACCENT_POOL`` records holding an accented word exactly as typed), how many
of its records match (and pass the filters), and its facet counts; the candidates are merged
and cut to the collection's best, exactly the head one index would find, and only then
rescored (coordination, and the exact-form tiers, which compare the forms seen among *all* the
candidates) by the same :class:`~diaspora_search.search.rerank.Reranker` one index uses. Equal
scores are ordered by record id, the rule that makes the order independent of how records are
spread over shards. Filters take records out of that order, as in one index. A page past
the head asks each shard for its best matches after the collection's head (one index's order
there: BM25 times coordination, ties by record id) and merges them; a page sorted by year
asks each shard for its first matches by (year, relevance position) and merges them by that
key.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from typing import Any

from .._hits import Results
from .._language import Language
from ..query import QueryPlan, Vocabulary, compile_query
from ..query.expand import Expander
from ..query.plan import Key
from ..search.deadline import NO_DEADLINE, Deadline
from ..search.rerank import Reranker
from ..search.run import ACCENT_POOL, RERANK_DEPTH, Found, Page, search_with_correction
from ..search.spelling import correct
from . import shard as tasks
from .runner import Runner
from .statistics import GlobalStatistics, QueryStatistics

Doc = tuple[int, int]
"""A document of a sharded index: its shard and its number there."""


class ShardedSearcher:
    """Searches the shards at ``paths`` (one committed state) with their global statistics."""

    def __init__(self, paths: Sequence[str], statistics: GlobalStatistics, runner: Runner) -> None:
        self.paths = list(paths)
        self.statistics = statistics
        self.key = tuple(self.paths)  # the state the statistics are of
        self.runner = runner
        self.vocabulary = Vocabulary(statistics)
        self.reranker = Reranker(statistics)
        self._stored: dict[Doc, dict[str, Any]] = {}

    def search(
        self,
        text: str,
        page: Page,
        lang: Language | None,
        expanders: Sequence[Expander],
        deadline: Deadline = NO_DEADLINE,
    ) -> Results:
        """As :meth:`diaspora_search.search.Searcher.search`, over every shard."""
        self._stored = {}
        return search_with_correction(
            text,
            page.limit,
            lambda query: self._run(
                compile_query(query, self.vocabulary, lang, expanders), page, deadline
            ),
            lambda query: correct(query, self),
            deadline,
        )

    def _run(self, plan: QueryPlan, page: Page, deadline: Deadline) -> Found:
        if plan.is_empty:
            return Found([], 0, {name: {} for name in page.facets})
        deadline.check()
        statistics = self.statistics.for_plan(plan)
        heads = self.runner.search(
            tasks.shard_head,
            [
                (path, plan, page.filters, page.facets, statistics, self.key, deadline.remaining())
                for path in self.paths
            ],
        )
        deadline.check()
        everything = self._collect([head.candidates for head in heads])
        total = sum(head.total for head in heads)
        ranked = everything[:RERANK_DEPTH]
        holders = [item for item in everything if item[2]][:ACCENT_POOL]
        chosen = sorted(set(ranked) | set(holders), key=_order)
        matched = {doc: self._matched[doc] for _, _, _, doc in chosen}
        order = self.reranker.rescore(
            plan, [(score, doc) for score, _, _, doc in chosen], matched, self.stored
        )
        if page.filters:
            order = [item for item in order if self._allowed[item[1]]]
        end = page.offset + page.limit
        if page.sort != "relevance":
            order = self._by_year(plan, page, order, chosen, end, statistics, deadline)
        elif end > len(order) and len(order) < total:
            order += self._tail(plan, page, chosen, end - len(order), statistics, deadline)
        hits = self.reranker.hits(
            plan, order[page.offset : end], self._matched, self.stored, self._fetch
        )
        return Found(hits, total, _summed([head.facets for head in heads], page.facets))

    def _tail(
        self,
        plan: QueryPlan,
        page: Page,
        head: list[tuple[float, str, bool, Doc]],
        count: int,
        statistics: QueryStatistics,
        deadline: Deadline,
    ) -> list[tuple[float, Doc]]:
        """The ``count`` best matches after the ``head`` (that pass the filters), in one
        index's order past its head: each shard's best, merged by score, then record id."""
        deadline.check()
        mine: list[list[int]] = [[] for _ in self.paths]
        for _, _, _, (shard, docnum) in head:
            mine[shard].append(docnum)
        seconds = deadline.remaining()
        found = self.runner.search(
            tasks.shard_tail,
            [
                (path, plan, page.filters, mine[shard], count, statistics, self.key, seconds)
                for shard, path in enumerate(self.paths)
            ],
        )
        deadline.check()
        merged = []
        for shard, candidates in enumerate(found):
            for c in candidates:
                doc = (shard, c.docnum)
                self._matched[doc] = set(c.matched)
                merged.append((c.score, c.id, False, doc))
        merged.sort(key=_order)
        return [(score, doc) for score, _, _, doc in merged[:count]]

    def _by_year(
        self,
        plan: QueryPlan,
        page: Page,
        order: list[tuple[float, Doc]],
        head: list[tuple[float, str, bool, Doc]],
        count: int,
        statistics: QueryStatistics,
        deadline: Deadline,
    ) -> list[tuple[float, Doc]]:
        """The first ``count`` matches (that pass the filters) sorted by year as one index
        sorts them: each shard's first, merged by their sort keys."""
        deadline.check()
        position = {doc: i for i, (_, doc) in enumerate(order)}
        score = dict((doc, s) for s, doc in order)
        mine: list[dict[int, int]] = [{} for _ in self.paths]
        for _, _, _, (shard, docnum) in head:
            mine[shard][docnum] = position.get((shard, docnum), len(position))
        rest = (count, page.sort == "-year", statistics, self.key, deadline.remaining())
        found = self.runner.search(
            tasks.shard_by_year,
            [(path, plan, page.filters, mine[s], *rest) for s, path in enumerate(self.paths)],
        )
        deadline.check()
        merged = []
        for shard, keyed in enumerate(found):
            for sort_key, c in keyed:
                doc = (shard, c.docnum)
                self._matched.setdefault(doc, set(c.matched))
                merged.append((sort_key, score.get(doc, c.score), doc))
        merged.sort(key=lambda item: item[0])
        return [(s, doc) for _, s, doc in merged[:count]]

    def _collect(self, found: list[list[tasks.Candidate]]) -> list[tuple[float, str, bool, Doc]]:
        """Every shard's candidates, best first, equal scores by record id; their stored
        fields, matched terms and whether they pass the filters kept for the reranking."""
        out = []
        self._matched: dict[Doc, set[Key]] = {}
        self._allowed: dict[Doc, bool] = {}
        for shard, candidates in enumerate(found):
            for c in candidates:
                doc = (shard, c.docnum)
                if c.stored is not None:
                    self._stored[doc] = c.stored
                self._matched[doc] = set(c.matched)
                self._allowed[doc] = c.allowed
                out.append((c.score, c.id, c.holder, doc))
        out.sort(key=_order)
        return out

    # What spelling correction reads (search/spelling.py's Searcher) ----------------------------

    def top(
        self, plan: QueryPlan, depth: int
    ) -> tuple[list[tuple[float, Doc]], dict[Doc, set[Key]]]:
        """The ``depth`` best documents of ``plan`` by BM25 over every shard."""
        statistics = self.statistics.for_plan(plan)
        found = self.runner.search(
            tasks.shard_top, [(path, plan, depth, statistics, self.key) for path in self.paths]
        )
        everything = self._collect(found)[:depth]
        return [(score, doc) for score, _, _, doc in everything], {
            doc: self._matched[doc] for _, _, _, doc in everything
        }

    def stored(self, doc: Doc) -> dict[str, Any]:
        if doc not in self._stored:
            self._fetch([doc])
        return self._stored[doc]

    def _fetch(self, docs: list[Doc]) -> None:
        """Read the stored fields of ``docs``: one call per shard holding any."""
        wanted: dict[int, list[int]] = {}
        for shard, docnum in docs:
            if (shard, docnum) not in self._stored:
                wanted.setdefault(shard, []).append(docnum)
        if not wanted:
            return
        shards = sorted(wanted)
        found = self.runner.search(
            tasks.shard_stored, [(self.paths[shard], wanted[shard]) for shard in shards]
        )
        for shard, fields in zip(shards, found, strict=True):
            for docnum, stored in zip(wanted[shard], fields, strict=True):
                self._stored[(shard, docnum)] = stored

    def documents_with(self, fieldname: str, term: str) -> set[Doc]:
        found = self.runner.search(
            tasks.shard_documents_with, [(path, fieldname, term) for path in self.paths]
        )
        return {(shard, docnum) for shard, docnums in enumerate(found) for docnum in docnums}


def _summed(
    counts: list[dict[str, dict[str, int]]], names: tuple[str, ...]
) -> dict[str, dict[str, int]]:
    """The facet counts of every shard added up, each facet's values most first, then by value
    (years as numbers), as ``RecordValues.count`` orders them."""
    out: dict[str, dict[str, int]] = {}
    for name in names:
        total: Counter[str] = Counter()
        for shard in counts:
            total.update(shard.get(name, {}))
        numeric = name == "year"
        out[name] = dict(
            sorted(
                total.items(),
                key=lambda item: (-item[1], int(item[0]) if numeric else 0, item[0]),
            )
        )
    return out


def _order(item: tuple[float, str, bool, Doc]) -> tuple[float, str]:
    return (-item[0], item[1])
