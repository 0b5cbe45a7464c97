"""Crash safety: a writer killed with SIGKILL at any point of ``add`` leaves the index at its last
committed state, readable, and the next ``add`` succeeds (the dead writer's lock is released)."""

from __future__ import annotations

import json
import os
import random
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from whoosh import index as whoosh_index

import diaspora_search as ds

from ._helpers import (
    MARKER,
    SUBPROCESS_ENV,
    bundled_records,
    run_cli,
    synthetic_records,
    unique_word,
    worker,
)

ITERATIONS = 20
TIME_BUDGET = 30.0
"""Seconds of random kills; at least ``MIN_ITERATIONS`` run however slow the machine."""
MIN_ITERATIONS = 8
SEED = int(os.environ.get("DIASPORA_CRASH_SEED", time.time_ns() % 1_000_000))


def _new_index(folder: Path) -> int:
    with ds.SearchIndex.create(folder) as index:
        index.add(bundled_records())
        return len(index)


def _start_writer(folder: Path, *args: str) -> tuple[subprocess.Popen[str], int]:
    proc = subprocess.Popen(
        worker("add", folder, *args),
        env=SUBPROCESS_ENV,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    assert proc.stdout is not None
    first = proc.stdout.readline().split()  # "open N": imported, index opened
    assert first[:1] == ["open"], (first, proc.stderr.read() if proc.stderr else "")
    return proc, int(first[1])


def _committed(output: str) -> list[int]:
    return [int(line.split()[1]) for line in output.splitlines() if line.startswith("committed")]


def _found(index: ds.SearchIndex, prefix: str, i: int) -> bool:
    results = index.search(unique_word(prefix, i), limit=3)
    return results.corrected_query is None and [h.id for h in results] == [f"{prefix}{i}"]


def _check_intact(folder: Path) -> int:
    """Every stored record is there once, and the count agrees with ``len``."""
    ix = whoosh_index.open_dir(str(folder))
    with ix.reader() as reader:
        ids = [fields["id"] for fields in reader.all_stored_fields()]
    assert len(ids) == len(set(ids))
    with ds.SearchIndex.open(folder) as index:
        assert len(index) == len(ids)
    return len(ids)


def test_sigkill_at_random_points(tmp_path: Path) -> None:
    """Many writers, each killed after a random delay: before the lock, while adding, while
    merging or committing, or between batches. The seed is in the failure message; set
    DIASPORA_CRASH_SEED to replay it."""
    rng = random.Random(SEED)
    folder = tmp_path / "index"
    expected = _new_index(folder)
    started = time.monotonic()
    done = 0
    outcomes = {"old state": 0, "new state": 0}
    for it in range(ITERATIONS):
        if done >= MIN_ITERATIONS and time.monotonic() - started > TIME_BUDGET:
            break
        batch = rng.choice([60, 150, 400])
        delay = rng.uniform(0.0, 2.0)
        where = f"seed {SEED}, iteration {it}, batch {batch}, delay {delay:.3f} s"
        proc, opened = _start_writer(folder, f"k{it}", str(batch), "100")
        assert opened == expected, where
        time.sleep(delay)
        proc.send_signal(signal.SIGKILL)
        out, err = proc.communicate(timeout=60)
        assert proc.returncode in (-signal.SIGKILL, 0), (where, err)
        reported = _committed(out)
        last = reported[-1] if reported else expected

        with ds.SearchIndex.open(folder, lock_timeout=20) as index:
            count = len(index)
            assert count in (last, last + batch), (where, count, last)
            rounds = (count - expected) // batch
            assert count == expected + rounds * batch, where
            outcomes["new state" if count > last else "old state"] += 1
            if rounds:  # the last record of the last committed batch is searchable ...
                assert _found(index, f"k{it}r{rounds - 1}-", batch - 1), where
            # ... and the batch the kill interrupted is not there at all
            assert not _found(index, f"k{it}r{rounds}-", 0), where
            assert not _found(index, f"k{it}r{rounds}-", batch - 1), where
            assert len(index.search(MARKER, limit=5)) == min(5, count - 7), where
            # the next add succeeds
            assert index.add(synthetic_records(f"after{it}-", 3)) == 3, where
            assert len(index) == count + 3, where
            assert _found(index, f"after{it}-", 2), where
        expected = count + 3
        done += 1
    assert done >= MIN_ITERATIONS
    assert _check_intact(folder) == expected


def _processes_using(folder: Path) -> list[int]:
    """Processes whose command line names ``folder`` (a worker and any process it forked)."""
    pids = []
    for entry in Path("/proc").iterdir():
        try:
            if entry.name.isdigit() and str(folder).encode() in (entry / "cmdline").read_bytes():
                pids.append(int(entry.name))
        except OSError:
            continue
    return pids


@pytest.mark.skipif(not Path("/proc").is_dir(), reason="needs /proc to find forked processes")
def test_sigkill_during_a_batch_built_by_forked_processes(tmp_path: Path) -> None:
    """A batch large enough to be built by several forked processes: killing the writer
    leaves the old state, and its forked helpers stop too (they never hold the lock)."""
    rng = random.Random(SEED)
    folder = tmp_path / "index"
    expected = _new_index(folder)
    for it in range(2):
        proc, _ = _start_writer(folder, f"f{it}", "4500", "1")
        time.sleep(rng.uniform(0.3, 4.0))
        proc.send_signal(signal.SIGKILL)
        proc.communicate(timeout=60)
        deadline = time.monotonic() + 60
        while _processes_using(folder) and time.monotonic() < deadline:
            time.sleep(0.1)
        assert _processes_using(folder) == [], (SEED, it)
        with ds.SearchIndex.open(folder, lock_timeout=20) as index:
            count = len(index)
            assert count in (expected, expected + 4500), (SEED, it, count)
            assert _found(index, f"f{it}r0-", 4499) == (count > expected)
            index.add(synthetic_records(f"after{it}-", 3))
            expected = count + 3
            assert len(index) == expected
    assert _check_intact(folder) == expected


KILL_POINTS = [
    ("before-toc", "old state"),
    ("toc-temp", "old state"),
    ("after-toc", "new state"),
    ("mid-clean", "new state"),
]


@pytest.mark.parametrize(("point", "state"), KILL_POINTS, ids=[p for p, _ in KILL_POINTS])
def test_sigkill_at_each_step_of_the_commit(tmp_path: Path, point: str, state: str) -> None:
    """The writer SIGKILLs itself at an exact step of Whoosh's commit, after several commits
    (so old segments are merged and old files deleted)."""
    folder = tmp_path / "index"
    before = _new_index(folder)
    with ds.SearchIndex.open(folder) as index:
        for n in range(4):  # several small segments, so the commit merges them
            index.add(synthetic_records(f"seg{n}-", 20))
        before = len(index)
    proc, _ = _start_writer(folder, "kill", "50", "1", "--kill-at", point)
    out, err = proc.communicate(timeout=60)
    assert proc.returncode == -signal.SIGKILL, err
    assert _committed(out) == []
    with ds.SearchIndex.open(folder, lock_timeout=20) as index:
        expected = before if state == "old state" else before + 50
        assert len(index) == expected
        assert _found(index, "killr0-", 49) == (state == "new state")
        assert _found(index, "seg3-", 19)
        index.add(synthetic_records("next-", 5))
        assert len(index) == expected + 5
        assert _found(index, "next-", 4)
    assert _check_intact(folder) == expected + 5


def test_batch_spanning_several_segments(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """A batch too big for one segment (past the fast path's memory bound) is written as
    several segments committed together; made small here so the test stays quick."""
    monkeypatch.setattr("diaspora_search.storage.segment.POSTINGS_PER_SEGMENT", 200)
    folder = tmp_path / "index"
    before = _new_index(folder)
    with ds.SearchIndex.open(folder) as index:
        assert index.add(synthetic_records("big", 300)) == 300
        assert len(index) == before + 300
        assert all(_found(index, "big", i) for i in (0, 150, 299))
    assert _check_intact(folder) == before + 300


def test_sigkill_during_rebuild(tmp_path: Path) -> None:
    """A killed ``index --rebuild`` leaves the old index or the complete new one, never a mix."""
    rng = random.Random(SEED)
    folder = tmp_path / "index"
    old = _new_index(folder)
    corpus = tmp_path / "big.jsonl"
    corpus.write_text("".join(json.dumps(r) + "\n" for r in synthetic_records("rb", 1500)))
    for it in range(3):
        argv = [sys.executable, "-m", "diaspora_search", "index", str(corpus)]
        proc = subprocess.Popen(
            [*argv, "--index", str(folder), "--rebuild"],
            env=SUBPROCESS_ENV,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        time.sleep(rng.uniform(0.2, 2.5))
        proc.send_signal(signal.SIGKILL)
        proc.wait(timeout=60)
        with ds.SearchIndex.open(folder) as index:
            assert len(index) in (old, 1500), (SEED, it)
            if len(index) == 1500:
                assert _found(index, "rb", 1499)
    result = run_cli("index", corpus, "--index", folder, "--rebuild")
    assert result.returncode == 0, result.stderr
    assert _check_intact(folder) == 1500
