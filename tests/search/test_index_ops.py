"""Creating, opening, replacing, deleting and reopening records in a real index on disk."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

import diaspora_search as ds


def test_create_then_reopen_keeps_records(tmp_path: Path, bundled_records: list[ds.Record]) -> None:
    path = tmp_path / "index"
    with ds.SearchIndex.create(path) as index:
        assert len(index) == 0
        assert index.add(bundled_records) == 7
    with ds.SearchIndex.open(path) as reopened:
        assert len(reopened) == 7
        assert reopened.search("Laglagaron")[0].id == "ime-protection-through-integration"


def test_create_refuses_a_folder_that_is_not_empty(tmp_path: Path) -> None:
    (tmp_path / "file.txt").write_text("x")
    with pytest.raises(ds.IndexExistsError, match="not an empty folder"):
        ds.SearchIndex.create(tmp_path)


def test_open_without_an_index_is_a_clear_error(tmp_path: Path) -> None:
    with pytest.raises(ds.IndexNotFoundError, match="no diaspora_search index"):
        ds.SearchIndex.open(tmp_path / "missing")
    with pytest.raises(ds.IndexNotFoundError):
        ds.SearchIndex.open(tmp_path)


def test_adding_an_existing_id_replaces_the_record(empty_index: ds.SearchIndex) -> None:
    empty_index.add([{"id": "r1", "summary_en": "Consular support for migrants"}])
    empty_index.add([{"id": "r1", "summary_es": "Apoyo consular a las remesas"}])
    assert len(empty_index) == 1
    assert [h.id for h in empty_index.search("remesas")] == ["r1"]
    assert empty_index.search("migrants", lang="en") == []


def test_delete_counts_what_was_there(empty_index: ds.SearchIndex) -> None:
    empty_index.add(
        [{"id": f"r{i}", "summary_en": f"record number {i} about remittances"} for i in range(5)]
    )
    assert empty_index.delete(["r1", "r3", "nope"]) == 2
    assert len(empty_index) == 3
    assert {h.id for h in empty_index.search("remittances")} == {"r0", "r2", "r4"}
    assert empty_index.delete(["r1"]) == 0
    assert empty_index.delete("r0") == 1


def test_a_bad_batch_writes_nothing(empty_index: ds.SearchIndex) -> None:
    empty_index.add([{"id": "keep", "summary_en": "kept record"}])
    batch = [
        {"id": "new", "summary_en": "a valid record"},
        {"id": "bad", "sumary_en": "typo in the key"},
    ]
    with pytest.raises(ds.RecordError, match=r"line 2|:2: key 'sumary_en'"):
        empty_index.add(batch)
    assert len(empty_index) == 1
    assert empty_index.search("valid") == []


def test_duplicate_id_in_one_batch_is_refused(empty_index: ds.SearchIndex) -> None:
    with pytest.raises(ds.RecordError, match="duplicate id 'a'"):
        empty_index.add([{"id": "a", "summary_en": "x"}, {"id": "a", "summary_en": "y"}])
    assert len(empty_index) == 0


def test_progress_callback_sees_every_record(empty_index: ds.SearchIndex) -> None:
    seen: list[tuple[int, int]] = []
    records = [{"id": str(i), "summary_en": f"text {i}"} for i in range(600)]
    empty_index.add(records, progress=lambda done, total: seen.append((done, total)))
    assert seen[-1] == (600, 600)
    assert all(total == 600 for _, total in seen)
    assert [d for d, _ in seen] == sorted(d for d, _ in seen)


def test_stored_fields_round_trip_through_hits(empty_index: ds.SearchIndex) -> None:
    record = {
        "id": "full",
        "title_en": "Remittances and Hometown Associations",
        "title_es": "Remesas y clubes de oriundos",
        "summary_en": "How remittances fund hometown projects.",
        "summary_es": "Cómo las remesas financian proyectos en los pueblos de origen.",
        "authors": ["Ana Pérez"],
        "source": "Migration Policy Institute",
        "url": "https://example.org/r",
        "year": 2008,
    }
    empty_index.add([record])
    english = empty_index.search("remittances")[0]
    spanish = empty_index.search("remesas")[0]
    assert (english.lang, english.title) == ("en", record["title_en"])
    assert (spanish.lang, spanish.title) == ("es", record["title_es"])
    assert empty_index.search("Perez")[0].id == "full"
    assert json.loads(json.dumps(spanish.to_dict()))["id"] == "full"
