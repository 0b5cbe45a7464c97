"""``iter_corpus``: corpora read as a stream of validated batches, in memory that does not grow
with the corpus (but for the set of ids), with the refusals of ``read_corpus``."""

from __future__ import annotations

import json
import tracemalloc
from pathlib import Path

import pytest

import diaspora_search as ds
from diaspora_search._records import CorpusReader, iter_corpus


def _corpus(path: Path, ids: list[str], bad: dict[int, bytes] | None = None) -> Path:
    """One record per id; ``bad`` puts other lines at those line numbers (from 1)."""
    lines = [json.dumps({"id": rid, "summary_en": f"Diaspora {rid}"}).encode() for rid in ids]
    for number, line in sorted((bad or {}).items()):
        lines.insert(number - 1, line)
    path.write_bytes(b"\n".join(lines) + b"\n")
    return path


def test_batches_hold_every_record_in_order(tmp_path: Path) -> None:
    first = _corpus(tmp_path / "a.jsonl", [f"a{i}" for i in range(25)])
    second = _corpus(tmp_path / "b.jsonl", [f"b{i}" for i in range(5)])
    with iter_corpus([first, second], batch_size=10) as batches:
        assert isinstance(batches, CorpusReader)
        sizes = []
        ids = []
        for batch in batches:
            assert all(isinstance(r, ds.Record) for r in batch)
            sizes.append(len(batch))
            ids += [r.id for r in batch]
    assert sizes == [10, 10, 10]  # batches run across files
    assert ids == [f"a{i}" for i in range(25)] + [f"b{i}" for i in range(5)]
    assert batches.refused == []
    assert ds.read_corpus([first, second]).records == [
        r for batch in iter_corpus([first, second], batch_size=7) for r in batch
    ]


def test_empty_corpus_gives_no_batch(tmp_path: Path) -> None:
    path = tmp_path / "empty.jsonl"
    path.write_bytes(b"\xef\xbb\xbf\n\r\n")
    assert list(iter_corpus(path)) == []


def test_duplicate_id_is_found_across_batches_and_files(tmp_path: Path) -> None:
    first = _corpus(tmp_path / "a.jsonl", ["x", "y", "z"])
    second = _corpus(tmp_path / "b.jsonl", ["w", "y"])
    batches = iter_corpus([first, second], batch_size=1)
    assert [r.id for r in next(batches)] == ["x"]  # the bad line is not reached yet
    with pytest.raises(ds.RecordError) as info:
        list(batches)
    assert str(info.value) == (
        f"{second}:2: key 'id': duplicate id 'y' in this batch (first at {first}:2)"
    )
    with iter_corpus([first, second], batch_size=1, skip_invalid=True) as batches:
        assert [r.id for batch in batches for r in batch] == ["x", "y", "z", "w"]
    assert [(e.source, e.line, e.key) for e in batches.refused] == [(str(second), 2, "id")]


def test_skip_invalid_lists_refusals_as_they_are_read(tmp_path: Path) -> None:
    path = _corpus(tmp_path / "messy.jsonl", ["a", "b", "c"], {2: b"{oops", 4: b"[1]"})
    batches = iter_corpus(path, skip_invalid=True, batch_size=1)
    assert [r.id for r in next(batches)] == ["a"]
    assert batches.refused == []
    assert [r.id for r in next(batches)] == ["b"]
    assert [e.line for e in batches.refused] == [2]
    assert [r.id for batch in batches for r in batch] == ["c"]
    assert [e.line for e in batches.refused] == [2, 4]


def test_missing_file_is_refused_before_any_batch(tmp_path: Path) -> None:
    good = _corpus(tmp_path / "good.jsonl", ["a"])
    for skip_invalid in (False, True):
        with pytest.raises(ds.RecordError, match=r"nope\.jsonl: no such file"):
            iter_corpus([good, tmp_path / "nope.jsonl"], skip_invalid=skip_invalid)


def test_close_stops_reading_and_closes_the_file(tmp_path: Path) -> None:
    path = _corpus(tmp_path / "a.jsonl", ["a", "b", "c"])
    batches = iter_corpus(path, batch_size=1)
    next(batches)
    batches.close()
    with pytest.raises(StopIteration):
        next(batches)


def test_bad_batch_size() -> None:
    with pytest.raises(ValueError, match="batch_size must be at least 1"):
        iter_corpus([], batch_size=0)


def _tiny_corpus(path: Path, n: int) -> Path:
    with path.open("w") as f:
        for i in range(n):
            f.write(f'{{"id": "r{i}", "summary_en": "x"}}\n')
    return path


def _peak(run: object) -> int:
    tracemalloc.start()
    try:
        run()  # type: ignore[operator]
        return tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()


def test_memory_does_not_grow_with_the_records_beyond_their_ids(tmp_path: Path) -> None:
    n = 50_000
    path = _tiny_corpus(tmp_path / "tiny.jsonl", n)

    def stream() -> None:
        for batch in iter_corpus(path, batch_size=1000):
            assert batch

    streamed = _peak(stream)
    ids = _peak(lambda: {f"r{i}": i for i in range(n)})  # what the duplicate check must hold
    # The ids, plus a batch of records and the line being read; no more per record.
    assert streamed < ids + 2_000_000, (streamed, ids)
