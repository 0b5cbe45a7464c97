"""Whoosh's W3 postings and terms tables, written and read side by side: the fast path's field
writer, and the scorer's block reader.

:func:`write_field` writes what ``W3FieldWriter`` writes for one field (``start_field``, then
``start_term`` / ``add`` / ``finish_term`` for every posting of every term, ``finish_field``;
``W3PostingsWriter`` and ``W3TermInfo`` of whoosh-reloaded 2.7.5, BSD licence), postings for
postings, with the bytes of a whole field built in memory and written in one call: no Python call
per posting, no ``tell()`` per block, and cheaper compression. ``tests/speed/test_fast_path.py``
compares the indexes it writes with Whoosh's. :func:`term_blocks` reads a term's postings a
block at a time, as the W3 leaf matcher decodes them, for the term-at-a-time scorer.
"""

from __future__ import annotations

import hashlib
import pickle
import struct
import zlib
from array import array
from bisect import bisect_left
from collections.abc import Callable, Iterator, Sequence
from itertools import accumulate
from operator import sub
from typing import Any, NamedTuple

from whoosh.codec.whoosh3 import (
    LENGTHS_COLUMN,
    STORED_COLUMN,
    WHOOSH3_HEADER_MAGIC,
    W3LeafMatcher,
    W3PerDocReader,
    _lenfield,
)
from whoosh.columns import CompressedBytesColumn, NumericColumn, PickleColumn
from whoosh.filedb.filetables import md5_hash
from whoosh.reading import TermNotFound
from whoosh.util.numeric import byte_to_length, length_to_byte

from .._compiled import core as _core

_COMPRESS_FROM = 128
"""Blocks smaller than this are stored uncompressed (they do not shrink)."""

_BLOCK_PROTOCOL = 3
_INT = struct.Struct("!i")
TERM_INFO = struct.Struct("!BfIBBfIIqi")
"""A term info pointing into the postings file, as written here and read by
:func:`~.lookup.term_info_at`: W3TermInfo's struct, then pack_long + pack_int."""
_KEY_VALUE = struct.Struct("!ii")  # whoosh.filedb.filetables._lengths
_MAGIC = WHOOSH3_HEADER_MAGIC
_LENGTH_BYTES = bytes(length_to_byte(n) for n in range(1, 4096))


def length_byte(length: int | None) -> int:
    """``whoosh.util.numeric.length_to_byte``, from a table for common lengths."""
    if not length:
        return 0
    if length < 4096:
        return _LENGTH_BYTES[length - 1]
    return int(length_to_byte(length))


def fast_compress(data: bytes, level: int) -> bytes:
    """``zlib.compress(data, level)`` for the small blocks Whoosh compresses, ten times faster.

    ``zlib.compress`` sets up a 32 KiB window and 64 KiB of hash tables for every call; a
    window just larger than the data (and smaller tables below 2 KiB) gives the same deflate
    stream under a different header, which ``zlib.decompress`` reads the same way.
    """
    wbits = max(9, min(15, len(data).bit_length()))
    compressor = zlib.compressobj(level, zlib.DEFLATED, wbits, 4 if len(data) < 2048 else 8)
    return compressor.compress(data) + compressor.flush()


class TermBlocks(NamedTuple):
    """One term's postings as W3 blocks (what follows the magic bytes) and the statistics of
    its term info."""

    blocks: bytes
    total: float
    doc_frequency: int
    min_length: int  # the length bytes of the shortest and the longest document
    max_length: int
    max_weight: float
    first: int
    last: int


def _block(
    ids: Sequence[int],
    weights: list[float] | None,
    values: Any,
    lengths: bytes | None,
    compression: int,
    last: bool,
) -> tuple[bytes, float, float, int, int]:
    """One block of postings as ``W3PostingsWriter._write_block`` writes it (with small blocks
    left uncompressed, ``compression 0`` in their header, which the reader honours); and its
    maximum weight, total weight, and the length bytes of its shortest and longest document
    (``lengths`` holds each document's; ``length_byte`` keeps the order, so the byte of the
    shortest is the smallest byte)."""
    n = len(ids)
    deltas = tuple(map(sub, ids, [0, *ids]))
    if weights is None:  # every weight is 1.0
        mini_weights: Any = None
        maxweight = 1.0
        total = float(n)
    else:
        maxweight = max(weights)
        total = sum(weights)
        if maxweight == 1.0 and min(weights) == 1.0:
            mini_weights = None
        elif min(weights) == maxweight:
            mini_weights = weights[0]
        else:
            mini_weights = tuple(weights)
    # Whoosh pickles with protocol 2, where every bytes value (a posting's positions) costs a
    # call to _codecs.encode to write and again to read; protocol 3 has a bytes opcode: the
    # same tuple once loaded, in half the bytes, several times faster both ways.
    data = pickle.dumps((deltas, mini_weights, values), _BLOCK_PROTOCOL)
    comp = compression if len(data) >= _COMPRESS_FROM else 0
    if comp:
        data = fast_compress(data, comp)
    if lengths is None:
        minlength = maxlength = 0
    else:
        block_lengths = bytes(map(lengths.__getitem__, ids))
        minlength, maxlength = min(block_lengths), max(block_lengths)
    info = pickle.dumps((n, ids[-1], maxweight, comp, minlength, maxlength), 2)
    size = len(info) + len(data)
    return _INT.pack(-size if last else size) + info + data, maxweight, total, minlength, maxlength


def encode_term_lists(
    entry: list[Any],
    above_one: dict[int, int] | None,
    *,
    with_values: bool,
    reverse_from: int | None,
    lengths: bytes | None,
    blocklimit: int,
    compression: int,
) -> TermBlocks:
    """One term's postings, kept in a list as ``postings.PythonPostings`` keeps them, as the
    W3 blocks ``W3PostingsWriter`` writes.

    ``entry`` holds the postings in the order documents were added: the document numbers, or,
    ``with_values``, document numbers and encoded ``Positions`` values alternating. Every weight
    is 1.0 but those in ``above_one`` (by document number as in ``entry``). With
    ``reverse_from``, the postings were added last document first, numbered from 0 up: document
    ``n`` of the list is document ``reverse_from - n`` of the segment. ``lengths``: each
    document's length byte, for a scored field.
    """
    if reverse_from is not None:
        entry = entry[::-1]
    if with_values:
        ids: list[int] = entry[1::2] if reverse_from is not None else entry[0::2]
        values: list[bytes] = entry[0::2] if reverse_from is not None else entry[1::2]
    else:
        ids, values = entry, []
    if reverse_from is not None:
        ids = [reverse_from - docnum for docnum in ids]
    n = len(ids)
    weights = None
    if above_one is not None:
        weights = [1.0] * n
        for docnum, frequency in above_one.items():
            if reverse_from is not None:
                docnum = reverse_from - docnum
            weights[bisect_left(ids, docnum)] = float(frequency)
    values_size = 0 if not with_values else None
    if n <= blocklimit:  # most terms: the loop below, without slicing or totals
        body, maxweight, total, minlength, maxlength = _block(
            ids, weights, _mini_values(values, values_size), lengths, compression, True
        )
        return TermBlocks(body, total, n, minlength, maxlength, maxweight, ids[0], ids[-1])
    out: list[bytes] = []
    maxweight, total, maxlength = 0.0, 0.0, 0
    minlength = 255
    for start in range(0, n, blocklimit):
        end = start + blocklimit
        body, bmax, btotal, bmin, bmaxlen = _block(
            ids[start:end],
            weights[start:end] if weights is not None else None,
            _mini_values(values[start:end], values_size),
            lengths,
            compression,
            end >= n,
        )
        out.append(body)
        maxweight = max(maxweight, bmax)
        total += btotal
        maxlength = max(maxlength, bmaxlen)
        minlength = min(minlength, bmin)
    return TermBlocks(b"".join(out), total, n, minlength, maxlength, maxweight, ids[0], ids[-1])


class FieldTables(NamedTuple):
    """One field's terms as written: what goes in the postings file and in the terms table,
    each term's key in the table and where its entry starts."""

    postings: bytes
    table: bytes
    keys: list[bytes]
    key_offsets: list[int]


def encode_terms(
    postings: Any,
    *,
    prefix: bytes,
    offset: int,
    table_offset: int,
    reverse_from: int | None,
    lengths: bytes | None,
    blocklimit: int,
    compression: int,
) -> FieldTables:
    """Every term of a field's ``postings`` (a ``postings.FieldPostings``, which encodes each
    term's blocks), in term order: the magic bytes and blocks of each from ``offset`` in the
    postings file, and its key (``prefix`` and the term) and ``W3TermInfo`` from
    ``table_offset`` in the terms table."""
    out: list[bytes] = []
    tout: list[bytes] = []
    keys: list[bytes] = []
    keys_at: list[int] = []
    toffset = table_offset
    encode = postings.encode
    for term in postings.sorted_terms():
        found = encode(
            term,
            reverse_from=reverse_from,
            lengths=lengths,
            blocklimit=blocklimit,
            compression=compression,
        )
        extent = len(_MAGIC) + len(found.blocks)
        out.append(_MAGIC)
        out.append(found.blocks)
        info = TERM_INFO.pack(
            False,
            found.total,
            found.doc_frequency,
            found.min_length,
            found.max_length,
            found.max_weight,
            found.first,
            found.last,
            offset,
            extent,
        )
        offset += extent
        key = prefix + term.encode("utf-8")
        tout.append(_KEY_VALUE.pack(len(key), len(info)))
        tout.append(key)
        tout.append(info)
        keys.append(key)
        keys_at.append(toffset)
        toffset += _KEY_VALUE.size + len(key) + len(info)
    return FieldTables(b"".join(out), b"".join(tout), keys, keys_at)


def write_field(
    fieldwriter: Any,
    fieldname: str,
    field: Any,
    postings: Any,
    *,
    lengths: bytes | None,
    reverse_from: int | None = None,
) -> None:
    """Write every term of one field through an open ``W3FieldWriter``.

    ``postings``: the field's ``postings.FieldPostings``, which encodes its terms
    (:func:`encode_terms`, or the same in C). ``lengths`` gives each document's length byte in
    a scorable field (``None`` for an unscored one). With ``reverse_from``, the postings were
    added last document first (see :func:`encode_term_lists`).
    """
    if field.format.fixed_value_size() not in (None, 0):  # pragma: no cover - no such format
        raise TypeError(f"the fast path does not write fixed-size values ({fieldname})")
    fieldwriter.start_field(fieldname, field)
    postwriter = fieldwriter._postwriter
    tindex = fieldwriter._tindex
    tables: FieldTables = postings.encode_field(
        prefix=struct.pack("!H", fieldwriter._fieldid),
        offset=postwriter._postfile.tell(),
        table_offset=tindex.dbfile.tell(),
        reverse_from=reverse_from,
        lengths=lengths,
        blocklimit=postwriter._blocklimit,
        compression=postwriter._compression,
    )
    postwriter._postfile.write(tables.postings)
    tindex.dbfile.write(tables.table)
    hashes = tindex.buckets
    if not isinstance(hashes, TermHashes):
        hashes = TermHashes.take_over(tindex)
    hashes.add_keys(tables.keys, tables.key_offsets)
    tindex.index.extend(tables.key_offsets)
    if tables.keys:
        tindex.lastkey = tables.keys[-1]
    fieldwriter.finish_field()


class TermHashes:
    """A terms table's (hash, position) pairs, for every term of every field of a segment, in
    place of ``HashWriter.buckets`` (256 lists of tuples, about 90 bytes a term): two flat
    arrays, 12 bytes a term, in the order added, made into the hash tables when the terms file
    is closed (its ``_write_hashes``). Hashes and tables are computed in C when the compiled
    core is used, as Whoosh computes them otherwise (``python_key_hashes``,
    ``python_hash_tables``): the same bytes."""

    __slots__ = ("hashes", "positions")

    def __init__(self) -> None:
        self.hashes = array("I")  # (md5_hash: 32 bits)
        self.positions = array("q")

    @classmethod
    def take_over(cls, tindex: Any) -> TermHashes:
        """The pairs of ``tindex`` (an open ``HashWriter`` hashing with MD5, as W3's terms
        files do), which from now on adds to them and writes its tables from them."""
        if tindex.hashfn is not md5_hash:  # pragma: no cover - W3 hashes with MD5
            raise TypeError("the fast path writes MD5-hashed terms tables only")
        hashes = cls()
        for bucket in tindex.buckets:
            for pair in bucket:
                hashes.append(pair)
        tindex.buckets = hashes
        tindex._write_hashes = lambda: hashes.write_tables(tindex)
        return hashes

    def __getitem__(self, bucket: int) -> TermHashes:
        # (HashWriter.add: ``self.buckets[h & 255].append((h, pos))``; the bucket is the
        # hash's, so one list of pairs serves)
        return self

    # Not iterable: with ``__getitem__`` alone, Python would iterate "buckets" forever.
    __iter__ = None

    def append(self, pair: tuple[int, int]) -> None:
        self.hashes.append(pair[0])
        self.positions.append(pair[1])

    def add_keys(self, keys: list[bytes], positions: list[int]) -> None:
        self.hashes.frombytes(key_hashes(keys))
        self.positions.extend(positions)

    def __len__(self) -> int:
        return len(self.hashes)

    def write_tables(self, tindex: Any) -> None:
        """``HashWriter._write_hashes``: the tables, and their directory."""
        tables, directory = hash_tables(self.hashes, self.positions, tindex.dbfile.tell())
        tindex.dbfile.write(tables)
        tindex.directory = directory


def python_key_hashes(keys: list[bytes]) -> bytes:
    """``md5_hash`` of each key, as an ``array("I")``'s bytes (``_core.key_hashes``)."""
    digests = b"".join([hashlib.md5(key, usedforsecurity=False).digest() for key in keys])
    return array("I", struct.unpack(f"!{4 * len(keys)}I", digests)[3::4]).tobytes()


def python_hash_tables(
    hashes: Sequence[int], positions: Sequence[int], start: int
) -> tuple[bytes, list[tuple[int, int]]]:
    """``HashWriter._write_hashes`` of these pairs, its tables starting at offset ``start``:
    their bytes and the directory's ``(offset, slots)`` of each (``_core.hash_tables``)."""
    buckets: list[list[tuple[int, int]]] = [[] for _ in range(256)]
    for h, at in zip(hashes, positions, strict=True):
        buckets[h & 255].append((h, at))
    out: list[bytes] = []
    directory: list[tuple[int, int]] = []
    for entries in buckets:
        numslots = 2 * len(entries)
        directory.append((start, numslots))
        table = [(0, 0)] * numslots  # (no key is at offset 0: the header is)
        for h, at in entries:
            slot = (h >> 8) % numslots
            while table[slot] != (0, 0):
                slot = (slot + 1) % numslots
            table[slot] = (h, at)
        out.extend(_POINTER.pack(h, at) for h, at in table)
        start += numslots * _POINTER.size
    return b"".join(out), directory


_POINTER = struct.Struct("!Iq")  # whoosh.filedb.filetables._pointer

key_hashes: Callable[[list[bytes]], bytes] = (
    _core.key_hashes if _core is not None else python_key_hashes
)
hash_tables: Callable[..., tuple[bytes, list[tuple[int, int]]]] = (
    _core.hash_tables if _core is not None else python_hash_tables
)


def _mini_values(values: list[bytes], values_size: int | None) -> Any:
    # W3PostingsWriter._mini_values
    if values_size is None or values_size < 0:
        return tuple(values)
    if values_size == 0:
        return None
    return b"".join(values)


# Reading ---------------------------------------------------------------------------------------


def term_postings(reader: Any, fieldname: str, btext: bytes, fmt: Any) -> tuple[Any, int] | None:
    """A segment's postings of a term, unfiltered (deleted documents included), and its
    document frequency; ``None`` if the segment does not hold the term."""
    terms = getattr(reader, "_terms", None)  # a segment's terms and postings
    if terms is None:  # an empty index
        return None
    try:
        info = terms.term_info(fieldname, btext)
    except TermNotFound:
        return None
    matcher = terms._codec.postings_reader(terms._postfile, info, fmt, term=(fieldname, btext))
    return matcher, info.doc_frequency()


def postings_extent(terms: Any, info: Any) -> tuple[Any, int, int] | None:
    """Where a term's postings are in a W3 segment's postings file (``terms``: its terms
    reader; ``info``: the term's info there), for the core to read: the file's buffer, the
    start and the length; ``None`` when the core cannot read them (no core, inlined postings,
    a file not in memory or mapped)."""
    return extent_in(postings_buffer(terms), info)


def postings_buffer(terms: Any) -> Any:
    """The buffer of a W3 segment's postings file (``terms``: its terms reader) that the core
    reads postings from: the file in memory or mapped; ``None`` when it cannot (no core, or
    a file read otherwise)."""
    if _core is None:
        return None
    return getattr(terms._postfile, "_buf", None)


def extent_in(buffer: Any, info: Any) -> tuple[Any, int, int] | None:
    """:func:`postings_extent` in a segment's :func:`postings_buffer` (made once a segment)."""
    if buffer is None or info._inlined is not None:  # (W3TermInfo.is_inlined)
        return None
    length = info._length
    if type(length) is tuple:  # (as W3TermInfo.from_bytes leaves it: unpacked)
        (length,) = length
    return buffer, info._offset, length


def term_blocks(
    terms: Any, info: Any, fmt: Any, term: tuple[str, bytes]
) -> Iterator[tuple[list[int], list[float] | None]]:
    """Each block of a term's postings in a W3 segment (``terms``: its terms reader; ``info``:
    the term's info there), as :func:`read_blocks` gives them: read by the core when it can
    (``_core.term_blocks``, which parses the blocks' pickles without unpickling them, and
    declines any it does not know), through Whoosh's matcher otherwise. Read when first
    iterated: a scorer skips some terms' postings in some segments."""
    extent = postings_extent(terms, info)
    if extent is not None and _core is not None:  # (the second for mypy: the first implies it)
        found = _core.term_blocks(*extent)
        if found is not None:
            yield from found
            return
    yield from read_blocks(terms._codec.postings_reader(terms._postfile, info, fmt, term=term))


def read_blocks(matcher: Any) -> Iterator[tuple[list[int], list[float] | None]]:
    """Each block of a term's postings: its document numbers, and its weights (``None`` when all
    are 1.0). (The core's ``term_blocks`` gives the same from the file's bytes.)"""
    if not isinstance(matcher, W3LeafMatcher):  # pragma: no cover - another codec
        ids, weights = [], []
        while matcher.is_active():
            ids.append(matcher.id())
            weights.append(matcher.weight())
            matcher.next()
        yield ids, weights
        return
    while matcher.is_active():
        matcher._read_data()
        deltas, mini_weights, _ = matcher._data
        block: list[float] | None = None
        if isinstance(mini_weights, float):  # one weight for the whole block
            # (Whoosh reads it through a float32 array.)
            weight = array("f", [mini_weights])[0]
            block = None if weight == 1.0 else [weight] * len(deltas)
        elif mini_weights is not None:
            block = list(mini_weights)
        yield list(accumulate(deltas)), block
        matcher._next_block()


def stored_fields_reader(reader: Any) -> Callable[[int], dict[str, Any] | None] | None:
    """How the core reads the stored fields of a W3 segment's documents (by the segment's own
    numbers), straight from its stored column (``_core.stored_fields``: what Whoosh's reader
    gives through five layers, in half the time): a function giving a document's fields,
    or ``None`` when the core declines the document (read it through Whoosh). ``None`` for a
    segment the core cannot read (no core, another codec, a column not in memory)."""
    perdoc = getattr(reader, "_perdoc", None)
    if _core is None or not isinstance(perdoc, W3PerDocReader):
        return None
    column = perdoc._cached_reader("_stored", STORED_COLUMN)
    blobs: Any = getattr(column, "_child", None)
    if type(column) is not PickleColumn.Reader or type(blobs) is not CompressedBytesColumn.Reader:
        return None
    buffer = getattr(blobs._dbfile, "_buf", None)
    if buffer is None:
        return None
    base, offsets, lengths = blobs._basepos, blobs._offsets, blobs._lengths
    read = _core.stored_fields

    def fields(docnum: int) -> dict[str, Any] | None:
        length = lengths[docnum]
        if not length:  # (nothing stored: as Whoosh reads it)
            return {}
        found: dict[str, Any] | None = read(buffer, base + offsets[docnum], length)
        return found

    return fields


LENGTH_OF_BYTE: tuple[int, ...] = tuple(byte_to_length(b) for b in range(256))
"""The length each byte of a length column stands for (Whoosh's ``byte_to_length``)."""


def field_length_bytes(reader: Any, fieldname: str) -> bytes:
    """Each document's length in ``fieldname`` in one segment as the length column stores it,
    a byte a document (:data:`LENGTH_OF_BYTE`: exact up to 255, approximate above); empty when
    the segment has no such column.

    Read as the column's bytes where it is Whoosh's one-byte numeric column (what it writes
    up to the last document with a length, zeros for the rest, as its reader yields them):
    not a document at a time through the reader, 26,000 calls a field and segment, which was
    most of a process's first search (the lengths of six fields, twice)."""
    column = reader._perdoc._cached_reader(_lenfield(fieldname), LENGTHS_COLUMN)
    if column is None:
        return b""
    if type(column) is NumericColumn.Reader and column._typecode == "B":
        documents = column._doccount
        stored = min(column._count, documents)
        written = bytes(column._dbfile.get(column._basepos, stored)) if stored else b""
        return written + bytes(documents - stored)
    return bytes(column)  # (another column: its values, a byte each, as the reader gives them)
