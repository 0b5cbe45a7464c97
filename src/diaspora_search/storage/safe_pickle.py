"""The one way a pickle is read from an index folder: a restricted unpickler.

Whoosh stores parts of an index as pickles: the segment list of the table of contents, postings
blocks, term infos, stored fields, column headers and compound-file directories. A pickle can
name any importable callable and call it, so unpickling a file from a folder someone else wrote
would run their code. Here every such read goes through :class:`RestrictedUnpickler`, which
resolves only the names the format needs and refuses every other with
:class:`~diaspora_search.IndexCorruptError`:

- data (postings blocks, inlined postings, stored fields; Whoosh's ``loads``): plain Python
  values only. Protocol 2 spells a ``bytes`` value as a call of ``_codecs.encode`` and a set
  as a call of ``set``, so those two (and ``frozenset``, ``bytearray``) are the only names
  it resolves;
- structures (the segment list of a table of contents, compound-file directories, column and
  hash-table headers, postings block headers; Whoosh's ``StructFile.read_pickle``): the same,
  plus Whoosh's W3 segment and codec classes and ``collections.defaultdict`` of ``int`` (a
  segment's field lengths), which a segment list holds.

None of these names runs code of the folder's choosing: the classes are rebuilt from plain
attribute values (no ``__setstate__``, no ``__reduce__`` of their own), and the callables
build values. :func:`install` wires the data loader into Whoosh's readers; the storage layer
(``files.py``) reads the table of contents with :func:`load_segments`.
"""

from __future__ import annotations

import io
import pickle
from typing import IO, Any

from .._errors import IndexCorruptError


def _with_py2_names(names: set[tuple[str, str]]) -> frozenset[tuple[str, str]]:
    """``names``, and the same builtins as protocol 2 spells them (``__builtin__.set``)."""
    return frozenset(names | {("__builtin__", n) for m, n in names if m == "builtins"})


_DATA = _with_py2_names(
    {
        ("_codecs", "encode"),
        ("builtins", "set"),
        ("builtins", "frozenset"),
        ("builtins", "bytearray"),
    }
)
_SEGMENTS = _DATA | _with_py2_names(
    {
        ("whoosh.codec.whoosh3", "W3Segment"),
        ("whoosh.codec.whoosh3", "W3Codec"),
        ("collections", "defaultdict"),
        ("builtins", "int"),
    }
)


class RestrictedUnpickler(pickle.Unpickler):
    """An unpickler that resolves only the ``(module, name)`` pairs of ``allowed`` (a class
    attribute, so that making one per postings block costs no Python ``__init__``)."""

    allowed: frozenset[tuple[str, str]] = frozenset()

    def find_class(self, module: str, name: str) -> Any:
        if (module, name) not in self.allowed:
            raise IndexCorruptError(
                f"refused to unpickle {module}.{name}: an index file holds data, never code "
                "(the folder is damaged or was altered)"
            )
        return super().find_class(module, name)

    def persistent_load(self, pid: Any) -> Any:
        raise IndexCorruptError("refused a persistent id in an index file (data, never code)")


class _DataUnpickler(RestrictedUnpickler):
    allowed = _DATA


class _StructureUnpickler(RestrictedUnpickler):
    allowed = _SEGMENTS


def _load(file: IO[bytes], unpickler: type[RestrictedUnpickler]) -> Any:
    try:
        return unpickler(file).load()
    except IndexCorruptError:
        raise
    except Exception as error:  # truncated or garbled: never a raw UnpicklingError / EOFError
        raise IndexCorruptError(
            f"unreadable pickle in an index file ({type(error).__name__}: {error})"
        ) from None


def load_data(file: IO[bytes]) -> Any:
    """A plain value unpickled from ``file`` (what Whoosh's ``StructFile.read_pickle`` reads).

    >>> load_data(io.BytesIO(pickle.dumps((1, b"ab", {"x": [2.5]}), 2)))
    (1, b'ab', {'x': [2.5]})
    >>> import os
    >>> load_data(io.BytesIO(pickle.dumps(os.getcwd)))
    Traceback (most recent call last):
    ...
    diaspora_search._errors.IndexCorruptError: refused to unpickle posix.getcwd: ...
    """
    return _load(file, _DataUnpickler)


def loads_data(data: bytes | memoryview) -> Any:
    """A plain value unpickled from ``data`` (postings blocks, stored fields)."""
    # (Buffered: the C unpickler then reads ahead instead of calling ``read`` per opcode,
    # 2x to 3x faster on a postings block than a bare BytesIO.)
    return _load(io.BufferedReader(io.BytesIO(data), max(len(data), 64)), _DataUnpickler)


def load_segments(file: IO[bytes]) -> Any:
    """A structure of the format (the segment list of a table of contents, a directory, a
    header), unpickled from ``file``."""
    return _load(file, _StructureUnpickler)


def install() -> None:
    """Make Whoosh read every pickle of an index through the restricted unpickler.

    Whoosh's readers call module-level names bound at import (``load`` in ``structfile``,
    ``loads`` in ``whoosh3`` and ``columns``); rebinding those three names covers every pickle
    it reads from an index, whatever storage opened it. The pickled schema of a table of
    contents is skipped, never unpickled, because Whoosh is always given the running code's
    schema.
    """
    from whoosh import columns
    from whoosh.codec import whoosh3
    from whoosh.filedb import structfile

    structfile.load_pickle = load_segments
    whoosh3.loads = loads_data
    columns.loads = loads_data
