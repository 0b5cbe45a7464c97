"""An index folder: its metadata and versions, its committed snapshots, its writers.

The folder holds Whoosh's files (``_MAIN_<generation>.toc`` and ``MAIN_*`` segment files), each
commit's checksum record (``_MAIN_<generation>.sums``, see ``checksums.py``) and
``diaspora_search.json``, the format and analysis versions the index was written with (and a
checksum of its own). Opening checks the metadata and both versions before Whoosh reads
anything, then the table of contents against its checksum record; Whoosh is always given the
schema of the running code, so the schema pickled in the table of contents is never unpickled,
and every other pickle is read by the restricted unpickler (``safe_pickle.py``).

Indexes of format 1 (before checksums) are refused with :class:`IndexVersionError`: they have
nothing to check against. ``rebuild`` still replaces them in one commit.
"""

from __future__ import annotations

import json
import os
import threading
import time
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
from . import safe_pickle
from .checksums import TOC_RE, checked_json, damaged_files, read_checked_json, read_sums
from .damage import corrupt
from .files import IndexFiles, _NoFollowLock, write_durably
from .schema import build_schema
from .snapshot import Snapshot
from .weighting import BM25
from .writer import DEFAULT_LOCK_TIMEOUT, Writer

META_FILE = "diaspora_search.json"
INDEX_FORMAT = 2
"""2: checksummed commits and metadata (1: none)."""
REBUILD_HINT = "rebuild it with: diaspora-search index --rebuild CORPUS.jsonl --index {path}"
_WHOOSH_PREFIXES = ("_MAIN_", "MAIN_")
_LOCK_FILE = "MAIN_WRITELOCK"
_OPEN_ATTEMPTS = 20
"""Tries to open the latest commit while commits keep replacing it (each try is quick)."""
_CREATE_TIMEOUT = 10.0

safe_pickle.install()


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
        self._verified: set[tuple[str, int, int]] = set()  # files read whole and found sound

    # Opening ----------------------------------------------------------------------------------

    @classmethod
    def create(cls, path: str | os.PathLike[str]) -> IndexStore:
        """A new, empty index in a new or empty folder (parents are created).

        Two processes creating the same index: one creates it, the other gets
        :class:`IndexExistsError` (creation holds the write lock, and the metadata, written
        last, marks a finished index).
        """
        folder = Path(path)
        if is_index(folder) or (folder.exists() and not _only_index_files(folder)):
            raise _exists(folder)
        folder.mkdir(parents=True, exist_ok=True)
        lock = _NoFollowLock(str(folder / _LOCK_FILE))
        deadline = time.monotonic() + _CREATE_TIMEOUT
        while not lock.acquire():
            if time.monotonic() > deadline:
                raise _exists(folder)
            time.sleep(0.02)
        try:
            if is_index(folder) or not _only_index_files(folder):
                raise _exists(folder)
            ix = whoosh_index.FileIndex.create(IndexFiles(folder), build_schema(), "MAIN")
            _write_meta(folder)
        finally:
            lock.release()
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
        """The index at ``path`` whatever versions wrote it, to be replaced by a rebuild (an
        index without checksums is read unchecked: it is about to be replaced); a damaged one
        is started afresh in place (only the index's own files are touched; being damaged, it
        is not kept until the rebuild commits)."""
        folder = Path(path)
        try:
            if _read_meta(folder).get("format") == INDEX_FORMAT and damaged_in(folder):
                raise IndexCorruptError("damaged")  # (its writer could not read it)
            ix = _open_whoosh(folder, verify=False)
        except (IndexCorruptError, IndexNotFoundError):
            for entry in folder.iterdir():
                if entry.name.startswith(_WHOOSH_PREFIXES) and entry.name != _LOCK_FILE:
                    if entry.is_dir() and not entry.is_symlink():
                        continue  # (MAIN.tmp: emptied by the writer)
                    entry.unlink()
            ix = whoosh_index.FileIndex.create(IndexFiles(folder), build_schema(), "MAIN")
        return cls(folder, ix)

    # Checking ---------------------------------------------------------------------------------

    def damaged(self) -> list[str]:
        """One line per damaged file of the latest commit (see :func:`damaged_in`)."""
        return damaged_in(self.path)

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
        """Replace the data file ``name`` whole (written beside it, fsynced, then renamed; never
        through a symlink), or remove it (``None``)."""
        target = self.path / name
        if text is None:
            target.unlink(missing_ok=True)
            return
        write_durably(self.path, name, text.encode("utf-8"))

    def mark_current(self) -> None:
        """Record that the index holds what this version writes (after a rebuild's commit)."""
        _write_meta(self.path)

    # Reading ----------------------------------------------------------------------------------

    def latest_generation(self) -> int:
        """The generation of the last commit."""
        return _latest_generation(self.path)

    def new_snapshot(self) -> Snapshot:
        """A snapshot of the last commit of the caller's own (one per thread that searches:
        Whoosh's readers are not shared between threads), checked as :meth:`snapshot`'s;
        closed when it is no longer referenced."""
        with self._lock:
            return self._open_snapshot()

    def snapshot(self) -> Snapshot:
        """The index as of its last commit: a new snapshot for each new commit, never
        ``Searcher.refresh()`` (Whoosh-Reloaded 2.7.5 reuses readers by segment id there, which
        keeps the segments a merge removed and misses later deletions, and fails on a searcher
        of an empty index)."""
        with self._lock:
            old = self._snapshot
            if old is not None and old.generation == self._ix.latest_generation():
                return old
            self._snapshot = self._open_snapshot()
            if old is not None:
                old.close()
            return self._snapshot

    def _open_snapshot(self) -> Snapshot:
        """A snapshot of the last commit, its files verified before and after Whoosh opens it
        (under ``self._lock``)."""
        self._verify(_latest_generation(self.path))  # (before Whoosh parses anything)
        try:
            snapshot = Snapshot(self._ix.searcher(weighting=BM25()), self.path)
        except (IndexNotFoundError, IndexVersionError):
            raise
        except Exception as error:  # a damaged file: one line with advice, never raw
            raise corrupt(self.path, error) from None
        try:
            self._verify(snapshot.generation)  # (a commit may have come in between)
        except BaseException:
            snapshot.close()
            raise
        return snapshot

    def _verify(self, generation: int) -> None:
        """Read every file of ``generation`` this process has not yet found sound and compare
        it with its checksum (a segment file never changes, so each is read once per process:
        about 3 GB/s), so that a damaged file gives IndexCorruptError, never changed results."""
        try:
            sums = read_sums(self.path, generation)
        except FileNotFoundError:
            return  # a commit replaced it meanwhile: the next snapshot is checked instead
        except IndexCorruptError as error:
            raise corrupt(self.path, error) from None
        unseen = {
            name: entry for name, entry in sums.items() if (name, *entry) not in self._verified
        }
        problems = damaged_files(self.path, unseen)
        if (
            problems
            and all(p.endswith(": missing") for p in problems)
            and _latest_generation(self.path) != generation
        ):
            return  # (its files were cleaned up by a newer commit)
        if problems:
            raise corrupt(self.path, IndexCorruptError("; ".join(problems)))
        self._verified.update((name, *entry) for name, entry in unseen.items())

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


def _exists(folder: Path) -> IndexExistsError:
    return IndexExistsError(
        f"{folder}: not an empty folder; choose a new path, or open the index there"
    )


def _only_index_files(folder: Path) -> bool:
    """Whether ``folder`` is a folder holding nothing, or only what a creation killed before
    it wrote the metadata leaves (the lock, generation 0's files)."""
    return folder.is_dir() and all(
        e.name == _LOCK_FILE or e.name.startswith(("_MAIN_0.toc", "_MAIN_0.sums"))
        for e in folder.iterdir()
    )


def _meta_bytes() -> bytes:
    return checked_json({"format": INDEX_FORMAT, "analysis_version": ANALYSIS_VERSION})


def _write_meta(folder: Path) -> None:
    write_durably(folder, META_FILE, _meta_bytes())


def _read_meta(folder: Path) -> dict[str, Any]:
    """The metadata; an older format's (without a checksum) as it is, so that its version
    can be named."""
    try:
        fd = os.open(folder / META_FILE, os.O_RDONLY | os.O_NOFOLLOW)
        with os.fdopen(fd, "rb") as file:
            raw = file.read(1 << 16)
    except (FileNotFoundError, NotADirectoryError):
        raise IndexNotFoundError(
            f"{folder}: no diaspora_search index here; build one with: "
            f"diaspora-search index CORPUS.jsonl --index {folder}"
        ) from None
    except OSError as error:
        raise IndexCorruptError(
            f"{folder}: unreadable index metadata ({error}); " + REBUILD_HINT.format(path=folder)
        ) from None
    try:
        meta = json.loads(raw.decode("utf-8"))
    except ValueError as error:
        raise IndexCorruptError(
            f"{folder}: unreadable index metadata ({error}); " + REBUILD_HINT.format(path=folder)
        ) from None
    if not isinstance(meta, dict):
        raise IndexCorruptError(
            f"{folder}: index metadata is not a JSON object; " + REBUILD_HINT.format(path=folder)
        )
    checked: dict[str, Any] = dict(meta)
    if "crc32" in meta or meta.get("format") == INDEX_FORMAT:  # (this format has a checksum)
        try:
            checked = read_checked_json(raw, META_FILE)
        except IndexCorruptError as error:
            raise IndexCorruptError(
                f"{folder}: {error}; " + REBUILD_HINT.format(path=folder)
            ) from None
    return checked


def _latest_generation(folder: Path) -> int:
    found = [int(m.group(1)) for m in map(TOC_RE.match, os.listdir(folder)) if m]
    return max(found, default=-1)


def _open_whoosh(folder: Path, *, verify: bool = True) -> Any:
    """Whoosh's index of ``folder``, retried while commits replace the table of contents
    under it (a reader that found ``_MAIN_3.toc`` may find it gone a moment later)."""
    storage = IndexFiles(folder, verify=verify)
    for attempt in range(_OPEN_ATTEMPTS):
        generation = _latest_generation(folder)
        try:
            return whoosh_index.FileIndex(storage, schema=build_schema(), indexname="MAIN")
        except whoosh_index.EmptyIndexError:
            raise IndexNotFoundError(f"{folder}: the index files are missing") from None
        except Exception as error:  # a damaged or foreign index: never a raw traceback
            if attempt + 1 < _OPEN_ATTEMPTS and _latest_generation(folder) != generation:
                time.sleep(0.01)
                continue
            if isinstance(error, FileNotFoundError):
                error = IndexCorruptError(
                    f"the table of contents of generation {generation} or its checksum "
                    "record (_MAIN_N.sums) is missing"
                )
            detail = (
                str(error)
                if isinstance(error, IndexCorruptError)
                else (f"{type(error).__name__}: {error}")
            )
            raise IndexCorruptError(
                f"{folder}: cannot read the index ({detail}); " + REBUILD_HINT.format(path=folder)
            ) from None
    raise AssertionError("unreachable")  # pragma: no cover


def damaged_in(folder: Path) -> list[str]:
    """One line per damaged file of the latest commit of the index in ``folder`` (none when
    it is sound): the metadata, the checksum record and every file it lists, read whole.
    Needs no open index, so it also names the files that keep an index from opening."""
    try:
        _read_meta(folder)
    except IndexCorruptError:
        return [f"{META_FILE}: damaged"]
    for _ in range(_OPEN_ATTEMPTS):
        generation = _latest_generation(folder)
        if generation < 0:
            return ["no table of contents (_MAIN_N.toc): the index files are missing"]
        try:
            sums = read_sums(folder, generation)
        except FileNotFoundError:
            if _latest_generation(folder) != generation:
                continue  # (a commit replaced it meanwhile)
            return [f"_MAIN_{generation}.sums: missing (the commit's checksums)"]
        except IndexCorruptError as error:
            return [str(error)]
        problems = damaged_files(folder, sums)
        if problems and _latest_generation(folder) != generation:
            continue
        return problems
    return ["the index kept changing while it was checked; try again"]
