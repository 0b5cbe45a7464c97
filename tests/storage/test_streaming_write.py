"""Streaming writes: ``SearchIndex.add`` and ``rebuild`` take any iterable, read it a bounded
batch ahead of what is written, and commit it once; a refusal anywhere in the stream leaves the
index (and its folder) exactly as it was."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from whoosh import index as whoosh_index

import diaspora_search as ds
from diaspora_search._records import iter_corpus
from diaspora_search.storage import writer as _writer
from diaspora_search.storage.schema import build_schema
from tests.fixtures.builders import builders_from

BATCH = 40  # STREAM_BATCH for these tests: streams of a few batches stay small


@pytest.fixture(autouse=True)
def small_batches(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(_writer, "STREAM_BATCH", BATCH)


def record(i: int, prefix: str = "r") -> dict[str, Any]:
    return {"id": f"{prefix}{i}", "summary_en": f"remittance report {prefix} number {i}"}


class Stream:
    """A generator of records that counts how many were taken, and may fail at one."""

    def __init__(self, n: int, *, prefix: str = "r", bad_at: int | None = None) -> None:
        self.n = n
        self.prefix = prefix
        self.bad_at = bad_at
        self.taken = 0
        self.ahead: list[int] = []  # records taken beyond those written, at every take

    def __iter__(self) -> Iterator[dict[str, Any]]:
        for i in range(self.n):
            if self.bad_at == i:
                yield {"id": f"{self.prefix}{i}", "sumary_en": "a typo"}
            else:
                yield record(i, self.prefix)
            self.taken += 1

    def watch(self, done: int, total: int | None) -> None:
        self.ahead.append(self.taken - done)


def files(folder: Path) -> dict[str, bytes]:
    return {p.name: p.read_bytes() for p in folder.iterdir() if p.is_file()}


def stored_ids(folder: Path) -> list[str]:
    """The ids in the index's document order (live documents only)."""
    ix = whoosh_index.open_dir(str(folder), schema=build_schema())
    with ix.reader() as reader:
        return [fields["id"] for _, fields in reader.iter_docs()]


def generation(folder: Path) -> int:
    return int(whoosh_index.open_dir(str(folder), schema=build_schema()).latest_generation())


@pytest.fixture
def index(tmp_path: Path) -> Iterator[ds.SearchIndex]:
    index = ds.SearchIndex.create(tmp_path / "index")
    index.add([record(i, "old") for i in range(7)])
    yield index
    index.close()


def test_a_generator_is_read_lazily_and_committed_once(index: ds.SearchIndex) -> None:
    before = generation(index.path)
    stream = Stream(5 * BATCH + 3)
    seen: list[tuple[int, int | None]] = []

    def progress(done: int, total: int | None) -> None:
        seen.append((done, total))
        stream.watch(done, total)

    assert index.add(iter(stream), progress=progress) == 5 * BATCH + 3
    assert generation(index.path) == before + 1  # one commit for the whole stream
    assert len(index) == 7 + 5 * BATCH + 3
    assert max(stream.ahead) <= BATCH  # never more than one batch read beyond what is written
    assert [d for d, _ in seen] == sorted(d for d, _ in seen)
    assert all(total is None for _, total in seen[:-1])  # a stream's length is not known
    assert seen[-1] == (5 * BATCH + 3, 5 * BATCH + 3)
    assert index.search("remittance report r number 201")[0].id == "r201"


@pytest.mark.parametrize("bad_at", [0, BATCH - 1, 3 * BATCH + 5])
def test_a_bad_record_late_in_a_stream_changes_nothing(index: ds.SearchIndex, bad_at: int) -> None:
    before = files(index.path)
    stream = Stream(4 * BATCH, bad_at=bad_at)
    with pytest.raises(ds.RecordError, match=rf"^<records>:{bad_at + 1}: key 'sumary_en': unknown"):
        index.add(iter(stream))
    assert stream.taken == bad_at  # read up to the bad record, no further
    assert files(index.path) == before  # no segment, no debris, the same commit
    assert not (index.path / "MAIN.tmp").exists()
    assert len(index) == 7
    assert {hit.id for hit in index.search("remittance", limit=100)} == {
        f"old{i}" for i in range(7)
    }


def test_a_duplicate_id_across_batches_of_a_stream_changes_nothing(index: ds.SearchIndex) -> None:
    before = files(index.path)
    records = [record(i) for i in range(3 * BATCH)] + [record(5)]
    duplicate = r"duplicate id 'r5' in this batch \(first at line 6\)"
    with pytest.raises(ds.RecordError, match=duplicate):
        index.add(r for r in records)
    assert files(index.path) == before
    assert len(index) == 7


def test_an_error_raised_by_the_stream_itself_changes_nothing(index: ds.SearchIndex) -> None:
    before = files(index.path)

    def failing() -> Iterator[dict[str, Any]]:
        yield from (record(i) for i in range(2 * BATCH + 1))
        raise OSError("the network share went away")

    with pytest.raises(OSError, match="network share"):
        index.add(failing())
    assert files(index.path) == before
    assert len(index) == 7


def test_a_stream_replaces_existing_ids(index: ds.SearchIndex) -> None:
    index.add(record(i, "old") | {"summary_en": f"replaced text {i}"} for i in range(3))
    assert len(index) == 7
    assert index.search("replaced text 2")[0].id == "old2"
    assert {hit.id for hit in index.search('"replaced text"')} == {"old0", "old1", "old2"}
    assert {hit.id for hit in index.search('"remittance report old"', limit=20)} == {
        f"old{i}" for i in range(3, 7)
    }


def test_a_stream_in_parallel_keeps_the_document_order(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Several batches, each shared among forked processes: the index holds the documents in
    # the order of the stream, as from a list.
    builders_from(monkeypatch, 10)
    monkeypatch.setattr(_writer, "default_processes", lambda: 2)
    records = [record(i) for i in range(3 * BATCH + 11)]
    with ds.SearchIndex.create(tmp_path / "streamed") as streamed:
        streamed.add(r for r in records)
    with ds.SearchIndex.create(tmp_path / "listed") as listed:
        listed.add(records)
    assert stored_ids(tmp_path / "streamed") == stored_ids(tmp_path / "listed")
    assert stored_ids(tmp_path / "streamed") == [r["id"] for r in records]


def test_a_refused_rebuild_into_a_new_folder_leaves_no_index(tmp_path: Path) -> None:
    target = tmp_path / "new" / "index"
    with pytest.raises(ds.RecordError):
        ds.SearchIndex.rebuild(target, iter(Stream(3 * BATCH, bad_at=2 * BATCH)))
    assert not target.exists()
    empty = tmp_path / "empty"
    empty.mkdir()
    with pytest.raises(ds.RecordError):
        ds.SearchIndex.rebuild(empty, iter(Stream(3 * BATCH, bad_at=2 * BATCH)))
    assert empty.is_dir() and not any(empty.iterdir())


def test_a_refused_rebuild_of_an_index_keeps_it(index: ds.SearchIndex) -> None:
    before = files(index.path)
    with pytest.raises(ds.RecordError):
        ds.SearchIndex.rebuild(index.path, iter(Stream(3 * BATCH, bad_at=2 * BATCH + 1)))
    assert files(index.path) == before
    assert len(index) == 7


def test_a_corpus_file_streamed_with_a_bad_line_late(tmp_path: Path, index: ds.SearchIndex) -> None:
    path = tmp_path / "corpus.jsonl"
    lines = [json.dumps(record(i, "f")) for i in range(3 * BATCH)]
    lines[2 * BATCH + 4] = '{"id": "f-bad", "summary_en": "unfinished'
    path.write_text("\n".join(lines) + "\n")
    before = files(index.path)
    with (
        pytest.raises(ds.RecordError, match=rf"^{path}:{2 * BATCH + 5}: invalid JSON"),
        iter_corpus(path, batch_size=BATCH) as batches,
    ):
        index.add(r for batch in batches for r in batch)
    assert files(index.path) == before
    assert len(index) == 7
    lines[2 * BATCH + 4] = json.dumps(record(2 * BATCH + 4, "f"))
    path.write_text("\n".join(lines) + "\n")
    with iter_corpus(path, batch_size=BATCH) as batches:
        assert index.add(r for batch in batches for r in batch) == 3 * BATCH
    assert len(index) == 7 + 3 * BATCH


def test_a_stream_of_small_batches_continues_one_segment(tmp_path: Path) -> None:
    # Batches too small to share among processes are built here, into the segment the previous
    # batch left open: five batches, one segment (not five), the same documents as from a list.
    records = [record(i) for i in range(5 * BATCH)]
    with ds.SearchIndex.create(tmp_path / "index") as index:
        index.add(r for r in records)
        assert len(index) == 5 * BATCH
    ix = whoosh_index.open_dir(str(tmp_path / "index"), schema=build_schema())
    assert len(ix._segments()) == 1
    assert stored_ids(tmp_path / "index") == [r["id"] for r in records]


def test_the_records_of_a_corpus_reader_stream_checked_once(
    tmp_path: Path, index: ds.SearchIndex
) -> None:
    path = tmp_path / "corpus.jsonl"
    lines = [json.dumps(record(i, "f")) for i in range(3 * BATCH)] + [json.dumps(record(3, "f"))]
    path.write_text("\n".join(lines) + "\n")
    before = files(index.path)
    duplicate = rf"^{path}:{3 * BATCH + 1}: key 'id': duplicate id 'f3' .*first at {path}:4\)$"
    with (
        pytest.raises(ds.RecordError, match=duplicate),
        iter_corpus(path, batch_size=BATCH) as reader,
    ):
        index.add(reader.records())
    assert files(index.path) == before
    path.write_text("\n".join(lines[:-1]) + "\n")
    with iter_corpus(path, batch_size=BATCH) as reader:
        assert index.add(reader.records()) == 3 * BATCH
    assert len(index) == 7 + 3 * BATCH


def test_a_progress_bar_for_a_stream_counts_without_a_total(
    index: ds.SearchIndex, capsys: pytest.CaptureFixture[str]
) -> None:
    index.add((record(i) for i in range(3 * BATCH)), progress=True)
    err = capsys.readouterr().err
    streaming = [line for line in err.split("\r") if line.startswith("indexing:")]
    assert "%" not in streaming[0] and " records [" in streaming[0]  # no total yet: a count
    finished = [line for line in streaming if "100%" in line]
    assert finished and f"{3 * BATCH}/{3 * BATCH}" in finished[-1]  # then the whole bar
