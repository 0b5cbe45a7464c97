"""The core's reader of stored fields (``_core.stored_fields``, used by the snapshot through
``codec.stored_fields_reader``) against Whoosh's reader and the restricted unpickler: the same
fields for every document of indexes written both ways, the same values as ``pickle.loads`` for
plain values pickled with any protocol; and ``None`` (Whoosh then reads the document), never a
call of anything, a crash or a different value, for any other pickle or damaged bytes."""

from __future__ import annotations

import os
import pickle
import struct
import zlib
from pathlib import Path
from typing import Any, ClassVar

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import diaspora_search as ds
from diaspora_search._compiled import core
from diaspora_search._records import validate_batch
from diaspora_search.storage import IndexStore
from tests.fixtures.synthetic import synthetic_records

needs_core = pytest.mark.skipif(core is None, reason="the compiled core is not built or is off")
needs_zlib = pytest.mark.skipif(
    core is None or not hasattr(core, "deflate_blobs"), reason="the core is built without zlib"
)


def _read(blob: bytes) -> Any:
    """``blob`` read by the core as a stored column's (from the middle of a larger buffer)."""
    column = b"\x07" * 5 + blob + b"\x09" * 3
    return core.stored_fields(column, 5, len(blob))


@needs_zlib
@pytest.mark.parametrize("fast", [True, False], ids=["fast path", "Whoosh's writer"])
def test_every_document_reads_as_whoosh_reads_it(tmp_path: Path, fast: bool) -> None:
    records = synthetic_records(400)
    records[3]["text_es"] = "Texto completo con acentos: educación, niños, pingüino. " * 40
    ds.SearchIndex.create(tmp_path / "ix").close()
    store = IndexStore.open(tmp_path / "ix")
    with store.writer(fast=fast) as writer:
        writer.add(validate_batch(records))
    store.close()
    with ds.SearchIndex.open(tmp_path / "ix") as index:
        snapshot = index._current_searcher().snapshot
        read_by_core = [snapshot._read_stored(d) for d in range(snapshot.doc_count)]
        whoosh = [dict(snapshot._searcher.stored_fields(d)) for d in range(snapshot.doc_count)]
        assert snapshot._stored_readers and all(snapshot._stored_readers.values())
    assert read_by_core == whoosh  # (dicts compared with their order too, below)
    assert [list(f) for f in read_by_core] == [list(f) for f in whoosh]
    assert {f["id"] for f in read_by_core} == {r["id"] for r in records}


plain = st.recursive(
    st.none()
    | st.booleans()
    | st.integers(-(2**63), 2**63 - 1)
    | st.floats(allow_nan=False)
    | st.text(max_size=300)
    | st.binary(max_size=40),
    lambda inner: (
        st.lists(inner, max_size=6)
        | st.tuples(inner)
        | st.tuples(inner, inner, inner, inner)
        | st.dictionaries(st.text(max_size=8), inner, max_size=5)
    ),
    max_leaves=25,
)
records = st.dictionaries(st.text(max_size=12), plain, max_size=8)


@needs_zlib
@settings(max_examples=300, deadline=None)
@given(records, st.integers(2, 5), st.sampled_from([1, 6, 9]))
def test_plain_values_read_as_pickle_reads_them(
    fields: dict[str, Any], protocol: int, level: int
) -> None:
    data = pickle.dumps(fields, protocol)
    found = _read(zlib.compress(data, level))
    if protocol == 2 and _holds_bytes(fields):  # (protocol 2 pickles bytes as a call)
        assert found is None
    else:
        assert found == fields and list(found) == list(fields)


def _holds_bytes(value: Any) -> bool:
    if isinstance(value, bytes):
        return True
    if isinstance(value, dict):
        return any(_holds_bytes(v) for v in value.values())
    if isinstance(value, list | tuple):
        return any(_holds_bytes(v) for v in value)
    return False


@needs_zlib
@settings(max_examples=400, deadline=None)
@given(records, st.integers(2, 5), st.data())
def test_damaged_pickles_are_declined_or_read_as_pickle_reads_them(
    fields: dict[str, Any], protocol: int, data: st.DataObject
) -> None:
    damaged = bytearray(pickle.dumps(fields, protocol))
    for _ in range(data.draw(st.integers(1, 3))):
        damaged[data.draw(st.integers(0, len(damaged) - 1))] = data.draw(st.integers(0, 255))
    cut = data.draw(st.integers(0, len(damaged)))
    damaged = damaged[:cut] if data.draw(st.booleans()) else damaged
    found = _read(zlib.compress(bytes(damaged)))  # (never a crash)
    if found is not None:
        assert _same(found, pickle.loads(bytes(damaged)))


def _same(a: Any, b: Any, comparing: set[tuple[int, int]] | None = None) -> bool:
    """``a == b`` for plain values that a damaged pickle made, which ``==`` cannot compare: a
    memo get can put a list inside itself (``==`` then recurses without end), and a damaged
    float can be a NaN (never equal to itself). Containers are compared element by element
    (dicts' keys in order too), a pair of containers already being compared counting as the
    same; floats by their bits; anything else by ``==``."""
    comparing = set() if comparing is None else comparing
    if isinstance(a, float) and isinstance(b, float):
        return struct.pack("<d", a) == struct.pack("<d", b)
    containers = (dict, list, tuple)
    if not isinstance(a, containers) and not isinstance(b, containers):
        return bool(a == b)
    if type(a) is not type(b) or len(a) != len(b):  # (a container and a leaf are not the same)
        return False
    pair = (id(a), id(b))
    if pair in comparing:
        return True
    comparing.add(pair)
    pairs = (
        [*zip(a, b, strict=True), *zip(a.values(), b.values(), strict=True)]
        if isinstance(a, dict)
        else list(zip(a, b, strict=True))
    )
    return all(_same(x, y, comparing) for x, y in pairs)


@needs_zlib
@pytest.mark.parametrize("protocol", [2, 3, 4, 5])
def test_a_pickle_whose_list_holds_itself_reads_as_pickle_reads_it(protocol: int) -> None:
    # (What a damaged memo get can make; the test above compares such values with _same.)
    looped: list[Any] = ["x"]
    looped.append(looped)
    blob = pickle.dumps({"a": looped, "b": (looped, 1.5)}, protocol)
    found = _read(zlib.compress(blob))
    assert found is not None  # (memo gets are plain-value opcodes: read, not declined)
    assert _same(found, pickle.loads(blob))
    assert found["a"][1] is found["a"] and found["b"][0] is found["a"]


def test_values_that_hold_themselves_compare() -> None:
    looped: list[Any] = [1.0]
    looped.append(looped)
    other: list[Any] = [1.0]
    other.append(other)
    assert _same({"a": looped}, {"a": other})
    assert _same(float("nan"), float("nan"))
    assert not _same({"a": looped}, {"a": [2.0, other]})
    assert not _same({"a": 1}, {"b": 1})
    assert not _same([1], (1,))
    assert not _same(0.0, -0.0)


class Alarm:
    """What a forged pickle would call: noted here if it ever ran."""

    calls: ClassVar[list[Any]] = []

    def __reduce__(self) -> tuple[Any, ...]:
        return (Alarm.calls.append, ("ran",))


@needs_core
@pytest.mark.parametrize(
    "value",
    [
        {"id": Alarm()},  # a reduce: a call
        {"id": os.getcwd},  # a global
        {"id": {1, 2}},  # a set: a call of builtins.set, or EMPTY_SET with protocol 4
        {"id": frozenset([1])},
        ["not", "a", "dict"],
        "a str",
        None,
    ],
    ids=["reduce", "global", "set", "frozenset", "a list", "a str", "None"],
)
def test_anything_but_a_dict_of_plain_values_is_declined(value: Any) -> None:
    for protocol in (2, 3, 4, 5):
        assert _read(zlib.compress(pickle.dumps(value, protocol))) is None
    assert Alarm.calls == []


@needs_core
def test_blobs_that_do_not_inflate_or_lie_outside_are_declined() -> None:
    blob = zlib.compress(pickle.dumps({"id": "a"}, 2))
    assert _read(blob) == {"id": "a"}
    assert _read(blob[:-1]) is None  # truncated (its checksum missing)
    assert _read(pickle.dumps({"id": "a"}, 2)) is None  # not compressed
    assert _read(b"") is None
    column = b"\x00" + blob
    assert core.stored_fields(column, 1, len(blob)) == {"id": "a"}
    assert core.stored_fields(column, 1, len(blob) + 1) is None  # past the end
    assert core.stored_fields(column, -1, 3) is None
    trailing = zlib.compress(pickle.dumps({"id": "a"}, 2) + b"junk")
    assert _read(trailing) is None  # (bytes after the pickle: Whoosh's reader decides)
