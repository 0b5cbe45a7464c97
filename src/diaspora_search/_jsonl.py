"""Reading JSON Lines, line by line, with bounds on everything a hostile file could make large.

A corpus may come from anywhere, so nothing in it may exhaust memory, hang the reader or escape
as anything but a :class:`RecordError` naming the file and the line:

* a file is read one line at a time, never whole, and a line is read in bounded pieces: a line
  over :data:`MAX_LINE_BYTES` is refused (and, when the caller reads on, skipped in pieces);
* only regular files are opened, so a FIFO cannot block and ``/dev/zero`` cannot be read
  forever; standard input (``-``) and file objects are read as streams, within the same bounds;
* nesting deeper than :data:`MAX_DEPTH` is refused before the JSON parser recurses into it;
* integers longer than :data:`MAX_INTEGER_DIGITS` digits are not converted (Python refuses
  ints of over 4,300 digits and converts long ones in quadratic time): they decode to a
  :class:`LongInteger` that record validation refuses, naming the key;
* a key twice in one object is refused rather than silently keeping the last value.

Validating what a line holds is ``_records.py``'s work; this module only decodes lines.
"""

from __future__ import annotations

import json
import os
import re
import stat
import sys
from collections.abc import Generator, Iterator
from itertools import accumulate
from typing import Any, BinaryIO

from ._errors import RecordError

MAX_LINE_BYTES = 16 * 1024 * 1024
"""The longest line read, in bytes, without its newline (16 MiB).

A record holds at most ``MAX_RECORD_CHARS`` (1,000,000) characters of text. Written as JSON,
one character takes at most 12 bytes: an astral character such as an emoji, escaped as a
surrogate pair (``\\ud83d\\ude00``) by ``json.dumps``'s default ``ensure_ascii``; in raw UTF-8 it
takes at most 4. So every record within the character limit fits in 12 MB, and 16 MiB leaves
room for its keys and punctuation while bounding what one line can make us hold.
"""

MAX_DEPTH = 64
"""The deepest nesting of arrays and objects accepted in a line; a record needs 2."""

MAX_INTEGER_DIGITS = 18
"""The most digits a JSON integer may have (so that any such integer fits in 64 bits)."""

STDIN = "-"
"""The corpus name that means standard input."""

_SKIP_CHUNK = 1024 * 1024
"""The piece size in which the rest of an over-long line is read and dropped."""

_BOM = b"\xef\xbb\xbf"

# A JSON string, or an unterminated one running to the end of the line: every match is found
# in one pass from its quote, so no input makes this slower than linear.
_STRING = re.compile(r'"[^"\\]*(?:\\.[^"\\]*)*(?:"|\\?\Z)', re.DOTALL)
_NESTING_STEP = {ord("["): 1, ord("{"): 1, ord("]"): -1, ord("}"): -1}
_NOT_BRACKETS = re.compile(r"[^\[\]{}]+")


class LongInteger:
    """A JSON integer literal of more than :data:`MAX_INTEGER_DIGITS` digits, left unconverted.

    >>> LongInteger("-" + "9" * 5000)
    LongInteger(digits=5000)
    """

    __slots__ = ("digits",)

    def __init__(self, literal: str) -> None:
        self.digits = len(literal.lstrip("-"))

    def __repr__(self) -> str:
        return f"LongInteger(digits={self.digits})"


class _DuplicateKey(Exception):
    """Raised from inside the JSON parser; turned into a RecordError naming the line."""

    def __init__(self, key: str) -> None:
        super().__init__(key)
        self.key = key


def _parse_int(literal: str) -> int | LongInteger:
    if len(literal) > MAX_INTEGER_DIGITS and len(literal.lstrip("-")) > MAX_INTEGER_DIGITS:
        return LongInteger(literal)
    return int(literal)


def _object(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    obj = dict(pairs)
    if len(obj) != len(pairs):  # the common case costs one comparison
        seen: set[str] = set()
        for key, _ in pairs:
            if key in seen:
                raise _DuplicateKey(key)
            seen.add(key)
    return obj


_DECODER = json.JSONDecoder(object_pairs_hook=_object, parse_int=_parse_int)


def too_deep(text: str) -> bool:
    """Whether arrays and objects nest deeper than :data:`MAX_DEPTH` in the JSON ``text``.

    Brackets inside strings do not count. Unclosed brackets do, as the parser would recurse
    into them before finding the error.

    >>> too_deep("[" * 64 + "]" * 64), too_deep("[" * 65), too_deep('["' + "[" * 99 + '"]')
    (False, True, False)
    """
    if text.count("[") + text.count("{") <= MAX_DEPTH:  # the common case: one pass in C
        return False
    brackets = _NOT_BRACKETS.sub("", _STRING.sub("", text)).encode("ascii")
    return max(accumulate(map(_NESTING_STEP.__getitem__, brackets)), default=0) > MAX_DEPTH


def source_name(source: str | os.PathLike[str] | BinaryIO) -> str:
    """The name messages give ``source``: its path, ``<stdin>``, or a file object's name."""
    if isinstance(source, (str, os.PathLike)):
        name = os.fspath(source)
        return "<stdin>" if name == STDIN else name
    given = getattr(source, "name", None)
    return given if isinstance(given, str) else "<stream>"


def check_file(path: str) -> None:
    """Refuse ``path`` unless it is a regular file that exists, without opening it.

    Not opening matters: opening a FIFO blocks until something writes to it.
    """
    try:
        mode = os.stat(path).st_mode
    except FileNotFoundError:
        raise RecordError("no such file", source=path) from None
    except OSError as error:
        raise RecordError(f"cannot read: {error.strerror}", source=path) from None
    _check_mode(mode, path)


def _check_mode(mode: int, path: str) -> None:
    if stat.S_ISDIR(mode):
        raise RecordError("is a directory, not a JSON Lines file", source=path)
    if not stat.S_ISREG(mode):
        raise RecordError(
            "not a regular file (a device, pipe or socket); to read a pipe, pass '-' and "
            "give it on standard input",
            source=path,
        )


def _open_regular(path: str) -> BinaryIO:
    """``path`` opened for reading, refused unless it is a regular file.

    The check is made again on the open file, for a path replaced after :func:`check_file`;
    ``O_NONBLOCK`` keeps that open from blocking should the path now be a FIFO.
    """
    check_file(path)
    nonblock = getattr(os, "O_NONBLOCK", 0)
    try:
        fd = os.open(path, os.O_RDONLY | getattr(os, "O_BINARY", 0) | nonblock)
    except FileNotFoundError:
        raise RecordError("no such file", source=path) from None
    except OSError as error:
        raise RecordError(f"cannot read: {error.strerror}", source=path) from None
    try:
        _check_mode(os.fstat(fd).st_mode, path)
        if nonblock:
            os.set_blocking(fd, True)
    except BaseException:
        os.close(fd)
        raise
    return open(fd, "rb", buffering=1 << 16)


def _stdin() -> BinaryIO:
    stream = sys.stdin.buffer if sys.stdin is not None else None
    if stream is None:
        raise RecordError("there is no standard input", source="<stdin>")
    return stream


def json_lines(
    source: str | os.PathLike[str] | BinaryIO,
) -> Generator[tuple[int, object], None, None]:
    """Yield ``(line number, value)`` for each non-blank line of a JSON Lines ``source``.

    ``source`` is a path, ``"-"`` (standard input) or a binary file object; this opens and
    closes only the files it opens itself. A line that cannot be decoded yields a
    :class:`RecordError` as its value, so the caller chooses to stop or read on: an over-long
    line is skipped only when the caller asks for the next one. A missing or unreadable file,
    or one that is not a regular file, raises :class:`RecordError` at once.

    Accepted as before: a UTF-8 BOM at the start, CRLF line endings, blank lines (skipped, but
    counted in line numbers).
    """
    name = source_name(source)
    if isinstance(source, (str, os.PathLike)):
        path = os.fspath(source)
        if path == STDIN:
            yield from _decode_lines(_stdin(), name)
            return
        with _open_regular(path) as f:
            yield from _decode_lines(f, name)
        return
    yield from _decode_lines(source, name)


def _decode_lines(f: BinaryIO, name: str) -> Iterator[tuple[int, object]]:
    number = 0
    while True:
        raw = _read_line(f, name)
        if not raw:
            return
        number += 1
        if len(raw) > MAX_LINE_BYTES and not raw.endswith(b"\n"):
            # Past the limit and no newline yet: too long. What was read is dropped before the
            # caller decides, and the rest is skipped only if it reads on (a stream such as
            # /dev/zero on standard input has no end to skip to).
            del raw
            yield (
                number,
                RecordError(
                    f"line is over {MAX_LINE_BYTES:,} bytes, the limit for one line",
                    source=name,
                    line=number,
                ),
            )
            _skip_rest_of_line(f, name)
            continue
        if number == 1 and raw.startswith(_BOM):
            raw = raw[len(_BOM) :]
        value = _decode(raw, name, number)
        if value is not _BLANK:
            yield number, value


def _read_line(f: BinaryIO, name: str, limit: int = MAX_LINE_BYTES + 1) -> bytes:
    """At most ``limit`` bytes of the next line, with its newline if it fits."""
    try:
        raw = f.readline(limit)
    except OSError as error:
        raise RecordError(f"cannot read: {error.strerror}", source=name) from None
    if not isinstance(raw, bytes):
        raise RecordError("is a text stream; open the file in binary mode ('rb')", source=name)
    return raw


def _skip_rest_of_line(f: BinaryIO, name: str) -> None:
    while (piece := _read_line(f, name, _SKIP_CHUNK)) and not piece.endswith(b"\n"):
        pass


_BLANK = object()


def _decode(raw: bytes, name: str, number: int) -> object:
    """The JSON value of one line (its newline included), a RecordError, or ``_BLANK``."""
    try:
        # The newline stays: JSON takes it as whitespace, and slicing it off would copy the line.
        text = raw.decode("utf-8")
    except UnicodeDecodeError as error:
        return RecordError(
            f"invalid UTF-8 at byte {error.start + 1} of the line", source=name, line=number
        )
    if not text.strip():
        return _BLANK
    if too_deep(text):
        return _too_deep(name, number)
    try:
        return _DECODER.decode(text)
    except json.JSONDecodeError as error:
        return RecordError(
            f"invalid JSON: {error.msg} (column {error.colno})", source=name, line=number
        )
    except _DuplicateKey as error:
        return RecordError("duplicate key in one object", source=name, line=number, key=error.key)
    except RecursionError:  # not reached past the depth check; kept so no file can crash us
        return _too_deep(name, number)


def _too_deep(name: str, number: int) -> RecordError:
    return RecordError(
        f"nesting deeper than {MAX_DEPTH} levels (arrays and objects within each other)",
        source=name,
        line=number,
    )
