"""Checked commits: the checksum of every file of a commit, recorded before its table of contents.

Each commit ``N`` writes ``_MAIN_N.sums`` just before ``_MAIN_N.toc`` becomes the index: JSON
naming every file of that generation (the table of contents and each segment's files) with its
size and CRC-32, and a CRC-32 of its own content. A segment file never changes once written, so
its checksum is carried from the previous commit's record and only new files are read; a file
damaged since it was written therefore still shows as damaged. CRC-32 catches every single-bit
flip and every burst of up to 32 bits; it does not stop someone who rewrites the record too
(that is what the restricted unpickler, ``safe_pickle.py``, is for: a forged index is still only
data).
"""

from __future__ import annotations

import io
import json
import os
import re
import zlib
from pathlib import Path
from typing import Any

from .._errors import IndexCorruptError

SUMS_FORMAT = 1
TOC_RE = re.compile(r"^_MAIN_([0-9]+)\.toc$")
SUMS_RE = re.compile(r"^_MAIN_([0-9]+)\.sums$")
_CHUNK = 1 << 20

Sums = dict[str, tuple[int, int]]
"""File name -> (size in bytes, CRC-32)."""


def toc_name(generation: int) -> str:
    return f"_MAIN_{generation}.toc"


def sums_name(generation: int) -> str:
    return f"_MAIN_{generation}.sums"


# Checked JSON: a small file that says whether it is intact -----------------------------------


def checked_json(data: dict[str, Any]) -> bytes:
    """``data`` as one line of JSON with a ``crc32`` key over the rest.

    >>> checked_json({"a": 1})
    b'{"a": 1, "crc32": 4221669015}\\n'
    """
    body = json.dumps(data, sort_keys=True)
    return (body[:-1] + f', "crc32": {zlib.crc32(body.encode())}}}\n').encode()


def read_checked_json(raw: bytes, what: str) -> dict[str, Any]:
    """The data :func:`checked_json` wrote; :class:`IndexCorruptError` if any byte changed.

    >>> read_checked_json(checked_json({"a": 1}), "x")
    {'a': 1}
    >>> read_checked_json(b'{"a": 2, "crc32": 4221669015}\\n', "x")
    Traceback (most recent call last):
    ...
    diaspora_search._errors.IndexCorruptError: x: damaged (its checksum does not match)
    """
    try:
        data = json.loads(raw.decode("utf-8"))
    except ValueError:
        raise IndexCorruptError(f"{what}: damaged (not valid JSON)") from None
    if not isinstance(data, dict) or not isinstance(data.get("crc32"), int):
        raise IndexCorruptError(f"{what}: damaged (no checksum)")
    data.pop("crc32")
    if checked_json(data) != raw:  # (every byte: whitespace and key order too)
        raise IndexCorruptError(f"{what}: damaged (its checksum does not match)")
    return data


# Files ----------------------------------------------------------------------------------------


def file_sum(path: Path) -> tuple[int, int]:
    """The size and CRC-32 of the file at ``path`` (never through a symlink)."""
    fd = os.open(path, os.O_RDONLY | os.O_NOFOLLOW)
    with os.fdopen(fd, "rb") as file:
        crc, size = 0, 0
        while chunk := file.read(_CHUNK):
            crc = zlib.crc32(chunk, crc)
            size += len(chunk)
    return size, crc


def bytes_sum(data: bytes) -> tuple[int, int]:
    return len(data), zlib.crc32(data)


def encode_sums(generation: int, files: Sums) -> bytes:
    return checked_json(
        {
            "format": SUMS_FORMAT,
            "generation": generation,
            "files": {name: list(files[name]) for name in sorted(files)},
        }
    )


def decode_sums(raw: bytes, generation: int) -> Sums:
    """The checksums recorded for ``generation``; :class:`IndexCorruptError` if damaged."""
    name = sums_name(generation)
    data = read_checked_json(raw, name)
    files = data.get("files")
    if (
        data.get("format") != SUMS_FORMAT
        or data.get("generation") != generation
        or not isinstance(files, dict)
    ):
        raise IndexCorruptError(f"{name}: damaged (not a checksum record of generation)")
    out: Sums = {}
    for file, entry in files.items():
        if not (isinstance(entry, list) and len(entry) == 2 and all(type(v) is int for v in entry)):
            raise IndexCorruptError(f"{name}: damaged (entry of {file!r})")
        out[file] = (entry[0], entry[1])
    return out


def read_sums(folder: Path, generation: int) -> Sums:
    """The checksums of ``generation``. ``FileNotFoundError`` when there is no record (a commit
    replaced it meanwhile, or the index predates checksums)."""
    fd = os.open(folder / sums_name(generation), os.O_RDONLY | os.O_NOFOLLOW)
    with os.fdopen(fd, "rb") as file:
        return decode_sums(file.read(), generation)


def segment_ids(toc: bytes) -> list[str]:
    """The ids of the segments a table of contents lists (read with the restricted unpickler)."""
    from whoosh.filedb.structfile import StructFile

    from .safe_pickle import load_segments

    stream = StructFile(io.BytesIO(toc))
    for _ in range(3):  # int, long and float sizes
        stream.read_varint()
    stream.read_int()  # byte order check
    stream.read_int()  # TOC version
    for _ in range(3):  # Whoosh release
        stream.read_varint()
    stream.skip_string()  # the pickled schema: never unpickled
    stream.read_int()  # generation
    stream.read_int()  # unused
    return [str(segment.segment_id()) for segment in load_segments(stream.file)]


def generation_files(folder: Path, toc: bytes) -> list[str]:
    """The segment files a table of contents refers to, as present in ``folder``."""
    ids = segment_ids(toc)
    prefixes = tuple(f"{i}." for i in ids)
    return sorted(n for n in os.listdir(folder) if n.startswith(prefixes))


def record_generation(folder: Path, generation: int, toc: bytes, previous: Sums) -> bytes:
    """The checksum record of a commit whose table of contents is ``toc``: every file listed,
    carried from ``previous`` when its size is unchanged, else read."""
    files: Sums = {toc_name(generation): bytes_sum(toc)}
    for name in generation_files(folder, toc):
        size = os.lstat(folder / name).st_size
        carried = previous.get(name)
        files[name] = (
            carried if carried is not None and carried[0] == size else file_sum(folder / name)
        )
    return encode_sums(generation, files)


def damaged_files(folder: Path, sums: Sums) -> list[str]:
    """One line per file of ``sums`` that is missing, of another size, or of another CRC-32."""
    problems = []
    for name, (size, crc) in sorted(sums.items()):
        try:
            found = file_sum(folder / name)
        except FileNotFoundError:
            problems.append(f"{name}: missing")
            continue
        except OSError as error:
            problems.append(f"{name}: unreadable ({error.strerror})")
            continue
        if found[0] != size:
            problems.append(f"{name}: damaged ({found[0]} bytes, {size} recorded)")
        elif found[1] != crc:
            problems.append(f"{name}: damaged (its checksum does not match)")
    return problems
