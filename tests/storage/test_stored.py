"""The stored-fields blobs written as they are made (``storage/stored.py``): in order, or
spooled and copied in reverse a window at a time, the column gets the blobs, compressed, in
segment order; compressed by a thread of their own (the compiled core's ``deflate_blobs``) or in
the caller's, the same bytes."""

from __future__ import annotations

import io
import random
import threading
import zlib
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from diaspora_search._compiled import core
from diaspora_search.storage import stored
from diaspora_search.storage.codec import fast_compress
from diaspora_search.storage.stored import STORE_BELOW, StoredBlobs

LEVEL = 3

needs_deflate_blobs = pytest.mark.skipif(
    not hasattr(core, "deflate_blobs"), reason="the compiled core was built without zlib"
)


def _blobs(count: int) -> list[bytes]:
    rng = random.Random(13)
    return [bytes([i % 251]) * rng.choice([0, 1, 7, 40, 300, 1500]) for i in range(count)]


def _compressed(blobs: list[bytes]) -> list[bytes]:
    """What the column holds: each blob compressed, a short one stored (level 0)."""
    return [
        fast_compress(blob, LEVEL if len(blob) >= STORE_BELOW else 0) if blob else b""
        for blob in blobs
    ]


@pytest.fixture(params=["thread", "caller"])
def compressing(request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch) -> str:
    """Each test with the compressing thread (when the core has ``deflate_blobs``), and with
    the compression in the caller's thread (as without it); chunks small enough that the
    tests' few hundred blobs make several."""
    if request.param == "thread":
        if stored._deflate_blobs is None:
            pytest.skip("the compiled core was built without zlib (or is not used)")
        monkeypatch.setattr(stored, "CHUNK", 16)
    else:
        monkeypatch.setattr(stored, "_deflate_blobs", None)
    return str(request.param)


@pytest.mark.parametrize("window", [1, 50, 1000, 1 << 20])
def test_backward_blobs_reach_the_column_last_added_first(
    tmp_path, monkeypatch: pytest.MonkeyPatch, window: int, compressing: str
) -> None:
    monkeypatch.setattr(stored, "WINDOW", window)
    blobs = _blobs(500)
    column = io.BytesIO()
    spool = StoredBlobs(column, level=LEVEL, backward=True, folder=str(tmp_path))
    for blob in blobs:
        spool.add(blob)
    assert column.getvalue() == b""  # (spooled until the segment is written)
    sizes, offsets, total = spool.finish()
    in_segment_order = _compressed(blobs[::-1])
    assert column.getvalue() == b"".join(in_segment_order)
    assert sizes == [len(b) for b in in_segment_order]
    assert [
        column.getvalue()[o : o + s] for o, s in zip(offsets, sizes, strict=True)
    ] == in_segment_order
    assert total == len(column.getvalue())
    assert list(tmp_path.iterdir()) == []  # (the spool has no name)


def test_forward_blobs_go_to_the_column_in_order(compressing: str) -> None:
    blobs = _blobs(100)
    column = io.BytesIO()
    spool = StoredBlobs(column, level=LEVEL, backward=False, folder=None)
    for blob in blobs:
        spool.add(blob)
    sizes, offsets, total = spool.finish()
    compressed = _compressed(blobs)
    assert column.getvalue() == b"".join(compressed)
    assert sizes == [len(b) for b in compressed]
    assert offsets[0] == 0 and total == len(column.getvalue())


class _FailingColumn(io.BytesIO):
    """A column whose writes fail once it holds ``room`` bytes (a full disk)."""

    def __init__(self, room: int) -> None:
        super().__init__()
        self.room = room

    def write(self, data: Any) -> int:
        if self.tell() + len(data) > self.room:
            raise OSError(28, "No space left on device")
        return super().write(data)


@pytest.mark.parametrize("backward", [False, True])
def test_a_failed_write_is_raised_in_the_callers_thread(
    tmp_path, compressing: str, backward: bool
) -> None:
    spool = StoredBlobs(_FailingColumn(200), level=LEVEL, backward=backward, folder=str(tmp_path))
    with pytest.raises(OSError, match="No space left"):
        for blob in _blobs(400):
            spool.add(blob)
        spool.finish()
    spool.close()  # (returns: the thread, if any, has stopped)
    assert not [t for t in threading.enumerate() if stored.is_compressor(t)]


def test_closing_without_finishing_stops_the_thread(compressing: str) -> None:
    spool = StoredBlobs(io.BytesIO(), level=LEVEL, backward=False, folder=None)
    for blob in _blobs(100):
        spool.add(blob)
    spool.close()
    assert not [t for t in threading.enumerate() if stored.is_compressor(t)]


@needs_deflate_blobs
@settings(max_examples=200, deadline=None)
@given(st.lists(st.binary(max_size=5000) | st.text(max_size=3000).map(str.encode), max_size=40))
def test_deflate_blobs_is_fast_compress_of_each(blobs: list[bytes]) -> None:
    data, sizes = core.deflate_blobs(blobs, LEVEL)
    compressed = [fast_compress(blob, LEVEL) if blob else b"" for blob in blobs]
    assert sizes == [len(b) for b in compressed]
    assert data == b"".join(compressed)
    assert [zlib.decompress(b) if b else b"" for b in compressed] == blobs
    # Below store_below, at level 0: what StoredBlobs writes.
    data, sizes = core.deflate_blobs(blobs, LEVEL, STORE_BELOW)
    assert sizes == [len(b) for b in _compressed(blobs)]
    assert data == b"".join(_compressed(blobs))


def test_short_blobs_are_stored_and_long_ones_compressed(compressing: str) -> None:
    short, long = b"a record of a few hundred bytes " * 20, b"a long record " * 200
    assert len(short) < STORE_BELOW <= len(long)
    column = io.BytesIO()
    spool = StoredBlobs(column, level=LEVEL, backward=False, folder=None)
    for blob in (short, long, b"", short):
        spool.add(blob)
    sizes, offsets, total = spool.finish()
    # A stored zlib stream: its 2-byte header, one stored block's 5, the bytes, the checksum.
    assert sizes == [len(short) + 11, sizes[1], 0, len(short) + 11]
    assert sizes[1] < len(long) // 10
    data = column.getvalue()
    assert total == len(data) == sum(sizes)
    read = [
        zlib.decompress(data[o : o + n]) if n else b"" for o, n in zip(offsets, sizes, strict=True)
    ]
    assert read == [short, long, b"", short]


@needs_deflate_blobs
def test_deflate_blobs_refuses_what_it_cannot_compress() -> None:
    with pytest.raises(TypeError, match="list of bytes"):
        core.deflate_blobs([b"a", "b"], LEVEL)
    with pytest.raises(ValueError, match="level"):
        core.deflate_blobs([b"a"], 10)
    assert core.deflate_blobs([], LEVEL) == (b"", [])


@needs_deflate_blobs
def test_deflate_blobs_takes_zlibs_levels() -> None:
    blobs = _blobs(20)
    for level in (-1, 0, 9):  # (-1: zlib's default)
        compressed = [fast_compress(b, level) if b else b"" for b in blobs]
        assert core.deflate_blobs(blobs, level) == (
            b"".join(compressed),
            list(map(len, compressed)),
        )
    with pytest.raises(ValueError, match="level"):
        core.deflate_blobs([b"a"], -2)
