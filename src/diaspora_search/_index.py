"""``SearchIndex``: the facade over one index folder.

>>> import tempfile
>>> index = SearchIndex.create(tempfile.mkdtemp())
>>> index.add([{"id": "a", "summary_es": "La educación de los niños"}])
1
>>> [hit.id for hit in index.search("educacion ninos")]
['a']
"""

from __future__ import annotations

import os
import threading
from collections.abc import Iterable, Mapping, Sized
from pathlib import Path
from typing import Any

from ._errors import IndexCorruptError, IndexExistsError, QueryError
from ._fields import ID
from ._hits import Results
from ._info import IndexInfo, index_info
from ._progress import COMMITTING, INDEXING, READING, Progress, Reporter, reporter
from ._records import Record, ValidatedRecords, validate_batch, validate_stream
from ._translations import IndexTranslations
from ._version import __version__
from .query import AccentVariants
from .query.translate import Translations
from .search import Searcher
from .search.deadline import DEFAULT_TIME_LIMIT, Deadline
from .search.request import search_request
from .storage import (
    DEFAULT_LOCK_TIMEOUT,
    IndexStore,
    Writer,
    discard_new_index,
    is_empty_folder,
    is_index,
)

REBUILD_FROM_CORPUS = (
    "rebuild it from the corpus: diaspora-search index --rebuild CORPUS.jsonl --index {path}"
)


class SearchIndex:
    """A bilingual English/Spanish search index in a folder.

    Open one with :meth:`create`, :meth:`open` or :meth:`rebuild`. Searching is safe while
    another process writes: a search sees the index as of the last commit.
    """

    def __init__(self, store: IndexStore, lock_timeout: float) -> None:
        self._store = store
        self.path = store.path
        self.lock_timeout = lock_timeout
        self._translations = IndexTranslations(store)
        self._lock = threading.RLock()
        self._local = threading.local()

    # Opening ----------------------------------------------------------------------------------

    @classmethod
    def create(
        cls, path: str | os.PathLike[str], *, lock_timeout: float = DEFAULT_LOCK_TIMEOUT
    ) -> SearchIndex:
        """A new, empty index in a new or empty folder (parents are created).

        Raises:
            IndexExistsError: the folder is not empty.
        """
        return cls(IndexStore.create(path), lock_timeout)

    @classmethod
    def open(
        cls,
        path: str | os.PathLike[str],
        *,
        create: bool = False,
        lock_timeout: float = DEFAULT_LOCK_TIMEOUT,
    ) -> SearchIndex:
        """An existing index; with ``create``, a new one where there is none yet.

        Raises:
            IndexNotFoundError: there is no index at ``path`` (and not ``create``).
            IndexVersionError: it was built by an incompatible version.
            IndexCorruptError: it is damaged.
        """
        if create and not is_index(Path(path)):
            try:
                return cls.create(path, lock_timeout=lock_timeout)
            except IndexExistsError:
                if not is_index(Path(path)):  # (not another process creating it meanwhile)
                    raise
        return cls(IndexStore.open(path), lock_timeout)

    @classmethod
    def rebuild(
        cls,
        path: str | os.PathLike[str],
        records: Iterable[Record | dict[str, Any]],
        *,
        progress: Progress = False,
        lock_timeout: float = DEFAULT_LOCK_TIMEOUT,
    ) -> SearchIndex:
        """The index at ``path`` holding exactly ``records``, whatever it held before (also one
        written by another version, or damaged): one commit that replaces every record, so an
        interrupted rebuild leaves the old index, and readers see the new one as a new commit.
        A new or empty folder gets a new index.

        Raises:
            IndexExistsError: ``path`` is a folder that holds something other than an index.
        """
        folder = Path(path)
        steps = reporter(progress)
        try:
            if not folder.exists() or is_empty_folder(folder):
                made = not folder.exists()
                index = cls.create(folder, lock_timeout=lock_timeout)
                try:
                    index._write(records, steps, replace_all=False)
                except BaseException:
                    # A refused stream leaves what was there before: nothing, or an empty
                    # folder.
                    index.close()
                    discard_new_index(folder, remove_folder=made)
                    raise
                return index
            if not is_index(folder):
                raise IndexExistsError(
                    f"{folder}: not a diaspora_search index or an empty folder; "
                    "--rebuild replaces only an index"
                )
            index = cls(IndexStore.open_for_rebuild(folder), lock_timeout)
            index._write(records, steps, replace_all=True)
        finally:
            steps.close()
        index._store.mark_current()
        return index

    # Writing ----------------------------------------------------------------------------------

    def add(self, records: Iterable[Record | dict[str, Any]], *, progress: Progress = False) -> int:
        """Add records (dicts in the record format, or :class:`Record`); all or nothing.

        A record whose id is already in the index replaces it. A bad record, or an id twice,
        raises :class:`RecordError` and nothing is written. ``records`` may be any iterable:
        a list is validated whole before anything is written; any other iterable (a
        generator, a corpus being read) is streamed, read only a bounded batch ahead of what
        is written, and still committed once, after its last record: a refusal or an error
        at any point leaves the index exactly as it was.

        Args:
            records: the batch.
            progress: ``True`` for progress bars on standard error (reading, indexing,
                committing), or a callable taking ``(done, total)``, called once each time
                more records are indexed (``total`` is ``None`` while it is unknown: a stream
                is read and written a batch at a time, its length known only at its end).

        Returns:
            The number of records written.
        """
        steps = reporter(progress)
        try:
            return self._write(records, steps, replace_all=False)
        finally:
            steps.close()

    def _write(
        self, records: Iterable[Record | dict[str, Any]], steps: Reporter, *, replace_all: bool
    ) -> int:
        batch, total = _validated(records, steps)
        steps.phase(INDEXING, total=total)
        with self._lock, self._writer(replace_all=replace_all) as writer:
            count = writer.add(batch, steps.update)
            steps.update(count, count)
            steps.phase(COMMITTING)  # (the commit is the writer's exit)
        return count

    def _writer(self, *, replace_all: bool = False) -> Writer:
        return self._store.writer(timeout=self.lock_timeout, replace_all=replace_all)

    def delete(self, ids: Iterable[str]) -> int:
        """Delete records by id; returns how many were in the index."""
        if isinstance(ids, str):
            ids = [ids]
        with self._lock, self._writer() as writer:
            return writer.delete(ids)

    # Checking ---------------------------------------------------------------------------------

    def check(self) -> None:
        """Verify every file of the index's last commit against the checksums recorded when it
        was written (and the metadata against its own), reading each file whole.

        Raises:
            IndexCorruptError: a file is damaged, truncated or missing; ``error.damaged`` has
                one line per such file.
        """
        problems = self._store.damaged()
        if problems:
            raise IndexCorruptError(
                f"{self.path}: {len(problems)} damaged file(s): {'; '.join(problems)}; "
                + REBUILD_FROM_CORPUS.format(path=self.path),
                damaged=problems,
            )

    # Reading ----------------------------------------------------------------------------------

    def __len__(self) -> int:
        return self._current_searcher().snapshot.live_count()

    def get(self, id: str) -> Record | None:
        """The stored record with id ``id`` (every key it was given), or ``None``.

        Raises:
            QueryError: ``id`` is not a string.
        """
        if not isinstance(id, str):
            raise QueryError(f"id must be a string, got {type(id).__name__}")
        snapshot = self._current_searcher().snapshot
        docnum = snapshot.document_number(ID, id)
        return None if docnum is None else Record.from_stored(snapshot.stored(docnum))

    def info(self) -> IndexInfo:
        """Records, records per language, size on disk and versions, as of the last commit."""
        return index_info(self.path, self._current_searcher().snapshot, __version__)

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
        """Rank the records for ``query``, across both languages unless ``lang`` restricts it
        to the records' text in that language.

        A query in either language, with or without accents, finds the same records; with
        ``translate`` (the default) it also finds records written only in the other language,
        through the translations of its words (the bundled lexicon, the table :meth:`learn`
        fitted, the glossary of :meth:`set_glossary`). Syntax: words, "quoted phrases",
        -exclusions and OR. A query keeps its first 64 words, each standing for at most 32
        terms (the clause limit), and a search longer than ``time_limit`` seconds (5 by
        default; ``None``: no limit) ends with :class:`QueryTimeoutError`. Searches from several
        threads run at once, and never wait for a write.

        Args:
            query: the words.
            limit: how many hits (1 to 10,000).
            lang: only the records' text in this language ("en" or "es").
            offset: skip the first ``offset`` hits: pages of one order, so that paging gives
                the records of one long list.
            filters: which records count (scores are as without them): ``{"year": (lo, hi)}``
                inclusive, either end ``None``; ``{"source": str | list[str]}``, ``"authors"``,
                ``"tags"`` (any of the values given); ``{"lang": "en" | "es"}`` (records with
                text in that language). All keys must match.
            sort: "relevance", "year" (oldest first) or "-year" (newest first); records without
                a year come last, ties in relevance order.
            facets: any of "year", "source", "authors", "tags", "lang": ``Results.facets``
                counts each value over all the matches.
            translate: also match the translations of the query's words.

        Raises:
            QueryError: ``query`` is not a string, ``limit`` not an integer in 1..10,000,
                ``offset`` not one from 0, or a bad filter, sort or facet (named).
            QueryTimeoutError: the search took longer than ``time_limit``.
            UnsupportedLanguageError: ``lang`` is not en or es.
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
        searcher = self._current_searcher()
        expanders = (
            (AccentVariants(), Translations(self._translations.table()))
            if translate
            else (AccentVariants(),)
        )
        # (Started once the index and the lexicon are open: loading them is no query's cost.)
        deadline = Deadline(time_limit)
        return searcher.search(query, page, language, expanders, deadline)

    # Translations -----------------------------------------------------------------------------

    def learn(self) -> int:
        """Fit a translation table to the index's own bilingual records (IBM Model 1) and keep
        it in the index, so that a query also finds the records written only in the other
        language through pairs no dictionary has ("oriundos" and "hometown"). Run it after
        loading a collection, and again when it has grown; returns the number of terms it
        translates."""
        with self._lock:
            return self._translations.learn(self._current_searcher().snapshot)

    def set_glossary(self, path: str | os.PathLike[str] | None) -> int:
        """Use the glossary file ``path`` (one ``english<TAB>spanish`` pair of words or phrases
        a line; see :func:`~diaspora_search.translation.read_glossary`), kept in the index, or
        none (``None``). Its pairs weigh more than the lexicon's. Returns the number of terms
        it translates.

        Raises:
            RecordError: a bad line, naming the file and the line.
        """
        with self._lock:
            return self._translations.set_glossary(path)

    def _current_searcher(self) -> Searcher:
        """This thread's searcher of the last commit (its vocabulary, length norms and record
        values kept until the next commit): each thread reads through a snapshot of its own
        (Whoosh's readers are not shared between threads), taken without the write lock, so
        that searches neither wait for each other nor for an ``add``."""
        generation = self._store.latest_generation()
        found: Searcher | None = getattr(self._local, "searcher", None)
        if found is None or found.snapshot.generation != generation:
            found = self._local.searcher = Searcher(self._store.new_snapshot())
        return found

    def close(self) -> None:
        """Release open files (also done when the object is garbage-collected)."""
        with self._lock:
            self._local = threading.local()
            self._store.close()

    def __enter__(self) -> SearchIndex:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def __repr__(self) -> str:
        return f"SearchIndex({str(self.path)!r})"


def _validated(
    records: Iterable[Record | dict[str, Any]], steps: Reporter
) -> tuple[Iterable[Record], int | None]:
    """The records to write, and how many when known. A list (anything with a length) is
    validated whole first, the reading phase reported to ``steps``; any other iterable is
    validated as the writer reads it, a batch at a time (a reader that validated its records
    already, as :meth:`CorpusReader.records` does, is taken as it is)."""
    if isinstance(records, Sized):
        steps.phase(READING, total=len(records))
        batch = validate_batch(steps.counted(records))
        return batch, len(batch)
    if isinstance(records, ValidatedRecords):  # (checked as read: one set of ids)
        return records, None
    return validate_stream(records), None
