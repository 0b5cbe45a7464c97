"""The index folder as Whoosh sees it: durable, checked, and never through a symlink.

:class:`IndexFiles` is the Whoosh ``FileStorage`` every index is opened with. What it adds:

- **Durable commits.** Segment files (``.seg``) and tables of contents are fsynced when closed;
  renaming a table of contents into place writes the commit's checksum record first
  (``checksums.py``; fsynced and renamed likewise), then fsyncs the folder, so a commit is on
  disk before Whoosh deletes the previous one (which it does only after the rename returns).
- **Checked reads.** A table of contents is read whole and compared with its checksum record
  before Whoosh parses it, and its segment list is unpickled by the restricted unpickler.
- **No symlinks followed.** Files are created with ``O_NOFOLLOW`` (a symlink in the way is
  removed, never written through), files are read with ``O_NOFOLLOW``, and the temporary folder
  (``MAIN.tmp``) is always a real folder of our own: a symlink there is removed, never emptied.
  The index folder itself may be a symlink.
"""

from __future__ import annotations

import contextlib
import errno
import io
import os
from pathlib import Path
from typing import Any

from whoosh.filedb.filestore import FileStorage
from whoosh.filedb.structfile import StructFile
from whoosh.util.filelock import FcntlLock

from .._errors import IndexCorruptError
from .checksums import (
    SUMS_RE,
    TOC_RE,
    Sums,
    bytes_sum,
    read_sums,
    record_generation,
    sums_name,
)
from .safe_pickle import load_segments

_NOFOLLOW_READ = os.O_RDONLY | os.O_NOFOLLOW
_NOFOLLOW_WRITE = os.O_CREAT | os.O_TRUNC | os.O_NOFOLLOW


def fsync_folder(folder: str | os.PathLike[str]) -> None:
    """Make the folder's entries (new names, renames, deletions) durable."""
    fd = os.open(folder, os.O_RDONLY | os.O_DIRECTORY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def _open_for_writing(path: str, excl: bool = False, *, read: bool = False) -> int:
    """A new file at ``path`` (also readable with ``read``), never written through a symlink
    (one in the way is removed)."""
    flags = _NOFOLLOW_WRITE | (os.O_RDWR if read else os.O_WRONLY) | (os.O_EXCL if excl else 0)
    try:
        return os.open(path, flags, 0o644)
    except OSError as error:
        if error.errno != errno.ELOOP or excl:
            raise
    os.unlink(path)  # the symlink itself, never what it points to
    return os.open(path, flags | os.O_EXCL, 0o644)


def write_durably(folder: Path, name: str, data: bytes) -> None:
    """Replace ``folder/name`` by ``data`` whole: written beside it, fsynced, renamed into place,
    the folder fsynced; never through a symlink."""
    tmp = folder / (name + ".tmp")
    fd = _open_for_writing(str(tmp))
    try:
        view = memoryview(data)
        while view:
            view = view[os.write(fd, view) :]
        os.fsync(fd)
    finally:
        os.close(fd)
    os.replace(tmp, folder / name)
    fsync_folder(folder)


def _is_committed(name: str) -> bool:
    """Whether a file Whoosh creates outlives the commit (so must be durable before it): a
    compound segment or a table of contents (``_MAIN_3.toc.<time>`` until renamed)."""
    return name.endswith(".seg") or ".toc" in name


class _NoFollowLock(FcntlLock):  # type: ignore[misc]
    """Whoosh's writer lock, never opened through a symlink."""

    def acquire(self, blocking: bool = False) -> bool:
        try:
            fd = os.open(self.filename, os.O_CREAT | os.O_WRONLY | os.O_NOFOLLOW, 0o644)
        except OSError as error:
            if error.errno != errno.ELOOP:
                raise
            os.unlink(self.filename)
            fd = os.open(self.filename, os.O_CREAT | os.O_WRONLY | os.O_NOFOLLOW, 0o644)
        os.close(fd)
        return bool(super().acquire(blocking))


class IndexFiles(FileStorage):  # type: ignore[misc]
    """The files of one index folder (see the module docstring).

    ``verify=False`` reads a table of contents without its checksum record (an index older
    than checksums, opened only to be rebuilt); the restricted unpickler applies regardless.
    """

    def __init__(self, path: str | os.PathLike[str], *, verify: bool = True) -> None:
        super().__init__(str(path))
        self.verify = verify

    # Reading ------------------------------------------------------------------------------

    def open_file(self, name: str, **kwargs: Any) -> StructFile:
        match = TOC_RE.match(name)
        fd = os.open(self._fpath(name), _NOFOLLOW_READ)
        if match is None:
            return StructFile(os.fdopen(fd, "rb"), name=name, **kwargs)
        with os.fdopen(fd, "rb") as file:
            data = file.read()
        if self.verify:
            self._check_toc(int(match.group(1)), name, data)
        return _TableOfContents(io.BytesIO(data), name=name, **kwargs)

    def _check_toc(self, generation: int, name: str, data: bytes) -> None:
        sums = read_sums(Path(self.folder), generation)  # FileNotFoundError: replaced meanwhile
        if sums.get(name) != bytes_sum(data):
            raise IndexCorruptError(f"{name}: damaged (its checksum does not match)")

    # Writing ------------------------------------------------------------------------------

    def create_file(self, name: str, excl: bool = False, mode: str = "wb", **kwargs: Any) -> Any:
        fd = _open_for_writing(self._fpath(name), excl, read="+" in mode)
        onclose = _fsync_on_close if _is_committed(name) else None
        return StructFile(os.fdopen(fd, mode), name=name, onclose=onclose, **kwargs)

    def rename_file(self, oldname: str, newname: str, safe: bool = False) -> None:
        match = TOC_RE.match(newname)
        if match is not None:
            self._record_sums(int(match.group(1)), oldname)
        if safe and os.path.lexists(self._fpath(newname)):
            raise NameError(f"File {newname!r} exists")
        os.replace(self._fpath(oldname), self._fpath(newname))
        fsync_folder(self.folder)
        if match is not None:
            self._drop_older_sums(int(match.group(1)))

    def _record_sums(self, generation: int, toc_file: str) -> None:
        """Write the checksum record of the commit whose table of contents is ``toc_file``."""
        folder = Path(self.folder)
        with open(self._fpath(toc_file), "rb") as file:
            toc = file.read()
        record = record_generation(folder, generation, toc, self._latest_sums(generation))
        write_durably(folder, sums_name(generation), record)

    def _latest_sums(self, before: int) -> Sums:
        """The checksums of the latest commit before ``before`` (empty when unreadable)."""
        generations = [int(m.group(1)) for m in map(SUMS_RE.match, os.listdir(self.folder)) if m]
        older = [g for g in generations if g < before]
        try:
            return read_sums(Path(self.folder), max(older)) if older else {}
        except (OSError, IndexCorruptError):
            return {}  # (read every file afresh instead)

    def _drop_older_sums(self, generation: int) -> None:
        for name in os.listdir(self.folder):
            match = SUMS_RE.match(name)
            if match is not None and int(match.group(1)) < generation:
                with contextlib.suppress(FileNotFoundError):  # (another writer's cleanup)
                    os.unlink(self._fpath(name))

    def lock(self, name: str) -> _NoFollowLock:
        return _NoFollowLock(self._fpath(name))

    def temp_storage(self, name: str | None = None) -> IndexFiles:
        """A scratch folder inside the index folder; a symlink or file in its place is
        removed (never followed), and it is always emptied by name, never through links."""
        path = os.path.join(self.folder, name or "MAIN.tmp")
        if os.path.islink(path) or (os.path.lexists(path) and not os.path.isdir(path)):
            os.unlink(path)
        os.makedirs(path, exist_ok=True)
        return IndexFiles(path)

    def clean(self, ignore: bool = False) -> None:
        for name in self.list():
            path = os.path.join(self.folder, name)
            if os.path.isdir(path) and not os.path.islink(path):
                continue  # (never a folder we did not make)
            try:
                os.unlink(path)
            except OSError:
                if not ignore:
                    raise


class _TableOfContents(StructFile):  # type: ignore[misc]
    """A table of contents, read from its verified bytes; its segment list is unpickled with
    only the classes a segment list holds."""

    def read_pickle(self) -> Any:
        return load_segments(self.file)


def _fsync_on_close(file: StructFile) -> None:
    file.file.flush()
    os.fsync(file.file.fileno())
