"""Writing Whoosh's W3 postings format with less work: the block writers of the fast path.

Each function here produces what ``whoosh.codec.whoosh3.W3PostingsWriter`` and ``W3TermInfo``
(whoosh-reloaded 2.7.5, BSD licence) produce, postings for postings, with fewer Python calls and
cheaper compression; ``tests/speed/test_fast_path.py`` compares the indexes they write.
"""

from __future__ import annotations

import pickle
import struct
import zlib
from array import array
from typing import Any

from whoosh.codec.whoosh3 import WHOOSH3_HEADER_MAGIC
from whoosh.system import pack_int, pack_long
from whoosh.util.numeric import length_to_byte

_COMPRESS_FROM = 128


def fast_compress(data: bytes, level: int) -> bytes:
    """``zlib.compress(data, level)`` for the small blocks Whoosh compresses, ten times faster.

    ``zlib.compress`` sets up a 32 KiB window and 64 KiB of hash tables for every call; a
    window just larger than the data (and smaller tables below 2 KiB) gives the same deflate
    stream under a different header, which ``zlib.decompress`` reads the same way.
    """
    wbits = max(9, min(15, len(data).bit_length()))
    compressor = zlib.compressobj(level, zlib.DEFLATED, wbits, 4 if len(data) < 2048 else 8)
    return compressor.compress(data) + compressor.flush()


def write_block(postwriter: Any, last: bool = False) -> None:
    """``W3PostingsWriter._write_block`` (whoosh-reloaded 2.7.5, BSD licence) with
    :func:`fast_compress`, and small blocks left uncompressed: the same postings once read."""
    if not postwriter._blockcount:
        postwriter._postfile.write(WHOOSH3_HEADER_MAGIC)
    postwriter._terminfo.add_block(postwriter)
    data = (postwriter._mini_ids(), postwriter._mini_weights(), postwriter._mini_values())
    databytes = pickle.dumps(data, 2)
    # Whoosh compresses every block (its check for small ones is dead code); a block under
    # 128 bytes does not shrink, so it is stored as is, with compression 0 in its header,
    # which the reader honours.
    comp = postwriter._compression if len(databytes) >= _COMPRESS_FROM else 0
    if comp:
        databytes = fast_compress(databytes, comp)
    ids = postwriter._ids
    infobytes = pickle.dumps(
        (
            len(ids),
            ids[-1],
            postwriter._maxweight,
            comp,
            length_to_byte(postwriter._minlength),
            length_to_byte(postwriter._maxlength),
        ),
        2,
    )
    blocklength = len(infobytes) + len(databytes)
    postfile = postwriter._postfile
    postfile.write_int(-blocklength if last else blocklength)
    postfile.write(infobytes)
    postfile.write(databytes)
    postwriter._blockcount += 1
    postwriter._new_block()


_TERM_INFO = struct.Struct("!BfIBBfII")


def write_one_block(
    postwriter: Any,
    ids: list[int],
    weights: array[float],
    lengths: list[int],
    values: list[bytes],
    values_size: int | None,
) -> bytes:
    """A term whose postings fit one block, written as ``start_term`` ... ``finish_term``
    would (``W3PostingsWriter`` and ``W3TermInfo`` of whoosh-reloaded 2.7.5, BSD licence) but
    in one call; returns the term info bytes for the terms table."""
    postfile = postwriter._postfile
    start = postfile.tell()
    postfile.write(WHOOSH3_HEADER_MAGIC)
    if all(w == 1.0 for w in weights):
        mini_weights: Any = None
    elif all(w == weights[0] for w in weights):
        mini_weights = weights[0]
    else:
        mini_weights = tuple(weights)
    if values_size is None or values_size < 0:
        mini_values: Any = tuple(values)
    elif values_size == 0:
        mini_values = None
    else:
        mini_values = b"".join(values)
    deltas = tuple(b - a for a, b in zip([0, *ids], ids, strict=False))
    databytes = pickle.dumps((deltas, mini_weights, mini_values), 2)
    comp = postwriter._compression if len(databytes) >= _COMPRESS_FROM else 0
    if comp:
        databytes = fast_compress(databytes, comp)
    present = [n for n in lengths if n]
    minlength = min(present) if present else None
    maxlength = max(present, default=0)
    maxweight = max(0.0, max(weights))
    infobytes = pickle.dumps(
        (len(ids), ids[-1], maxweight, comp, length_to_byte(minlength), length_to_byte(maxlength)),
        2,
    )
    postfile.write_int(-(len(infobytes) + len(databytes)))
    postfile.write(infobytes)
    postfile.write(databytes)
    extent = postfile.tell() - start
    minbyte = 0 if minlength is None else length_to_byte(minlength)
    info = _TERM_INFO.pack(
        False,
        0 + sum(weights),
        len(ids),
        minbyte,
        length_to_byte(maxlength),
        maxweight,
        ids[0],
        ids[-1],
    )
    return bytes(info + pack_long(start) + pack_int(extent))


def write_term(
    postwriter: Any, ids: array[int], weights: array[float], lengths: list[int], values: list[bytes]
) -> None:
    """Fill ``W3PostingsWriter``'s block buffer a block at a time. Every block but the last is
    written here; the last stays buffered for ``finish_term`` to write (as ``add_posting``
    would have left it)."""
    total = len(ids)
    blocklimit = postwriter._blocklimit
    for start in range(0, total, blocklimit):
        end = min(start + blocklimit, total)
        postwriter._ids = ids[start:end]
        block_weights = weights[start:end]
        postwriter._weights = block_weights
        postwriter._values = values[start:end]
        postwriter._maxweight = max(0.0, max(block_weights))
        block_lengths = [n for n in lengths[start:end] if n]
        postwriter._minlength = min(block_lengths) if block_lengths else None
        postwriter._maxlength = max(block_lengths, default=0)
        if end < total:
            postwriter._write_block()
