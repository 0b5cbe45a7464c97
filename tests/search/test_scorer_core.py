"""The scorer's loop over a block of postings in C (``_core.add_scores``, ``collect_scores``)
against its Python (``scorer.python_add_scores``, ``python_collect_scores``): the same running
totals to the bit, the same documents noted; the cut of the best (``best_candidates``) too;
the scorer's fused reading (``_core.score_term``) against its reading of blocks, over whole
queries; the leaves each document holds (``held_leaves``) in their order; and the scorer's
and the golden ranking's tests again with the compiled core switched off."""

from __future__ import annotations

from array import array
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import diaspora_search as ds
from diaspora_search import _ranking as ranking
from diaspora_search._compiled import core
from diaspora_search.search import scorer
from tests.fixtures.pure_python import pytest_without_core
from tests.fixtures.synthetic import synthetic_records

needs_core = pytest.mark.skipif(core is None, reason="the compiled core is not used")

SIZE = 64
K1P1 = ranking.BM25_K1 + 1.0
finite = st.floats(min_value=1e-3, max_value=50.0, allow_nan=False, allow_infinity=False)


@st.composite
def blocks(draw: st.DrawFn) -> tuple[object, ...]:
    ids = sorted(draw(st.sets(st.integers(0, SIZE - 1), max_size=30)))
    weights = draw(st.none() | st.lists(finite, min_size=len(ids), max_size=len(ids)))
    skipped = draw(st.none() | st.frozensets(st.integers(0, SIZE - 1), max_size=10))
    flags = None if skipped is None else bytes(d in skipped for d in range(SIZE))
    return ids, weights, flags, draw(finite), draw(finite), draw(st.integers(0, 10**6))


def _run(add, collect, runs, norm, tf_one):  # type: ignore[no-untyped-def]
    total = array("d", bytes(8 * SIZE))
    touched = bytearray(SIZE)
    held = array("q")
    for ids, weights, skipped, idf, boost, offset in runs:
        add(
            total,
            list(ids),
            weights,
            norm,
            tf_one,
            skipped,
            idf,
            boost,
            K1P1,
            touched,
            held,
            offset,
        )
    scores: dict[int, float] = {}
    collect(scores, total, touched, 7)
    return total.tobytes(), bytes(touched), held.tolist(), list(scores.items())


@needs_core
@settings(max_examples=300, deadline=None)
@given(
    st.lists(blocks(), min_size=1, max_size=6),
    st.lists(finite, min_size=SIZE, max_size=SIZE),
)
def test_compiled_scores_are_pythons_to_the_bit(
    runs: list[tuple[object, ...]], norm_list: list[float]
) -> None:
    norms = array("d", norm_list)
    tf_one = array("d", [ranking.bm25_saturate(1.0, n, ranking.BM25_K1) for n in norms])
    compiled = _run(core.add_scores, core.collect_scores, runs, norms, tf_one)
    python = _run(scorer.python_add_scores, scorer.python_collect_scores, runs, norms, tf_one)
    assert compiled == python


@needs_core
def test_compiled_scores_refuse_what_python_would_not_index() -> None:
    total, norms = array("d", bytes(8 * 4)), array("d", [1.0] * 4)
    args = (norms, norms, None, 1.0, 1.0, K1P1, bytearray(4), array("q"), 0)
    with pytest.raises(IndexError, match="beyond the totals"):
        core.add_scores(total, [4], None, *args)
    with pytest.raises(IndexError, match="fewer length norms"):
        core.add_scores(array("d", bytes(8 * 9)), [5], None, *args)
    with pytest.raises(ValueError, match="as many weights"):
        core.add_scores(total, [1, 2], [1.0], *args)
    with pytest.raises(TypeError, match=r"array\('d'\)"):
        core.add_scores(array("f", [0.0] * 4), [1], None, *args)
    with pytest.raises(TypeError, match="bytes-like"):
        core.add_scores([0.0] * 4, [1], None, *args)
    with pytest.raises(TypeError, match=r"array\('d'\)"):
        core.add_scores(total, [1], None, array("f", [1.0] * 4), *args[1:])
    with pytest.raises(ValueError, match="fewer flags"):
        core.add_scores(total, [1], None, *args[:6], bytearray(3), *args[7:])
    with pytest.raises(ValueError, match="fewer flags"):
        core.add_scores(total, [1], None, norms, norms, bytes(2), *args[3:])
    with pytest.raises(TypeError, match=r"array\('q'\)"):
        core.add_scores(total, [1], None, *args[:7], set(), 0)
    with pytest.raises(TypeError, match="12 arguments"):
        core.add_scores(total, [1])
    with pytest.raises(ValueError, match="fewer flags"):
        core.collect_scores({}, total, bytearray(3), 0)


@needs_core
@pytest.mark.parametrize("weights", [None, [1.0, 2.0, 1.0, 3.0]])
def test_the_documents_before_an_error_stay_held(weights: list[float] | None) -> None:
    """A document beyond the totals raises, and those scored before it are held and flagged,
    in the core as in Python (add_scores's documents in order, the error at the one)."""
    adds = [scorer.python_add_scores] + ([core.add_scores] if core is not None else [])
    for add in adds:
        total, norms = array("d", bytes(8 * 4)), array("d", [1.0] * 4)
        held, touched = array("q"), bytearray(4)
        with pytest.raises(IndexError):
            add(
                total, [1, 3, 7, 2], weights, norms, norms, None, 1.0, 1.0, K1P1, touched, held, 100
            )
        assert (held.tolist(), bytes(touched)) == ([101, 103], b"\x00\x01\x00\x01"), add


@needs_core
def test_the_core_refuses_holders_and_numbers_it_cannot_write() -> None:
    total, norms = array("d", bytes(8 * 4)), array("d", [1.0] * 4)
    args = (norms, norms, None, 1.0, 1.0, K1P1, bytearray(4))
    for wrong in (array("i"), array("d"), array("b"), bytearray()):
        with pytest.raises(TypeError, match=r"array\('q'\)"):
            core.add_scores(total, [1], None, *args, wrong, 0)
    for offset in (-1, 2**63 - 2):  # (a document plus its offset must be a number)
        with pytest.raises(OverflowError):
            core.add_scores(total, [1], None, *args, array("q"), offset)
    with pytest.raises(OverflowError):
        core.collect_scores({}, total, bytearray(4), -1)
    with pytest.raises(OverflowError):
        core.best_in_segments([(2**63 - 2, total, bytearray(4))], 1)


@needs_core
@pytest.mark.parametrize("limit", [3, 10**8, 2**60, 2**61, 2**63 - 1])
def test_a_limit_beyond_the_documents_asks_no_memory_for_them(limit: int) -> None:
    """The heap of the best is no larger than the segments' documents: a limit of 2**61
    doubles would overflow its size, 10**8 ask 800 MB for three scores."""
    segments = [scorer.SegmentScores(0, array("d", [0.0, 1.0, 2.0]), bytearray(b"\x01\x01\x01"))]
    segments.append(scorer.SegmentScores(5, array("d", []), bytearray()))
    assert core.best_in_segments(segments, limit) == [(0.0, 0), (1.0, 1), (2.0, 2)]
    assert core.best_in_segments(segments, limit) == scorer.python_best_in_segments(segments, limit)
    assert core.best_in_segments(segments[1:], limit) == []


@needs_core
@settings(max_examples=300, deadline=None)
@given(
    st.lists(
        st.tuples(
            st.integers(1, 40),
            st.lists(st.sampled_from([0.5, 1.25, 2.0]) | finite, min_size=40, max_size=40),
            st.lists(st.booleans(), min_size=40, max_size=40),
        ),
        max_size=4,
    ),
    st.integers(-1, 60),
)
def test_compiled_best_in_segments_is_the_best_of_their_scores(
    drawn: list[tuple[int, list[float], list[bool]]], limit: int
) -> None:
    segments, start = [], 0
    for size, totals, flags in drawn:
        touched = bytearray(flags[:size])
        segments.append(scorer.SegmentScores(start, array("d", totals[:size]), touched))
        start += size + 3
    compiled = core.best_in_segments(segments, limit)
    assert compiled == scorer.python_best_in_segments(segments, limit)
    assert compiled == core.best_candidates(scorer.all_scores(segments), limit)


@needs_core
@settings(max_examples=300, deadline=None)
@given(
    st.dictionaries(
        st.integers(0, 10**6),
        # (few distinct scores: ties at the cut are the case to get right)
        st.sampled_from([0.0, 0.5, 1.25, 2.0, 3.5, 7.0]) | finite,
        max_size=80,
    ),
    st.integers(-1, 90),
)
def test_compiled_best_candidates_are_pythons(scores: dict[int, float], limit: int) -> None:
    compiled = core.best_candidates(scores, limit)
    assert compiled == scorer.python_best_candidates(scores, limit)
    if limit >= 1 and scores:  # every candidate of the limit best, ties at the cut included
        cut = sorted(scores.values(), reverse=True)[:limit][-1]
        assert sorted(compiled) == sorted((s, d) for d, s in scores.items() if s >= cut)


@needs_core
def test_compiled_best_candidates_refuse_what_is_not_a_score() -> None:
    with pytest.raises(TypeError):
        core.best_candidates({1: "high"}, 1)
    with pytest.raises(TypeError):
        core.best_candidates([(1, 1.0)], 1)


@needs_core
def test_fused_scoring_gives_what_reading_the_blocks_gives(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Whole queries (words, accent variants, translations into a language some records lack,
    deleted documents) scored from the postings file and block by block: the same scores to
    the bit, in the same order, and the same holders, in the same order."""
    records = synthetic_records(600, seed=3)
    one_language = [
        {"id": f"es-{i}", "summary_es": f"La educación de los migrantes número {i}."}
        for i in range(80)
    ]
    with ds.SearchIndex.create(tmp_path / "ix") as index:
        index.add(records[:300])
        index.add(records[300:] + one_language)
        index.delete([records[5]["id"], records[400]["id"], "es-7"])
        searcher = index._current_searcher()
        queries = ["education", "educacion migrantes", "politica publica", "remittances health"]
        queries += sorted({w for r in records[:40] for w in r.get("title_en", "").split()})[:40]
        compared = 0
        for query in queries:
            plan = searcher.plan(query, None)
            if plan.is_empty:
                continue
            fused = searcher.matches(plan)
            with monkeypatch.context() as patched:
                patched.setattr(scorer, "score_term", None)
                blocks = searcher.matches(plan)
            assert list(fused.scores.items()) == list(blocks.scores.items()), query
            held = [(key, list(ids)) for key, ids in (fused._holders or {}).items()]
            assert held == [(key, list(ids)) for key, ids in (blocks._holders or {}).items()]
            compared += bool(fused.scores)
        assert compared > 20


@settings(max_examples=300, deadline=None)
@given(
    st.dictionaries(
        st.tuples(st.sampled_from(["summary_en", "title_es", "names"]), st.text(max_size=3)),
        st.lists(st.integers(0, 400) | st.integers(-(2**62), 2**62), max_size=60),
        max_size=12,
    ),
    st.lists(st.integers(0, 400) | st.integers(-(2**62), 2**62), max_size=150),
)
def test_held_leaves_are_each_documents_in_the_holders_order(
    drawn: dict[tuple[str, str], list[int]], docnums: list[int]
) -> None:
    holders = {key: array("q", ids) for key, ids in drawn.items()}
    found = scorer.held_leaves(holders, docnums)
    assert list(found) == list(dict.fromkeys(docnums))
    for d, keys in found.items():
        expected = {key for key, ids in drawn.items() if d in ids}  # (the order it keeps)
        assert list(keys) == list(expected)
    assert found == scorer.python_held_leaves(holders, docnums)


@pytest.mark.skipif(core is None, reason="this run already uses the pure-Python scorer")
@pytest.mark.parametrize("test_file", ["test_scorer.py", "test_ranking_golden.py"])
def test_the_scorer_without_the_compiled_core(test_file: str) -> None:
    assert " passed" in pytest_without_core(Path(__file__).with_name(test_file))


@needs_core
@settings(max_examples=300, deadline=None)
@given(st.binary(max_size=70) | st.lists(st.sampled_from([0, 1]), max_size=90).map(bytes))
def test_compiled_flag_count_is_bytes_count(flags: bytes) -> None:
    # (eight at a time in the core: words of flags, then the bytes left, and any byte not 0 or
    # 1 counted as bytes.count counts it)
    assert core.flag_count(bytearray(flags)) == flags.count(1)
