"""A batch written through the fast path, shared among processes, committed as one.

Large batches are split into contiguous ranges, and each range is built by two processes from
its two ends: one takes documents from the front going forward, the other from the back going
backward (:class:`SegmentBuilder` with ``backward``), a few dozen documents at a time, until
they meet. Neither waits for the other, whatever the documents cost, and every segment holds a
contiguous run of the batch: the index holds the documents, in the order, that one process
would write (only where segments begin differs).

This process builds one end of one range itself; the other ends are built by builder
processes (``builder.py``): fresh interpreters, not forks, so that none maps this process's
pages (the caller's records, the batch). This process makes every document and hands each
builder its documents a chunk at a time, a few chunks ahead of what it has built (so the
claiming of documents from the two ends is this process's alone, under no lock). Only this
process holds the index lock and writes the table of contents, so the batch appears in one
commit or not at all. A builder that fails fails the batch, with its error; one that dies or
stays stopped fails it too, and never makes this process wait without end.
"""

from __future__ import annotations

import gc
import mmap
import multiprocessing
import os
import select
import struct
import sys
import threading
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from whoosh.writing import SegmentWriter

from .._errors import IndexWriteError
from . import segment as _segment
from .builder import DOCUMENTS, END, BuilderProcess, encode_documents, start_builder
from .memory import memory_for_builder
from .stored import is_compressor


@dataclass
class Costs:
    """What the number of processes for a batch is decided from (:func:`workers_for`):
    seconds, as measured on a 2-core development machine; what a builder's start costs, and
    how much of a core it gets, measured again each time one starts."""

    builder_start: float = 0.30
    """From starting a builder to its reading its first documents: a fresh interpreter and
    its imports (0.28-0.33 s measured on an idle machine, 0.7-1.9 s on a busy one)."""

    builder_speed: float = 1.0
    """The share of a core a builder gets: its start's CPU seconds over their wall seconds
    (on a machine whose cores are all busy, a builder's share of the work is smaller)."""

    per_record: float = 40e-6
    per_char: float = 120e-9
    """This process's indexing of a record, and of each character of its text (its
    ``Record`` fields; made into the documents, analysed, written into segments): 3,000
    records of the corpus (372 characters each) in about 0.25 s on an idle machine."""

    feeding: float = 0.10
    """The fraction of a document's cost this process spends making it and sending it to a
    builder instead of building it (0.04-0.08 measured, with room for the pipe)."""

    measure: bool = True
    """Whether each builder's start replaces :attr:`builder_start` and
    :attr:`builder_speed` (the tests fix them instead)."""

    def builder_started(self, wall: float, cpu: float) -> None:
        """Take a builder's start: ``wall`` seconds from its spawn to its first read, ``cpu``
        of them its own. Halfway from the last estimate to the measurement, and never above
        :data:`MAX_BUILDER_START`: builders are started (and so measured again) only while
        the estimate is below a batch's work, so one start slowed by a busy moment must not
        keep every later batch of the process in one process."""
        if self.measure and wall > 0:
            self.builder_start = min(MAX_BUILDER_START, (self.builder_start + wall) / 2)
            self.builder_speed = (self.builder_speed + min(1.0, cpu / wall)) / 2

    def work(self, records: int, chars: int) -> float:
        """The expected seconds of building ``records`` of ``chars`` text in one process."""
        return records * self.per_record + chars * self.per_char

    def seconds(self, work: float, workers: int) -> float:
        """The expected seconds of ``work`` (seconds in one process) built by ``workers``
        processes. This process builds alone until the builders have started (that part is
        hidden), then the rest is shared so that every process ends together, this process
        also making and sending the builders' documents (:attr:`feeding`), each builder at
        :attr:`builder_speed`; a batch shorter than the start waits for the builders all the
        same."""
        if workers <= 1:
            return work
        rest = max(0.0, work - self.builder_start)
        rate, feeding = (workers - 1) * self.builder_speed, self.feeding
        # Its own share ``own`` and the feeding of the others end when the builders' do:
        # own + feeding * (rest - own) == (rest - own) / rate.
        own = rest
        if rate > 0:
            own = max(0.0, rest * (1 / rate - feeding) / (1 - feeding + 1 / rate))
        return self.builder_start + own + feeding * (rest - own)


COSTS = Costs()

MAX_BUILDER_START = 1.2
"""The most a builder's start is estimated at (four idle starts): a stream's batch of 20,000
records (about 1.7 s of work) stays shared among processes whatever the starts measured."""
"""This process's costs: what :func:`workers_for` decides from."""

CLAIM = 48
"""Documents claimed at a time (by this process for itself, or as one builder's chunk)."""

AHEAD = 4
"""Chunks a builder is sent ahead of those it has built: enough that it never waits for this
process (which hands out chunks between its own), few enough that a builder that stops holds
back little of the batch (this process builds the rest of a shared range)."""

_PAIR = struct.Struct("qq")
_CHECK = 0.25  # seconds between checks of the builders while waiting for them


def default_processes() -> int:
    """Processes for large batches: the CPUs this process may use, at most 4; 1 where
    builder processes cannot be started (no ``posix_spawn``, or no interpreter to start)."""
    if not hasattr(os, "posix_spawn") or not sys.executable:
        return 1
    try:
        cpus = len(os.sched_getaffinity(0))
    except AttributeError:  # pragma: no cover - not Linux
        cpus = os.cpu_count() or 1
    return max(1, min(4, cpus))


class Claims:
    """Which documents of a range are still unclaimed: ``[front, back)``. With ``shared``,
    the state is in shared memory under a process lock, usable from processes forked after it
    is made (the builders no longer are: this process claims for them)."""

    def __init__(self, total: int, *, shared: bool = False) -> None:
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
        return self.total - self.left()

    def left(self) -> int:
        """How many documents are still unclaimed."""
        front, back = _PAIR.unpack_from(self._state)
        return int(back - front)


class Segments:
    """Documents added one at a time into as many new segments as ``postings_per_segment``
    (by default :data:`POSTINGS_PER_SEGMENT`) needs, each segment's buffers freed when it is
    written; with ``backward``, documents come last first. What a builder of a batch keeps."""

    def __init__(
        self, index: Any, *, backward: bool = False, postings_per_segment: int | None = None
    ) -> None:
        self._index = index
        self._backward = backward
        self.postings_per_segment = postings_per_segment or _segment.POSTINGS_PER_SEGMENT
        self._builder: _segment.SegmentBuilder | None = None
        self._done: list[Any] = []

    def add(self, document: dict[str, Any]) -> None:
        builder = self._builder
        if builder is None or builder.count >= self.postings_per_segment:
            if builder is not None:
                self._builder = None  # (its buffers go as soon as it is written)
                self._done.append(builder.finish())
            writer = SegmentWriter(self._index, _lk=False)
            builder = self._builder = _segment.SegmentBuilder(writer, backward=self._backward)
        builder.add_document(document)

    def finish(self) -> list[Any]:
        """The finished (uncommitted) segments, in document order."""
        if self._builder is not None:
            builder, self._builder = self._builder, None
            self._done.append(builder.finish())
        return self._done[::-1] if self._backward else self._done

    def close(self) -> None:
        """Close the unfinished segment's files (after an error)."""
        if self._builder is not None:
            self._builder.close()
            self._builder = None


def build(
    index: Any,
    items: list[Any],
    to_document: Callable[[Any], dict[str, Any]],
    claims: Claims,
    *,
    backward: bool = False,
    between: Callable[[], None] | None = None,
    claimed: Callable[[], None] | None = None,
) -> list[Any]:
    """Claim and write documents of ``items`` until none are left (``between`` is called
    after each claim, ``claimed`` once none is left, before the last segment's finish); the
    finished (uncommitted) segments, in document order.

    The cyclic garbage collector is off meanwhile (for the whole process: the buffers are
    millions of small lists without cycles, which it would only walk over and over).
    """
    segments = Segments(index, backward=backward)
    collecting = gc.isenabled()
    gc.disable()
    try:
        while order := claims.take(CLAIM, backward=backward):
            for i in order:
                segments.add(to_document(items[i]))
            if between is not None:
                between()
        if claimed is not None:
            claimed()
        return segments.finish()
    finally:
        segments.close()  # (an error: the unfinished segment's files)
        if collecting:
            gc.enable()


def workers_for(records: int, chars: int, processes: int, costs: Costs | None = None) -> int:
    """How many processes build a batch of ``records`` holding ``chars`` characters of text:
    as many as are expected to end it soonest by ``costs`` (:data:`COSTS`), fewer on a tie.
    The model charges a builder nothing past its start and its feeding, so once a batch's work
    exceeds the start every builder is expected to help: in practice the answer is one, or
    ``processes``. One, too, while other threads run (the caller, a Dask worker for one, runs its
    own parallelism), or when the memory available could not hold a builder (see
    :func:`memory_for_builder`)."""
    if processes <= 1 or _other_threads():
        return 1
    costs = costs or COSTS
    work = costs.work(records, chars)
    best = min(range(1, processes + 1), key=lambda workers: costs.seconds(work, workers))
    if best > 1 and not memory_for_builder():
        return 1
    return best


def _other_threads() -> bool:
    """Whether threads other than this one and the stored fields' compressing threads (this
    package's own, :mod:`.stored`) are running."""
    current = threading.current_thread()
    return any(
        thread is not current and not is_compressor(thread) for thread in threading.enumerate()
    )


Key = tuple[int, bool]
"""Who builds what: a range of the batch, and from which end (``True``: from the back)."""


def build_batch(
    index: Any,
    items: list[Any],
    to_document: Callable[[Any], dict[str, Any]],
    *,
    workers: int,
    progress: Callable[[int], None] | None = None,
    stall_timeout: float = 10.0,
) -> list[Any]:
    """Write the documents ``to_document`` makes of ``items`` into new segments, not yet
    committed; the finished segments, in document order. Shared among ``workers``
    processes (this one, and builders it starts: see :func:`workers_for`).

    A builder that dies (killed, as by the OOM killer) fails the batch as soon as it is seen;
    one stopped (``SIGSTOP``) for ``stall_timeout`` seconds is killed and fails it too: both
    with :class:`IndexWriteError`, never a wait without end."""
    ranges = _split(items, -(-workers // 2))
    plan: list[Key] = [(r, backward) for r in range(len(ranges)) for backward in (False, True)]
    plan = plan[: max(1, workers)]  # the last is this process's own
    claims = [Claims(len(part)) for part in ranges]
    builders: dict[Key, BuilderProcess] = {}
    try:
        for key in plan[:-1]:
            builders[key] = start_builder(
                index, key[1], _segment.POSTINGS_PER_SEGMENT, stall_timeout
            )
        feeder = _Feeder(builders, ranges, claims, to_document)

        def between() -> None:
            feeder.pump()
            if progress is not None:
                progress(sum(c.claimed() for c in claims))

        r, backward = plan[-1]
        built = {
            plan[-1]: build(
                index,
                ranges[r],
                to_document,
                claims[r],
                backward=backward,
                between=between,
                claimed=feeder.deliver,
            )
        }
        built.update(feeder.finish())
    except BaseException:
        for builder in builders.values():
            builder.kill()
        raise
    # Range by range, the front's segments before the back's.
    return [segment for key in sorted(built) for segment in built[key]]


class _Feeder:
    """Hands each builder its documents, :data:`CLAIM` at a time from its end of its range,
    at most :data:`AHEAD` chunks ahead of what it has built; collects its segments."""

    def __init__(
        self,
        builders: dict[Key, BuilderProcess],
        ranges: list[list[Any]],
        claims: list[Claims],
        to_document: Callable[[Any], dict[str, Any]],
    ) -> None:
        self._running = dict(builders)
        self._ranges = ranges
        self._claims = claims
        self._to_document = to_document
        self._built: dict[Key, list[Any]] = {}

    def pump(self) -> None:
        """Read every builder's answers, check it lives, and send what it may take now;
        raises :class:`IndexWriteError` when one failed, died or stalled."""
        for key, builder in list(self._running.items()):
            if not builder.receive():  # its output ended: finished, failed or died
                self._built[key] = self._running.pop(key).result()
                continue
            if builder.started is not None:  # (taken once)
                COSTS.builder_started(*builder.started)
                builder.started = None
            builder.alive()
            if not builder.ended:
                self._feed(key, builder)
            builder.flush()

    def _feed(self, key: Key, builder: BuilderProcess) -> None:
        """Send chunks until :data:`AHEAD` are in flight, and the end as soon as none of the
        range is left: not once the builder's last chunks are built, which may be after this
        process has begun finishing its own segment (it would wait idle through that, half a
        second in a full-corpus build)."""
        r, backward = key
        claims = self._claims[r]
        while builder.in_flight < AHEAD and (order := claims.take(CLAIM, backward=backward)):
            builder.send(DOCUMENTS, self._chunk(self._ranges[r], order))
        if claims.left() == 0:
            builder.send(END)

    def _chunk(self, items: list[Any], order: range) -> bytes:
        try:
            documents = [self._to_document(items[i]) for i in order]
        except Exception as error:  # (the builder's documents, made here: its failure)
            raise IndexWriteError(
                f"an indexing process failed: {type(error).__name__}: {error}"
            ) from error
        return encode_documents(documents)

    def deliver(self) -> None:
        """Wait until every builder's messages are in its pipe, when this process has no
        more of its own range to build: a builder whose pipe is full when its end is sent
        would otherwise get the end only after this process's own last segment is finished
        (it reads its pipe only as it builds; a full-corpus build's builder waited half a
        second for it). The wait is the builder's reading of what the pipe did not take, a
        chunk or two."""
        while True:
            self.pump()
            writers = self._unsent()
            if not writers:
                return
            select.select([], writers, [], _CHECK)

    def finish(self) -> dict[Key, list[Any]]:
        """Every builder's segments, once it has built all of its range that is left."""
        while True:
            self.pump()
            if not self._running:
                return self._built
            readers = [b.reader for b in self._running.values() if b.reader is not None]
            select.select(readers, self._unsent(), [], _CHECK)

    def _unsent(self) -> list[int]:
        """The pipes of the builders with messages the pipe has not yet taken."""
        builders = self._running.values()
        return [b.writer for b in builders if b.waiting_output and b.writer is not None]


def _split(items: list[Any], parts: int) -> list[list[Any]]:
    size = -(-len(items) // parts) if items else 0
    shares = [items[i : i + size] for i in range(0, len(items), size)] if size else []
    return shares or [[]]
