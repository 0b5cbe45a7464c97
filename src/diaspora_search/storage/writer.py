"""Writing to an index: a transaction that commits on success and cancels on error.

The writer never imports the query code. A batch is all or nothing: records are validated
before anything is written, and an error while writing cancels the whole batch, so the index
keeps its last committed state (Whoosh writes new segments and only then swaps in a new table of
contents). The fast path (``segment.py``, ``parallel.py``) writes what Whoosh's ``add_document``
would write.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from types import TracebackType
from typing import Any

from whoosh.index import Index, LockError
from whoosh.writing import MERGE_SMALL, SegmentWriter

from .._errors import IndexLockedError
from .._fields import ID, document
from .._records import Record
from .parallel import Claims, build, build_batch, default_processes

DEFAULT_LOCK_TIMEOUT = 10.0
"""Seconds a writer waits for another writer's lock before :class:`IndexLockedError`."""

_LOCK_POLL = 0.05


def _locked(timeout: float) -> IndexLockedError:
    return IndexLockedError(
        f"index is locked by another writer (waited {timeout:g} s); try again when it has finished"
    )


class Writer:
    """An open write transaction on an index.

    Use as a context manager: it commits when the block ends normally and cancels (leaving the
    index as it was) when it raises. With ``replace_all`` the commit replaces every record
    the index held by the ones written (a rebuild, as one commit).
    """

    def __init__(
        self,
        index: Index,
        *,
        timeout: float = DEFAULT_LOCK_TIMEOUT,
        fast: bool = True,
        processes: int | None = None,
        replace_all: bool = False,
    ) -> None:
        try:
            self._writer: SegmentWriter = index.writer(timeout=timeout, delay=_LOCK_POLL)
        except LockError:
            raise _locked(timeout) from None
        self._index = index
        self._reader = self._writer.reader()
        self._open = True
        self._fast = fast
        self._processes = processes if processes is not None else default_processes()
        self._replace_all = replace_all
        self._segments: list[Any] = []  # the fast path's new segments, committed together

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
        return not self._replace_all and (ID, record_id) in self._reader

    def add(
        self,
        records: Iterable[Record],
        progress: Callable[[int], None] | None = None,
        *,
        backward: bool = False,
    ) -> int:
        """Add (or replace) validated records; the count written.

        ``backward`` builds the whole batch last document first, in this process: what the
        second builder of a shared range does (a seam for the tests that hold it to Whoosh).
        """
        writer = self._writer
        batch = list(records)
        for record in batch:
            if self._exists(record.id):
                writer.delete_by_term(ID, record.id)
        if backward:
            claims = Claims(len(batch), shared=False)
            self._segments += build(self._index, batch, document, claims, backward=True)
        elif self._fast:
            self._segments += build_batch(
                writer, self._index, batch, document, processes=self._processes, progress=progress
            )
        else:
            for count, record in enumerate(batch, 1):
                writer.add_document(**document(record))
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
            self._writer.commit(mergetype=self._merge)

    def _merge(self, writer: SegmentWriter, segments: list[Any]) -> list[Any]:
        # The merge policy hook runs inside SegmentWriter.commit: small existing segments are
        # merged as Whoosh always does (none kept in a rebuild); the batch's segments (and the
        # stock path's own, already in ``segments`` as Whoosh adds it) join the list unmerged.
        kept = [] if self._replace_all else MERGE_SMALL(writer, segments)
        return [*kept, *self._segments]

    def cancel(self) -> None:
        if self._open:
            self._open = False
            self._reader.close()
            self._writer.cancel()
