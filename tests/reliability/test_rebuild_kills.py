"""A rebuild SIGKILLed at every step (issue 11, finding 3): the path always holds the old
index or the new one, whole, never none and never a mix, and ``check`` passes.

A step is an operating-system call that changes what is on disk: ``os.write``, ``os.fsync``,
``os.replace``, ``os.rename``, ``os.remove`` and ``os.unlink``. A forked child counts them
during ``SearchIndex.rebuild`` and SIGKILLs itself just before the k-th, for every k.
"""

from __future__ import annotations

import os
import shutil
import signal
from pathlib import Path
from typing import Any

import pytest

import diaspora_search as ds

STEPS = ("write", "fsync", "replace", "rename", "remove", "unlink")
OLD = [{"id": f"old{i}", "summary_en": f"old record {i}"} for i in range(3)]
NEW = [{"id": f"new{i}", "summary_es": f"registro nuevo {i}"} for i in range(3)]


def _rebuild_in_child(folder: Path, kill_at: int) -> tuple[int, int]:
    """Fork a child that rebuilds ``folder`` with ``NEW`` and SIGKILLs itself just before its
    ``kill_at``-th step (never, for 0); its wait status and how many steps it took."""
    read_end, write_end = os.pipe()
    pid = os.fork()
    if pid == 0:  # the child: never returns into pytest
        try:
            os.close(read_end)
            count = 0
            originals = {name: getattr(os, name) for name in STEPS}

            def counted(name: str) -> Any:
                def step(*args: Any, **kwargs: Any) -> Any:
                    nonlocal count
                    count += 1
                    if count == kill_at:
                        os.kill(os.getpid(), signal.SIGKILL)
                    return originals[name](*args, **kwargs)

                return step

            for name in STEPS:
                setattr(os, name, counted(name))
            ds.SearchIndex.rebuild(folder, NEW).close()
            for name in STEPS:
                setattr(os, name, originals[name])
            os.write(write_end, str(count).encode())
        finally:
            os._exit(0)
    os.close(write_end)
    _, status = os.waitpid(pid, 0)
    with os.fdopen(read_end, "rb") as pipe:
        steps = pipe.read()
    return status, int(steps or 0)


def _ids(folder: Path) -> set[str]:
    with ds.SearchIndex.open(folder) as index:
        index.check()
        snapshot = index._store.snapshot()
        return {fields["id"] for fields in snapshot.stored_documents()}


@pytest.mark.skipif(not hasattr(os, "fork"), reason="needs fork")
def test_a_rebuild_killed_at_any_step_leaves_the_old_or_the_new_index(tmp_path: Path) -> None:
    template = tmp_path / "template"
    with ds.SearchIndex.create(template) as index:
        index.add(OLD[:2])
        index.add(OLD[2:])  # (two commits: the rebuild also deletes an older segment)
    dry_run = tmp_path / "dry-run"
    shutil.copytree(template, dry_run)
    status, steps = _rebuild_in_child(dry_run, 0)
    assert os.WIFEXITED(status) and steps > 10, (status, steps)
    assert _ids(dry_run) == {r["id"] for r in NEW}
    outcomes = []
    for kill_at in range(1, steps + 1):
        folder = tmp_path / f"kill-{kill_at}"
        shutil.copytree(template, folder)
        status, _ = _rebuild_in_child(folder, kill_at)
        assert os.WIFSIGNALED(status) and os.WTERMSIG(status) == signal.SIGKILL, kill_at
        found = _ids(folder)  # opens: an index is there, and check passes
        assert found in ({r["id"] for r in OLD}, {r["id"] for r in NEW}), (kill_at, found)
        outcomes.append("new" if found == {r["id"] for r in NEW} else "old")
        with ds.SearchIndex.open(folder) as index:  # and it takes the next batch
            index.add([{"id": "next", "summary_en": "after the kill"}])
            assert [hit.id for hit in index.search("after the kill")] == ["next"]
        shutil.rmtree(folder)
    # Old until the commit point, new from it on: one switch, never back.
    assert outcomes == sorted(outcomes, key=["old", "new"].index), outcomes
    assert "old" in outcomes and "new" in outcomes
