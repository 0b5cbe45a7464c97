"""The ranking of 500 queries on a 10,000-record index, pinned: scores, order, language,
title, snippet and spelling help, as the code gave them when this file was written.

The index is the synthetic collection of :mod:`tests.fixtures.synthetic`, written in three
batches (the first large enough for the parallel builders) with deletions, so that scoring runs
over several segments. Refactorings must leave every value here unchanged; a change that is
meant to change ranking regenerates the file (``python -m tests.search.test_ranking_golden``)
and says why in its commit. Query translation is off here (``translate=False``): it is pinned
by the cross-language tests and measured by ``benchmarks/quality.py``.
"""

from __future__ import annotations

import json
import math
import sys
from pathlib import Path
from typing import Any

import pytest

import diaspora_search as ds
from tests.fixtures.synthetic import synthetic_queries, synthetic_records

GOLDEN = Path(__file__).parent / "data" / "ranking_golden.json"
RECORDS = 10_000
QUERIES = 500


def build_index(path: Path) -> ds.SearchIndex:
    records = synthetic_records(RECORDS)
    index = ds.SearchIndex.create(path)
    index.add(records[:4_500])
    index.add(records[4_500:7_500])
    index.add(records[7_500:])
    index.delete([r["id"] for r in records[4_400:4_600]])
    return index


def run_queries(index: ds.SearchIndex) -> list[dict[str, Any]]:
    out = []
    for i, query in enumerate(synthetic_queries(QUERIES)):
        lang = (None, None, None, "en", "es")[i % 5]
        results = index.search(query, limit=10, lang=lang, translate=False)
        out.append(
            {
                "query": query,
                "lang": lang,
                "corrected_query": results.corrected_query,
                "suggestion": results.suggestion,
                "hits": [[h.id, h.score, h.lang, h.title, h.snippet] for h in results],
            }
        )
    return out


@pytest.fixture(scope="module")
def golden_index(tmp_path_factory: pytest.TempPathFactory) -> Any:
    index = build_index(tmp_path_factory.mktemp("golden") / "index")
    yield index
    index.close()


def test_the_index_has_several_segments_and_deletions(golden_index: ds.SearchIndex) -> None:
    assert len(golden_index) == RECORDS - 200


def test_ranking_is_unchanged(golden_index: ds.SearchIndex) -> None:
    expected = json.loads(GOLDEN.read_text(encoding="utf-8"))
    actual = run_queries(golden_index)
    assert len(actual) == len(expected) == QUERIES
    for got, want in zip(actual, expected, strict=True):
        assert got["query"] == want["query"]
        context = f"query {want['query']!r} lang={want['lang']}"
        assert got["corrected_query"] == want["corrected_query"], context
        assert got["suggestion"] == want["suggestion"], context
        assert [h[0] for h in got["hits"]] == [h[0] for h in want["hits"]], context
        for g, w in zip(got["hits"], want["hits"], strict=True):
            assert math.isclose(g[1], w[1], rel_tol=1e-9), context
            assert g[2:] == w[2:], context


def test_the_golden_queries_find_something() -> None:
    expected = json.loads(GOLDEN.read_text(encoding="utf-8"))
    assert sum(bool(q["hits"]) for q in expected) > QUERIES * 0.7
    assert any(q["corrected_query"] for q in expected)


if __name__ == "__main__":  # regenerate: python -m tests.search.test_ranking_golden
    import tempfile

    with tempfile.TemporaryDirectory() as tmp, build_index(Path(tmp) / "index") as index:
        data = run_queries(index)
    GOLDEN.parent.mkdir(exist_ok=True)
    GOLDEN.write_text(json.dumps(data, ensure_ascii=False, indent=0) + "\n", encoding="utf-8")
    print(f"wrote {GOLDEN}: {len(data)} queries", file=sys.stderr)
