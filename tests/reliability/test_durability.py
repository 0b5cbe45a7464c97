"""Durable commits (issue 11, finding 5): the new commit's files are on disk before it becomes
the index, and the previous commit point is deleted only once the new one is durable.

The test records ``os.fsync``, ``os.replace``, ``os.rename`` and ``os.remove``/``os.unlink``
calls (plain operating-system calls, not Whoosh, recorded around the real ones) during one
``add`` and checks their order.
"""

from __future__ import annotations

import os
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

import diaspora_search as ds


def _record(monkeypatch: pytest.MonkeyPatch) -> list[tuple[str, str]]:
    calls: list[tuple[str, str]] = []

    def wrap(name: str, describe: Callable[..., str]) -> None:
        original = getattr(os, name)

        def recorded(*args: Any, **kwargs: Any) -> Any:
            calls.append((name, describe(*args)))
            return original(*args, **kwargs)

        monkeypatch.setattr(os, name, recorded)

    wrap("fsync", lambda fd: os.readlink(f"/proc/self/fd/{fd}"))
    wrap("replace", lambda src, dst, **_: f"{Path(src).name} -> {Path(dst).name}")
    wrap("rename", lambda src, dst, **_: f"{Path(src).name} -> {Path(dst).name}")
    wrap("remove", lambda path, **_: Path(path).name)
    wrap("unlink", lambda path, **_: Path(path).name)
    return calls


@pytest.mark.skipif(not Path("/proc/self/fd").exists(), reason="needs /proc (Linux)")
def test_a_commit_is_durable_before_the_old_one_goes(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    folder = (tmp_path / "index").resolve()
    with ds.SearchIndex.create(folder) as index:
        index.add([{"id": "a", "summary_en": "first batch"}])
        old_files = set(os.listdir(folder))
        calls = _record(monkeypatch)
        index.add([{"id": "b", "summary_en": "second batch"}])
        monkeypatch.undo()
        new_files = set(os.listdir(folder)) - old_files
    (toc,) = [n for n in new_files if n.endswith(".toc")]
    (sums,) = [n for n in new_files if n.endswith(".sums")]
    (segment,) = [n for n in new_files if n.endswith(".seg")]

    def at(call: tuple[str, str]) -> int:
        assert call in calls, (call, calls)
        return calls.index(call)

    def first(name: str, test: Callable[[str], bool]) -> int:
        return next(i for i, (n, arg) in enumerate(calls) if n == name and test(arg))

    toc_renamed = first("replace", lambda a: a.endswith(f"-> {toc}"))
    sums_renamed = first("replace", lambda a: a.endswith(f"-> {sums}"))
    segment_synced = at(("fsync", str(folder / segment)))
    toc_temp = calls[toc_renamed][1].split(" -> ")[0]
    toc_synced = at(("fsync", str(folder / toc_temp)))
    sums_synced = at(("fsync", str(folder / (sums + ".tmp"))))
    folder_synced = [i for i, c in enumerate(calls) if c == ("fsync", str(folder))]
    # The segment and the table of contents are on disk before the rename that commits them,
    # and the checksum record before that.
    assert segment_synced < toc_synced < toc_renamed
    assert sums_synced < sums_renamed < toc_renamed
    # The folder is fsynced after the rename (the new name is durable) ...
    durable = min(i for i in folder_synced if i > toc_renamed)
    # ... before anything of the previous commit is deleted.
    deleted = [
        i for i, (n, arg) in enumerate(calls) if n in ("remove", "unlink") and arg in old_files
    ]
    assert deleted, calls  # (the old table of contents goes)
    assert durable < min(deleted)
    assert any(calls[i][1].endswith(".toc") for i in deleted)


def test_metadata_and_data_files_are_written_durably(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The metadata and the translation tables: written beside, fsynced, renamed, folder
    fsynced."""
    folder = (tmp_path / "index").resolve()
    calls = _record(monkeypatch)
    ds.SearchIndex.create(folder).close()
    meta = "diaspora_search.json"
    synced = calls.index(("fsync", str(folder / (meta + ".tmp"))))
    renamed = calls.index(("replace", f"{meta}.tmp -> {meta}"))
    assert synced < renamed < calls.index(("fsync", str(folder)), renamed)
