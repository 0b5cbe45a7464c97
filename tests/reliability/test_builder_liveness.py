"""A builder process that is killed (SIGKILL, as the out-of-memory killer does) or
stopped (SIGSTOP) fails its batch with ``IndexWriteError`` within the lock timeout, and the
index stays as it was: never a hang, never a raw exception. Real processes, real signals."""

from __future__ import annotations

import os
import signal
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

import diaspora_search as ds
from diaspora_search.storage import memory as _memory
from diaspora_search.storage import parallel as _parallel
from diaspora_search.storage import writer as _writer
from tests.fixtures.builders import builders_from

LOCK_TIMEOUT = 1.0


def records(n: int, prefix: str = "r") -> list[dict[str, Any]]:
    return [
        {"id": f"{prefix}{i}", "summary_en": f"consulate report {prefix} {i} " * (i % 5 + 1)}
        for i in range(n)
    ]


@pytest.fixture
def index(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[ds.SearchIndex]:
    builders_from(monkeypatch, 50)
    monkeypatch.setattr(_writer, "default_processes", lambda: 2)
    index = ds.SearchIndex.create(tmp_path / "index", lock_timeout=LOCK_TIMEOUT)
    index.add(records(9, "old"))
    yield index
    index.close()


def signalled_builders(monkeypatch: pytest.MonkeyPatch, signum: int) -> list[int]:
    """Send ``signum`` to every builder process as soon as it is started; their pids."""
    pids: list[int] = []
    start = _parallel.start_builder

    def start_and_signal(*args: Any, **kwargs: Any) -> Any:
        child = start(*args, **kwargs)
        pids.append(child.pid)
        os.kill(child.pid, signum)
        return child

    monkeypatch.setattr(_parallel, "start_builder", start_and_signal)
    return pids


def files(folder: Path) -> dict[str, bytes]:
    return {p.name: p.read_bytes() for p in folder.iterdir() if p.is_file()}


def gone(pid: int) -> bool:
    """Whether ``pid`` has ended and been reaped (no zombie left)."""
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return True
    return False


@pytest.mark.parametrize(
    ("signum", "message"),
    [
        (signal.SIGKILL, r"an indexing process was killed by SIGKILL"),
        (signal.SIGSTOP, r"an indexing process \(pid \d+\) was stopped for \d"),
    ],
    ids=["killed", "stopped"],
)
def test_a_builder_killed_or_stopped_fails_the_batch_cleanly(
    index: ds.SearchIndex, monkeypatch: pytest.MonkeyPatch, signum: int, message: str
) -> None:
    before = files(index.path)
    pids = signalled_builders(monkeypatch, signum)
    with pytest.raises(ds.IndexWriteError, match=message):
        index.add(records(400))
    assert pids and all(gone(pid) for pid in pids)
    assert files(index.path) == before  # no segment of the batch, no debris
    assert len(index) == 9
    assert {h.id for h in index.search("consulate report", limit=50)} == {
        f"old{i}" for i in range(9)
    }
    monkeypatch.undo()  # the next batch, without signals, is written
    builders_from(monkeypatch, 50)
    assert index.add(records(400)) == 400
    assert len(index) == 409


def test_a_builder_stopped_in_a_stream_fails_the_whole_stream(
    index: ds.SearchIndex, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(_writer, "STREAM_BATCH", 100)
    before = files(index.path)
    pids: list[int] = []
    start = _parallel.start_builder

    def stop_the_third(*args: Any, **kwargs: Any) -> Any:
        child = start(*args, **kwargs)
        pids.append(child.pid)
        if len(pids) == 3:  # the third batch's builder: two batches are on disk already
            os.kill(child.pid, signal.SIGSTOP)
        return child

    monkeypatch.setattr(_parallel, "start_builder", stop_the_third)
    with pytest.raises(ds.IndexWriteError, match="was stopped"):
        index.add(r for r in records(450))
    assert len(pids) == 3 and all(gone(pid) for pid in pids)
    assert files(index.path) == before
    assert len(index) == 9


def test_a_builder_stopped_briefly_is_waited_for(
    index: ds.SearchIndex, monkeypatch: pytest.MonkeyPatch
) -> None:
    # A stop shorter than the stall timeout (SIGCONT soon after) is not a failure.
    monkeypatch.setattr(index, "lock_timeout", 30.0)
    pids = signalled_builders(monkeypatch, signal.SIGSTOP)
    timers: list[threading.Timer] = []

    def resume_soon(*args: Any, **kwargs: Any) -> Any:
        child = stopping(*args, **kwargs)
        timer = threading.Timer(0.3, os.kill, (child.pid, signal.SIGCONT))
        timer.start()
        timers.append(timer)
        return child

    stopping = _parallel.start_builder
    monkeypatch.setattr(_parallel, "start_builder", resume_soon)
    assert index.add(records(400)) == 400
    for timer in timers:
        timer.join()
    assert pids and all(gone(pid) for pid in pids)
    assert len(index) == 409


@pytest.mark.parametrize(("available_kb", "builders"), [(1024, 0), (64 * 1024 * 1024, 1)])
def test_no_builder_is_started_when_memory_is_short(
    index: ds.SearchIndex,
    monkeypatch: pytest.MonkeyPatch,
    tmp_path: Path,
    available_kb: int,
    builders: int,
) -> None:
    # /proc/meminfo as a machine short of memory shows it: the batch is built in one process.
    meminfo = tmp_path / "meminfo"
    meminfo.write_text(f"MemTotal: 99999999 kB\nMemAvailable: {available_kb} kB\n")
    monkeypatch.setattr(_memory, "MEMINFO", str(meminfo))
    pids: list[int] = []
    start = _parallel.start_builder

    def counted(*args: Any, **kwargs: Any) -> Any:
        child = start(*args, **kwargs)
        pids.append(child.pid)
        return child

    monkeypatch.setattr(_parallel, "start_builder", counted)
    assert index.add(records(400)) == 400
    assert len(pids) == builders
    assert len(index) == 409


def test_a_stopped_builder_with_a_full_pipe_blocks_nobody(
    index: ds.SearchIndex, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Documents large enough that the chunks sent ahead fill the stopped builder's pipe: this
    # process never waits on the pipe, builds the rest of the range itself, and gives up on
    # the builder after the stall timeout.
    before = files(index.path)
    signalled_builders(monkeypatch, signal.SIGSTOP)
    big = [r | {"summary_es": "informe consular " * 400} for r in records(600)]
    with pytest.raises(ds.IndexWriteError, match=r"was stopped for \d"):
        index.add(big)
    assert files(index.path) == before
    assert len(index) == 9
