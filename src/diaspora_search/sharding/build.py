"""Phase 1 of a sharded batch: one shard's part written into a new folder, on any process.

:func:`build_part` is the task a Dask worker (or a local process) runs. It never touches the
shard's current folder: it hard-links that folder's files into a temporary one (Whoosh never
rewrites a file it has written: a commit adds segment files and a new table of contents), opens
it as an ordinary index, writes the part as one commit, and renames it to its final name. A
retried task first deletes what an earlier attempt of the same part left (its temporary folder,
or its finished folder whose result was lost with its worker), so it finds no debris.
"""

from __future__ import annotations

import os
import shutil
import uuid
from dataclasses import dataclass
from pathlib import Path

from .._records import Record
from ..storage import IndexStore


@dataclass(frozen=True)
class Part:
    """What one shard gets of a batch: records to add (or replace), ids to delete."""

    shard: int
    base: str  # the shard's current folder
    target: str  # the folder it is written to
    records: tuple[Record, ...] = ()
    deletes: tuple[str, ...] = ()


@dataclass(frozen=True)
class PartDone:
    """A part written: its folder, records written, and how many deleted ids were there."""

    shard: int
    target: str
    added: int
    deleted: int


def build_part(index_path: str, part: Part) -> PartDone:
    """Write ``part`` into the folder ``part.target`` of the sharded index at ``index_path``."""
    root = Path(index_path)
    final = root / part.target
    for entry in root.glob(part.target + ".tmp-*"):  # an earlier attempt's debris
        shutil.rmtree(entry, ignore_errors=True)
    shutil.rmtree(final, ignore_errors=True)
    tmp = root / f"{part.target}.tmp-{uuid.uuid4().hex}"
    _link_copy(root / part.base, tmp)
    store = IndexStore.open(tmp)
    try:
        # One process per part: the parts are the parallelism (and a Dask worker runs threads,
        # under which forking is unsafe).
        with store.writer(processes=1) as writer:
            deleted = writer.delete(part.deletes) if part.deletes else 0
            added = writer.add(part.records) if part.records else 0
    finally:
        store.close()
    _sync_tree(tmp)
    os.replace(tmp, final)
    return PartDone(part.shard, part.target, added, deleted)


def _link_copy(source: Path, target: Path) -> None:
    """``target``: a new folder holding ``source``'s files, hard-linked (copied where the file
    system has no hard links); lock files left out."""
    target.mkdir()
    for entry in source.iterdir():
        if not entry.is_file() or entry.name.endswith("WRITELOCK"):
            continue
        try:
            os.link(entry, target / entry.name)
        except OSError:
            shutil.copy2(entry, target / entry.name)


def _sync_tree(folder: Path) -> None:
    """Flush a part's new files to disk before it is named in the manifest."""
    for entry in folder.iterdir():
        if entry.is_file():
            with open(entry, "rb") as handle:
                os.fsync(handle.fileno())
