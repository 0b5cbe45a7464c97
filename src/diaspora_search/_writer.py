"""Writing to an index: a context manager that commits on success and cancels on error.

The writer never imports the query code. A batch is all or nothing: records are validated
before anything is written, and an error while writing cancels the whole batch, so the index
keeps its last committed state (Whoosh writes new segments and only then swaps in a new table of
contents).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from pathlib import Path
from types import TracebackType
from typing import Any

from whoosh.filedb.filestore import FileStorage
from whoosh.index import _DEF_INDEX_NAME, Index, LockError
from whoosh.util.filelock import try_for

from ._errors import IndexLockedError
from ._language import LANGUAGES
from ._parallel import BulkWriter
from ._records import Record
from ._schema import ID, NAMES, forms_field, summary_field, title_field

DEFAULT_LOCK_TIMEOUT = 10.0
"""Seconds a writer waits for another writer's lock before :class:`IndexLockedError`."""


_LOCK_POLL = 0.05


def _locked(timeout: float) -> IndexLockedError:
    return IndexLockedError(
        f"index is locked by another writer (waited {timeout:g} s); try again when it has finished"
    )


@contextmanager
def write_lock(folder: Path, *, timeout: float = DEFAULT_LOCK_TIMEOUT) -> Iterator[None]:
    """Hold the write lock of the index in ``folder``, as a :class:`Writer` does, so that no
    writer works on it meanwhile (for replacing the whole folder). Nothing to hold if there is
    no such folder. The lock is an OS file lock: a killed holder's lock is released.

    Raises:
        IndexLockedError: another writer held it for ``timeout`` seconds.
    """
    if not folder.is_dir():
        yield
        return
    lock = FileStorage(str(folder)).lock(f"{_DEF_INDEX_NAME}_WRITELOCK")
    if not try_for(lock.acquire, timeout=timeout, delay=_LOCK_POLL):
        raise _locked(timeout)
    try:
        yield
    finally:
        lock.release()


_TEXT_FIELDS = [(title_field(lang), summary_field(lang), forms_field(lang)) for lang in LANGUAGES]


def record_document(record: Record) -> dict[str, Any]:
    """The Whoosh document of a record: its fields in name order (the order Whoosh stores
    them in), but the forms fields last (the fast path reuses their titles' and summaries'
    words)."""
    doc: dict[str, Any] = {}
    # Stored as given; empty values are not stored at all.
    if record.authors:
        doc["authors"] = list(record.authors)
    doc[ID] = record.id
    names = "\n".join(n for n in (*record.authors, record.source) if n)
    if names:
        doc[NAMES] = names
    if record.source:
        doc["source"] = record.source
    forms: dict[str, str] = {}
    for title_name, summary_name, forms_name in _TEXT_FIELDS:
        title = getattr(record, title_name)
        summary = getattr(record, summary_name)
        if summary:
            doc[summary_name] = summary
        if not (title.isascii() and summary.isascii()):  # only accented words have forms
            forms[forms_name] = f"{title}\n{summary}"
    for title_name, _, _ in _TEXT_FIELDS:
        title = getattr(record, title_name)
        if title:
            doc[title_name] = title
    if record.url:
        doc["url"] = record.url
    if record.year is not None:
        doc["year"] = record.year
    doc.update(forms)
    return doc


class Writer:
    """An open write transaction on an index.

    Use as a context manager: it commits when the block ends normally and cancels (leaving the
    index as it was) when it raises.
    """

    def __init__(
        self,
        index: Index,
        *,
        timeout: float = DEFAULT_LOCK_TIMEOUT,
        fast: bool = True,
        processes: int | None = None,
    ) -> None:
        try:
            self._writer = index.writer(timeout=timeout, delay=_LOCK_POLL)
        except LockError:
            raise _locked(timeout) from None
        self._reader = self._writer.reader()
        self._open = True
        # The fast path (_bulk.py, _parallel.py) writes the index add_document would write.
        self._bulk = BulkWriter(self._writer, index, processes=processes) if fast else None

    def __enter__(self) -> Writer:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        if exc_type is None:
            self.commit()
        else:
            self.cancel()

    def _exists(self, record_id: str) -> bool:
        return (ID, record_id) in self._reader

    def add(self, records: Iterable[Record], progress: Callable[[int], None] | None = None) -> int:
        """Add (or replace) validated records; the count written."""
        writer = self._writer
        batch = list(records)
        for record in batch:
            if self._exists(record.id):
                writer.delete_by_term(ID, record.id)
        if self._bulk is not None:
            self._bulk.write(batch, record_document, progress)
        else:
            for count, record in enumerate(batch, 1):
                writer.add_document(**record_document(record))
                if progress is not None and count % 256 == 0:
                    progress(count)
        return len(batch)

    def delete(self, ids: Iterable[str]) -> int:
        """Delete records by id; how many were there."""
        return sum(int(self._writer.delete_by_term(ID, i)) for i in set(ids) if self._exists(i))

    def commit(self) -> None:
        if self._open:
            self._open = False
            self._reader.close()
            if self._bulk is not None:
                self._bulk.commit()
            else:
                self._writer.commit()

    def cancel(self) -> None:
        if self._open:
            self._open = False
            self._reader.close()
            if self._bulk is not None:
                self._bulk.cancel()
            else:
                self._writer.cancel()
