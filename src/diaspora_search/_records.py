"""Records: the frozen value type, its validation, and reading JSON Lines corpora.

The rules are those of docs/api.md, "Records". Every refusal is a :class:`RecordError` whose
message is one line naming the file, the line and the key::

    corpus.jsonl:3: key 'sumary_en': unknown key; expected one of: authors, id, ...

>>> r = Record.from_dict({"id": "a1", "summary_es": "Educación"})
>>> r.id, r.summary_es, r.authors
('a1', 'Educación', ())
"""

from __future__ import annotations

import dataclasses
import datetime
import os
import re
from collections.abc import Callable, Generator, Iterable, Iterator, Mapping
from contextlib import closing
from dataclasses import dataclass
from types import TracebackType
from typing import Any, BinaryIO, Union

from ._errors import RecordError
from ._fields import KEYS, RECORD_KEYS
from ._jsonl import MAX_INTEGER_DIGITS, LongInteger, check_file, json_lines, source_name

MAX_ID_LENGTH = 256
MAX_RECORD_CHARS = 1_000_000
"""The largest record accepted: its text fields together, in characters (about 1 MB)."""

# The same bound for a year given in JSON (where longer integers are not even converted) and
# one given as a Python int.
_YEAR_BOUND = 10**MAX_INTEGER_DIGITS
_YEAR_DIGITS = f"must be an integer of at most {MAX_INTEGER_DIGITS} digits"

_TEXT_KEYS = tuple(k.key for k in RECORD_KEYS if k.type is str and k.key not in ("id", "date"))
_LIST_KEYS = tuple(k.key for k in RECORD_KEYS if k.type is list)

_DATE = re.compile(r"(\d{4})(?:-(\d{2})(?:-(\d{2}))?)?", re.ASCII)


def record_chars(record: Record) -> int:
    """The characters of a record's text fields (what its indexing costs grow with)."""
    return sum(len(getattr(record, key)) for key in _TEXT_KEYS)


@dataclass(frozen=True, slots=True)
class Record:
    """One bilingual record, as in docs/api.md. Missing text fields are empty strings.

    Slotted: a batch holds one per record (a ``__dict__`` each would cost half as much
    again)."""

    id: str
    title_en: str = ""
    title_es: str = ""
    summary_en: str = ""
    summary_es: str = ""
    authors: tuple[str, ...] = ()
    source: str = ""
    url: str = ""
    year: int | None = None
    text_en: str = ""
    text_es: str = ""
    date: str = ""
    tags: tuple[str, ...] = ()

    @classmethod
    def from_dict(
        cls, data: object, *, source: str | None = None, line: int | None = None
    ) -> Record:
        """Validate one decoded JSON object (or a ``Record``) and return it as a ``Record``."""
        if isinstance(data, Record):
            return data
        if not isinstance(data, Mapping):
            kind = _json_type(data)
            raise RecordError(f"expected a JSON object, got {kind}", source=source, line=line)
        return _validate(data, source, line)

    def to_dict(self) -> dict[str, Any]:
        """The record as a JSON-ready dict, without empty fields."""
        out: dict[str, Any] = {}
        for f in dataclasses.fields(self):
            value = getattr(self, f.name)
            if value in ("", (), None):
                continue
            out[f.name] = list(value) if isinstance(value, tuple) else value
        return out

    @classmethod
    def from_stored(cls, fields: dict[str, Any]) -> Record:
        """The record an index stored (its stored fields by field name), trusted as valid: it
        was validated when it was added."""
        values: dict[str, Any] = {}
        for key in RECORD_KEYS:
            value = fields.get(key.field)
            if value is None:
                continue
            values[key.key] = tuple(value) if key.type is list else value
        return cls(**values)


def _json_type(value: object) -> str:
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "a boolean"
    if isinstance(value, (int, float, LongInteger)):
        return "a number"
    if isinstance(value, str):
        return "a string"
    if isinstance(value, (list, tuple)):
        return "an array"
    if isinstance(value, Mapping):
        return "an object"
    return type(value).__name__


def _validate(data: Mapping[Any, Any], source: str | None, line: int | None) -> Record:
    def fail(key: str | None, message: str) -> RecordError:
        return RecordError(message, source=source, line=line, key=key)

    for key in data:
        if key not in KEYS:
            raise fail(str(key), f"unknown key; expected one of: {', '.join(sorted(KEYS))}")
    if "id" not in data:
        raise fail("id", "missing; every record needs an id")
    rid = data["id"]
    if not isinstance(rid, str):
        raise fail("id", f"must be a string, got {_json_type(rid)}")
    if not rid.strip():
        raise fail("id", "must not be blank")
    if len(rid) > MAX_ID_LENGTH:
        raise fail("id", f"is {len(rid)} characters long; the limit is {MAX_ID_LENGTH}")
    if problem := _text_problem(rid):
        raise fail("id", problem)
    values: dict[str, Any] = {"id": rid}
    size = len(rid)
    for key in _TEXT_KEYS:
        value = data.get(key)
        if value is None and key not in data:
            continue
        if not isinstance(value, str):
            raise fail(key, f"must be a string, got {_json_type(value)}")
        if problem := _text_problem(value):
            raise fail(key, problem)
        values[key] = value
        size += len(value)
    for key in _LIST_KEYS:
        if key not in data:
            continue
        items = data[key]
        if not isinstance(items, list) or not all(isinstance(a, str) for a in items):
            raise fail(key, f"must be a list of strings, got {_describe_list(items)}")
        if problem := next(filter(None, map(_text_problem, items)), None):
            raise fail(key, problem)
        values[key] = tuple(items)
        size += sum(len(a) for a in items)
    if "year" in data:
        year = data["year"]
        if isinstance(year, LongInteger):
            raise fail("year", f"{_YEAR_DIGITS}, got one of {year.digits:,} digits")
        if isinstance(year, bool) or not isinstance(year, int):
            raise fail("year", f"must be an integer, got {_json_type(year)}")
        if not -_YEAR_BOUND < year < _YEAR_BOUND:  # compared, not str()-ed: ints may be huge
            raise fail("year", f"{_YEAR_DIGITS}, got a larger one")
        values["year"] = year
    if "date" in data:
        date, date_year = _check_date(data["date"], fail)
        if "year" in values and values["year"] != date_year:
            raise fail("date", f"{date!r} is in {date_year}, but 'year' is {values['year']}")
        values["date"] = date
        values.setdefault("year", date_year)
        size += len(date)
    if not values.get("summary_en", "").strip() and not values.get("summary_es", "").strip():
        raise fail("summary_en", "no summary text: summary_en or summary_es must hold text")
    if size > MAX_RECORD_CHARS:
        raise fail(
            None, f"record {rid!r} is {size:,} characters; the limit is {MAX_RECORD_CHARS:,}"
        )
    return Record(**values)


def _check_date(value: object, fail: Callable[[str | None, str], RecordError]) -> tuple[str, int]:
    """An ISO 8601 calendar date (``YYYY``, ``YYYY-MM`` or ``YYYY-MM-DD``) and its year."""
    if not isinstance(value, str):
        raise fail("date", f"must be a string, got {_json_type(value)}")
    found = _DATE.fullmatch(value)
    if found is None:
        raise fail("date", f"must be an ISO 8601 date YYYY, YYYY-MM or YYYY-MM-DD, got {value!r}")
    year = int(found.group(1))
    month, day = (int(part) if part else 1 for part in found.group(2, 3))
    try:
        datetime.date(max(year, 1), month, day)
    except ValueError as error:
        raise fail("date", f"{value!r} is not a calendar date: {error}") from None
    return value, year


def _text_problem(value: str) -> str | None:
    """Why ``value`` cannot be indexed, or ``None``: a NUL, or a lone surrogate (which JSON's
    ``\\ud800`` escapes can produce but UTF-8 cannot encode)."""
    if "\x00" in value:
        return "contains a NUL character"
    try:
        value.encode("utf-8")
    except UnicodeEncodeError as error:
        return f"contains a lone surrogate {value[error.start]!r}, which is not valid Unicode text"
    return None


def _describe_list(value: object) -> str:
    if isinstance(value, list):
        bad = next((v for v in value if not isinstance(v, str)), None)
        return f"a list holding {_json_type(bad)}"
    return _json_type(value)


def validate_batch(records: Iterable[object], *, source: str | None = None) -> list[Record]:
    """Validate a whole batch (all or nothing): every record, and no id twice.

    Items are numbered from 1 in error messages, as lines of ``source``.
    """
    return list(validate_stream(records, source=source))


def validate_stream(records: Iterable[object], *, source: str | None = None) -> Iterator[Record]:
    """Validate records as they are read, without reading ahead: each item as a ``Record``,
    and no id twice (in the whole stream: the ids seen are kept, with the item number where
    each first stood). A bad item raises when it is reached.

    Items are numbered from 1 in error messages, as lines of ``source``.
    """
    seen: dict[str, int] = {}
    for number, item in enumerate(records, 1):
        record = Record.from_dict(item, source=source, line=number)
        first = seen.setdefault(record.id, number)
        if first != number:
            where = f"{source}:{first}" if source is not None else f"line {first}"
            raise RecordError(
                f"duplicate id {record.id!r} in this batch (first at {where})",
                source=source,
                line=number,
                key="id",
            )
        yield record


@dataclass
class Corpus:
    """Records read from JSON Lines files, and the lines refused (with ``skip_invalid``)."""

    records: list[Record] = dataclasses.field(default_factory=list)
    refused: list[RecordError] = dataclasses.field(default_factory=list)


CorpusSource = Union[str, "os.PathLike[str]", BinaryIO]
"""A corpus to read: a path, ``"-"`` for standard input, or a binary file object."""

_LINE_BITS = 40
"""Where an id was first seen is kept as one int, ``file number << 40 | line``: small beside
a string, for a set of ids that may hold millions."""


def iter_corpus(
    paths: CorpusSource | Iterable[CorpusSource],
    *,
    skip_invalid: bool = False,
    batch_size: int = 10_000,
) -> CorpusReader:
    """Read and validate JSON Lines corpora as a stream of batches of at most ``batch_size``.

    Memory stays bounded whatever the corpus size, but for the set of ids (duplicates are
    refused across all batches and files, as by :func:`read_corpus`)::

        with iter_corpus(["a.jsonl", "b.jsonl"], skip_invalid=True) as batches:
            for batch in batches:
                index.add(batch)
            print(len(batches.refused), "lines refused")

    Unlike :func:`read_corpus`, this is not all or nothing: without ``skip_invalid``, a bad
    line raises only when its batch is reached, after the earlier batches were handed out.

    Args:
        paths: one source or several: paths, ``"-"`` (standard input) or binary file objects.
        skip_invalid: list each refused line in the reader's ``refused`` instead of raising.
        batch_size: the most records in one batch.

    Raises:
        RecordError: at once, a path that does not exist or is not a regular file (even with
            ``skip_invalid``); while iterating, the first bad line (unless ``skip_invalid``)
            or a file that cannot be read.
        ValueError: ``batch_size`` under 1.
    """
    if batch_size < 1:
        raise ValueError(f"batch_size must be at least 1, got {batch_size}")
    if isinstance(paths, (str, os.PathLike)) or hasattr(paths, "read"):
        sources: list[CorpusSource] = [paths]  # type: ignore[list-item]
    else:
        sources = list(paths)
    for source in sources:
        # Every file checked before any batch: a typo in the last name costs no indexing.
        if isinstance(source, (str, os.PathLike)) and os.fspath(source) != "-":
            check_file(os.fspath(source))
    return CorpusReader(sources, skip_invalid=skip_invalid, batch_size=batch_size)


class CorpusReader(Iterator[list[Record]]):
    """The batches :func:`iter_corpus` reads: an iterator of ``list[Record]``, and a context
    manager that closes the file being read.

    Attributes:
        refused: with ``skip_invalid``, each line refused so far, as a ``RecordError`` with
            ``.source``, ``.line`` and ``.key``; complete once the iterator is exhausted.
    """

    def __init__(self, sources: list[CorpusSource], *, skip_invalid: bool, batch_size: int) -> None:
        self.refused: list[RecordError] = []
        self._names = [source_name(s) for s in sources]
        self._batches = self._read(sources, skip_invalid, batch_size)

    def __iter__(self) -> CorpusReader:
        return self

    def __next__(self) -> list[Record]:
        return next(self._batches)

    def records(self) -> ValidatedRecords:
        """The records of the remaining batches, one at a time: what to stream into
        ``SearchIndex.add`` (``index.add(reader.records())``), which then neither validates
        them again nor keeps a second set of their ids."""
        return ValidatedRecords(record for batch in self for record in batch)

    def close(self) -> None:
        """Stop reading, closing the file being read (files passed as objects stay open)."""
        self._batches.close()

    def __enter__(self) -> CorpusReader:
        return self

    def __exit__(
        self,
        kind: type[BaseException] | None,
        error: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        self.close()

    def _read(
        self, sources: list[CorpusSource], skip_invalid: bool, batch_size: int
    ) -> Generator[list[Record], None, None]:
        seen: dict[str, int] = {}
        batch: list[Record] = []
        for number, (name, source) in enumerate(zip(self._names, sources, strict=True)):
            with closing(json_lines(source)) as lines:
                for line, value in lines:
                    try:
                        if isinstance(value, RecordError):
                            raise value
                        record = Record.from_dict(value, source=name, line=line)
                        self._check_unique(record, seen, number << _LINE_BITS | line)
                    except RecordError as error:
                        if not skip_invalid:
                            raise
                        self.refused.append(error)
                        continue
                    batch.append(record)
                    if len(batch) >= batch_size:
                        yield batch
                        batch = []
        if batch:
            yield batch

    def _check_unique(self, record: Record, seen: dict[str, int], where: int) -> None:
        first = seen.setdefault(record.id, where)
        if first != where:
            name, line = self._names[where >> _LINE_BITS], where & ((1 << _LINE_BITS) - 1)
            first_name = self._names[first >> _LINE_BITS]
            first_line = first & ((1 << _LINE_BITS) - 1)
            raise RecordError(
                f"duplicate id {record.id!r} in this batch (first at {first_name}:{first_line})",
                source=name,
                line=line,
                key="id",
            )


class ValidatedRecords(Iterator[Record]):
    """A stream of records already validated, with no id twice (from
    :meth:`CorpusReader.records`)."""

    def __init__(self, records: Iterator[Record]) -> None:
        self._records = records

    def __iter__(self) -> ValidatedRecords:
        return self

    def __next__(self) -> Record:
        return next(self._records)


def read_corpus(
    paths: CorpusSource | Iterable[CorpusSource], *, skip_invalid: bool = False
) -> Corpus:
    """Read and validate JSON Lines corpora as one batch.

    Args:
        paths: one source or several: paths, ``"-"`` (standard input) or binary file objects.
        skip_invalid: keep the valid records and list each refused line in ``Corpus.refused``
            instead of raising on the first.

    Raises:
        RecordError: the first bad line (or a missing file), unless ``skip_invalid``. A missing
            or unreadable file, or one that is not a regular file, is raised even with
            ``skip_invalid``.
    """
    with iter_corpus(paths, skip_invalid=skip_invalid) as batches:
        records = [record for batch in batches for record in batch]
    return Corpus(records, batches.refused)
