"""Where a sharded index's tasks run: in this process, in local processes, or on Dask workers.

This is the only module that touches Dask (``pip install 'diaspora-search[dask]'``), and only
when a client is given: without one, everything runs without Dask installed.
"""

from __future__ import annotations

import multiprocessing
import os
import threading
from collections.abc import Callable, Iterator, Sequence
from concurrent.futures import ProcessPoolExecutor
from contextlib import contextmanager
from typing import Any, TypeVar

from .._errors import DiasporaSearchError, IndexWriteError, ShardUnavailableError

T = TypeVar("T")

SEARCH_TIMEOUT = 30.0
"""Seconds a sharded search waits for its shards before :class:`ShardUnavailableError`."""
CONNECT_TIMEOUT = 10.0
"""Seconds the command line waits for a Dask scheduler."""
LOCAL_PROCESSES_MIN = 2000
"""Batches of fewer records than this are built in this process (a process costs more)."""


class ShardServer:
    """A Dask actor that runs a sharded search's tasks on its worker (the worker's process
    keeps the shards it opened: ``shard.py``)."""

    def run(self, task: Callable[..., T], *args: Any) -> T:
        return task(*args)


class Runner:
    """Runs one task per shard and gathers the results in order, or raises."""

    def __init__(self, client: Any = None, *, timeout: float = SEARCH_TIMEOUT) -> None:
        self.client = client
        self.timeout = timeout
        self._servers: list[Any] = []
        self._futures: list[Any] = []

    def search(self, task: Callable[..., T], calls: Sequence[tuple[Any, ...]]) -> list[T]:
        """``task(*args)`` for each ``args`` of ``calls`` (one per shard), results in order:
        in this process, or on the cluster through one Dask actor per call (an actor's calls
        go straight to its worker, not through the scheduler: several times quicker than a
        task per call).

        Raises:
            ShardUnavailableError: a shard, or the cluster, cannot be reached in time.
        """
        if self.client is None:
            return [task(*args) for args in calls]
        try:
            actors = self._actors(len(calls))
            futures = [actors[i].run(task, *args) for i, args in enumerate(calls)]
            return [future.result(timeout=self.timeout) for future in futures]
        except DiasporaSearchError:
            raise
        except Exception as error:
            self._servers, self._futures = [], []  # (made again: a worker may have died)
            raise ShardUnavailableError(
                f"a shard cannot be reached on the Dask cluster "
                f"({type(error).__name__}: {error or 'timed out'}); no partial results"
            ) from None

    def _actors(self, count: int) -> list[Any]:
        """At least ``count`` actors, spread over the cluster's workers."""
        if len(self._servers) < count:
            workers = sorted(self.client.scheduler_info()["workers"]) or [None]
            made = [
                self.client.submit(
                    ShardServer,
                    actor=True,
                    pure=False,
                    workers=None
                    if workers[i % len(workers)] is None
                    else [workers[i % len(workers)]],
                )
                for i in range(len(self._servers), count)
            ]
            self._servers += [future.result(timeout=self.timeout) for future in made]
            self._futures += made  # (an actor lives as long as its future is held)
        return self._servers

    def build(self, task: Callable[..., T], calls: Sequence[tuple[Any, ...]], size: int) -> list[T]:
        """Phase 1 of a batch of ``size`` records: ``task(*args)`` for each shard's part, on
        the Dask workers, else in local processes (forked when no other thread runs, as in
        ``storage/parallel.py``), or in this process for a small batch.

        Raises:
            IndexWriteError: a part failed (Dask reschedules a part whose worker died, up to
                its ``allowed-failures``).
        """
        try:
            if self.client is not None:
                futures = [self.client.submit(task, *args, pure=False) for args in calls]
                return list(self.client.gather(futures, errors="raise"))
            if len(calls) < 2 or size < LOCAL_PROCESSES_MIN or (os.cpu_count() or 1) < 2:
                return [task(*args) for args in calls]
            method = "fork" if threading.active_count() == 1 else "spawn"
            context = multiprocessing.get_context(method)
            workers = min(len(calls), os.cpu_count() or 1)
            with ProcessPoolExecutor(workers, mp_context=context) as pool:
                futures_ = [pool.submit(task, *args) for args in calls]
                return [future.result() for future in futures_]
        except Exception as error:  # (a damaged shard, a full disk, a dead worker: any error)
            raise IndexWriteError(
                f"building the shards failed ({type(error).__name__}: {error}); "
                "nothing was committed"
            ) from None


@contextmanager
def connect(address: str | None) -> Iterator[Any]:
    """A Dask client of the scheduler at ``address`` for the time of a block (``None``: no
    client, and Dask need not be installed).

    Raises:
        ShardUnavailableError: Dask is not installed, or the scheduler cannot be reached.
    """
    if address is None:
        yield None
        return
    try:
        from distributed import Client
    except ImportError:
        raise ShardUnavailableError(
            "--scheduler needs Dask: pip install 'diaspora-search[dask]'"
        ) from None
    try:
        client = Client(address, timeout=CONNECT_TIMEOUT)  # type: ignore[no-untyped-call]
    except Exception as error:
        raise ShardUnavailableError(
            f"cannot reach the Dask scheduler {address} ({type(error).__name__}: {error})"
        ) from None
    try:
        yield client
    finally:
        client.close()  # type: ignore[no-untyped-call]
