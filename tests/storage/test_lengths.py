"""Field lengths read as the length columns' bytes (``codec.field_length_bytes``): each
document's length is Whoosh's own, and what is made of them (BM25 length norms, the documents a
translation fills in) is what a document at a time made."""

from __future__ import annotations

from array import array
from collections.abc import Iterator

import pytest

import diaspora_search as ds
from diaspora_search import _ranking as ranking
from diaspora_search._fields import TEXT_FIELDS
from diaspora_search.search.scorer import LengthNorms
from diaspora_search.storage import LENGTH_OF_BYTE, IndexStore, Snapshot


@pytest.fixture(scope="module")
def snapshot(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Snapshot]:
    # Two segments. In the first, the last records have no Spanish summary (its column stops
    # short of them) and no record has a Spanish title; the second has Spanish titles, one
    # summary longer than 255 words (a length the byte holds approximately), and deletions.
    path = tmp_path_factory.mktemp("lengths") / "index"
    first = [
        {"id": f"a{i}", "title_en": "Report " * (i + 1), "summary_es": "remesas " * (i + 1)}
        for i in range(5)
    ] + [{"id": f"a{i}", "summary_en": "Only English"} for i in range(5, 8)]
    second = [
        {"id": f"b{i}", "title_es": "Informe " * (i + 1), "summary_en": "remittances " * (i + 1)}
        for i in range(4)
    ] + [{"id": "b-long", "summary_en": "migration " * 300, "summary_es": "migración " * 290}]
    with ds.SearchIndex.create(path) as index:
        index.add(first)
        index.add(second)
        index.delete(["a6", "b1"])  # (a6: English text only, so only deletion skips it for Spanish)
    store = IndexStore.open(path)
    try:
        yield store.snapshot()
    finally:
        store.close()


def _scored_fields(snapshot: Snapshot) -> list[str]:
    return sorted(name for name, field in snapshot._fields.items() if field.scorable)


def _lengths(snapshot: Snapshot, segment: int, fieldname: str) -> list[int]:
    """Each document's length, from its length byte (Whoosh's own: the first test)."""
    return [LENGTH_OF_BYTE[b] for b in snapshot.length_bytes(segment, fieldname)]


def test_each_documents_length_is_whooshs(snapshot: Snapshot) -> None:
    segments = [reader for reader, _ in snapshot._segments]
    assert len(segments) == 2
    compared = 0
    for segment, reader in enumerate(segments):
        documents = reader.doc_count_all()
        for fieldname in _scored_fields(snapshot):
            # (Whoosh gives None where a document has no length: 0)
            expected = [reader.doc_field_length(d, fieldname) or 0 for d in range(documents)]
            found = snapshot.length_bytes(segment, fieldname)
            if not found:  # (no column: no document has a length there)
                assert not any(expected), fieldname
                continue
            assert len(found) == documents
            assert _lengths(snapshot, segment, fieldname) == expected, (segment, fieldname)
            compared += any(expected) and not all(expected)  # (a column stopping short, or gaps)
    assert compared >= 3
    assert max(LENGTH_OF_BYTE[b] for b in snapshot.length_bytes(1, "summary_en")) > 255


def test_norms_and_fill_in_flags_are_a_document_at_a_times(snapshot: Snapshot) -> None:
    norms = LengthNorms(snapshot)
    k1, b = norms.k1, norms.b
    for segment, (reader, _) in enumerate(snapshot._segments):
        size = snapshot.segment_size(segment)
        deleted = frozenset(getattr(reader, "deleted_docs_set", frozenset()))
        for fieldname in _scored_fields(snapshot):
            lengths = _lengths(snapshot, segment, fieldname)
            avg = snapshot.avg_field_length(fieldname)
            expected = array("d", [ranking.bm25_length_norm(n, avg, k1, b) for n in lengths])
            found, ones = norms.norms(segment, fieldname, snapshot)
            assert found == expected, (segment, fieldname)  # (to the bit)
            assert ones == array("d", [ranking.bm25_saturate(1.0, n, k1) for n in expected])
        for lang in ds.Language:
            with_text = {
                d
                for field in TEXT_FIELDS[lang]
                for d, n in enumerate(_lengths(snapshot, segment, field.name))
                if n
            }
            skipped = with_text | deleted
            flags = norms.skipped_by_fill_in(segment, lang, deleted)
            if len(skipped) >= size:
                assert flags is None
            else:
                assert flags == bytes(int(d in skipped) for d in range(size)), (segment, lang)
