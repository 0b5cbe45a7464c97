"""diaspora_search: bilingual English/Spanish full-text search.

>>> import diaspora_search as ds
>>> ds.analyze("Las políticas de integración", "es")
['polit', 'integr']
>>> ds.fold("Educación")
'Educacion'
"""

from __future__ import annotations

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
    UnsupportedLanguageError,
)
from ._hits import Hit, Results
from ._index import SearchIndex
from ._info import IndexInfo
from ._language import Language
from ._records import MAX_RECORD_CHARS, Corpus, Record, read_corpus
from ._version import __version__
from .analysis import ANALYSIS_VERSION, analyze, fold

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
    "UnsupportedLanguageError",
    "__version__",
    "analyze",
    "bundled_corpus",
    "fold",
    "read_corpus",
]
