"""Races (issue 11, finding 8): opening while commits replace the table of contents, and
several processes creating the same new index at once. Real processes, no mocks."""

from __future__ import annotations

import multiprocessing
import subprocess
import traceback
from pathlib import Path
from typing import Any

import pytest

import diaspora_search as ds

from ._helpers import MARKER, SUBPROCESS_ENV, worker

CREATORS = 4


def test_opening_during_commits_always_works(tmp_path: Path) -> None:
    """A writer commits small batches back to back while this process opens the index
    afresh, again and again: every open sees some commit whole, never "rebuild it"."""
    folder = tmp_path / "index"
    ds.SearchIndex.create(folder).close()
    writer = subprocess.Popen(
        worker("add", folder, "race", "3", "100"),
        env=SUBPROCESS_ENV,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    seen: list[int] = []
    try:
        while writer.poll() is None:
            with ds.SearchIndex.open(folder) as index:
                count = len(index)
                assert count % 3 == 0
                found = len(index.search(MARKER, limit=500, translate=False))
                assert found % 3 == 0 and found >= min(count, 500)  # (or a later commit)
                seen.append(count)
    finally:
        _, err = writer.communicate(timeout=300)
    assert writer.returncode == 0, err
    assert seen == sorted(seen)  # (each open sees the same or a later commit)
    assert len(set(seen)) > 3, seen  # opened during many different commits
    with ds.SearchIndex.open(folder) as index:
        assert len(index) == 300
        index.check()


def _create(path: str, how: str, n: int, start: Any, results: Any) -> None:
    start.wait()
    try:
        if how == "create":
            index = ds.SearchIndex.create(path)
        else:
            index = ds.SearchIndex.open(path, create=True)
        index.add([{"id": f"r{n}", "summary_en": f"{MARKER} by creator {n}"}])
        index.close()
        results.put("ok")
    except ds.DiasporaSearchError as error:
        results.put(type(error).__name__)
    except BaseException:  # (reported to the test, which fails on it)
        results.put(traceback.format_exc())


def _race(path: Path, how: str) -> list[str]:
    context = multiprocessing.get_context("fork")
    start, results = context.Barrier(CREATORS), context.Queue()
    procs = [
        context.Process(target=_create, args=(str(path), how, n, start, results))
        for n in range(CREATORS)
    ]
    for proc in procs:
        proc.start()
    outcomes = [results.get(timeout=120) for _ in procs]
    for proc in procs:
        proc.join(timeout=60)
    return sorted(outcomes)


@pytest.mark.parametrize("round_", range(3))
def test_concurrent_creators_with_open_create_all_get_the_index(
    tmp_path: Path, round_: int
) -> None:
    folder = tmp_path / f"new-{round_}"
    assert _race(folder, "open") == ["ok"] * CREATORS
    with ds.SearchIndex.open(folder) as index:
        assert len(index) == CREATORS
        index.check()


@pytest.mark.parametrize("round_", range(3))
def test_concurrent_creators_one_creates_the_others_are_told(tmp_path: Path, round_: int) -> None:
    folder = tmp_path / f"new-{round_}"
    assert _race(folder, "create") == ["IndexExistsError"] * (CREATORS - 1) + ["ok"]
    with ds.SearchIndex.open(folder) as index:
        assert len(index) == 1
        index.check()
