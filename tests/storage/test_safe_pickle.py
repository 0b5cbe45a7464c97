"""The restricted unpickler: plain values in, every callable that is not data out."""

from __future__ import annotations

import io
import os
import pickle
import subprocess
from collections import defaultdict

import pytest

import diaspora_search as ds
from diaspora_search.storage.safe_pickle import load_data, load_segments, loads_data

VALUES = [
    (1, 2.5, None, True, "ñandú"),
    {"id": "a", "authors": ["Ana", "Luis"], "year": 1999},
    (b"\x00\x01positions", [0.5, 1.0]),
    {1, 2, 3},
    frozenset({"x"}),
    bytearray(b"ab"),
]


@pytest.mark.parametrize("protocol", [2, pickle.HIGHEST_PROTOCOL])
@pytest.mark.parametrize("value", VALUES, ids=[type(v).__name__ for v in VALUES])
def test_plain_values_load(value: object, protocol: int) -> None:
    data = pickle.dumps(value, protocol)
    assert loads_data(data) == value
    assert load_data(io.BytesIO(data)) == value


CALLS = [os.system, eval, exec, getattr, __import__, subprocess.Popen, open, os.remove]


@pytest.mark.parametrize("protocol", [0, 2, pickle.HIGHEST_PROTOCOL])
@pytest.mark.parametrize("call", CALLS, ids=[c.__name__ for c in CALLS])
def test_callables_are_refused(call: object, protocol: int) -> None:
    class Call:
        def __reduce__(self) -> tuple[object, tuple[str]]:
            return (call, ("x",))

    data = pickle.dumps(Call(), protocol)
    with pytest.raises(ds.IndexCorruptError, match="refused to unpickle"):
        loads_data(data)
    with pytest.raises(ds.IndexCorruptError, match="refused to unpickle"):
        load_segments(io.BytesIO(data))


def test_a_segment_list_needs_whoosh_classes_that_data_refuses() -> None:
    from whoosh.codec.whoosh3 import W3Codec, W3Segment

    segment = W3Segment(W3Codec(), "MAIN", doccount=3, segid="abc")
    segment._fieldlengths = defaultdict(int, {"title": 4})
    data = pickle.dumps([segment], -1)
    (loaded,) = load_segments(io.BytesIO(data))
    assert loaded.segment_id() == "MAIN_abc" and loaded.doc_count_all() == 3
    with pytest.raises(ds.IndexCorruptError, match="W3Segment"):
        loads_data(data)


@pytest.mark.parametrize("data", [b"", b"\x80\x02(", b"garbage", b"\x80\x05\x95"])
def test_garbage_is_corrupt_not_a_raw_error(data: bytes) -> None:
    with pytest.raises(ds.IndexCorruptError, match="unreadable pickle"):
        loads_data(data)
