"""``SearchIndex``: the facade over one Whoosh index on disk.

>>> import tempfile
>>> index = SearchIndex.create(tempfile.mkdtemp())
>>> index.add([{"id": "a", "summary_es": "La educación de los niños"}])
1
>>> [hit.id for hit in index.search("educacion ninos")]
['a']
"""

from __future__ import annotations

import json
import os
import threading
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import Any

from whoosh import index as whoosh_index
from whoosh.searching import Searcher

from . import _ranking as ranking
from ._errors import (
    IndexExistsError,
    IndexNotFoundError,
    IndexVersionError,
    QueryError,
)
from ._hits import Results
from ._language import Language
from ._progress import ProgressBar
from ._query import Lexicon
from ._ranking import BM25
from ._records import Record, validate_batch
from ._schema import build_schema
from ._scoring import FieldNorms
from ._search import search
from ._writer import DEFAULT_LOCK_TIMEOUT, Writer
from .analysis import ANALYSIS_VERSION

META_FILE = "diaspora_search.json"
INDEX_FORMAT = 1
MAX_LIMIT = 10_000
_REBUILD_HINT = "rebuild it with: diaspora-search index --rebuild CORPUS.jsonl --index {path}"


class SearchIndex:
    """A bilingual English/Spanish search index in a folder.

    Open one with :meth:`create` or :meth:`open`. Searching is safe while another process
    writes: a search sees the index as of the last commit.
    """

    def __init__(self, path: Path, ix: whoosh_index.Index, lock_timeout: float) -> None:
        self.path = path
        self._ix = ix
        self.lock_timeout = lock_timeout
        self._searcher: Searcher | None = None
        self._lexicon: tuple[int, Lexicon, FieldNorms] | None = None
        self._lock = threading.RLock()

    # Opening ----------------------------------------------------------------------------------

    @classmethod
    def create(
        cls, path: str | os.PathLike[str], *, lock_timeout: float = DEFAULT_LOCK_TIMEOUT
    ) -> SearchIndex:
        """A new, empty index in a new or empty folder (parents are created)."""
        folder = Path(path)
        if folder.exists() and (not folder.is_dir() or any(folder.iterdir())):
            raise IndexExistsError(
                f"{folder}: not an empty folder; choose a new path, or open the index there"
            )
        folder.mkdir(parents=True, exist_ok=True)
        ix = whoosh_index.create_in(str(folder), build_schema())
        meta = {"format": INDEX_FORMAT, "analysis_version": ANALYSIS_VERSION}
        tmp = folder / (META_FILE + ".tmp")
        tmp.write_text(json.dumps(meta) + "\n", encoding="utf-8")
        tmp.replace(folder / META_FILE)
        return cls(folder, ix, lock_timeout)

    @classmethod
    def open(
        cls, path: str | os.PathLike[str], *, lock_timeout: float = DEFAULT_LOCK_TIMEOUT
    ) -> SearchIndex:
        """An existing index. Raises :class:`IndexNotFoundError` if there is none at ``path``
        and :class:`IndexVersionError` if it was built by an incompatible version."""
        folder = Path(path)
        meta_path = folder / META_FILE
        try:
            meta = json.loads(meta_path.read_text(encoding="utf-8"))
        except (FileNotFoundError, NotADirectoryError):
            raise IndexNotFoundError(
                f"{folder}: no diaspora_search index here; build one with: "
                f"diaspora-search index CORPUS.jsonl --index {folder}"
            ) from None
        except (OSError, ValueError) as error:
            raise IndexVersionError(
                f"{folder}: unreadable index metadata ({error}); "
                + _REBUILD_HINT.format(path=folder)
            ) from None
        if not isinstance(meta, dict):
            meta = {}
        found = (meta.get("format"), meta.get("analysis_version"))
        if found != (INDEX_FORMAT, ANALYSIS_VERSION):
            raise IndexVersionError(
                f"{folder}: index format {found[0]}, analysis version {found[1]}; this version "
                f"of diaspora_search reads format {INDEX_FORMAT}, analysis version "
                f"{ANALYSIS_VERSION}; " + _REBUILD_HINT.format(path=folder)
            )
        try:
            ix = whoosh_index.open_dir(str(folder))
        except whoosh_index.EmptyIndexError:
            raise IndexNotFoundError(f"{folder}: the index files are missing") from None
        except Exception as error:  # a damaged or foreign index: never a raw traceback
            raise IndexVersionError(
                f"{folder}: cannot read the index ({type(error).__name__}: {error}); "
                + _REBUILD_HINT.format(path=folder)
            ) from None
        return cls(folder, ix, lock_timeout)

    # Writing ----------------------------------------------------------------------------------

    def add(
        self,
        records: Iterable[Record | dict[str, Any]],
        *,
        progress: bool | Callable[[int, int], None] = False,
    ) -> int:
        """Add records (dicts in the CONTRACT.md format, or :class:`Record`); all or nothing.

        A record whose id is already in the index replaces it. The whole batch is validated
        first; a bad record raises :class:`RecordError` and nothing is written.

        Args:
            records: the batch.
            progress: ``True`` for a progress bar on standard error, or a callable taking
                ``(done, total)``.

        Returns:
            The number of records written.
        """
        batch = validate_batch(records)
        total = len(batch)
        bar = ProgressBar(total) if progress is True else None
        report: Callable[[int], None] | None = None
        if bar is not None:
            report = bar.update
        elif callable(progress):
            callback = progress
            report = lambda done: callback(done, total)  # noqa: E731
        with self._lock, Writer(self._ix, timeout=self.lock_timeout) as writer:
            count = writer.add(batch, report)
        if bar is not None:
            bar.close()
        elif report is not None:
            report(count)
        return count

    def delete(self, ids: Iterable[str]) -> int:
        """Delete records by id; returns how many were in the index."""
        if isinstance(ids, str):
            ids = [ids]
        with self._lock, Writer(self._ix, timeout=self.lock_timeout) as writer:
            return writer.delete(ids)

    # Reading ----------------------------------------------------------------------------------

    def __len__(self) -> int:
        return int(self._current_searcher().doc_count())

    def search(self, query: str, *, limit: int = 10, lang: str | None = None) -> Results:
        """Rank the records for ``query``, across both languages unless ``lang`` restricts it.

        A query in either language, with or without accents, finds the same records. Syntax:
        words, "quoted phrases", -exclusions and OR.

        Raises:
            QueryError: ``query`` is not a string, or ``limit`` not an integer in 1..10,000.
            UnsupportedLanguageError: ``lang`` is not en or es.
        """
        if not isinstance(query, str):
            raise QueryError(f"query must be a string, got {type(query).__name__}")
        if isinstance(limit, bool) or not isinstance(limit, int) or not 1 <= limit <= MAX_LIMIT:
            raise QueryError(f"limit must be an integer from 1 to {MAX_LIMIT:,}, got {limit!r}")
        language = Language.parse(lang) if lang is not None else None
        with self._lock:
            searcher = self._current_searcher()
            generation = searcher.reader().generation()
            if self._lexicon is None or self._lexicon[0] != generation:
                norms = FieldNorms(searcher, ranking.BM25_K1, ranking.BM25_B)
                self._lexicon = (generation, Lexicon(searcher.reader()), norms)
            _, lexicon, norms = self._lexicon
            return search(searcher, lexicon, query, limit, language, norms)

    def _current_searcher(self) -> Searcher:
        # A new searcher for each new commit, never ``Searcher.refresh()``: Whoosh-Reloaded 2.7.5
        # reuses readers by segment id there, which keeps the segments a merge removed and misses
        # later deletions (records counted twice, deleted ones still found), and fails on a
        # searcher of an empty index.
        with self._lock:
            old = self._searcher
            if old is not None and old.reader().generation() == self._ix.latest_generation():
                return old
            weighting = BM25(k1=ranking.BM25_K1, b=ranking.BM25_B)
            self._searcher = self._ix.searcher(weighting=weighting)
            if old is not None:
                old.close()
            return self._searcher

    def close(self) -> None:
        """Release open files (also done when the object is garbage-collected)."""
        with self._lock:
            if self._searcher is not None:
                self._searcher.close()
                self._searcher = None
            self._ix.close()

    def __enter__(self) -> SearchIndex:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def __repr__(self) -> str:
        return f"SearchIndex({str(self.path)!r})"
