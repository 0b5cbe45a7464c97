"""A batch written through the fast path, shared among processes, committed as one.

Large batches are split into contiguous ranges, and each range is built by two processes from
its two ends: one takes documents from the front going forward, the other from the back going
backward (:class:`SegmentBuilder` with ``backward``), each claiming a few dozen documents at a
time under a shared lock, until they meet. Neither waits for the other, whatever the documents
cost, and every segment holds a contiguous run of the batch: the index holds the documents, in
the order, that one process would write (only where segments begin differs). The processes are
forked; only the main process holds the index lock and writes the table of contents, so the
batch appears in one commit or not at all. A child that fails fails the batch, with its error.
"""

from __future__ import annotations

import gc
import mmap
import multiprocessing
import os
import pickle
import select
import signal
import struct
import threading
import time
from collections.abc import Callable
from typing import Any

from whoosh.writing import SegmentWriter

from .._errors import IndexWriteError
from . import segment as _segment
from .memory import memory_for_fork

PARALLEL_MIN_DOCS = 4000
"""Batches smaller than this are not worth a second process."""

CLAIM = 48
"""Documents a builder claims at a time."""

_PAIR = struct.Struct("qq")
_LOCK_CHECK = 1.0  # seconds between checks that the partner holding the claims lock lives


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

    def take(
        self, size: int, *, backward: bool, partner_alive: Callable[[], bool] | None = None
    ) -> range:
        """Claim up to ``size`` documents from the front, or from the back; the indexes of the
        documents in the order they are to be added (empty when none are left).

        ``partner_alive`` tells whether the process sharing the claims still runs (it may
        raise :class:`IndexWriteError` itself, saying why not): a process killed or stopped
        while holding the lock would otherwise block its partner for ever.
        """
        lock = self._lock
        if lock is not None:
            while not lock.acquire(timeout=_LOCK_CHECK):
                if partner_alive is not None and not partner_alive():
                    raise IndexWriteError("an indexing process died while claiming documents")
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
    partner_alive: Callable[[], bool] | None = None,
) -> list[Any]:
    """Claim and write documents of ``items`` until none are left, into as many new segments as
    :data:`POSTINGS_PER_SEGMENT` needs; the finished (uncommitted) segments, in document order.

    The cyclic garbage collector is off meanwhile (for the whole process: the buffers are
    millions of small lists without cycles, which it would only walk over and over).
    """
    segments: list[Any] = []
    builder: _segment.SegmentBuilder | None = None
    collecting = gc.isenabled()
    gc.disable()
    try:
        while order := claims.take(CLAIM, backward=backward, partner_alive=partner_alive):
            for i in order:
                if builder is None or builder.count >= _segment.POSTINGS_PER_SEGMENT:
                    if builder is not None:
                        segments.append(builder.finish())
                    builder = _segment.SegmentBuilder(
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


def workers_for(documents: int, processes: int) -> int:
    """How many processes build a batch of ``documents``: one for a small batch (not worth a
    fork), while other threads run (forking them could deadlock), or when the memory
    available could not hold another process of this one's size (see
    :func:`memory_for_fork`)."""
    if documents < PARALLEL_MIN_DOCS or threading.active_count() > 1 or processes <= 1:
        return 1
    if not memory_for_fork():
        return 1
    return processes


def build_batch(
    main: SegmentWriter,
    index: Any,
    items: list[Any],
    to_document: Callable[[Any], dict[str, Any]],
    *,
    processes: int,
    progress: Callable[[int], None] | None = None,
    stall_timeout: float = 10.0,
) -> list[Any]:
    """Write the documents ``to_document`` makes of ``items`` into new segments, not yet
    committed; the finished segments, in document order. Documents are made where they are
    written, in parallel; in this process alone while other threads run (forking them could
    deadlock). ``main`` is the locking writer: children never hold its lock.

    A child that dies (killed, as by the OOM killer) fails the batch as soon as it is seen;
    one stopped (``SIGSTOP``) for ``stall_timeout`` seconds is killed and fails it too: both
    with :class:`IndexWriteError`, never a wait without end."""
    workers = workers_for(len(items), processes)
    ranges = _split(items, -(-workers // 2))
    # (range, backward) per process; the last is this process's own.
    plan = [(r, backward) for r in range(len(ranges)) for backward in (False, True)]
    plan = plan[: max(1, workers)]
    shared = {r for r, backward in plan if backward}
    claims = [Claims(len(part), shared=r in shared) for r, part in enumerate(ranges)]
    children: dict[tuple[int, bool], _Child] = {}
    try:
        for r, backward in plan[:-1]:
            children[(r, backward)] = fork_builder(
                main, index, ranges[r], to_document, claims[r], backward, stall_timeout
            )
        report = None
        if progress is not None:
            report = lambda: progress(sum(c.claimed() for c in claims))  # noqa: E731
        r, backward = plan[-1]
        partner = children.get((r, not backward))
        built: dict[tuple[int, bool], list[Any]] = {
            plan[-1]: build(
                index,
                ranges[r],
                to_document,
                claims[r],
                backward=backward,
                progress=report,
                partner_alive=partner.alive if partner is not None else None,
            )
        }
        built.update(_results(children))
    except BaseException:
        for child in children.values():
            child.kill()
        raise
    # Range by range, the front's segments before the back's.
    return [segment for key in sorted(built) for segment in built[key]]


def _results(children: dict[tuple[int, bool], _Child]) -> dict[tuple[int, bool], list[Any]]:
    """Every child's segments, read from their pipes as they come; every child still running
    is checked meanwhile (a stopped one may hold the claims lock another waits for)."""
    pending = dict(children)
    out: dict[tuple[int, bool], list[Any]] = {}
    while pending:
        readers = {fd: key for key, child in pending.items() if (fd := child.reader) is not None}
        ready, _, _ = select.select(list(readers), [], [], _LOCK_CHECK / 4)
        for fd in ready:
            key = readers[fd]
            if not pending[key].read_some():
                out[key] = pending.pop(key).result()
        for child in pending.values():
            child.alive()
    return out


def _split(items: list[Any], parts: int) -> list[list[Any]]:
    size = -(-len(items) // parts) if items else 0
    shares = [items[i : i + size] for i in range(0, len(items), size)] if size else []
    return shares or [[]]


class _Child:
    """A forked process building segments of a batch, watched while the parent waits for it:
    its death or a stop longer than ``stall_timeout`` raises :class:`IndexWriteError`."""

    def __init__(self, pid: int, reader: int, stall_timeout: float) -> None:
        self.pid = pid
        self.reader: int | None = reader
        self.status: int | None = None  # once it has ended
        self.stall_timeout = stall_timeout
        self._stopped_at: float | None = None  # since when it is stopped, while it is
        self._chunks: list[bytes] = []  # what it wrote to its pipe so far

    def _poll(self) -> None:
        """Take the child's news: ended, stopped or continued."""
        if self.status is not None:
            return
        flags = os.WNOHANG | os.WUNTRACED | os.WCONTINUED
        while True:
            pid, status = os.waitpid(self.pid, flags)
            if not pid:
                return
            if os.WIFSTOPPED(status):
                if self._stopped_at is None:
                    self._stopped_at = time.monotonic()
            elif os.WIFCONTINUED(status):
                self._stopped_at = None
            else:
                self.status = status
                return

    def running(self) -> bool:
        """Whether the child has not ended (stopped counts as running)."""
        self._poll()
        return self.status is None

    def alive(self) -> bool:
        """Whether the child runs; raises :class:`IndexWriteError` (after killing it) when it
        has been stopped for longer than the stall timeout."""
        self._poll()
        if self._stopped_at is not None:
            stopped = time.monotonic() - self._stopped_at
            if stopped >= self.stall_timeout:
                self.kill()
                raise IndexWriteError(
                    f"an indexing process (pid {self.pid}) was stopped for {stopped:.1f} s "
                    f"(more than {self.stall_timeout:g} s); the batch is not written"
                )
        return self.status is None

    def read_some(self) -> bool:
        """Read what the child has written to its pipe (call when it is readable); ``False``
        at the end (the child closed it: finished, failed or died)."""
        assert self.reader is not None
        data = os.read(self.reader, 1 << 20)
        if data:
            self._chunks.append(data)
        return bool(data)

    def result(self) -> list[Any]:
        """The child's segments, once its pipe has ended; raises with the child's error when it
        failed, or how it died."""
        if self.reader is not None:
            os.close(self.reader)
            self.reader = None
        if self.status is None:
            self.status = os.waitpid(self.pid, 0)[1]
        payload: Any = None
        try:
            kind, payload = pickle.loads(b"".join(self._chunks))
        except Exception:  # nothing, or a part, written: the child died
            kind = None
        self._chunks = []
        if kind == "error":
            raise IndexWriteError(f"an indexing process failed: {payload}")
        if kind == "ok" and self.status == 0:
            return list(payload)
        raise IndexWriteError(f"an indexing process {_describe(self.status)}")

    def kill(self) -> None:
        """Stop the child if it still runs, and release what it holds."""
        if self.status is None:
            try:
                os.kill(self.pid, signal.SIGKILL)
                self.status = os.waitpid(self.pid, 0)[1]
            except OSError:
                pass
        if self.reader is not None:
            os.close(self.reader)
            self.reader = None


def _describe(status: int) -> str:
    """How a child ended, from its wait status, for an error message."""
    if os.WIFSIGNALED(status):
        number = os.WTERMSIG(status)
        try:
            name = signal.Signals(number).name
        except ValueError:
            name = f"signal {number}"
        hint = " (as the out-of-memory killer does)" if number == signal.SIGKILL else ""
        return f"was killed by {name}{hint}; the batch is not written"
    return f"failed (exit status {os.waitstatus_to_exitcode(status)}); the batch is not written"


def fork_builder(
    main: SegmentWriter,
    index: Any,
    items: list[Any],
    to_document: Callable[[Any], dict[str, Any]],
    claims: Claims,
    backward: bool,
    stall_timeout: float = 10.0,
) -> _Child:
    """Fork a process that builds segments of ``items`` as :func:`build` does, sharing
    ``claims`` with this one; the child's handle."""
    reader, writer = os.pipe()
    parent = os.getpid()
    pid = os.fork()
    if pid:
        os.close(writer)
        return _Child(pid, reader, stall_timeout)
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
            partner_alive=lambda: os.getppid() == parent,
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
