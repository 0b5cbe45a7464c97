"""What query lookups read from a segment's terms file (``storage/lookup.py``): every field's
terms, exactly as Whoosh's lexicon has them, each with the term info Whoosh's own lookup
reads, and the document holding each record id, by the compiled core and by Python alike."""

from __future__ import annotations

import struct
from collections.abc import Iterator
from pathlib import Path

import pytest

import diaspora_search as ds
from diaspora_search._compiled import core as compiled_core
from diaspora_search.storage import IndexStore, Snapshot
from diaspora_search.storage.lookup import (
    python_field_holders,
    python_field_terms,
    read_field_holders,
    read_field_terms,
    term_info_at,
)
from tests.fixtures.synthetic import synthetic_records


@pytest.fixture(scope="module")
def snapshot(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Snapshot]:
    path = tmp_path_factory.mktemp("terms") / "index"
    records = synthetic_records(400, seed=5)
    with ds.SearchIndex.create(path) as index:
        index.add(records[:200])  # (two segments)
        index.add(records[200:])
        index.delete([records[3]["id"], records[250]["id"]])
    store = IndexStore.open(path)
    try:
        yield store.snapshot()
    finally:
        store.close()


def _readers(snapshot: Snapshot) -> list[object]:
    return [reader for reader, _ in snapshot._segments]


def test_each_fields_terms_are_the_lexicons(snapshot: Snapshot) -> None:
    readers = _readers(snapshot)
    assert len(readers) == 2
    compared = 0
    for reader in readers:
        held = reader._terms._fieldmap  # type: ignore[attr-defined]
        for fieldname in snapshot._fields:
            # (Whoosh's lexicon of a field without terms in the segment raises)
            expected = frozenset(reader.lexicon(fieldname)) if fieldname in held else frozenset()  # type: ignore[attr-defined]
            found = read_field_terms(reader, fieldname)
            assert set(found.positions) == expected, fieldname
            for term, at in found.positions.items():  # (what Whoosh's probe of its hash reads)
                info = reader._terms.term_info(fieldname, term)  # type: ignore[attr-defined]
                assert vars(term_info_at(found.records, at)) == vars(info), (fieldname, term)
            compared += bool(expected)
    assert compared >= 10
    # The whole snapshot's, as text (each segment's terms, deleted documents' too).
    for fieldname in ("summary_en", "summary_es", "names", "forms_es", "id"):
        assert snapshot.known_terms([fieldname]) == frozenset(snapshot.terms(fieldname))
    assert snapshot.known_terms(["summary_es"])  # (the collection holds Spanish text)
    both = ["summary_en", "title_en"]
    expected = frozenset(snapshot.terms("summary_en")) | frozenset(snapshot.terms("title_en"))
    assert snapshot.known_terms(both) == expected
    assert set(snapshot.known_terms(both)) == expected  # (iterated: decoded)
    assert "\ud800" not in snapshot.known_terms(both)  # (a lone surrogate: no term)
    assert b"migrant" not in snapshot.known_terms(both)  # (terms are str)
    # Intersected with many at once (a spelling correction's candidates), as one at a time.
    known = snapshot.known_terms(both)
    asked = {*sorted(expected)[::7], "zzzq", "", "\ud800", "migr\u00e1"}
    held = {term for term in asked if term in known}
    assert known & asked == held == asked & known
    assert held and held != asked


def _records(*keys: bytes, value: bytes = b"\x00" * 3) -> bytes:
    return b"".join(struct.pack("!ii", len(k), len(value)) + k + value for k in keys)


def test_the_python_reader_stops_at_the_fields_end() -> None:
    data = _records(b"\x00\x04ab", b"\x00\x04abc", b"\x00\x05ab", b"\x00\x04zz")
    # (each record: 8 bytes of lengths, the key, 3 bytes of value)
    assert python_field_terms(data, b"\x00\x04") == {b"ab": 0, b"abc": 15}
    assert python_field_terms(data, b"\x00\x05") == {}  # (not the first field's)
    assert python_field_terms(data[:5], b"\x00\x04") == {}  # (no whole header)
    with pytest.raises(ValueError):
        python_field_terms(data[:12], b"\x00\x04")  # (a key cut short)


@pytest.mark.skipif(compiled_core is None, reason="the compiled core is not built or is off")
def test_the_compiled_core_reads_what_python_reads(snapshot: Snapshot) -> None:
    core = compiled_core
    assert core is not None
    samples = [
        _records(b"\x00\x04ab", b"\x00\x04abc", b"\x00\x05ab", b"\x00\x04zz"),
        _records(b"\x00\x04", b"\x00\x04\xc3\xb1", value=b""),
        _records(b"\x00", b"\x00\x04x"),  # (a key shorter than the prefix ends the field)
        _records(b"\x00\x04ab", b"\x00\x04ab"),  # (a term twice, as only damage makes it)
        b"",
    ]
    for data in samples:
        for prefix in (b"\x00\x04", b"\x00\x05", b""):
            assert core.field_terms(data, prefix) == python_field_terms(data, prefix)
    assert core.field_terms(samples[3], b"\x00\x04") == {b"ab": 0}  # (the first kept)
    data = samples[0]
    for cut in (12, 15 + 15):  # (into the first record's value, the second's)
        with pytest.raises(ValueError):
            core.field_terms(data[:cut], b"\x00\x04")
        with pytest.raises(ValueError):
            python_field_terms(data[:cut], b"\x00\x04")
    # And on the terms files of a real index, from each field's first key.
    for reader in _readers(snapshot):
        terms = reader._terms  # type: ignore[attr-defined]
        table = terms._tindex
        for fieldname, number in terms._fieldmap.items():
            prefix = struct.pack("!H", number)
            start = table.closest_key_pos(prefix)
            records = table.dbfile.get(start, table.endofdata - start)
            found = core.field_terms(records, prefix)
            assert found == python_field_terms(records, prefix), fieldname
            assert set(found) == set(reader.lexicon(fieldname))  # type: ignore[attr-defined]
            holders = core.field_holders(records, prefix)
            assert holders == python_field_holders(records, prefix), fieldname


def _info(count: int, first: int, last: int) -> bytes:
    """A W3 term info's first fields ("!BfIBBfII") and a postings pointer."""
    return struct.pack("!BfIBBfIIqi", 0, float(count), count, 1, 1, 1.0, first, last, 0, 9)


def test_record_ids_come_from_the_id_terms(tmp_path: Path) -> None:
    records = synthetic_records(120, seed=9)
    path = tmp_path / "index"
    with ds.SearchIndex.create(path) as index:
        index.add(records[:60])
        index.add(records[60:])
        index.add([{**records[7], "title_en": "Replaced"}])  # (the old one deleted)
        index.delete([records[70]["id"]])
    store = IndexStore.open(path)
    try:
        snapshot = store.snapshot()
        stored = [str(snapshot.stored(d)["id"]) for d in range(snapshot.doc_count)]
        fresh = store.new_snapshot()

        def refuse(docnum: int) -> None:
            raise AssertionError(f"document {docnum}'s stored record read for its id")

        fresh._stored_fields = refuse  # type: ignore[method-assign,assignment]
        ids = [fresh.record_id(d) for d in range(fresh.doc_count)]
        fresh.close()
        assert ids == stored
        batch = store.new_snapshot()  # (nothing read yet: each id read by record_ids itself)
        batch._stored_fields = refuse  # type: ignore[method-assign,assignment]
        assert batch.record_ids(range(batch.doc_count)[::-1]) == stored[::-1]
        assert batch.record_ids([3, 3, 0]) == [stored[3], stored[3], stored[0]]
        batch.close()
        assert ids.count(records[7]["id"]) == 2  # (the deleted document's too)
        readers = _readers(snapshot)
        assert sum(len(read_field_holders(r, "id")) for r in readers) == snapshot.doc_count
    finally:
        store.close()


def test_the_holders_of_terms_one_or_two_documents_hold() -> None:
    data = b"".join(
        struct.pack("!ii", len(key), len(info)) + key + info
        for key, info in [
            (b"\x00\x02a", _info(1, 5, 5)),
            (b"\x00\x02b", _info(2, 3, 9)),
            (b"\x00\x02c", _info(3, 1, 8)),  # (more than two: left out)
            (b"\x00\x02d", b"\x00" * 10),  # (too short to hold a term info's counts)
            (b"\x00\x03e", _info(1, 4, 4)),
        ]
    )
    assert python_field_holders(data, b"\x00\x02") == {5: b"a", 3: b"b", 9: b"b"}
    assert python_field_holders(data, b"\x00\x03") == {}
    core = compiled_core
    if core is not None:
        for prefix in (b"\x00\x02", b"\x00\x03", b""):
            assert core.field_holders(data, prefix) == python_field_holders(data, prefix)
        with pytest.raises(ValueError):
            core.field_holders(data[:-3], b"")
    with pytest.raises(ValueError):
        python_field_holders(data[:-3], b"")


def test_every_fields_lookups_are_whooshs(tmp_path: Path) -> None:
    # A snapshot's lookups (held or not, and by how many documents) answer as Whoosh's reader
    # does, for every indexed field of the schema: the terms of each field, looked up in every
    # other, terms no field holds, a lone surrogate; and the fields no record fills (no full
    # text here, in either segment), answered before the term is encoded. The Spanish titles
    # are in the second segment only.
    path = tmp_path / "index"
    records: list[dict[str, str]] = [
        {"id": f"r{i}", "title_en": f"Report {i} on remittances", "summary_es": f"Remesas {i}"}
        for i in range(6)
    ]
    for record in records[3:]:
        record["title_es"] = f"Informe sobre educación {record['id']}"
    with ds.SearchIndex.create(path) as index:
        index.add(records[:3])  # (two segments)
        index.add(records[3:])
        index.delete(["r1"])
    store = IndexStore.open(path)
    try:
        snapshot = store.snapshot()
        reader = snapshot._reader
        fields = sorted(name for name, field in snapshot._fields.items() if field.indexed)
        terms = {t for f in fields for t in snapshot.terms(f)} | {"zzzunheld", "", "remesa"}
        assert {"text_en", "text_es"} <= snapshot._lookup._empty_fields
        assert not {"title_en", "title_es", "summary_es", "id"} & snapshot._lookup._empty_fields
        held = 0
        for fieldname in fields:
            for term in terms:
                expected = reader.doc_frequency(fieldname, term)
                assert snapshot.doc_frequency(fieldname, term) == expected, (fieldname, term)
                assert snapshot.has_term(fieldname, term) == ((fieldname, term) in reader)
                held += expected > 0
            assert not snapshot.has_term(fieldname, "\ud800")  # (Whoosh cannot encode it)
            assert snapshot.doc_frequency(fieldname, "\ud800") == 0
        assert held > 10
    finally:
        store.close()


def test_a_term_info_is_read_as_whoosh_reads_it() -> None:
    """``term_info_at`` reads a pointer to postings in one unpack, and leaves inlined postings
    (which this package never writes, Whoosh's writer may) to Whoosh's ``from_bytes``: both
    give the info Whoosh would."""
    from whoosh.codec.whoosh3 import W3TermInfo

    pointed = W3TermInfo(weight=3.0, df=2, minlength=4, maxlength=40, maxweight=2.0, minid=7)
    pointed._maxid, pointed._offset, pointed._length = 9, 123_456_789_012, 77
    unbounded = W3TermInfo(weight=1.0, df=1, maxlength=1, maxweight=1.0)
    unbounded._offset, unbounded._length = 0, 5
    inlined = W3TermInfo(weight=2.0, df=1, minlength=3, maxlength=3, maxweight=2.0, minid=4)
    inlined._maxid, inlined._inlined = 4, ((4,), (2.0,), (None,))
    for info in (pointed, unbounded, inlined):
        data = info.to_bytes()
        records = b"junk" + _records(b"\x00\x01key", value=data)
        found = term_info_at(memoryview(records), 4)
        assert vars(found) == vars(W3TermInfo.from_bytes(data))
        assert found.doc_frequency() == info.doc_frequency()
        assert found.is_inlined() == (info is inlined)
