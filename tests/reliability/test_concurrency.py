"""Concurrency: searches from other processes during a long ``add`` see the old state until the
commit; a second writer waits for the lock timeout and then fails clearly, never corrupting the
index; a killed writer's lock is recovered.

A writer process "holds" in the middle of its ``add`` (the write lock taken, 256 records written,
nothing committed) until the test lets it go, so nothing here depends on timing.
"""

from __future__ import annotations

import json
import signal
import subprocess
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from whoosh import index as whoosh_index

import diaspora_search as ds

from ._helpers import (
    MARKER,
    SUBPROCESS_ENV,
    assert_one_line_error,
    bundled_records,
    run_cli,
    synthetic_records,
    unique_word,
    worker,
)

BATCH = 600
LOCKED = "index is locked by another writer"


def _wait_for(path: Path, proc: subprocess.Popen[str], timeout: float = 60) -> None:
    deadline = time.monotonic() + timeout
    while not path.exists():
        if proc.poll() is not None:
            raise AssertionError(f"the worker ended early: {proc.communicate()}")
        assert time.monotonic() < deadline, f"{path.name} never appeared"
        time.sleep(0.01)


class HeldWriter:
    """A writer process stopped in the middle of ``add`` with the write lock held."""

    def __init__(self, folder: Path, prefix: str = "w") -> None:
        self.ready = folder.parent / f"{prefix}.ready"
        self.go = folder.parent / f"{prefix}.go"
        self.proc = subprocess.Popen(
            worker("add", folder, prefix, str(BATCH), "1", "--hold", self.ready, self.go),
            env=SUBPROCESS_ENV,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        _wait_for(self.ready, self.proc)

    def release(self) -> str:
        self.go.touch()
        out, err = self.proc.communicate(timeout=120)
        assert self.proc.returncode == 0, err
        return out

    def kill(self) -> None:
        self.proc.send_signal(signal.SIGKILL)
        self.proc.communicate(timeout=60)
        assert self.proc.returncode == -signal.SIGKILL


@pytest.fixture
def folder(tmp_path: Path) -> Iterator[Path]:
    path = tmp_path / "index"
    with ds.SearchIndex.create(path) as index:
        index.add(bundled_records())
    yield path


def _count(folder: Path) -> int:
    with ds.SearchIndex.open(folder) as index:
        return len(index)


def _check_intact(folder: Path, expected: int) -> None:
    """Every stored record once, and ``len`` agrees."""
    ix = whoosh_index.open_dir(str(folder))
    with ix.reader() as reader:
        ids = [fields["id"] for fields in reader.all_stored_fields()]
    assert len(ids) == len(set(ids)) == expected
    assert _count(folder) == expected


def test_searches_see_the_old_state_until_the_commit(folder: Path, tmp_path: Path) -> None:
    long_lived = ds.SearchIndex.open(folder)
    assert len(long_lived) == 7
    writer = HeldWriter(folder)
    seen_old = tmp_path / "reader.seen-old"
    reader = subprocess.Popen(
        worker("read", folder, "7", str(7 + BATCH), seen_old),
        env=SUBPROCESS_ENV,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    _wait_for(seen_old, reader)
    # While the writer holds: other processes, and this one, search the old state.
    result = run_cli("search", MARKER, "--index", folder, "--json")
    assert result.returncode == 0, result.stderr
    assert json.loads(result.stdout)["hits"] == []
    assert _count(folder) == 7
    assert len(long_lived) == 7
    assert long_lived.search(MARKER) == []
    assert [h.id for h in long_lived.search("IME", limit=1)]  # searching works meanwhile

    out = writer.release()
    assert out.splitlines()[-1] == f"committed {7 + BATCH}"
    reader_out, reader_err = reader.communicate(timeout=120)
    assert reader.returncode == 0, reader_err
    seen = [tuple(map(int, line.split()[1:])) for line in reader_out.splitlines()]
    counts = [count for count, _ in seen]
    assert set(seen) <= {(7, 0), (7 + BATCH, 5)}  # the old state or the new, nothing between
    assert counts == sorted(counts)
    assert counts[:3] == [7, 7, 7] and counts[-1] == 7 + BATCH
    # An index object opened before the commit sees the commit.
    assert len(long_lived) == 7 + BATCH
    assert [h.id for h in long_lived.search(unique_word("wr0-", 599))] == ["wr0-599"]
    long_lived.close()
    _check_intact(folder, 7 + BATCH)


def test_second_writer_times_out_with_a_clear_error(folder: Path, tmp_path: Path) -> None:
    writer = HeldWriter(folder)
    corpus = tmp_path / "more.jsonl"
    corpus.write_text("".join(json.dumps(r) + "\n" for r in synthetic_records("m", 5)))
    with ds.SearchIndex.open(folder, lock_timeout=1.0) as index:
        started = time.monotonic()
        with pytest.raises(ds.IndexLockedError, match=LOCKED) as info:
            index.add(synthetic_records("m", 5))
        assert time.monotonic() - started >= 1.0  # it waited the timeout first
        assert isinstance(info.value, ds.DiasporaSearchError)
        assert "\n" not in str(info.value)
        with pytest.raises(ds.IndexLockedError, match=LOCKED):
            index.delete(["ime-intro"])
        assert len(index) == 7
    result = run_cli("index", corpus, "--index", folder, "--lock-timeout", "0.5")
    assert_one_line_error(result, LOCKED)
    assert _count(folder) == 7

    writer.release()
    assert _count(folder) == 7 + BATCH
    result = run_cli("index", corpus, "--index", folder, "--lock-timeout", "0.5")
    assert result.returncode == 0, result.stderr
    _check_intact(folder, 7 + BATCH + 5)


def test_second_writer_waits_then_succeeds(folder: Path) -> None:
    first = HeldWriter(folder, "first")
    second = subprocess.Popen(
        worker("add", folder, "second", "50", "1", "--lock-timeout", "120"),
        env=SUBPROCESS_ENV,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    assert second.stdout is not None
    assert second.stdout.readline().split() == ["open", "7"]
    time.sleep(0.5)  # it is waiting for the lock
    assert second.poll() is None
    first.release()
    out, err = second.communicate(timeout=120)
    assert second.returncode == 0, err
    assert out.split() == ["committed", str(7 + BATCH + 50)]
    _check_intact(folder, 7 + BATCH + 50)


def test_cli_lock_timeout_must_be_seconds(folder: Path) -> None:
    for bad in ("-1", "soon", "nan"):
        result = run_cli("index", ds.bundled_corpus(), "--index", folder, "--lock-timeout", bad)
        assert result.returncode == 2, result.stderr
        assert "Traceback" not in result.stderr


def test_lock_of_a_killed_writer_is_recovered(folder: Path, tmp_path: Path) -> None:
    writer = HeldWriter(folder)
    writer.kill()
    assert (folder / "MAIN_WRITELOCK").exists()  # the lock file stays; its lock died with it
    with ds.SearchIndex.open(folder, lock_timeout=30) as index:
        assert len(index) == 7  # nothing of the killed add
        index.add(synthetic_records("after", 3))
        assert len(index) == 10
    HeldWriter(folder, "again").kill()
    corpus = tmp_path / "more.jsonl"
    corpus.write_text("".join(json.dumps(r) + "\n" for r in synthetic_records("cli", 4)))
    result = run_cli("index", corpus, "--index", folder, "--lock-timeout", "30")
    assert result.returncode == 0, result.stderr
    assert "the index holds 14" in result.stdout
    _check_intact(folder, 14)


def test_long_lived_index_sees_other_writers_deletes_and_merges(folder: Path) -> None:
    """An open ``SearchIndex`` follows commits made through another one: deletions, and
    merges of segments (Whoosh's ``Searcher.refresh`` got both wrong)."""
    reader = ds.SearchIndex.open(folder)
    writer = ds.SearchIndex.open(folder)
    assert len(reader) == 7
    writer.add(synthetic_records("d", 30))
    assert len(reader) == 37
    assert writer.delete(["d0", "d1"]) == 2
    assert len(reader) == 35
    assert "d0" not in [h.id for h in reader.search(unique_word("d", 0))]
    for k in range(12):  # enough small commits for Whoosh to merge segments
        writer.add(synthetic_records(f"n{k}-", 1))
        assert len(reader) == len(writer) == 36 + k
    ids = [h.id for h in reader.search(MARKER, limit=100)]
    assert len(ids) == len(set(ids)) == 28 + 12
    reader.close()
    writer.close()


def test_empty_index_then_add(tmp_path: Path) -> None:
    with ds.SearchIndex.create(tmp_path / "index") as index:
        assert len(index) == 0
        assert index.search("diaspora") == []
        index.add(bundled_records())
        assert len(index) == 7
        assert index.search("diaspora")


def test_rebuild_waits_for_the_writer_too(folder: Path) -> None:
    """``index --rebuild`` replaces the folder, so it is a writer: it must not pull the index
    away from a writer in the middle of an ``add``."""
    writer = HeldWriter(folder)
    corpus = ds.bundled_corpus()
    result = run_cli("index", corpus, "--index", folder, "--rebuild", "--lock-timeout", "0.5")
    assert_one_line_error(result, LOCKED)
    assert not list(folder.parent.glob(".index.*"))  # no half-built index left behind
    writer.release()
    _check_intact(folder, 7 + BATCH)
    result = run_cli("index", corpus, "--index", folder, "--rebuild", "--lock-timeout", "5")
    assert result.returncode == 0, result.stderr
    _check_intact(folder, 7)
    assert not list(folder.parent.glob(".index.*"))
