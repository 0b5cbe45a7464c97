"""A segment's stored fields, written out as each document's blob is made.

The fast path used to keep every document's compressed stored-fields blob until the segment
was written and then join them (about 10 MB per process for half the corpus, held, and as much
again for the join). Now each blob goes to a file as it is made: straight into the segment's
stored column when documents come in order; into an unnamed temporary file (beside the index)
when they come last first (a backward builder, see :mod:`.parallel`), copied into the column
in reverse, a window at a time, when the segment is written. Only the sizes stay in memory.

Each blob is compressed here (as ``codec.fast_compress``, what Whoosh's stored column reads),
or stored in the same stream format when it is short (:data:`STORE_BELOW`): compression was
about a sixth of a small batch's indexing in one process. When the compiled core has
``deflate_blobs`` (built with zlib), the blobs are compressed and written :data:`CHUNK` at a
time by a thread of their own, which holds the GIL only to take a chunk and write it out, so
the compression runs on another core beside the building of the segment; otherwise, and for
the last chunk, in the calling thread.
"""

from __future__ import annotations

import itertools
import queue
import tempfile
import threading
from array import array
from collections.abc import Callable
from typing import Any, BinaryIO

from .._compiled import core as _core
from .codec import fast_compress

WINDOW = 1 << 20
"""Bytes of the temporary file read at a time when it is copied in reverse."""

CHUNK = 256
"""Documents' blobs compressed at a time by the compressing thread (about 400 KB of pickles):
few enough to hold, many enough that the two hand-overs of the GIL a chunk costs (each up to
the interpreter's switch interval, 5 ms) leave the thread ahead of the builder."""

STORE_BELOW = 1024
"""Blobs shorter than this (a record of a title and a summary or two) are stored, not compressed:
zlib at level 0, the same stream format, which every reader inflates (Whoosh's included). On
the shared corpus's records (556 bytes pickled) compression saved 38% of their bytes but cost
twice the rest of reading one: 5.4 µs to inflate, 0.55 stored (a search reads some 60), and
19 µs to compress against 2 (benchmarks/RESULTS.md). Longer blobs, such as records with full
texts, shrink more and are compressed."""

QUEUED = 4
"""Chunks waiting for the compressing thread before :meth:`StoredBlobs.add` waits for it."""

_deflate_blobs: Callable[[list[bytes], int, int], tuple[bytes, list[int]]] | None = getattr(
    _core, "deflate_blobs", None
)


class StoredBlobs:
    """Each document's blob in the order added, compressed at ``level``: written to ``column``
    (the stored column's file) as it comes, or, with ``backward``, to a temporary file in
    ``folder`` (the system's when ``None``) until :meth:`finish`."""

    def __init__(self, column: Any, *, level: int, backward: bool, folder: str | None) -> None:
        self._column = column
        self._level = level
        self._spool: BinaryIO | None = (
            tempfile.TemporaryFile(dir=folder, prefix=".stored-") if backward else None  # noqa: SIM115 (closed by finish or close)
        )
        self._write = (self._spool or column).write
        # In the order added; behind the blobs added while the compressing thread runs.
        self.sizes = array("I")
        self._pending: list[bytes] = []  # (with the compressing thread) not yet handed to it
        self._thread: _Compressor | None = None

    def add(self, blob: bytes) -> None:
        """Add a document's pickled stored fields (``b""``: none), to be compressed."""
        if _deflate_blobs is None:
            if blob:
                blob = fast_compress(blob, self._level if len(blob) >= STORE_BELOW else 0)
                self._write(blob)
            self.sizes.append(len(blob))
            return
        pending = self._pending
        pending.append(blob)
        if len(pending) >= CHUNK:
            if self._thread is None:
                self._thread = _Compressor(self._write_chunk)
            self._thread.put(pending)
            self._pending = []

    def _write_chunk(self, blobs: list[bytes]) -> None:
        assert _deflate_blobs is not None  # (only called with it)
        data, sizes = _deflate_blobs(blobs, self._level, STORE_BELOW)
        self._write(data)
        self.sizes.extend(sizes)

    def finish(self) -> tuple[list[int], list[int], int]:
        """Complete the column; each document's size and offset in segment order, and the
        bytes written."""
        if self._thread is not None:
            self._thread.finish()  # (the blobs before the pending ones, written)
            self._thread = None
        if self._pending:
            self._write_chunk(self._pending)
            self._pending = []
        sizes = self.sizes.tolist()
        if self._spool is not None:
            self._copy_reversed()
            sizes.reverse()
        offsets = [0, *itertools.accumulate(sizes)]
        return sizes, offsets[:-1], offsets[-1]

    def _copy_reversed(self) -> None:
        """The spooled blobs into the column, last added first."""
        spool, sizes, write = self._spool, self.sizes, self._column.write
        assert spool is not None
        end = spool.tell()
        i = len(sizes)
        while i > 0:
            j, start = i, end
            while j > 0 and (j == i or end - start + sizes[j - 1] <= WINDOW):
                j -= 1
                start -= sizes[j]
            spool.seek(start)
            data = memoryview(spool.read(end - start))
            pieces = []
            at = end - start
            for k in range(i - 1, j - 1, -1):
                pieces.append(data[at - sizes[k] : at])
                at -= sizes[k]
            write(b"".join(pieces))
            i, end = j, start
        self.close()

    def close(self) -> None:
        """Release the temporary file and the thread (after an error, or when finished)."""
        if self._thread is not None:
            self._thread.stop()
            self._thread = None
        if self._spool is not None:
            self._spool.close()
            self._spool = None


_THREAD_NAME = "diaspora-search-stored"


def is_compressor(thread: threading.Thread) -> bool:
    """Whether ``thread`` is one of this module's compressing threads (which do not keep a
    batch in one process: ``parallel.workers_for``)."""
    return thread.name == _THREAD_NAME and thread.daemon


class _Compressor:
    """A thread that runs ``work`` on each chunk put, in order; :meth:`finish` waits for the
    last and raises the first error ``work`` raised (:meth:`put` raises it as soon as it is
    known)."""

    def __init__(self, work: Callable[[list[bytes]], None]) -> None:
        self._work = work
        self._ended = False  # the end marker is queued
        self._chunks: queue.Queue[list[bytes] | None] = queue.Queue(QUEUED)
        self._error: BaseException | None = None
        # A daemon: a caller that dies with chunks queued is not kept waiting for them.
        self._thread = threading.Thread(target=self._run, name=_THREAD_NAME, daemon=True)
        self._thread.start()

    def _run(self) -> None:
        while (chunk := self._chunks.get()) is not None:
            if self._error is None:  # (after an error, the rest is taken and dropped)
                try:
                    self._work(chunk)
                except BaseException as error:  # (raised in the caller's thread)
                    self._error = error

    def put(self, chunk: list[bytes]) -> None:
        self._raise()
        self._chunks.put(chunk)

    def finish(self) -> None:
        self.stop()
        self._raise()

    def stop(self) -> None:
        # The end marker once, and always the join: a join cut short (KeyboardInterrupt) is
        # taken up again by the next stop, which must not see a thread still alive as ended.
        if not self._ended:
            self._chunks.put(None)
            self._ended = True
        self._thread.join()

    def _raise(self) -> None:
        if self._error is not None:
            raise self._error
