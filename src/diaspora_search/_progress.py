"""Progress of a write, in phases: reading the records, indexing them, committing.

A write tells a :class:`Reporter` what it does: :meth:`~Reporter.phase` when a phase starts
(with its total when it is known), :meth:`~Reporter.update` with the count done so far in
it. The total may be unknown when a phase starts (records streamed from standard input) and
given later, or never. What the user asked for decides who listens (:func:`reporter`):

- ``progress=True``: a bar per phase on standard error, drawn by tqdm (the ecosystem's
  progress bar: elapsed time, rate, and an ETA once the total is known), each left on its
  own line when its phase ends;
- a callable: ``callback(done, total)`` once each time more records are indexed, never twice
  with the same count; ``total`` is ``None`` while it is unknown;
- ``False``: nothing.

>>> steps = []
>>> r = reporter(lambda done, total: steps.append((done, total)))
>>> r.phase(READING); r.update(2); r.phase(INDEXING, total=3)
>>> r.update(2); r.update(2); r.update(3); r.update(3); r.phase(COMMITTING); r.close()
>>> steps
[(2, 3), (3, 3)]
"""

from __future__ import annotations

import functools
import sys
import threading
from collections.abc import Callable, Iterable, Iterator
from typing import Any, TextIO, TypeVar

READING = "reading"
INDEXING = "indexing"
COMMITTING = "committing"

ProgressCallback = Callable[[int, "int | None"], None]
Progress = bool | ProgressCallback
"""What ``SearchIndex.add`` takes as ``progress``: ``True`` for bars on standard error, a
callable taking ``(done, total)``, or ``False``."""

T = TypeVar("T")


class Reporter:
    """Listens to the phases of a write; this base class ignores them."""

    def phase(self, name: str, total: int | None = None) -> None:
        """Phase ``name`` starts (ending the one before); ``total`` steps if known."""

    def update(self, done: int, total: int | None = None) -> None:
        """``done`` steps of the phase are done (a count, not an increment); ``total`` when
        it has become known since the phase started."""

    def close(self) -> None:
        """The write is over (committed, or failed)."""

    def counted(self, items: Iterable[T]) -> Iterator[T]:
        """``items``, reporting how many have been taken so far."""
        for done, item in enumerate(items, 1):
            self.update(done)
            yield item


class _Callback(Reporter):
    """Calls ``callback(done, total)`` for the indexing phase, once per new count."""

    def __init__(self, callback: ProgressCallback) -> None:
        self._callback = callback
        self._indexing = False
        self._done = 0
        self._total: int | None = None

    def phase(self, name: str, total: int | None = None) -> None:
        self._indexing = name == INDEXING
        self._total = total

    def update(self, done: int, total: int | None = None) -> None:
        learned = total is not None and total != self._total  # (a stream's, at its end)
        if total is not None:
            self._total = total
        if self._indexing and (done > self._done or learned):
            self._done = max(done, self._done)
            self._callback(done, self._total)


@functools.cache
def bar_class() -> Any:
    """tqdm's bar, imported on first use (a search never pays for it), without its monitor
    thread: while other threads run, the indexer builds in one process only (see
    ``storage/parallel.py``), so a thread of tqdm's own would cost speed."""
    from tqdm import tqdm

    class Bar(tqdm):  # type: ignore[misc]
        monitor_interval = 0

    return Bar


class TerminalProgress(Reporter):
    """One tqdm bar per phase, on ``stream`` (standard error by default).

    While committing there are no steps to count, so a thread redraws the elapsed time twice
    a second: a long commit shows that it is alive rather than a bar stuck at 100 %. (Only
    then: indexing starts builder processes, which a running thread would prevent.)
    """

    def __init__(self, stream: TextIO | None = None) -> None:
        self._stream = stream if stream is not None else sys.stderr
        self._bar: Any = None
        self._ticking: tuple[threading.Event, threading.Thread] | None = None

    def phase(self, name: str, total: int | None = None) -> None:
        self._end_phase()
        options: dict[str, Any] = {"desc": name, "file": self._stream, "dynamic_ncols": True}
        if name == COMMITTING:
            options["bar_format"] = "{desc} {elapsed}"
        else:
            options.update(total=total, unit=" records", mininterval=0.2)
        self._bar = bar_class()(**options)
        if name == COMMITTING:
            stop = threading.Event()
            ticker = threading.Thread(target=self._tick, args=(self._bar, stop), daemon=True)
            ticker.start()
            self._ticking = (stop, ticker)

    def update(self, done: int, total: int | None = None) -> None:
        bar = self._bar
        if bar is None:
            return
        if total is not None and bar.total != total:
            bar.total = total
            bar.refresh()
        if done > bar.n:
            bar.update(done - bar.n)

    def close(self) -> None:
        self._end_phase()

    def _end_phase(self) -> None:
        if self._ticking is not None:
            stop, ticker = self._ticking
            stop.set()
            ticker.join()  # (before the bar closes: no redraw after its last line)
            self._ticking = None
        if self._bar is not None:
            self._bar.close()
            self._bar = None

    @staticmethod
    def _tick(bar: Any, stop: threading.Event) -> None:
        while not stop.wait(0.5):
            bar.refresh()


def reporter(progress: Progress, stream: TextIO | None = None) -> Reporter:
    """The reporter for a ``progress`` argument (see the module's docstring)."""
    if progress is True:
        return TerminalProgress(stream)
    if callable(progress):
        return _Callback(progress)
    return Reporter()
