"""The manifest of a sharded index: its shard count, versions, and which folder is each shard.

A sharded index is a folder holding ``shards.json`` and, per shard, ordinary index folders named
``sNNN.T`` (shard ``NNN`` as written by transaction ``T``). A batch is a two-phase commit:

1. *prepare*: each shard the batch touches is built into a new folder (its files hard-linked
   from the shard's current folder, the part written there, then renamed to ``sNNN.T``);
2. *commit*: the manifest is replaced (written beside it, then renamed) with ``pending``
   naming the new folders: from then on the batch is committed, and readers use them;
3. *finish*: the manifest is rewritten with the new folders as ``current``; the folders they
   replace are ``retired``, and deleted by the next batch (readers opened on them have a whole
   batch's time to move on).

A batch interrupted before step 2 is rolled back: its folders are named by no manifest, and the
next writer deletes them. One interrupted after step 2 is rolled forward: readers already read
it, and the next writer finishes it. Records are routed to shards by :func:`route`.
"""

from __future__ import annotations

import hashlib
import json
import os
import re
import shutil
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

from .._errors import IndexCorruptError, IndexNotFoundError, IndexVersionError
from ..analysis import ANALYSIS_VERSION
from ..storage import INDEX_FORMAT

MANIFEST_FILE = "shards.json"
SHARDING_FORMAT = 1
ROUTING = "blake2b-64"
"""The routing hash, recorded in the manifest: a record goes to shard
``blake2b(id, 8 bytes) mod N`` (never Python's ``hash``, which changes between processes)."""
MAX_SHARDS = 1000
_FOLDER = re.compile(r"^s(\d{3})\.(\d+)(\.tmp-[0-9a-f]+)?$")


def route(record_id: str, shards: int) -> int:
    """The shard that holds the record ``record_id`` among ``shards``.

    >>> route("a1", 3), route("a1", 3) == route("a1", 3)
    (0, True)
    """
    digest = hashlib.blake2b(record_id.encode("utf-8"), digest_size=8).digest()
    return int.from_bytes(digest, "big") % shards


def shard_folder(shard: int, transaction: int) -> str:
    """The name of shard ``shard``'s folder as written by transaction ``transaction``."""
    return f"s{shard:03d}.{transaction}"


@dataclass(frozen=True)
class Manifest:
    """What ``shards.json`` records."""

    shards: int
    transaction: int
    current: tuple[str, ...]
    pending: dict[int, str] = field(default_factory=dict)
    retired: tuple[str, ...] = ()

    @property
    def folders(self) -> tuple[str, ...]:
        """The committed folder of each shard: the pending ones where a batch is committed but
        not yet finished."""
        return tuple(self.pending.get(i, name) for i, name in enumerate(self.current))

    def finished(self) -> Manifest:
        """The manifest with a committed batch finished (its folders current)."""
        if not self.pending:
            return self
        replaced = tuple(self.current[i] for i in self.pending)
        return replace(self, current=self.folders, pending={}, retired=self.retired + replaced)

    def to_json(self) -> str:
        return json.dumps(
            {
                "format": SHARDING_FORMAT,
                "index_format": INDEX_FORMAT,
                "analysis_version": ANALYSIS_VERSION,
                "routing": ROUTING,
                "shards": self.shards,
                "transaction": self.transaction,
                "current": list(self.current),
                "pending": {str(i): name for i, name in sorted(self.pending.items())},
                "retired": list(self.retired),
            },
            indent=1,
        )


def is_sharded_index(folder: Path) -> bool:
    return (folder / MANIFEST_FILE).exists()


def read_manifest(folder: Path) -> Manifest:
    """The manifest of the sharded index at ``folder``.

    Raises:
        IndexNotFoundError: there is none.
        IndexVersionError: it was written by an incompatible version.
        IndexCorruptError: it is damaged.
    """
    try:
        data: Any = json.loads((folder / MANIFEST_FILE).read_text(encoding="utf-8"))
    except (FileNotFoundError, NotADirectoryError):
        raise IndexNotFoundError(
            f"{folder}: no sharded diaspora_search index here; build one with: "
            f"diaspora-search index CORPUS.jsonl --index {folder} --shards N"
        ) from None
    except (OSError, ValueError) as error:
        raise IndexCorruptError(f"{folder}: unreadable shard manifest ({error})") from None
    if not isinstance(data, dict):
        raise IndexCorruptError(f"{folder}: the shard manifest is not a JSON object")
    found = (data.get("format"), data.get("index_format"), data.get("analysis_version"))
    wanted = (SHARDING_FORMAT, INDEX_FORMAT, ANALYSIS_VERSION)
    if found != wanted or data.get("routing") != ROUTING:
        raise IndexVersionError(
            f"{folder}: sharded index format {found[0]}, index format {found[1]}, analysis "
            f"version {found[2]}, routing {data.get('routing')!r}; this version reads "
            f"{wanted[0]}, {wanted[1]}, {wanted[2]}, {ROUTING!r}; rebuild it"
        )
    try:
        manifest = Manifest(
            shards=int(data["shards"]),
            transaction=int(data["transaction"]),
            current=tuple(str(name) for name in data["current"]),
            pending={int(i): str(name) for i, name in data["pending"].items()},
            retired=tuple(str(name) for name in data["retired"]),
        )
    except (KeyError, TypeError, ValueError, AttributeError) as error:
        raise IndexCorruptError(f"{folder}: damaged shard manifest ({error!r})") from None
    names = [*manifest.current, *manifest.pending.values(), *manifest.retired]
    if len(manifest.current) != manifest.shards or not all(_FOLDER.match(n) for n in names):
        raise IndexCorruptError(f"{folder}: damaged shard manifest (shard folders)")
    return manifest


def write_manifest(folder: Path, manifest: Manifest) -> None:
    """Replace the manifest atomically (written beside it, flushed, then renamed): the commit
    point of a batch."""
    tmp = folder / (MANIFEST_FILE + ".tmp")
    with open(tmp, "w", encoding="utf-8") as out:
        out.write(manifest.to_json() + "\n")
        out.flush()
        os.fsync(out.fileno())
    tmp.replace(folder / MANIFEST_FILE)
    _sync_folder(folder)


def _sync_folder(folder: Path) -> None:
    try:
        handle = os.open(folder, os.O_RDONLY)
    except OSError:  # pragma: no cover - platforms without directory handles
        return
    try:
        os.fsync(handle)
    except OSError:  # pragma: no cover
        pass
    finally:
        os.close(handle)


def recover(folder: Path, *, retire: bool = True) -> Manifest:
    """Under the write lock: finish a committed batch (roll forward), delete the folders of an
    interrupted one (roll back) and, with ``retire`` (a writer), those retired by the last
    batch. The manifest after."""
    manifest = read_manifest(folder)
    if manifest.pending:
        manifest = manifest.finished()
        write_manifest(folder, manifest)
    if manifest.retired and retire:
        retired = manifest.retired
        manifest = replace(manifest, retired=())
        write_manifest(folder, manifest)
        for name in retired:
            shutil.rmtree(folder / name, ignore_errors=True)
    keep = {*manifest.current, *manifest.retired}
    for entry in folder.iterdir():
        if _FOLDER.match(entry.name) and entry.name not in keep:
            shutil.rmtree(entry, ignore_errors=True)
    return manifest
