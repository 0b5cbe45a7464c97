"""ShardedIndex in one process (no Dask): ranking identical to one index, the two-phase
commit's recovery, routing, and a shard that cannot be read."""

from __future__ import annotations

import json
import shutil
from pathlib import Path
from typing import Any

import pytest

import diaspora_search as ds
from diaspora_search.sharding import route
from diaspora_search.sharding.build import Part, build_part
from diaspora_search.sharding.manifest import MANIFEST_FILE, read_manifest
from tests.fixtures.synthetic import synthetic_queries, synthetic_records
from tests.sharding._compare import differences

RECORDS = synthetic_records(360)
QUERIES = synthetic_queries(300)


def updates(records: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Every 7th record rewritten, and two new ones."""
    changed = [
        dict(r, summary_en=r.get("summary_en", "") + " remittances consulate") for r in records[::7]
    ]
    new = [
        {"id": "new-1", "summary_es": "Las remesas de los migrantes"},
        {"id": "new-2", "summary_en": "Consulates abroad"},
    ]
    return changed + new


DELETES = [r["id"] for r in RECORDS[3::11]]


@pytest.fixture(scope="module")
def pair(tmp_path_factory: pytest.TempPathFactory) -> tuple[ds.SearchIndex, ds.ShardedIndex]:
    root = tmp_path_factory.mktemp("pair")
    one = ds.SearchIndex.create(root / "one")
    one.add(RECORDS)
    sharded = ds.ShardedIndex.create(root / "sharded", shards=3)
    assert sharded.add(RECORDS) == len(RECORDS)
    return one, sharded


def test_same_ranking_as_one_index_then_after_updates_and_deletes(
    pair: tuple[ds.SearchIndex, ds.ShardedIndex],
) -> None:
    one, sharded = pair
    assert len(sharded) == len(one) == len(RECORDS)
    assert differences(one, sharded, QUERIES) == []
    batch = updates(RECORDS)
    one.add(batch)
    sharded.add(batch)
    assert one.delete(DELETES) == sharded.delete(DELETES) == len(DELETES)
    assert sharded.delete(DELETES) == 0 and sharded.get(DELETES[0]) is None
    assert sharded.get("new-1") == ds.Record.from_dict(batch[-2])
    assert len(sharded) == len(one)
    assert differences(one, sharded, QUERIES) == []


def test_records_are_routed_by_a_stable_hash(tmp_path: Path) -> None:
    index = ds.ShardedIndex.create(tmp_path / "ix", shards=4)
    index.add(RECORDS[:40])
    manifest = read_manifest(tmp_path / "ix")
    for record in RECORDS[:40]:
        shard = route(record["id"], 4)
        alone = ds.SearchIndex.open(tmp_path / "ix" / manifest.current[shard])
        assert [h.id for h in alone.search(record["id"]) if h.id == record["id"]] in (
            [],
            [record["id"]],
        )
        assert index.get(record["id"]) == ds.Record.from_dict(record)
    assert index.get("nope") is None
    assert route("syn-00001", 4) == route("syn-00001", 4)
    counts = [len(ds.SearchIndex.open(tmp_path / "ix" / name)) for name in manifest.current]
    assert sum(counts) == 40 and all(counts)


def test_bad_batch_changes_nothing(tmp_path: Path) -> None:
    index = ds.ShardedIndex.create(tmp_path / "ix", shards=2)
    index.add(RECORDS[:10])
    before = (tmp_path / "ix" / MANIFEST_FILE).read_text()
    with pytest.raises(ds.RecordError, match="<records>:2: key 'sumary_en'"):
        index.add([{"id": "x", "summary_en": "fine"}, {"id": "y", "sumary_en": "typo"}])
    assert (tmp_path / "ix" / MANIFEST_FILE).read_text() == before
    assert len(index) == 10


def test_an_interrupted_batch_is_rolled_back_and_a_committed_one_forward(tmp_path: Path) -> None:
    folder = tmp_path / "ix"
    index = ds.ShardedIndex.create(folder, shards=2)
    index.add(RECORDS[:20])
    manifest = read_manifest(folder)
    # Phase 1 done for shard 0 but never recorded (the coordinator died): rolled back.
    part = Part(
        0,
        manifest.current[0],
        f"s000.{manifest.transaction + 1}",
        records=(ds.Record.from_dict(RECORDS[30]),),
    )
    build_part(str(folder), part)
    (folder / f"s001.{manifest.transaction + 1}.tmp-0123abcd").mkdir()  # a worker died mid-part
    reopened = ds.ShardedIndex.open(folder)
    assert len(reopened) == 20 and reopened.get(RECORDS[30]["id"]) is None
    assert sorted(p.name for p in folder.iterdir() if p.is_dir()) == sorted(
        {*manifest.current, *manifest.retired}
    )
    # Committed (the manifest names the new folder as pending) but not finished: rolled forward.
    late = ds.Record.from_dict(RECORDS[30])
    shard = route(late.id, 2)
    done = build_part(
        str(folder), Part(shard, manifest.current[shard], f"s{shard:03d}.9", records=(late,))
    )
    data = json.loads((folder / MANIFEST_FILE).read_text())
    data["transaction"] = 9
    data["pending"] = {str(done.shard): done.target}
    (folder / MANIFEST_FILE).write_text(json.dumps(data))
    assert ds.ShardedIndex.open(folder).get(RECORDS[30]["id"]) is not None
    after = read_manifest(folder)
    assert not after.pending and done.target in after.current
    assert len(ds.ShardedIndex.open(folder)) == 21


def test_a_retried_part_finds_no_debris(tmp_path: Path) -> None:
    folder = tmp_path / "ix"
    ds.ShardedIndex.create(folder, shards=1)
    records = tuple(ds.Record.from_dict(r) for r in RECORDS[:5])
    part = Part(0, "s000.0", "s000.1", records=records)
    (folder / "s000.1.tmp-00ff").mkdir()  # an earlier attempt, killed
    build_part(str(folder), part)
    build_part(str(folder), part)  # its result lost: the retry writes the part again, once
    assert sorted(p.name for p in folder.iterdir() if p.is_dir()) == [
        "s000.0",
        "s000.1",
    ]
    assert len(ds.SearchIndex.open(folder / "s000.1")) == 5
    assert len(ds.SearchIndex.open(folder / "s000.0")) == 0  # the base is never written


def test_a_shard_that_cannot_be_read_is_an_error_not_partial_results(tmp_path: Path) -> None:
    index = ds.ShardedIndex.create(tmp_path / "ix", shards=3)
    index.add(RECORDS[:30])
    index.search("migrantes")
    shutil.rmtree(tmp_path / "ix" / read_manifest(tmp_path / "ix").current[1])
    fresh = ds.ShardedIndex.open(tmp_path / "ix")
    with pytest.raises(ds.ShardUnavailableError, match=r"shard .*s001\.\d+ cannot be read"):
        fresh.search("migrantes")


def test_create_refuses_bad_shard_counts_and_used_folders(tmp_path: Path) -> None:
    with pytest.raises(ds.QueryError, match="shards must be an integer from 1 to 1,000"):
        ds.ShardedIndex.create(tmp_path / "a", shards=0)
    (tmp_path / "b").mkdir()
    (tmp_path / "b" / "x").write_text("x")
    with pytest.raises(ds.IndexExistsError):
        ds.ShardedIndex.create(tmp_path / "b", shards=2)
    with pytest.raises(ds.IndexNotFoundError):
        ds.ShardedIndex.open(tmp_path / "c")


def test_a_part_that_fails_commits_nothing(tmp_path: Path) -> None:
    folder = tmp_path / "ix"
    index = ds.ShardedIndex.create(folder, shards=2)
    index.add(RECORDS[:20])
    manifest = read_manifest(folder)
    (folder / manifest.current[1] / "diaspora_search.json").write_text("{damaged")
    batch = RECORDS[20:60]
    with pytest.raises(ds.IndexWriteError, match=r"building the shards failed .*nothing was"):
        index.add(batch)
    after = read_manifest(folder)
    assert (after.current, after.transaction, after.pending) == (
        manifest.current,
        manifest.transaction,
        {},
    )
    ds.ShardedIndex.open(folder)  # rolls back: the part built for shard 0 is deleted
    assert sorted(p.name for p in folder.iterdir() if p.is_dir()) == sorted(manifest.current)
