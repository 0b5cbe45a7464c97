"""Term-at-a-time scoring finds what Whoosh's collector finds, scores and order, on real indexes:
one segment, several segments, deleted records, and on the queries the search compiles."""

from __future__ import annotations

import itertools
import json
import random
from pathlib import Path
from typing import Any

import pytest
from whoosh import query as wq

import diaspora_search as ds
from diaspora_search import _ranking as ranking
from diaspora_search._query import Lexicon, _Or, compile_query
from diaspora_search._scoring import FieldNorms, top_documents, union_leaves
from diaspora_search._search import _matched_terms
from tests.conftest import SHARED

SHARED_CORPUS = SHARED / "corpus" / "records.jsonl"


def sample_records() -> list[Any]:
    records: list[Any] = list(ds.read_corpus(ds.bundled_corpus()).records)
    if SHARED_CORPUS.exists():
        with SHARED_CORPUS.open(encoding="utf-8") as f:
            records += [json.loads(line) for line in itertools.islice(f, 3000)]
    else:  # a smaller stand-in: the bundled summaries, renumbered
        records += [
            {**r.to_dict(), "id": f"{r.id}-{i}"}
            for i in range(60)
            for r in ds.read_corpus(ds.bundled_corpus()).records
        ]
    return records


def queries(index: ds.SearchIndex, n: int, seed: int) -> list[str]:
    rng = random.Random(seed)
    words = sorted(
        {
            w
            for doc in index._ix.searcher().documents()
            for w in (doc.get("summary_en") or "").split()
        }
        | {
            w
            for doc in index._ix.searcher().documents()
            for w in (doc.get("summary_es") or "").split()
        }
    )
    words = [w.strip(".,;:()\"'") for w in words if w.strip(".,;:()\"'").isalpha()]
    picked = [" ".join(rng.sample(words, rng.randint(1, 4))) for _ in range(n)]
    return [*picked, "integración", "integracion", "the of and", "politicas migratorias"]


@pytest.fixture(scope="module", params=["one-segment", "segments-and-deletions"])
def index(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Any:
    records = sample_records()
    index = ds.SearchIndex.create(tmp_path_factory.mktemp("scoring") / "index")
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
        assert len(index._ix._segments()) > 1
    yield index
    index.close()


def whoosh_top(searcher: Any, query: wq.Query, limit: int) -> list[tuple[float, int]]:
    return [(hit.score, hit.docnum) for hit in searcher.search(query, limit=limit)]


def canonical(ranked: list[tuple[float, int]], limit: int) -> list[tuple[float, int]]:
    """Scores to 9 decimals, ties by document number. Sums of the same terms in another order
    may differ in the last bit (Whoosh itself adds them in a different order in each segment),
    which may swap two documents of equal score; and a tie at the cut may keep either."""
    rounded = [(round(score, 9), docnum) for score, docnum in ranked]
    if len(rounded) == limit:
        rounded = [item for item in rounded if item[0] > rounded[-1][0]]
    return sorted(rounded, key=lambda item: (-item[0], item[1]))


def test_the_search_compiles_unions_scored_here(index: ds.SearchIndex) -> None:
    searcher = index._ix.searcher(weighting=ranking.BM25())
    lexicon = Lexicon(searcher.reader())
    norms = FieldNorms(searcher, ranking.BM25_K1, ranking.BM25_B)
    compared = 0
    for text in queries(index, 150, seed=7):
        plan = compile_query(text, lexicon)
        if plan.query is None:
            continue
        leaves = union_leaves(plan.query)
        assert leaves is not None, text  # words only: always a union of terms
        found = top_documents(searcher, leaves, 50, norms)
        assert found is not None
        ranked, matched = found
        expected = whoosh_top(searcher, plan.query, 50)
        assert canonical(ranked, 50) == canonical(expected, 50), text
        assert [s for s, _ in ranked] == pytest.approx([s for s, _ in expected], rel=1e-12)
        assert matched == _matched_terms(searcher, plan, [d for _, d in ranked])
        compared += bool(ranked)
    assert compared > 100
    searcher.close()


@pytest.mark.parametrize("union", [_Or, wq.Or], ids=["union-tree", "whoosh-or"])
def test_boosts_of_nested_unions(index: ds.SearchIndex, union: type[wq.Or]) -> None:
    # (On fewer than 5,000 documents Whoosh's own Or preloads the matches into arrays.)
    searcher = index._ix.searcher(weighting=ranking.BM25())
    norms = FieldNorms(searcher, ranking.BM25_K1, ranking.BM25_B)
    query = union(
        [
            _Or(
                [wq.Term("summary_en", "modul", boost=2.5), wq.Term("title_en", "modul")], boost=0.7
            ),
            _Or([wq.Term("summary_es", "modul", boost=3.0)], boost=9.0),  # one clause: no boost
            wq.Term("summary_en", "modul"),  # twice: counted twice
            wq.Term("summary_en", "nosuchterm"),
        ]
    )
    leaves = union_leaves(query)
    assert leaves == {
        ("summary_en", "modul"): pytest.approx(2.5 * 0.7 + 1.0),
        ("title_en", "modul"): pytest.approx(0.7),
        ("summary_es", "modul"): 3.0,
        ("summary_en", "nosuchterm"): 1.0,
    }
    found = top_documents(searcher, leaves, 20, norms)
    assert found is not None
    expected = whoosh_top(searcher, query, 20)
    assert expected
    assert canonical(found[0], 20) == canonical(expected, 20)
    assert [s for s, _ in found[0]] == pytest.approx([s for s, _ in expected], rel=1e-12)
    searcher.close()


@pytest.mark.parametrize(
    "query",
    [
        wq.And([wq.Term("summary_en", "modul"), wq.Term("summary_en", "file")]),
        wq.AndNot(wq.Term("summary_en", "modul"), wq.Term("summary_en", "file")),
        wq.Phrase("summary_en", ["standard", "librari"]),
        _Or([wq.Term("summary_en", "modul"), wq.Prefix("summary_en", "mod")]),
    ],
    ids=["and", "and-not", "phrase", "prefix"],
)
def test_anything_but_a_union_of_terms_goes_to_whoosh(query: wq.Query) -> None:
    assert union_leaves(query) is None


def test_an_unscored_field_goes_to_whoosh(index: ds.SearchIndex) -> None:
    searcher = index._ix.searcher(weighting=ranking.BM25())
    norms = FieldNorms(searcher, ranking.BM25_K1, ranking.BM25_B)
    id_of_first = next(iter(searcher.documents()))["id"]
    leaves = union_leaves(wq.Term("id", id_of_first))
    assert leaves is not None
    assert top_documents(searcher, leaves, 10, norms) is None
    searcher.close()


def test_length_factors_follow_each_commit(tmp_path: Path) -> None:
    """The length factors kept between searches belong to one index generation: after a commit
    (new records, other average lengths) the search scores as a freshly opened index does."""
    records = sample_records()
    path = tmp_path / "index"
    index = ds.SearchIndex.create(path)
    index.add(records[:300])
    before = index.search("module functions")
    index.add(records[300:900])
    after = [(h.id, h.score) for h in index.search("module functions")]
    with ds.SearchIndex.open(path) as fresh:
        assert after == [(h.id, h.score) for h in fresh.search("module functions")]
    assert before and after
    index.close()
