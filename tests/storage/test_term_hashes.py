"""The hash tables of a terms file (``codec.TermHashes``): the hashes of the keys and the tables
made from them are Whoosh's (``filetables.md5_hash``, ``HashWriter._write_hashes``), byte for
byte, in C (``_core.key_hashes``, ``_core.hash_tables``) and in Python."""

from __future__ import annotations

import io
from array import array

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from whoosh.filedb.filetables import HashWriter, md5_hash
from whoosh.filedb.structfile import StructFile

from diaspora_search._compiled import core
from diaspora_search.storage import codec

needs_core = pytest.mark.skipif(core is None, reason="the compiled core is not built or is off")

# Keys around MD5's block and padding boundaries (55, 56, 63, 64 bytes) and beyond.
KEYS = st.lists(st.binary(min_size=0, max_size=140), max_size=60)


def _whoosh_tables(pairs: list[tuple[int, int]], start: int) -> tuple[bytes, list[tuple[int, int]]]:
    """What Whoosh's ``HashWriter._write_hashes`` writes from ``pairs``, starting at ``start``."""
    buffer = io.BytesIO()
    writer = HashWriter(StructFile(buffer))
    header = buffer.tell()
    buffer.write(b"\0" * (start - header))
    for h, at in pairs:
        writer.buckets[h & 255].append((h, at))
    writer._write_hashes()
    return buffer.getvalue()[start:], writer.directory


def _pairs(keys: list[bytes]) -> list[tuple[int, int]]:
    return [(md5_hash(key), 100 + 7 * i) for i, key in enumerate(keys)]


@settings(max_examples=300, deadline=None)
@given(KEYS)
def test_python_key_hashes_are_md5_hash(keys: list[bytes]) -> None:
    assert list(array("I", codec.python_key_hashes(keys))) == [md5_hash(k) for k in keys]


@needs_core
@settings(max_examples=300, deadline=None)
@given(KEYS)
def test_compiled_key_hashes_are_md5_hash(keys: list[bytes]) -> None:
    assert list(array("I", core.key_hashes(keys))) == [md5_hash(k) for k in keys]


@pytest.mark.parametrize("count", [0, 1, 2, 300, 5000])
def test_hash_tables_are_whooshs(count: int) -> None:
    keys = [f"term {i}".encode() for i in range(count)]
    keys += keys[: count // 10]  # (a key twice: Whoosh allows it)
    pairs = _pairs(keys)
    hashes, positions = array("I", [h for h, _ in pairs]), array("q", [p for _, p in pairs])
    expected = _whoosh_tables(pairs, 40)
    assert codec.python_hash_tables(hashes, positions, 40) == expected
    if core is not None:
        assert core.hash_tables(hashes, positions, 40) == expected


@needs_core
@settings(max_examples=200, deadline=None)
@given(st.lists(st.tuples(st.integers(0, 2**32 - 1), st.integers(1, 2**40)), max_size=200))
def test_compiled_hash_tables_are_whooshs_for_any_pairs(pairs: list[tuple[int, int]]) -> None:
    hashes, positions = array("I", [h for h, _ in pairs]), array("q", [p for _, p in pairs])
    assert core.hash_tables(hashes, positions, 16) == _whoosh_tables(pairs, 16)


@needs_core
def test_compiled_hash_tables_refuse_mismatched_arrays() -> None:
    with pytest.raises(ValueError, match="as many"):
        core.hash_tables(array("I", [1, 2]), array("q", [5]), 16)
    with pytest.raises(ValueError, match="as many"):
        core.hash_tables(array("q", [1]), array("q", [5]), 16)
    with pytest.raises(ValueError, match="as many"):  # (signed hashes)
        core.hash_tables(array("i", [1]), array("q", [5]), 16)
    with pytest.raises(ValueError, match="as many"):  # (not integers)
        core.hash_tables(array("f", [1.0]), array("q", [5]), 16)
    with pytest.raises(TypeError, match="list of bytes"):
        core.key_hashes([b"a", "b"])


@needs_core
@pytest.mark.parametrize("start", [-1, 2**62 + 1])
def test_compiled_hash_tables_refuse_an_offset_out_of_range(start: int) -> None:
    with pytest.raises(ValueError, match="start must be an offset"):
        core.hash_tables(array("I", [1]), array("q", [5]), start)


def test_term_hashes_are_not_iterated_as_buckets() -> None:
    # (With ``__getitem__`` alone, iterating would ask for "bucket" after bucket forever.)
    with pytest.raises(TypeError):
        iter(codec.TermHashes())


def test_term_hashes_take_over_what_whoosh_added() -> None:
    buffer = io.BytesIO()
    writer = HashWriter(StructFile(buffer))
    writer.add(b"before", b"value")  # (added through Whoosh, before the fast path)
    hashes = codec.TermHashes.take_over(writer)
    writer.buckets = hashes
    hashes.add_keys([b"fast"], [1234])
    writer.add(b"after", b"value")  # (and after)
    assert [md5_hash(k) for k in (b"before", b"fast", b"after")] == list(hashes.hashes)
    assert hashes.positions[1] == 1234
