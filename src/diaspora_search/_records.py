"""Records: the frozen value type, its validation, and reading JSON Lines corpora.

The rules are CONTRACT.md's. Every refusal is a :class:`RecordError` whose message is one line
naming the file, the line and the key::

    corpus.jsonl:3: key 'sumary_en': unknown key; expected one of: authors, id, ...

>>> r = Record.from_dict({"id": "a1", "summary_es": "Educación"})
>>> r.id, r.summary_es, r.authors
('a1', 'Educación', ())
"""

from __future__ import annotations

import dataclasses
import json
import os
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass
from typing import Any

from ._errors import RecordError
from ._fields import KEYS, RECORD_KEYS

MAX_ID_LENGTH = 256
MAX_RECORD_CHARS = 1_000_000
"""The largest record accepted: its text fields together, in characters (about 1 MB)."""

_TEXT_KEYS = tuple(k.key for k in RECORD_KEYS if k.type is str and k.key != "id")


@dataclass(frozen=True)
class Record:
    """One bilingual record, as in CONTRACT.md. Missing text fields are empty strings."""

    id: str
    title_en: str = ""
    title_es: str = ""
    summary_en: str = ""
    summary_es: str = ""
    authors: tuple[str, ...] = ()
    source: str = ""
    url: str = ""
    year: int | None = None

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
            out[f.name] = list(value) if f.name == "authors" else value
        return out


def _json_type(value: object) -> str:
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "a boolean"
    if isinstance(value, (int, float)):
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
    if "authors" in data:
        authors = data["authors"]
        if not isinstance(authors, list) or not all(isinstance(a, str) for a in authors):
            raise fail("authors", f"must be a list of strings, got {_describe_list(authors)}")
        if problem := next(filter(None, map(_text_problem, authors)), None):
            raise fail("authors", problem)
        values["authors"] = tuple(authors)
        size += sum(len(a) for a in authors)
    if "year" in data:
        year = data["year"]
        if isinstance(year, bool) or not isinstance(year, int):
            raise fail("year", f"must be an integer, got {_json_type(year)}")
        values["year"] = year
    if not values.get("summary_en", "").strip() and not values.get("summary_es", "").strip():
        raise fail("summary_en", "no summary text: summary_en or summary_es must hold text")
    if size > MAX_RECORD_CHARS:
        raise fail(
            None, f"record {rid!r} is {size:,} characters; the limit is {MAX_RECORD_CHARS:,}"
        )
    return Record(**values)


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
    out: list[Record] = []
    seen: dict[str, str] = {}
    for number, item in enumerate(records, 1):
        record = Record.from_dict(item, source=source, line=number)
        _check_unique(record, seen, source, number)
        out.append(record)
    return out


def _check_unique(record: Record, seen: dict[str, str], source: str | None, line: int) -> None:
    """Refuse an id seen before in the batch; ``seen`` maps ids to where they first stood."""
    where = f"{source}:{line}" if source is not None else f"line {line}"
    first = seen.setdefault(record.id, where)
    if first != where:
        raise RecordError(
            f"duplicate id {record.id!r} in this batch (first at {first})",
            source=source,
            line=line,
            key="id",
        )


@dataclass
class Corpus:
    """Records read from JSON Lines files, and the lines refused (with ``skip_invalid``)."""

    records: list[Record] = dataclasses.field(default_factory=list)
    refused: list[RecordError] = dataclasses.field(default_factory=list)


def read_corpus(
    paths: str | os.PathLike[str] | Iterable[str | os.PathLike[str]], *, skip_invalid: bool = False
) -> Corpus:
    """Read and validate JSON Lines corpora as one batch.

    Args:
        paths: one path or several.
        skip_invalid: keep the valid records and list each refused line in ``Corpus.refused``
            instead of raising on the first.

    Raises:
        RecordError: the first bad line (or a missing file), unless ``skip_invalid``. A missing
            or unreadable file is raised even with ``skip_invalid``.
    """
    if isinstance(paths, (str, os.PathLike)):
        paths = [paths]
    corpus = Corpus()
    seen: dict[str, str] = {}
    for path in paths:
        name = os.fspath(path)
        for line, data in _json_lines(name, corpus.refused if skip_invalid else None):
            try:
                record = Record.from_dict(data, source=name, line=line)
                _check_unique(record, seen, name, line)
            except RecordError as error:
                if not skip_invalid:
                    raise
                corpus.refused.append(error)
                continue
            corpus.records.append(record)
    return corpus


def _json_lines(path: str, refused: list[RecordError] | None) -> Iterator[tuple[int, object]]:
    """Yield ``(line number, decoded JSON)`` for each non-blank line of ``path``."""
    try:
        with open(path, "rb") as f:
            raw_lines = f.read().split(b"\n")
    except FileNotFoundError:
        raise RecordError("no such file", source=path) from None
    except IsADirectoryError:
        raise RecordError("is a directory, not a JSON Lines file", source=path) from None
    except OSError as error:
        raise RecordError(f"cannot read: {error.strerror}", source=path) from None
    if raw_lines and raw_lines[0].startswith(b"\xef\xbb\xbf"):
        raw_lines[0] = raw_lines[0][3:]
    for number, raw in enumerate(raw_lines, 1):
        try:
            text = raw.decode("utf-8")
        except UnicodeDecodeError as error:
            problem = RecordError(
                f"invalid UTF-8 at byte {error.start + 1} of the line", source=path, line=number
            )
            if refused is None:
                raise problem from None
            refused.append(problem)
            continue
        if not text.strip():
            continue
        try:
            data = json.loads(text)
        except json.JSONDecodeError as error:
            problem = RecordError(
                f"invalid JSON: {error.msg} (column {error.colno})", source=path, line=number
            )
            if refused is None:
                raise problem from None
            refused.append(problem)
            continue
        yield number, data
