"""The stored-fields blobs written as they are made (``storage/stored.py``): in order, or
spooled and copied in reverse a window at a time, the column gets the blobs in segment order."""

from __future__ import annotations

import io
import random

import pytest

from diaspora_search.storage import stored
from diaspora_search.storage.stored import StoredBlobs


def _blobs(count: int) -> list[bytes]:
    rng = random.Random(13)
    return [bytes([i % 251]) * rng.choice([0, 1, 7, 40, 300]) for i in range(count)]


@pytest.mark.parametrize("window", [1, 50, 1000, 1 << 20])
def test_backward_blobs_reach_the_column_last_added_first(
    tmp_path, monkeypatch: pytest.MonkeyPatch, window: int
) -> None:
    monkeypatch.setattr(stored, "WINDOW", window)
    blobs = _blobs(500)
    column = io.BytesIO()
    spool = StoredBlobs(column, backward=True, folder=str(tmp_path))
    for blob in blobs:
        spool.add(blob)
    assert column.getvalue() == b""  # (spooled until the segment is written)
    sizes, offsets, total = spool.finish()
    in_segment_order = blobs[::-1]
    assert column.getvalue() == b"".join(in_segment_order)
    assert sizes == [len(b) for b in in_segment_order]
    assert [
        column.getvalue()[o : o + s] for o, s in zip(offsets, sizes, strict=True)
    ] == in_segment_order
    assert total == len(column.getvalue())
    assert list(tmp_path.iterdir()) == []  # (the spool has no name)


def test_forward_blobs_go_straight_to_the_column() -> None:
    blobs = _blobs(100)
    column = io.BytesIO()
    spool = StoredBlobs(column, backward=False, folder=None)
    for blob in blobs:
        spool.add(blob)
    assert column.getvalue() == b"".join(blobs)
    sizes, offsets, total = spool.finish()
    assert sizes == [len(b) for b in blobs]
    assert offsets[0] == 0 and total == len(column.getvalue())
