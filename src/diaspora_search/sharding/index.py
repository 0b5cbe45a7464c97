"""``ShardedIndex``: a folder of N ordinary index folders searched as one index.

>>> import tempfile
>>> index = ShardedIndex.create(tempfile.mkdtemp(), shards=2)
>>> index.add([{"id": "a", "summary_es": "La educación"}, {"id": "b", "summary_en": "Schools"}])
2
>>> [hit.id for hit in index.search("educacion")], len(index)
(['a'], 2)
"""

from __future__ import annotations

import fcntl
import os
import threading
import time
from collections.abc import Iterable, Iterator, Mapping
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from .._errors import IndexExistsError, IndexLockedError, QueryError
from .._hits import Results
from .._records import Record, validate_batch
from ..query import AccentVariants
from ..query.translate import Translations
from ..search.deadline import DEFAULT_TIME_LIMIT, Deadline
from ..search.request import search_request
from ..storage import DEFAULT_LOCK_TIMEOUT, IndexStore, is_empty_folder
from ..translation import TableMixture, bundled_table
from . import shard as tasks
from .build import Part, build_part
from .manifest import (
    MAX_SHARDS,
    Manifest,
    read_manifest,
    recover,
    route,
    shard_folder,
    write_manifest,
)
from .runner import SEARCH_TIMEOUT, Runner
from .searcher import ShardedSearcher
from .statistics import GlobalStatistics

LOCK_FILE = "WRITELOCK"


class ShardedIndex:
    """An index split into shards by a stable hash of the record id, built in parallel (on
    Dask workers with a ``client``, else in local processes) and searched as one index: the
    same :class:`~diaspora_search.Results`, ranked as one :class:`~diaspora_search.SearchIndex`
    holding the same records would rank them.

    A batch is all or nothing across shards (a two-phase commit recorded in the manifest:
    ``sharding/manifest.py``). Translation uses the bundled lexicon (a learned table and a
    glossary are per index and not yet kept for a sharded one). A search pages, filters and
    counts facets, and sorts by year, as one index does (see :meth:`search`).
    """

    def __init__(
        self,
        path: Path,
        *,
        client: Any = None,
        lock_timeout: float = DEFAULT_LOCK_TIMEOUT,
        search_timeout: float = SEARCH_TIMEOUT,
    ) -> None:
        self.path = path
        self.client = client
        self.lock_timeout = lock_timeout
        self.search_timeout = search_timeout
        self._lock = threading.RLock()
        self._searcher: ShardedSearcher | None = None
        self._table: TableMixture | None = None
        self._search_runner: Runner | None = None

    # Opening ----------------------------------------------------------------------------------

    @classmethod
    def create(
        cls,
        path: str | os.PathLike[str],
        *,
        shards: int,
        client: Any = None,
        lock_timeout: float = DEFAULT_LOCK_TIMEOUT,
    ) -> ShardedIndex:
        """A new, empty index of ``shards`` shards (fixed from now on) in a new or empty folder.

        Raises:
            IndexExistsError: the folder is not empty.
            QueryError: ``shards`` is not an integer from 1 to 1,000.
        """
        if isinstance(shards, bool) or not isinstance(shards, int) or not 1 <= shards <= MAX_SHARDS:
            raise QueryError(f"shards must be an integer from 1 to {MAX_SHARDS:,}, got {shards!r}")
        folder = Path(path)
        if folder.exists() and not is_empty_folder(folder):
            raise IndexExistsError(
                f"{folder}: not an empty folder; choose a new path, or open the index there"
            )
        folder.mkdir(parents=True, exist_ok=True)
        names = tuple(shard_folder(i, 0) for i in range(shards))
        for name in names:
            IndexStore.create(folder / name).close()
        write_manifest(folder, Manifest(shards=shards, transaction=0, current=names))
        return cls(folder, client=client, lock_timeout=lock_timeout)

    @classmethod
    def open(
        cls,
        path: str | os.PathLike[str],
        *,
        client: Any = None,
        lock_timeout: float = DEFAULT_LOCK_TIMEOUT,
        search_timeout: float = SEARCH_TIMEOUT,
    ) -> ShardedIndex:
        """An existing sharded index; ``client`` (a ``dask.distributed.Client``) searches and
        builds it on the cluster's workers, a search waiting ``search_timeout`` seconds for
        them. A batch interrupted earlier is rolled forward or back here when no writer is at
        work.

        Raises:
            IndexNotFoundError: there is none at ``path``.
            IndexVersionError, IndexCorruptError: it cannot be read by this version.
        """
        folder = Path(path)
        read_manifest(folder)
        index = cls(folder, client=client, lock_timeout=lock_timeout, search_timeout=search_timeout)
        try:
            with index._write_lock(timeout=0.0):
                recover(folder, retire=False)  # (readers may still use the retired folders)
        except IndexLockedError:
            pass  # a writer is at work; it recovers before it writes
        return index

    @property
    def shards(self) -> int:
        return read_manifest(self.path).shards

    # Writing ----------------------------------------------------------------------------------

    def add(self, records: Iterable[Record | dict[str, Any]], *, client: Any = None) -> int:
        """Add (or replace) records, each in the shard its id routes to; all or nothing across
        shards. ``client``: build the parts on its Dask workers (the index's own by default).

        Raises:
            RecordError: a bad record; nothing is written.
            IndexWriteError: building a part failed; nothing is committed.
        """
        batch = validate_batch(records)
        parts: dict[int, list[Record]] = {}
        manifest = read_manifest(self.path)
        for record in batch:
            parts.setdefault(route(record.id, manifest.shards), []).append(record)
        self._commit(
            lambda m, i, target: Part(i, m.current[i], target, records=tuple(parts[i])),
            set(parts),
            len(batch),
            client,
        )
        return len(batch)

    def delete(self, ids: Iterable[str], *, client: Any = None) -> int:
        """Delete records by id (routed to their shards); how many were in the index."""
        wanted = [ids] if isinstance(ids, str) else list(dict.fromkeys(ids))
        manifest = read_manifest(self.path)
        routed: dict[int, list[str]] = {}
        for record_id in wanted:
            routed.setdefault(route(record_id, manifest.shards), []).append(record_id)
        # Only the shards holding any of the ids get a new folder (one call per shard).
        shards = sorted(routed)
        paths = [str(self.path / manifest.folders[i]) for i in shards]
        held = self._runner().search(
            tasks.shard_held, [(path, routed[i]) for path, i in zip(paths, shards, strict=True)]
        )
        parts = {i: found for i, found in zip(shards, held, strict=True) if found}
        done = self._commit(
            lambda m, i, target: Part(i, m.current[i], target, deletes=tuple(parts[i])),
            set(parts),
            len(wanted),
            client,
        )
        return sum(part.deleted for part in done)

    def _commit(self, make_part: Any, touched: set[int], size: int, client: Any) -> list[Any]:
        """The two-phase commit of one batch (see ``sharding/manifest.py``)."""
        if not touched:
            return []
        with self._lock, self._write_lock(timeout=self.lock_timeout):
            manifest = recover(self.path)
            transaction = manifest.transaction + 1
            parts = [make_part(manifest, i, shard_folder(i, transaction)) for i in sorted(touched)]
            runner = Runner(client if client is not None else self.client)
            done = runner.build(build_part, [(str(self.path), part) for part in parts], size)
            committed = Manifest(
                shards=manifest.shards,
                transaction=transaction,
                current=manifest.current,
                pending={part.shard: part.target for part in done},
            )
            write_manifest(self.path, committed)  # the commit point
            write_manifest(self.path, committed.finished())
            return done

    @contextmanager
    def _write_lock(self, timeout: float) -> Iterator[None]:
        """The index's write lock: an operating-system lock, released if its process dies."""
        with open(self.path / LOCK_FILE, "a") as handle:
            deadline = time.monotonic() + timeout
            while True:
                try:
                    fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
                    break
                except BlockingIOError:
                    if time.monotonic() >= deadline:
                        raise IndexLockedError(
                            f"index is locked by another writer (waited {timeout:g} s); "
                            "try again when it has finished"
                        ) from None
                    time.sleep(0.05)
            try:
                yield
            finally:
                fcntl.flock(handle, fcntl.LOCK_UN)

    # Reading ----------------------------------------------------------------------------------

    def _paths(self) -> list[str]:
        return [str(self.path / name) for name in read_manifest(self.path).folders]

    def _current(self) -> ShardedSearcher:
        """The searcher of the last committed state, with the statistics gathered from every
        shard, kept until the next commit (keyed by the shards' folders, one per state)."""
        paths = self._paths()
        runner = self._runner()
        with self._lock:
            if self._searcher is None or self._searcher.paths != paths:
                summaries = runner.search(tasks.shard_summary, [(path,) for path in paths])
                self._searcher = ShardedSearcher(paths, GlobalStatistics(summaries), runner)
            self._searcher.runner = runner
            return self._searcher

    def _runner(self) -> Runner:
        """The runner of searches (its Dask actors kept while the client is the same)."""
        if self._search_runner is None or self._search_runner.client is not self.client:
            self._search_runner = Runner(self.client, timeout=self.search_timeout)
        return self._search_runner

    def __len__(self) -> int:
        return sum(self._runner().search(tasks.shard_live_count, [(p,) for p in self._paths()]))

    def get(self, record_id: str) -> Record | None:
        """The stored record ``record_id`` (every key it was given), or ``None``.

        Raises:
            QueryError: ``record_id`` is not a string.
        """
        if not isinstance(record_id, str):
            raise QueryError(f"id must be a string, got {type(record_id).__name__}")
        stored = self._get_stored(record_id)
        return None if stored is None else Record.from_stored(stored)

    def _get_stored(self, record_id: str) -> dict[str, Any] | None:
        paths = self._paths()
        path = paths[route(record_id, len(paths))]
        return self._runner().search(tasks.shard_get, [(path, record_id)])[0]

    def search(
        self,
        query: str,
        *,
        limit: int = 10,
        lang: str | None = None,
        offset: int = 0,
        filters: Mapping[str, Any] | None = None,
        sort: str = "relevance",
        facets: Iterable[str] = (),
        translate: bool = True,
        time_limit: float | None = DEFAULT_TIME_LIMIT,
    ) -> Results:
        """As :meth:`diaspora_search.SearchIndex.search`, over every shard: the same hits,
        ``total`` and ``facets`` for every page, filtered or not, by relevance or by year.

        Raises:
            QueryError, QueryTimeoutError, UnsupportedLanguageError: as
                ``SearchIndex.search``.
            ShardUnavailableError: a shard cannot be reached or read (never partial results).
        """
        language, page = search_request(
            query,
            limit=limit,
            lang=lang,
            offset=offset,
            filters=filters,
            sort=sort,
            facets=facets,
            time_limit=time_limit,
        )
        with self._lock:
            searcher = self._current()
            if self._table is None:
                self._table = TableMixture([(bundled_table(), 1.0)])
            expanders = (
                (AccentVariants(), Translations(self._table)) if translate else (AccentVariants(),)
            )
            deadline = Deadline(time_limit)
            return searcher.search(query, page, language, expanders, deadline)

    def close(self) -> None:
        """Release the shards this process opened for this index, and its Dask actors."""
        with self._lock:
            tasks.close_under(str(self.path))
            self._searcher = None
            self._search_runner = None

    def __enter__(self) -> ShardedIndex:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def __repr__(self) -> str:
        return f"ShardedIndex({str(self.path)!r})"
