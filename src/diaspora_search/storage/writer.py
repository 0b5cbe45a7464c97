"""Writing to an index: a transaction that commits on success and cancels on error.

The writer never imports the query code. A batch is all or nothing: records are validated
before anything is written, and an error while writing cancels the whole batch, so the index
keeps its last committed state (Whoosh writes new segments and only then swaps in a new table of
contents). The fast path (``segment.py``, ``parallel.py``) writes what Whoosh's ``add_document``
would write.
"""

from __future__ import annotations

import itertools
from collections.abc import Callable, Iterable, Iterator, Sized
from types import TracebackType
from typing import Any

from whoosh.index import Index, LockError, clean_files
from whoosh.writing import MERGE_SMALL, SegmentWriter

from .._errors import IndexLockedError
from .._fields import ID, document
from .._records import Record, record_chars
from .parallel import Claims, build, build_batch, default_processes, workers_for
from .segment import SerialBuilder

DEFAULT_LOCK_TIMEOUT = 10.0
"""Seconds a writer waits for another writer's lock before :class:`IndexLockedError`."""

STREAM_BATCH = 20_000
"""Records read from a stream (an iterable without a length) before they are written."""

_LOCK_POLL = 0.05
_SAMPLE = 256


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
        self._timeout = timeout
        self._segments: list[Any] = []  # the fast path's new segments, committed together
        self._serial: SerialBuilder | None = None  # the segment being built in this process

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
        """Add (or replace) records; the count written. Nothing is visible before the commit.

        A list (anything with a length) is written as one batch. Any other iterable is read
        :data:`STREAM_BATCH` records at a time, never further ahead: each batch becomes new
        segments on disk (not committed) before the next is read, so memory grows with the
        batch, not with the stream, and the commit adopts every batch's segments at once. An
        error raised by the stream (a bad record) leaves the index as it was (see
        :meth:`cancel`). ``progress`` gets the number of records written so far.

        ``backward`` builds each batch last document first, in this process: what the
        second builder of a shared range does (a seam for the tests that hold it to Whoosh).
        """
        done = 0
        for batch in _batches(records):
            self._add_batch(batch, done, progress, backward=backward)
            done += len(batch)
            if progress is not None:
                progress(done)
        return done

    def _add_batch(
        self,
        batch: list[Record],
        done: int,
        progress: Callable[[int], None] | None,
        *,
        backward: bool,
    ) -> None:
        writer = self._writer
        for record in batch:
            if self._exists(record.id):
                writer.delete_by_term(ID, record.id)
        report = None
        if progress is not None:
            report = lambda count: progress(done + count)  # noqa: E731
        if backward:
            claims = Claims(len(batch), shared=False)
            self._segments += build(self._index, batch, document, claims, backward=True)
        elif self._fast and (workers := self._workers_for(batch)) == 1:
            # Built here, continuing the segment of the stream's previous batch.
            if self._serial is None:
                self._serial = SerialBuilder(self._index, document)
            self._serial.add(batch, report)
        elif self._fast:
            self._flush_serial()  # (its documents come before this batch's)
            self._segments += build_batch(
                self._index,
                batch,
                document,
                workers=workers,
                progress=report,
                stall_timeout=self._timeout,
            )
        else:
            for count, record in enumerate(batch, 1):
                writer.add_document(**document(record))
                if report is not None and count % 256 == 0:
                    report(count)

    def _workers_for(self, batch: list[Record]) -> int:
        """The processes to build ``batch`` with (:func:`.parallel.workers_for`): its text
        measured on at most :data:`_SAMPLE` records spread over it (cheap, and as fair)."""
        if self._processes <= 1:
            return 1
        step = max(1, len(batch) // _SAMPLE)
        sample = batch[::step]
        chars = sum(map(record_chars, sample)) * len(batch) // len(sample)
        return workers_for(len(batch), chars, self._processes)

    def delete(self, ids: Iterable[str]) -> int:
        """Delete records by id; how many were there."""
        return sum(int(self._writer.delete_by_term(ID, i)) for i in set(ids) if self._exists(i))

    def _flush_serial(self) -> None:
        if self._serial is not None:
            self._segments += self._serial.finish()

    def commit(self) -> None:
        if self._open:
            try:
                self._flush_serial()
            except BaseException:
                self.cancel()
                raise
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
        """Leave the index as it was: the batch's segments already on disk (finished ones, and
        the pieces of one an indexing process left unfinished) are deleted, while the lock is
        still held, so no other writer's files can be among them."""
        if self._open:
            self._open = False
            self._reader.close()
            if self._serial is not None:
                self._serial.close()
            writer = self._writer
            writer._close_segment()
            clean_files(writer.storage, writer.indexname, writer.generation - 1, writer.segments)
            writer.cancel()


def _batches(records: Iterable[Record]) -> Iterator[list[Record]]:
    """``records`` in batches: a sized collection whole, any other iterable
    :data:`STREAM_BATCH` at a time (only as far as the batch being made)."""
    if isinstance(records, Sized):
        batch = list(records)
        if batch:
            yield batch
        return
    iterator = iter(records)
    while batch := list(itertools.islice(iterator, STREAM_BATCH)):
        yield batch
        del batch  # (freed before the next batch is read)
