"""What ``SearchIndex.info()`` (and ``diaspora-search info``) tells about an index.

>>> import tempfile
>>> from diaspora_search import SearchIndex
>>> index = SearchIndex.create(tempfile.mkdtemp())
>>> index.add([{"id": "a", "summary_es": "Remesas"}, {"id": "b", "summary_en": "Remittances"}])
2
>>> info = index.info()
>>> info.records, info.languages
(2, {'en': 1, 'es': 1})
"""

from __future__ import annotations

import os
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

from ._fields import TEXT_FIELDS
from ._language import LANGUAGES
from .analysis import ANALYSIS_VERSION
from .storage import INDEX_FORMAT, Snapshot


@dataclass(frozen=True)
class IndexInfo:
    """A summary of one index, as of its last commit.

    Attributes:
        path: the index folder.
        records: how many records it holds.
        languages: per language code, how many records have text (a title or summary) in it;
            a bilingual record counts in both.
        size_bytes: the size of the folder's files on disk, in bytes.
        index_format: the version of the index format it was written in.
        analysis_version: the version of the analysis its terms were made by.
        version: the version of diaspora_search reading it.
    """

    path: str
    records: int
    languages: dict[str, int]
    size_bytes: int
    index_format: int
    analysis_version: int
    version: str

    def to_dict(self) -> dict[str, Any]:
        """The summary as a JSON-ready dict."""
        return asdict(self)

    def describe(self) -> list[str]:
        """The summary for people, one line per item (what ``diaspora-search info`` prints)."""
        languages = ", ".join(f"{code} {count:,}" for code, count in self.languages.items())
        return [
            f"index      {self.path}",
            f"records    {self.records:,}",
            f"languages  {languages}  (records with text in each)",
            f"size       {_size(self.size_bytes)} ({self.size_bytes:,} bytes)",
            f"versions   diaspora_search {self.version}, index format {self.index_format}, "
            f"analysis version {self.analysis_version}",
        ]


def index_info(path: Path, snapshot: Snapshot, version: str) -> IndexInfo:
    """Summarize the index in ``path`` whose last commit is ``snapshot``.

    Counting languages reads every record's stored fields once (about a second for 50,000
    records): ``info`` is a command for people, not for every query.
    """
    fields = {lang.value: [f.name for f in TEXT_FIELDS[lang]] for lang in LANGUAGES}
    languages = dict.fromkeys(fields, 0)
    for stored in snapshot.stored_documents():
        for code, names in fields.items():
            if any(stored.get(name) for name in names):
                languages[code] += 1
    return IndexInfo(
        path=str(path),
        records=snapshot.live_count(),
        languages=languages,
        size_bytes=_folder_size(path),
        # An open index always has the running code's versions: opening refuses any other.
        index_format=INDEX_FORMAT,
        analysis_version=ANALYSIS_VERSION,
        version=version,
    )


def _folder_size(path: Path) -> int:
    total = 0
    with os.scandir(path) as entries:
        for entry in entries:
            # (never followed: a link in the folder is not the index's own data)
            if entry.is_file(follow_symlinks=False):
                total += entry.stat(follow_symlinks=False).st_size
    return total


def _size(size: int) -> str:
    """``size`` bytes in decimal units: ``"512 bytes"``, ``"1.2 MB"``."""
    if size < 1000:
        return f"{size} bytes"
    value = float(size)
    for unit in ("kB", "MB", "GB"):
        value /= 1000
        if value < 1000 or unit == "GB":
            break
    return f"{value:.1f} {unit}"
