"""The fast indexing path writes the index Whoosh's own add_document writes.

Compared on the bundled corpus plus, when ../shared is there, a sample of the shared corpus:
every term's postings, every stored field and field length, and the rankings of many queries.
Both small segments (several per batch) and several processes are exercised.
"""

from __future__ import annotations

import itertools
import json
import threading
from pathlib import Path
from typing import Any

import pytest
from whoosh import index as whoosh_index

import diaspora_search as ds
from diaspora_search import _compiled
from diaspora_search._fields import document
from diaspora_search._records import validate_batch
from diaspora_search.storage import IndexStore, stored
from diaspora_search.storage import parallel as _parallel
from diaspora_search.storage import segment as _segment
from diaspora_search.storage.schema import build_schema
from tests.conftest import SHARED
from tests.fixtures import synthetic
from tests.fixtures.builders import builders_from

SHARED_CORPUS = SHARED / "corpus" / "records.jsonl"
# Shared records add time, not code paths: the rerun without the compiled core
# (test_pure_python.py) leaves them out.
WITH_SHARED = SHARED_CORPUS.exists() and _compiled.core is not None
DEFAULT_POSTINGS_PER_SEGMENT = _segment.POSTINGS_PER_SEGMENT
LOCAL_QUERIES = [  # the bundled and synthetic records hold these
    "integration policies",
    "políticas de integración",
    "politicas de integracion",
    "Gonzalez Gutierrez",
    '"Estados Unidos" -consejo',
    "remittances OR remesas",
    "consulado frontera",
    '"the Mexican" diaspora',
    "migración",
]
SHARED_QUERIES = [  # the shared corpus (Python documentation) holds these
    "the os module and file descriptors",
    "módulo de expresiones regulares",
    "modulo de expresiones regulares",
    "sqlite database connection",
    '"standard library"',
    "diccionario clave valor",
    "thread lock",
    "excepción",
]
QUERIES = LOCAL_QUERIES + (SHARED_QUERIES if WITH_SHARED else [])


def synthetic_records(n: int) -> list[dict[str, Any]]:
    words_en = ["remittance", "consulate", "migrant", "school", "health", "vote", "border"]
    words_es = ["remesa", "consulado", "migración", "escuela", "salud", "voto", "frontera"]
    return [
        {
            "id": f"syn-{i}",
            "title_en": f"Report {i % 13}",
            "summary_en": " ".join(words_en[(i + k) % 7] for k in range(i % 5 + 3)),
            "summary_es": " ".join(words_es[(i * 3 + k) % 7] for k in range(i % 4 + 2)),
            "authors": [f"Autora Número {i % 5}"],
        }
        for i in range(n)
    ]


@pytest.fixture(scope="module")
def records() -> list[ds.Record]:
    batch: list[Any] = list(ds.read_corpus(ds.bundled_corpus()).records)
    batch += synthetic_records(600)
    batch += synthetic.synthetic_records(1200, seed=5)
    if WITH_SHARED:
        with SHARED_CORPUS.open(encoding="utf-8") as f:
            batch += [json.loads(line) for line in itertools.islice(f, 2500)]
    return validate_batch(batch)


def build(
    path: Path, records: list[ds.Record], *, fast: bool, processes: int = 1, backward: bool = False
) -> Path:
    store = IndexStore.create(path)
    with store.writer(fast=fast, processes=processes) as writer:
        writer.add(records, backward=backward)
    store.close()
    return path


def open_whoosh(path: Path) -> Any:
    return whoosh_index.open_dir(str(path), schema=build_schema())


@pytest.fixture(scope="module")
def stock(tmp_path_factory: pytest.TempPathFactory, records: list[ds.Record]) -> Path:
    return build(tmp_path_factory.mktemp("stock") / "index", records, fast=False)


def contents(path: Path) -> dict[str, Any]:
    """Stored fields and field lengths, in document order."""
    ix = open_whoosh(path)
    reader = ix.reader()
    try:
        schema = ix.schema
        stored = [reader.stored_fields(n) for n in range(reader.doc_count_all())]
        # A segment where no record has the field has no length column: None, meaning 0.
        lengths = {
            name: [reader.doc_field_length(n, name) or 0 for n in range(reader.doc_count_all())]
            for name in schema.names()
            if schema[name].scorable
        }
        return {"stored": stored, "lengths": lengths}
    finally:
        reader.close()
        ix.close()


def all_postings(path: Path, *, blocks: bool) -> dict[tuple[str, bytes], Any]:
    """Every term's statistics, and every posting (with the statistics of its block when
    ``blocks``: only comparable between indexes of one segment each)."""
    ix = open_whoosh(path)
    reader = ix.reader()
    out: dict[tuple[str, bytes], Any] = {}
    try:
        for fieldname, term in reader.all_terms():
            info = reader.term_info(fieldname, term)
            stats = (
                info.weight(),
                info.doc_frequency(),
                info.min_length(),
                info.max_length(),
                info.max_weight(),
                info.min_id(),
                info.max_id(),
            )
            matcher = reader.postings(fieldname, term)
            found = []
            while matcher.is_active():
                block = (
                    (
                        matcher.block_max_weight(),
                        matcher.block_min_length(),
                        matcher.block_max_length(),
                    )
                    if blocks
                    else None
                )
                found.append((matcher.id(), matcher.weight(), matcher.value(), block))
                matcher.next()
            out[(fieldname, term)] = (stats, found)
    finally:
        reader.close()
        ix.close()
    return out


def rankings(path: Path) -> list[list[tuple[str, float, str, str, str]]]:
    with ds.SearchIndex.open(path) as index:
        return [
            [(h.id, round(h.score, 9), h.lang, h.title, h.snippet) for h in index.search(q)]
            for q in QUERIES
        ]


@pytest.mark.parametrize(
    ("processes", "postings_per_segment"),
    [(1, DEFAULT_POSTINGS_PER_SEGMENT), (1, 5000), (2, 7000), (3, 7000), (4, 7000)],
    ids=["one-segment", "many-segments", "two-processes", "three-processes", "four-processes"],
)
def test_fast_path_writes_what_whoosh_writes(
    tmp_path: Path,
    records: list[ds.Record],
    stock: Path,
    monkeypatch: pytest.MonkeyPatch,
    processes: int,
    postings_per_segment: int,
) -> None:
    monkeypatch.setattr(_segment, "POSTINGS_PER_SEGMENT", postings_per_segment)
    builders_from(monkeypatch, 100)
    fast = build(tmp_path / "fast", records, fast=True, processes=processes)
    one_segment = postings_per_segment == DEFAULT_POSTINGS_PER_SEGMENT and processes == 1
    assert all_postings(fast, blocks=one_segment) == all_postings(stock, blocks=one_segment)
    fast_contents, stock_contents = contents(fast), contents(stock)
    assert fast_contents["stored"] == stock_contents["stored"]
    assert fast_contents["lengths"] == stock_contents["lengths"]
    assert rankings(fast) == rankings(stock)
    assert all(rankings(fast))  # the queries find something


def test_many_segments_really_are_many(
    tmp_path: Path, records: list[ds.Record], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(_segment, "POSTINGS_PER_SEGMENT", 5000)
    path = build(tmp_path / "fast", records, fast=True)
    assert len(open_whoosh(path)._segments()) > 3
    with ds.SearchIndex.open(path) as index:
        assert len(index) == len(records)


def test_replacing_through_the_fast_path(tmp_path: Path, records: list[ds.Record]) -> None:
    fast = ds.SearchIndex.create(tmp_path / "fast")
    fast.add(records[:50])
    fast.add(records[25:75])  # 25 replaced, 25 new
    assert len(fast) == 75
    stock = build(tmp_path / "stock", records[:75], fast=False)
    with ds.SearchIndex.open(stock) as expected:
        for query in QUERIES:
            assert {h.id for h in fast.search(query, limit=100)} == {
                h.id for h in expected.search(query, limit=100)
            }
    fast.close()


@pytest.mark.parametrize("postings_per_segment", [DEFAULT_POSTINGS_PER_SEGMENT, 5000])
def test_a_backward_builder_writes_what_whoosh_writes(
    tmp_path: Path,
    records: list[ds.Record],
    stock: Path,
    monkeypatch: pytest.MonkeyPatch,
    postings_per_segment: int,
) -> None:
    # The whole batch taken last document first, as the second process of a range takes it.
    monkeypatch.setattr(_segment, "POSTINGS_PER_SEGMENT", postings_per_segment)
    path = build(tmp_path / "backward", records, fast=True, backward=True)
    one_segment = postings_per_segment == DEFAULT_POSTINGS_PER_SEGMENT
    assert all_postings(path, blocks=one_segment) == all_postings(stock, blocks=one_segment)
    assert contents(path) == contents(stock)
    assert rankings(path) == rankings(stock)


@pytest.mark.parametrize("total", [0, 1, 47, 48, 49, 1000])
@pytest.mark.parametrize("shared", [False, True])
def test_claims_from_both_ends_take_every_document_once(total: int, shared: bool) -> None:
    claims = _parallel.Claims(total, shared=shared)
    front: list[int] = []
    back: list[int] = []
    for turn in itertools.count():
        taken = claims.take(7 + turn % 50, backward=turn % 3 == 0)
        if not taken:
            break
        (back if turn % 3 == 0 else front).extend(taken)
    assert claims.claimed() == total
    assert front == sorted(front) and back == sorted(back, reverse=True)
    assert front + back[::-1] == list(range(total))
    assert not claims.take(5, backward=False) and not claims.take(5, backward=True)


def test_a_builder_has_its_end_before_this_process_finishes_its_last_segment(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Records of 3 KB: a chunk of them (parallel.CLAIM) is more than a pipe holds, so the
    # end message of a builder that still has chunks to read cannot be written at once. It
    # must reach the pipe before this process begins finishing its own segment (seconds on
    # a large batch), or the builder idles through that finish waiting for it.
    long_records = [
        {"id": f"long-{i}", "summary_en": f"consulate report {i} " + "migrant health " * 200}
        for i in range(600)
    ]
    builders_from(monkeypatch, 100)
    handles: list[Any] = []
    start = _parallel.start_builder

    def recorded(*args: Any, **kwargs: Any) -> Any:
        handles.append(start(*args, **kwargs))
        return handles[-1]

    monkeypatch.setattr(_parallel, "start_builder", recorded)
    at_own_finish: list[list[tuple[bool, bool]]] = []
    finish = _parallel.Segments.finish

    def observed(self: _parallel.Segments) -> list[Any]:
        at_own_finish.append([(h.ended, h.waiting_output) for h in handles])
        return finish(self)

    monkeypatch.setattr(_parallel.Segments, "finish", observed)  # (this process's only)
    store = IndexStore.create(tmp_path / "index")
    with store.writer(processes=2) as writer:
        writer.add(validate_batch(long_records))
    store.close()
    assert len(handles) == 1
    assert at_own_finish == [[(True, False)]]  # sent its end, and all of it in the pipe
    with ds.SearchIndex.open(tmp_path / "index") as index:
        assert len(index) == 600
        assert index.search("consulate", limit=1).total == 600


def test_a_failing_process_fails_the_batch_with_its_error(
    tmp_path: Path, records: list[ds.Record], monkeypatch: pytest.MonkeyPatch
) -> None:
    # The first document is the forked child's (it builds the front of the batch).
    first = records[0].id

    def failing(record: ds.Record) -> dict[str, Any]:
        if record.id == first:
            raise ValueError("boom in the child")
        return document(record)

    builders_from(monkeypatch, 100)
    monkeypatch.setattr("diaspora_search.storage.writer.document", failing)
    index = ds.SearchIndex.create(tmp_path / "index")
    index.add(records[-50:])  # a committed state to keep
    store = IndexStore.open(tmp_path / "index")
    message = "an indexing process failed: ValueError: boom"
    with pytest.raises(ds.IndexWriteError, match=message), store.writer(processes=2) as writer:
        writer.add(records[:-50])
    store.close()
    assert len(index) == 50
    assert {h.id for h in index.search("module", limit=100)} <= {r.id for r in records[-50:]}
    index.close()


@pytest.mark.parametrize("backward", [False, True])
def test_a_segment_that_fails_to_finish_releases_its_stored_blobs(
    tmp_path: Path, records: list[ds.Record], monkeypatch: pytest.MonkeyPatch, backward: bool
) -> None:
    # The stored fields' compressing thread (and, backward, its temporary file) are the
    # segment's: released when writing the segment fails, not left to the dropped builder.
    monkeypatch.setattr(stored, "CHUNK", 16)  # (the thread starts on the first 16 records)

    def full_disk(*args: Any, **kwargs: Any) -> None:
        raise OSError(28, "No space left on device")

    index = ds.SearchIndex.create(tmp_path / "index")
    index.add(records[-50:])
    monkeypatch.setattr(_segment, "write_field", full_disk)
    store = IndexStore.open(tmp_path / "index")
    with pytest.raises(OSError, match="No space left"), store.writer(processes=1) as writer:
        writer.add(records[:-50], backward=backward)
    store.close()
    assert not [t for t in threading.enumerate() if stored.is_compressor(t)]
    assert len(index) == 50
    index.close()


def test_fields_whose_values_give_no_terms(tmp_path: Path) -> None:
    # Every title is stopwords only: Whoosh writes no title field at all.
    batch = validate_batch(
        [
            {"id": f"t{i}", "title_en": "The", "summary_en": f"Remittances report {i % 7}"}
            for i in range(40)
        ]
    )
    fast = build(tmp_path / "fast", batch, fast=True)
    stock = build(tmp_path / "stock", batch, fast=False)
    assert all_postings(fast, blocks=True) == all_postings(stock, blocks=True)
    assert contents(fast) == contents(stock)
    assert rankings(fast) == rankings(stock)
