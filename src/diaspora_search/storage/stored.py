"""A segment's stored fields, written out as each document's blob is made.

The fast path used to keep every document's compressed stored-fields blob until the segment
was written and then join them (about 10 MB per process for half the corpus, held, and as much
again for the join). Now each blob goes to a file as it is made: straight into the segment's
stored column when documents come in order; into an unnamed temporary file (beside the index)
when they come last first (a backward builder, see :mod:`.parallel`), copied into the column
in reverse, a window at a time, when the segment is written. Only the sizes stay in memory.
"""

from __future__ import annotations

import itertools
import tempfile
from array import array
from typing import Any, BinaryIO

WINDOW = 1 << 20
"""Bytes of the temporary file read at a time when it is copied in reverse."""


class StoredBlobs:
    """Each document's blob in the order added: written to ``column`` (the stored column's
    file) now, or, with ``backward``, to a temporary file in ``folder`` (the system's when
    ``None``) until :meth:`finish`."""

    def __init__(self, column: Any, *, backward: bool, folder: str | None) -> None:
        self._column = column
        self._spool: BinaryIO | None = (
            tempfile.TemporaryFile(dir=folder, prefix=".stored-") if backward else None  # noqa: SIM115 (closed by finish or close)
        )
        self._write = (self._spool or column).write
        self.sizes = array("I")  # in the order added

    def add(self, blob: bytes) -> None:
        if blob:
            self._write(blob)
        self.sizes.append(len(blob))

    def finish(self) -> tuple[list[int], list[int], int]:
        """Complete the column; each document's size and offset in segment order, and the
        bytes written."""
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
        if self._spool is not None:
            self._spool.close()
            self._spool = None
