"""The block scorer finds what Whoosh's collector finds, scores and order, on real indexes:
one segment, several segments, deleted records, and on the plans the search compiles."""

from __future__ import annotations

import itertools
import json
import random
from pathlib import Path
from typing import Any

import pytest
from whoosh import index as whoosh_index

import diaspora_search as ds
from diaspora_search.query import Leaf, ParsedQuery, QueryPlan, WordMatch, parse
from diaspora_search.search import LengthNorms, Searcher, top_documents
from diaspora_search.storage import IndexStore, Snapshot
from diaspora_search.storage.lowering import lower
from diaspora_search.storage.weighting import BM25
from tests.conftest import SHARED
from tests.fixtures.synthetic import synthetic_records

SHARED_CORPUS = SHARED / "corpus" / "records.jsonl"


def sample_records() -> list[Any]:
    """The bundled records, 1,500 synthetic ones, and 1,500 of the shared corpus if present."""
    records: list[Any] = list(ds.read_corpus(ds.bundled_corpus()).records)
    records += synthetic_records(1500, seed=3)
    if SHARED_CORPUS.exists():
        with SHARED_CORPUS.open(encoding="utf-8") as f:
            records += [json.loads(line) for line in itertools.islice(f, 1500)]
    return records


def queries(snapshot: Snapshot, n: int, seed: int) -> list[str]:
    rng = random.Random(seed)
    words = sorted(
        {
            w.strip(".,;:()\"'")
            for docnum in range(snapshot.doc_count)
            for field in ("summary_en", "summary_es")
            for w in (snapshot.stored(docnum).get(field) or "").split()
        }
    )
    words = [w for w in words if w.isalpha()]
    picked = [" ".join(rng.sample(words, rng.randint(1, 4))) for _ in range(n)]
    return [*picked, "integración", "integracion", "the of and", "politicas migratorias"]


@pytest.fixture(scope="module", params=["one-segment", "segments-and-deletions"])
def index_path(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Path:
    records = sample_records()
    path = tmp_path_factory.mktemp("scoring") / "index"
    with ds.SearchIndex.create(path) as index:
        if request.param == "one-segment":
            index.add(records)
        else:
            third = len(records) // 3
            index.add(records[:third])
            index.add(records[third : 2 * third])
            index.add(records[2 * third :])
            index.delete(
                [r["id"] if isinstance(r, dict) else r.id for r in records[third - 40 : third + 40]]
            )
    if request.param != "one-segment":
        assert len(whoosh_index.open_dir(str(path))._segments()) > 1
    return path


@pytest.fixture(scope="module")
def store(index_path: Path) -> Any:
    store = IndexStore.open(index_path)
    yield store
    store.close()


def whoosh_top(path: Path, plan: QueryPlan, limit: int) -> list[tuple[float, int]]:
    """Whoosh's own collector on the lowered plan, with our BM25 weighting."""
    query = lower(plan)
    assert query is not None
    with whoosh_index.open_dir(str(path)).searcher(weighting=BM25()) as searcher:
        return [(hit.score, hit.docnum) for hit in searcher.search(query, limit=limit)]


def canonical(ranked: list[tuple[float, int]], limit: int) -> list[tuple[float, int]]:
    """Scores to 9 decimals, ties by document number. Sums of the same terms in another order
    may differ in the last bit (Whoosh itself adds them in a different order in each segment),
    which may swap two documents of equal score; and a tie at the cut may keep either."""
    rounded = [(round(score, 9), docnum) for score, docnum in ranked]
    if len(rounded) == limit:
        rounded = [item for item in rounded if item[0] > rounded[-1][0]]
    return sorted(rounded, key=lambda item: (-item[0], item[1]))


def word_plan(*leaves: Leaf) -> QueryPlan:
    plan = QueryPlan({}, ParsedQuery())
    plan.add_group([WordMatch(leaves)])
    return plan


def test_the_search_compiles_unions_scored_here(store: IndexStore, index_path: Path) -> None:
    snapshot = store.snapshot()
    searcher = Searcher(snapshot)
    compared = 0
    for text in queries(snapshot, 150, seed=7):
        plan = searcher.plan(text, None)
        if plan.is_empty:
            continue
        leaves = plan.union_leaves()
        assert leaves is not None, text  # words only: always a union of terms
        found = top_documents(snapshot, leaves, 50, searcher.norms)
        assert found is not None
        ranked, matched = found
        expected = whoosh_top(index_path, plan, 50)
        assert canonical(ranked, 50) == canonical(expected, 50), text
        assert [s for s, _ in ranked] == pytest.approx([s for s, _ in expected], rel=1e-12)
        assert matched == snapshot.holders(plan.term_groups, [d for _, d in ranked])
        compared += bool(ranked)
    assert compared > 100


def test_a_leaf_twice_counts_twice(store: IndexStore, index_path: Path) -> None:
    plan = QueryPlan({}, ParsedQuery())
    plan.add_group(
        [
            WordMatch((Leaf("summary_en", "mexican", 2.5), Leaf("title_en", "mexican", 0.7))),
            WordMatch((Leaf("summary_es", "mexican", 3.0),)),
        ]
    )
    plan.add_group(
        [WordMatch((Leaf("summary_en", "mexican", 1.0), Leaf("summary_en", "zzz", 1.0)))]
    )
    leaves = plan.union_leaves()
    assert leaves == {
        ("summary_en", "mexican"): 3.5,
        ("title_en", "mexican"): 0.7,
        ("summary_es", "mexican"): 3.0,
        ("summary_en", "zzz"): 1.0,
    }
    snapshot = store.snapshot()
    found = top_documents(snapshot, leaves, 20, LengthNorms(snapshot))
    assert found is not None
    expected = whoosh_top(index_path, plan, 20)
    assert expected
    assert canonical(found[0], 20) == canonical(expected, 20)
    assert [s for s, _ in found[0]] == pytest.approx([s for s, _ in expected], rel=1e-12)


@pytest.mark.parametrize("query", ['"Estados Unidos"', '"the Mexican" IME', 'IME -"the Mexican"'])
def test_phrases_go_to_whoosh(store: IndexStore, query: str) -> None:
    plan = Searcher(store.snapshot()).plan(query, None)
    assert not plan.is_empty
    assert (plan.union_leaves() is None) == (not query.startswith("IME -"))


@pytest.mark.parametrize("query", ["mexican -community", 'mexican -"United States"'])
def test_exclusions_leave_out_what_they_match(store: IndexStore, query: str) -> None:
    """Words scored here, the excluded records left out: the ranking of the words alone
    without every record an exclusion matches (a phrase one through Whoosh)."""
    snapshot = store.snapshot()
    searcher = Searcher(snapshot)
    plan = searcher.plan(query, None)
    excluded = snapshot.excluded_documents(plan)
    assert excluded
    everything = snapshot.doc_count
    ranked, _ = searcher.top(plan, everything)
    alone, _ = searcher.top(searcher.plan(query.split(" -")[0], None), everything)
    assert ranked == [item for item in alone if item[1] not in excluded]
    assert len(ranked) < len(alone)


def test_an_unscored_field_goes_to_whoosh(store: IndexStore) -> None:
    snapshot = store.snapshot()
    id_of_first = snapshot.stored(0)["id"]
    leaves = word_plan(Leaf("id", id_of_first, 1.0)).union_leaves()
    assert leaves is not None
    assert top_documents(snapshot, leaves, 10, LengthNorms(snapshot)) is None


def test_parse_is_only_syntax() -> None:
    assert parse("a OR b -c").words == ["a", "b"]


def test_length_factors_follow_each_commit(tmp_path: Path) -> None:
    """The length factors kept between searches belong to one index generation: after a commit
    (new records, other average lengths) the search scores as a freshly opened index does."""
    records = sample_records()
    path = tmp_path / "index"
    index = ds.SearchIndex.create(path)
    index.add(records[:300])
    before = index.search("mexican community")
    index.add(records[300:900])
    after = [(h.id, h.score) for h in index.search("mexican community")]
    with ds.SearchIndex.open(path) as fresh:
        assert after == [(h.id, h.score) for h in fresh.search("mexican community")]
    assert before and after
    index.close()
