"""A search over every shard, ranked as one index holding the same records would rank it.

The query is compiled here, against the vocabulary of all shards. Each shard then scores it
with the collection's statistics and returns its candidates (its best ``RERANK_DEPTH`` by BM25
and its best ``limit`` records holding an accented word exactly as typed); these are merged and
cut to the collection's best, exactly the candidates one index would find, and only then
reranked (coordination, and the exact-form tiers, which compare the forms seen among *all* the
candidates) by the same :class:`~diaspora_search.search.run.Reranker` one index uses. Equal
scores are ordered by record id, the rule that makes the order independent of how records are
spread over shards.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from .._hits import Hit, Results
from .._language import Language
from ..query import QueryPlan, Vocabulary, compile_query
from ..query.expand import Expander
from ..query.plan import Key
from ..search.run import RERANK_DEPTH, Reranker, search_with_correction
from ..search.spelling import correct
from . import shard as tasks
from .runner import Runner
from .statistics import GlobalStatistics

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
        self, text: str, limit: int, lang: Language | None, expanders: Sequence[Expander]
    ) -> Results:
        """As :meth:`diaspora_search.search.Searcher.search`, over every shard."""
        self._stored = {}
        return search_with_correction(
            text,
            limit,
            lambda query: self._run(compile_query(query, self.vocabulary, lang, expanders), limit),
            lambda query: correct(query, self),
        )

    def _run(self, plan: QueryPlan, limit: int) -> list[Hit]:
        if plan.is_empty:
            return []
        statistics = self.statistics.for_plan(plan)
        found = self.runner.search(
            tasks.shard_candidates,
            [(path, plan, limit, statistics, self.key) for path in self.paths],
        )
        everything = self._collect(found)
        ranked = everything[: max(limit, RERANK_DEPTH)]
        holders = [item for item in everything if item[2]][:limit]
        chosen = sorted(set(ranked) | set(holders), key=_order)
        matched = {doc: self._matched[doc] for _, _, _, doc in chosen}
        return self.reranker.rerank(
            plan,
            [(score, doc) for score, _, _, doc in chosen],
            matched,
            self.stored,
            limit,
            self._fetch,
        )

    def _collect(self, found: list[list[tasks.Candidate]]) -> list[tuple[float, str, bool, Doc]]:
        """Every shard's candidates, best first, equal scores by record id; their stored
        fields and matched terms kept for the reranking."""
        out = []
        self._matched: dict[Doc, set[Key]] = {}
        for shard, candidates in enumerate(found):
            for c in candidates:
                doc = (shard, c.docnum)
                if c.stored is not None:
                    self._stored[doc] = c.stored
                self._matched[doc] = set(c.matched)
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


def _order(item: tuple[float, str, bool, Doc]) -> tuple[float, str]:
    return (-item[0], item[1])
