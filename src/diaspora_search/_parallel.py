"""A batch written through the fast path, shared among processes, committed as one.

Large batches are split into contiguous ranges, and each range is built by two processes from
its two ends: one takes documents from the front going forward, the other from the back going
backward (:class:`SegmentBuilder` with ``backward``), each claiming a few dozen documents at a
time under a shared lock, until they meet. Neither waits for the other, whatever the documents
cost, and every segment still holds a contiguous run of the batch, in order, so the index is the
one a single process would write. The processes are forked; only the main process holds the
index lock and writes the table of contents, so the batch appears in one commit or not at all.
"""

from __future__ import annotations

import gc
import mmap
import multiprocessing
import os
import pickle
import signal
import struct
from collections.abc import Callable
from typing import Any

from whoosh.writing import MERGE_SMALL, SegmentWriter

from . import _bulk

PARALLEL_MIN_DOCS = 4000
"""Batches smaller than this are not worth a second process."""

CLAIM = 48
"""Documents a builder claims at a time."""

_PAIR = struct.Struct("qq")


def default_processes() -> int:
    """Processes for large batches: the CPUs this process may use, at most 4; 1 where
    ``fork`` is unavailable."""
    if not hasattr(os, "fork") or multiprocessing.get_start_method(allow_none=True) == "spawn":
        return 1
    try:
        cpus = len(os.sched_getaffinity(0))
    except AttributeError:  # pragma: no cover - not Linux
        cpus = os.cpu_count() or 1
    return max(1, min(4, cpus))


class Claims:
    """Which documents of a range are still unclaimed: ``[front, back)``. Shared between
    processes (forked after it is made) when ``shared``."""

    def __init__(self, total: int, *, shared: bool) -> None:
        self.total = total
        self._lock: Any = multiprocessing.get_context("fork").Lock() if shared else None
        self._state: Any = mmap.mmap(-1, _PAIR.size) if shared else bytearray(_PAIR.size)
        _PAIR.pack_into(self._state, 0, 0, total)

    def take(self, size: int, *, backward: bool) -> range:
        """Claim up to ``size`` documents from the front, or from the back; the indexes of the
        documents in the order they are to be added (empty when none are left)."""
        lock = self._lock
        if lock is not None:
            lock.acquire()
        try:
            front, back = _PAIR.unpack_from(self._state)
            if backward:
                start = max(front, back - size)
                _PAIR.pack_into(self._state, 0, front, start)
                return range(back - 1, start - 1, -1)
            end = min(back, front + size)
            _PAIR.pack_into(self._state, 0, end, back)
            return range(front, end)
        finally:
            if lock is not None:
                lock.release()

    def claimed(self) -> int:
        front, back = _PAIR.unpack_from(self._state)
        return int(front + self.total - back)


def build(
    index: Any,
    items: list[Any],
    to_document: Callable[[Any], dict[str, Any]],
    claims: Claims,
    *,
    backward: bool = False,
    progress: Callable[[], None] | None = None,
) -> list[Any]:
    """Claim and write documents of ``items`` until none are left, into as many new segments as
    :data:`POSTINGS_PER_SEGMENT` needs; the finished (uncommitted) segments, in document order.
    """
    segments: list[Any] = []
    builder: _bulk.SegmentBuilder | None = None
    # The buffers are millions of small lists that live until the segment is written and hold
    # no cycles: the cyclic garbage collector would only walk them over and over.
    collecting = gc.isenabled()
    gc.disable()
    try:
        while order := claims.take(CLAIM, backward=backward):
            for i in order:
                if builder is None or builder.count >= _bulk.POSTINGS_PER_SEGMENT:
                    if builder is not None:
                        segments.append(builder.finish())
                    builder = _bulk.SegmentBuilder(
                        SegmentWriter(index, _lk=False), backward=backward
                    )
                builder.add_document(to_document(items[i]))
            if progress is not None:
                progress()
        if builder is not None:
            segments.append(builder.finish())
            builder = None
    finally:
        if builder is not None:  # an error: close the unfinished segment's files
            builder.close()
        if collecting:
            gc.enable()
    return segments[::-1] if backward else segments


class BulkWriter:
    """A batch written through the fast path into new segments, committed together by the
    main (locking) writer."""

    def __init__(self, main: SegmentWriter, index: Any, *, processes: int | None = None) -> None:
        self.main = main
        self.index = index
        self.segments: list[Any] = []
        self.processes = processes if processes is not None else default_processes()

    def write(
        self,
        items: list[Any],
        to_document: Callable[[Any], dict[str, Any]],
        progress: Callable[[int], None] | None = None,
    ) -> None:
        """Write the documents ``to_document`` makes of ``items`` into new segments (not yet
        visible: see :meth:`commit`). Documents are made where they are written, in parallel."""
        workers = self.processes if len(items) >= PARALLEL_MIN_DOCS else 1
        ranges = _split(items, -(-workers // 2))
        # (range, backward) per process; the last is this process's own.
        plan = [(r, backward) for r in range(len(ranges)) for backward in (False, True)]
        plan = plan[: max(1, workers)]
        shared = {r for r, backward in plan if backward}
        claims = [Claims(len(part), shared=r in shared) for r, part in enumerate(ranges)]
        children: list[_Child] = []
        try:
            for r, backward in plan[:-1]:
                children.append(
                    _fork(self.main, self.index, ranges[r], to_document, claims[r], backward)
                )
            report = None
            if progress is not None:
                report = lambda: progress(sum(c.claimed() for c in claims))  # noqa: E731
            r, backward = plan[-1]
            own = build(
                self.index, ranges[r], to_document, claims[r], backward=backward, progress=report
            )
        except BaseException:
            for child in children:
                child.kill()
            raise
        built: dict[tuple[int, bool], list[Any]] = {plan[-1]: own}
        for key, child in zip(plan, children, strict=False):
            built[key] = child.result()
        for key in sorted(built):  # range by range, the front's segments before the back's
            self.segments.extend(built[key])

    def commit(self) -> None:
        self.main.commit(mergetype=self._with_segments)

    def _with_segments(self, writer: SegmentWriter, segments: list[Any]) -> list[Any]:
        # The merge policy hook runs inside SegmentWriter.commit: small existing segments are
        # merged as Whoosh always does; the batch's segments join the list unmerged.
        return [*MERGE_SMALL(writer, segments), *self.segments]

    def cancel(self) -> None:
        self.main.cancel()


def _split(items: list[Any], parts: int) -> list[list[Any]]:
    size = -(-len(items) // parts) if items else 0
    shares = [items[i : i + size] for i in range(0, len(items), size)] if size else []
    return shares or [[]]


class _Child:
    """A forked process building segments of a batch."""

    def __init__(self, pid: int, reader: int) -> None:
        self.pid = pid
        self.reader = reader

    def result(self) -> list[Any]:
        with os.fdopen(self.reader, "rb") as pipe:
            data = pipe.read()
        _, status = os.waitpid(self.pid, 0)
        if status != 0 or not data:
            raise RuntimeError(f"an indexing process failed (status {status})")
        kind, payload = pickle.loads(data)
        if kind == "error":
            raise RuntimeError(f"an indexing process failed: {payload}")
        return list(payload)

    def kill(self) -> None:
        try:
            os.kill(self.pid, signal.SIGKILL)
            os.waitpid(self.pid, 0)
        except OSError:
            pass
        os.close(self.reader)


def _fork(
    main: SegmentWriter,
    index: Any,
    items: list[Any],
    to_document: Callable[[Any], dict[str, Any]],
    claims: Claims,
    backward: bool,
) -> _Child:
    reader, writer = os.pipe()
    parent = os.getpid()
    pid = os.fork()
    if pid:
        os.close(writer)
        return _Child(pid, reader)
    # In the child: never hold the index lock (the parent's death must release it), never
    # return into the caller's code, and stop when the parent is gone.
    code = 1
    try:
        os.close(reader)
        lock = getattr(main.writelock, "fd", None)
        if lock is not None:
            os.close(lock)
        segments = build(
            index,
            items,
            to_document,
            claims,
            backward=backward,
            progress=lambda: _exit_if_orphaned(parent),
        )
        payload = pickle.dumps(("ok", segments))
        code = 0
    except BaseException as error:  # report, then exit: the parent raises
        payload = pickle.dumps(("error", f"{type(error).__name__}: {error}"))
    try:
        with os.fdopen(writer, "wb") as pipe:
            pipe.write(payload)
    finally:
        os._exit(code)


def _exit_if_orphaned(parent: int) -> None:
    if os.getppid() != parent:
        os._exit(1)
