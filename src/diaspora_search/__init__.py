"""diaspora_search: bilingual English/Spanish full-text search.

>>> import diaspora_search as ds
>>> ds.analyze("Las políticas de integración", "es")
['polit', 'integr']
>>> ds.fold("Educación")
'Educacion'
"""

from __future__ import annotations

from typing import TYPE_CHECKING as _TYPE_CHECKING
from typing import Any as _Any

from ._corpus import bundled_corpus
from ._errors import (
    DiasporaSearchError,
    IndexCorruptError,
    IndexExistsError,
    IndexLockedError,
    IndexNotFoundError,
    IndexVersionError,
    IndexWriteError,
    QueryError,
    QueryTimeoutError,
    RecordError,
    ShardUnavailableError,
    UnsupportedLanguageError,
)
from ._hits import Hit, Results
from ._index import SearchIndex
from ._info import IndexInfo
from ._language import Language
from ._records import MAX_RECORD_CHARS, Corpus, Record, read_corpus
from ._version import __version__
from .analysis import ANALYSIS_VERSION, analyze, fold

if _TYPE_CHECKING:
    from .sharding import ShardedIndex

__all__ = [
    "ANALYSIS_VERSION",
    "MAX_RECORD_CHARS",
    "Corpus",
    "DiasporaSearchError",
    "Hit",
    "IndexCorruptError",
    "IndexExistsError",
    "IndexInfo",
    "IndexLockedError",
    "IndexNotFoundError",
    "IndexVersionError",
    "IndexWriteError",
    "Language",
    "QueryError",
    "QueryTimeoutError",
    "Record",
    "RecordError",
    "Results",
    "SearchIndex",
    "ShardUnavailableError",
    "ShardedIndex",
    "UnsupportedLanguageError",
    "__version__",
    "analyze",
    "bundled_corpus",
    "fold",
    "read_corpus",
]


def __getattr__(name: str) -> _Any:
    # ShardedIndex is loaded on first use: a program that never shards does not pay for
    # importing the sharding package (a sixth of the package's import time).
    if name == "ShardedIndex":
        from .sharding import ShardedIndex

        return ShardedIndex
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


def __dir__() -> list[str]:
    return sorted({*globals(), "ShardedIndex"})
