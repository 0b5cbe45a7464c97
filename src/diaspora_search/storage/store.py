"""An index folder: its metadata and versions, its committed snapshots, its writers.

The folder holds Whoosh's files (``_MAIN_<generation>.toc`` and ``MAIN_*`` segment files) and
``diaspora_search.json``, the format and analysis versions the index was written with. Opening
checks both versions before Whoosh reads anything; Whoosh is always given the schema of the
running code, so the schema pickled in the table of contents is never unpickled.
"""

from __future__ import annotations

import json
import os
import threading
from pathlib import Path
from typing import Any

from whoosh import index as whoosh_index

from .._errors import (
    IndexCorruptError,
    IndexExistsError,
    IndexNotFoundError,
    IndexVersionError,
)
from ..analysis import ANALYSIS_VERSION
from .schema import build_schema
from .snapshot import Snapshot
from .weighting import BM25
from .writer import DEFAULT_LOCK_TIMEOUT, Writer

META_FILE = "diaspora_search.json"
INDEX_FORMAT = 1
REBUILD_HINT = "rebuild it with: diaspora-search index --rebuild CORPUS.jsonl --index {path}"
_WHOOSH_PREFIXES = ("_MAIN_", "MAIN_")


def is_index(folder: Path) -> bool:
    """Whether ``folder`` holds a diaspora_search index (of any version, even damaged)."""
    return (folder / META_FILE).exists()


def is_empty_folder(folder: Path) -> bool:
    return folder.is_dir() and not any(folder.iterdir())


def discard_new_index(folder: Path, *, remove_folder: bool) -> None:
    """Remove an index just created in ``folder`` (its own files only, never a symlink's
    target), and the folder too when it was made for it and is left empty: what a refused
    first batch leaves behind."""
    for entry in folder.iterdir():
        if entry.name == META_FILE or entry.name.startswith(_WHOOSH_PREFIXES):
            if entry.is_dir() and not entry.is_symlink():
                for inner in entry.iterdir():  # Whoosh's temporary folder
                    inner.unlink()
                entry.rmdir()
            else:
                entry.unlink()
    if remove_folder and not any(folder.iterdir()):
        folder.rmdir()


class IndexStore:
    """One index folder. Thread-safe: each thread may take snapshots and writers."""

    def __init__(self, path: Path, ix: Any) -> None:
        self.path = path
        self._ix = ix
        self._snapshot: Snapshot | None = None
        self._lock = threading.Lock()

    # Opening ----------------------------------------------------------------------------------

    @classmethod
    def create(cls, path: str | os.PathLike[str]) -> IndexStore:
        """A new, empty index in a new or empty folder (parents are created)."""
        folder = Path(path)
        if folder.exists() and not is_empty_folder(folder):
            raise IndexExistsError(
                f"{folder}: not an empty folder; choose a new path, or open the index there"
            )
        folder.mkdir(parents=True, exist_ok=True)
        ix = whoosh_index.create_in(str(folder), build_schema())
        _write_meta(folder)
        return cls(folder, ix)

    @classmethod
    def open(cls, path: str | os.PathLike[str]) -> IndexStore:
        """An existing index.

        Raises:
            IndexNotFoundError: there is none at ``path``.
            IndexVersionError: it was written by an incompatible version.
            IndexCorruptError: its metadata or table of contents is damaged.
        """
        folder = Path(path)
        meta = _read_meta(folder)
        found = (meta.get("format"), meta.get("analysis_version"))
        if found != (INDEX_FORMAT, ANALYSIS_VERSION):
            raise IndexVersionError(
                f"{folder}: index format {found[0]}, analysis version {found[1]}; this version "
                f"of diaspora_search reads format {INDEX_FORMAT}, analysis version "
                f"{ANALYSIS_VERSION}; " + REBUILD_HINT.format(path=folder)
            )
        return cls(folder, _open_whoosh(folder))

    @classmethod
    def open_for_rebuild(cls, path: str | os.PathLike[str]) -> IndexStore:
        """The index at ``path`` whatever versions wrote it, to be replaced by a rebuild; a
        damaged one is started afresh in place (only the index's own files are touched)."""
        folder = Path(path)
        try:
            ix = _open_whoosh(folder)
        except (IndexCorruptError, IndexNotFoundError):
            for entry in folder.iterdir():
                if entry.name.startswith(_WHOOSH_PREFIXES) and not entry.name.endswith(
                    "_WRITELOCK"
                ):
                    entry.unlink()
            ix = whoosh_index.create_in(str(folder), build_schema())
        return cls(folder, ix)

    # Data beside the index (translation tables): JSON text, never code ---------------------

    def read_text(self, name: str) -> str | None:
        """The text of the data file ``name`` in the index folder, or ``None``."""
        try:
            return (self.path / name).read_text(encoding="utf-8")
        except FileNotFoundError:
            return None

    def text_version(self, name: str) -> tuple[int, int] | None:
        """What changes when the data file ``name`` is rewritten (or ``None`` without one)."""
        try:
            found = (self.path / name).stat()
        except FileNotFoundError:
            return None
        return (found.st_mtime_ns, found.st_size)

    def write_text(self, name: str, text: str | None) -> None:
        """Replace the data file ``name`` whole (written beside it, then renamed), or remove it
        (``None``)."""
        target = self.path / name
        if text is None:
            target.unlink(missing_ok=True)
            return
        tmp = self.path / (name + ".tmp")
        tmp.write_text(text, encoding="utf-8")
        tmp.replace(target)

    def mark_current(self) -> None:
        """Record that the index holds what this version writes (after a rebuild's commit)."""
        _write_meta(self.path)

    # Reading ----------------------------------------------------------------------------------

    def snapshot(self) -> Snapshot:
        """The index as of its last commit: a new snapshot for each new commit, never
        ``Searcher.refresh()`` (Whoosh-Reloaded 2.7.5 reuses readers by segment id there, which
        keeps the segments a merge removed and misses later deletions, and fails on a searcher
        of an empty index)."""
        with self._lock:
            old = self._snapshot
            if old is not None and old.generation == self._ix.latest_generation():
                return old
            self._snapshot = Snapshot(self._ix.searcher(weighting=BM25()))
            if old is not None:
                old.close()
            return self._snapshot

    # Writing ----------------------------------------------------------------------------------

    def writer(
        self,
        *,
        timeout: float = DEFAULT_LOCK_TIMEOUT,
        replace_all: bool = False,
        fast: bool = True,
        processes: int | None = None,
    ) -> Writer:
        """A write transaction (see :class:`Writer`)."""
        return Writer(
            self._ix, timeout=timeout, replace_all=replace_all, fast=fast, processes=processes
        )

    def close(self) -> None:
        with self._lock:
            if self._snapshot is not None:
                self._snapshot.close()
                self._snapshot = None
            self._ix.close()


def _write_meta(folder: Path) -> None:
    meta = {"format": INDEX_FORMAT, "analysis_version": ANALYSIS_VERSION}
    tmp = folder / (META_FILE + ".tmp")
    tmp.write_text(json.dumps(meta) + "\n", encoding="utf-8")
    tmp.replace(folder / META_FILE)


def _read_meta(folder: Path) -> dict[str, Any]:
    try:
        meta = json.loads((folder / META_FILE).read_text(encoding="utf-8"))
    except (FileNotFoundError, NotADirectoryError):
        raise IndexNotFoundError(
            f"{folder}: no diaspora_search index here; build one with: "
            f"diaspora-search index CORPUS.jsonl --index {folder}"
        ) from None
    except (OSError, ValueError) as error:
        raise IndexCorruptError(
            f"{folder}: unreadable index metadata ({error}); " + REBUILD_HINT.format(path=folder)
        ) from None
    if not isinstance(meta, dict):
        raise IndexCorruptError(
            f"{folder}: index metadata is not a JSON object; " + REBUILD_HINT.format(path=folder)
        )
    return meta


def _open_whoosh(folder: Path) -> Any:
    try:
        return whoosh_index.open_dir(str(folder), schema=build_schema())
    except whoosh_index.EmptyIndexError:
        raise IndexNotFoundError(f"{folder}: the index files are missing") from None
    except Exception as error:  # a damaged or foreign index: never a raw traceback
        raise IndexCorruptError(
            f"{folder}: cannot read the index ({type(error).__name__}: {error}); "
            + REBUILD_HINT.format(path=folder)
        ) from None
