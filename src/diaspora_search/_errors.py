"""The exceptions raised by diaspora_search.

Every error raised for bad input, a missing index or a bad query derives from
:class:`DiasporaSearchError`, so callers can catch one class::

    DiasporaSearchError
     ├── UnsupportedLanguageError   a language other than en / es
     ├── RecordError                a corpus line or record that breaks docs/api.md
     ├── IndexNotFoundError         no index at the path given to SearchIndex.open
     ├── IndexExistsError           SearchIndex.create on a folder that is not empty
     ├── IndexVersionError          an index written by an incompatible version
     ├── IndexCorruptError          a damaged index (unreadable, truncated or altered files)
     ├── IndexLockedError           another writer holds the index lock
     ├── IndexWriteError            writing a batch failed (e.g. an indexing process died)
     └── QueryError                 a query that cannot be run (e.g. a bad limit)
          └── QueryTimeoutError     a search that took longer than its time limit
"""

from __future__ import annotations


class DiasporaSearchError(Exception):
    """Base of every error diaspora_search raises on purpose."""


class UnsupportedLanguageError(DiasporaSearchError, ValueError):
    """A language code that is not one of the supported languages."""


class RecordError(DiasporaSearchError, ValueError):
    """A record that breaks the record format.

    ``str(error)`` is one line naming the file, the line and the key, for example
    ``corpus.jsonl:3: key 'sumary_en': unknown key; expected one of: ...``.
    """

    def __init__(
        self,
        message: str,
        *,
        source: str | None = None,
        line: int | None = None,
        key: str | None = None,
    ) -> None:
        self.source = source
        self.line = line
        self.key = key
        self.reason = message
        where = source if source is not None else "<records>"
        if line is not None:
            where = f"{where}:{line}"
        prefix = f"{where}: key {key!r}: " if key is not None else f"{where}: "
        super().__init__(prefix + message)


class IndexNotFoundError(DiasporaSearchError, FileNotFoundError):
    """No diaspora_search index at the given path."""


class IndexExistsError(DiasporaSearchError, FileExistsError):
    """The folder given to ``SearchIndex.create`` is not empty."""


class IndexVersionError(DiasporaSearchError):
    """The index was written by an incompatible version of the analysis."""


class IndexCorruptError(DiasporaSearchError):
    """The index is damaged: a file is unreadable, truncated or altered.

    ``damaged`` lists one line per damaged file when the error comes from a check
    (``SearchIndex.check``), else it is empty.
    """

    def __init__(self, message: str, *, damaged: list[str] | None = None) -> None:
        super().__init__(message)
        self.damaged = list(damaged or [])


class IndexWriteError(DiasporaSearchError):
    """Writing a batch failed (an indexing process failed or died); nothing was written."""


class IndexLockedError(DiasporaSearchError):
    """Another writer holds the index lock past the timeout."""


class QueryError(DiasporaSearchError, ValueError):
    """A query that cannot be run."""


class QueryTimeoutError(QueryError):
    """A search that took longer than its time limit (``SearchIndex.search(time_limit=...)``)."""
