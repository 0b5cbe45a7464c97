"""Pruned scoring (``head_scores``) finds the head full scoring finds: the same documents
among the best, to the bit, ties at the cut included, and the same count and holders.

A real index of several segments with deletions: synthetic records, records sharing a common
word, and groups of identical records (whose scores tie, at the head's cut too). Each query is
scored both ways; then searched through the API both ways (a first page is pruned, a page
with facets scores every match).
"""

from __future__ import annotations

import random
from pathlib import Path
from typing import Any

import pytest

import diaspora_search as ds
from diaspora_search.search import Searcher
from diaspora_search.search.run import ACCENT_POOL, RERANK_DEPTH
from diaspora_search.search.scorer import best, head_scores, score_documents
from diaspora_search.storage import IndexStore
from tests.fixtures.synthetic import synthetic_records

COMMON = ["migration", "policy", "familias", "migrantes", "community", "comunidad"]


def _records() -> list[dict[str, Any]]:
    """Synthetic records; records where the common words are frequent, with a rarer word in
    some titles; and groups of identical records (tied scores)."""
    rng = random.Random(5)
    out = synthetic_records(900, seed=21)
    for i in range(700):
        words = rng.sample(COMMON, 3) + ["report"] * (i % 4) + ["the", "of", "y", "de"]
        rng.shuffle(words)
        record: dict[str, Any] = {"id": f"common-{i:04d}", "summary_en": " ".join(words)}
        if i % 9 == 0:
            record["title_en"] = f"{rng.choice(COMMON)} remittances"
        if i % 2:
            record["summary_es"] = " ".join(rng.sample(COMMON, 2))
        out.append(record)
    for group in range(6):
        text = " ".join(COMMON[group : group + 2] + ["remittances"] * (group % 2))
        out += [{"id": f"tie-{group}-{i:03d}", "summary_en": text} for i in range(70)]
    rng.shuffle(out)
    return out


@pytest.fixture(scope="module")
def index_path(tmp_path_factory: pytest.TempPathFactory) -> Path:
    records = _records()
    path = tmp_path_factory.mktemp("pruned") / "index"
    third = len(records) // 3
    with ds.SearchIndex.create(path) as index:
        index.add(records[:third])
        index.add(records[third : 2 * third])
        index.add(records[2 * third :])
        index.delete([r["id"] for r in records[third - 30 : third + 30]])
    return path


def _queries() -> list[str]:
    rng = random.Random(8)
    words = [*COMMON, "report", "remittances", "of", "de"]
    out = [" ".join(rng.sample(words, rng.randint(1, 3))) for _ in range(60)]
    out += [f"{w} -{rng.choice(COMMON)}" for w in words]
    return [*words, *out, "política migratoria", "migración", "remittances community"]


def test_pruned_scores_are_the_full_scores_of_the_head(index_path: Path) -> None:
    store = IndexStore.open(index_path)
    try:
        snapshot = store.snapshot()
        searcher = Searcher(snapshot)
        pruned = 0
        for text in _queries():
            plan = searcher.plan(text, None)
            leaves = plan.union_leaves()
            assert leaves is not None, text
            excluded = snapshot.excluded_documents(plan) if plan.excluded else None
            translated = plan.translated_leaves()
            preferred = searcher.accent_holders(plan)
            full = score_documents(snapshot, leaves, searcher.norms, None, translated, excluded)
            head = head_scores(
                snapshot,
                leaves,
                RERANK_DEPTH,
                searcher.norms,
                preferred,
                None,
                translated,
                excluded,
            )
            assert full is not None and head is not None
            scores, holders = full
            assert head.total == len(scores), text
            assert head.holders == holders, text
            assert all(head.scores[d] == scores[d] for d in head.scores), text  # (to the bit)
            record_id = snapshot.record_id
            assert best(head.scores, RERANK_DEPTH, record_id) == best(
                scores, RERANK_DEPTH, record_id
            ), text
            ours = {d: head.scores[d] for d in preferred if d in head.scores}
            theirs = {d: scores[d] for d in preferred if d in scores}
            assert best(ours, ACCENT_POOL, record_id) == best(theirs, ACCENT_POOL, record_id)
            if not head.pruned:
                assert head.scores == scores, text
            pruned += head.pruned
        assert pruned >= 3  # (some common words are pruned)
    finally:
        store.close()


def _digest(results: ds.Results) -> Any:
    hits = [(h.id, h.score, h.lang, h.title, h.snippet, h.names, h.translated) for h in results]
    return hits, results.total, results.corrected_query, results.suggestion


def test_pruned_pages_are_those_of_full_scoring(index_path: Path) -> None:
    with ds.SearchIndex.open(index_path) as index:
        for text in _queries():
            for offset, limit in ((0, 10), (10, 20), (40, 10)):
                pruned = index.search(text, offset=offset, limit=limit)
                full = index.search(text, offset=offset, limit=limit, facets=("year",))
                assert _digest(pruned) == _digest(full), (text, offset)
