"""ShardedIndex on a local Dask cluster (2 worker processes on 127.0.0.1, no dashboard): the
same results as one SearchIndex, a worker killed mid-build, a shard that cannot be reached."""

from __future__ import annotations

import json
import os
import signal
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

import diaspora_search as ds
from diaspora_search._cli import main
from diaspora_search.sharding.manifest import read_manifest
from tests.fixtures.synthetic import synthetic_queries, synthetic_records
from tests.sharding._compare import differences

distributed = pytest.importorskip(
    "distributed", reason="dask[distributed] is not installed (pip install -e '.[test]')"
)

RECORDS = synthetic_records(360)
OFF = {"dashboard_address": "127.0.0.1:0", "scheduler_kwargs": {"dashboard": False}}
"""No dashboard, and the scheduler's HTTP routes on a free port (never a fixed 8787 that
another cluster on the machine may hold)."""
QUERIES = synthetic_queries(300, seed=5)


@pytest.fixture(scope="module", autouse=True)
def no_thread_left() -> Iterator[None]:
    """After this module, stop the thread Dask keeps for the process's lifetime: the tests
    after it must see no other thread, or the index builder does not fork (it never forks
    beside running threads) and the tests of its processes cannot run. Nothing uses Dask in
    this process after this module."""
    yield
    distributed.utils._offload_executor.shutdown(wait=True)
    assert [t.name for t in threading.enumerate()] == [threading.current_thread().name]


@pytest.fixture(scope="module")
def client() -> Iterator[Any]:
    with (
        distributed.LocalCluster(
            n_workers=2,
            threads_per_worker=1,
            processes=True,
            host="127.0.0.1",
            **OFF,
        ) as cluster,
        distributed.Client(cluster) as client,
    ):
        yield client


def test_on_the_cluster_the_ranking_is_that_of_one_index(client: Any, tmp_path: Path) -> None:
    one = ds.SearchIndex.create(tmp_path / "one")
    one.add(RECORDS)
    sharded = ds.ShardedIndex.create(tmp_path / "sharded", shards=3, client=client)
    sharded.add(RECORDS)
    assert len(sharded) == len(one)
    assert differences(one, sharded, QUERIES) == []
    changed = [dict(r, summary_es="Las remesas y el consulado") for r in RECORDS[1::9]]
    gone = [r["id"] for r in RECORDS[2::13]]
    for index in (one, sharded):
        index.add(changed)
        index.delete(gone)
    assert len(sharded) == len(one) == len(RECORDS) - len(gone)
    assert differences(one, sharded, QUERIES) == []


def _worker_building(client: Any) -> str | None:
    for address, keys in client.processing().items():
        if any("build_part" in str(key) for key in keys):
            return str(address)
    return None


def test_a_worker_killed_mid_build_loses_and_duplicates_nothing(
    client: Any, tmp_path: Path
) -> None:
    records = synthetic_records(2400, seed=3)
    folder = tmp_path / "ix"
    index = ds.ShardedIndex.create(folder, shards=3, client=client)
    index.add(records[:100])
    pids = client.run(os.getpid)
    killed: list[str] = []

    def kill_one_builder() -> None:
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline and not killed:
            if any(".tmp-" in p.name for p in folder.iterdir()):
                address = _worker_building(client)
                if address is not None:
                    os.kill(pids[address], signal.SIGKILL)
                    killed.append(address)
                    return
            time.sleep(0.005)

    killer = threading.Thread(target=kill_one_builder)
    killer.start()
    assert index.add(records) == len(records)  # the killed part is rescheduled, and succeeds
    killer.join()
    assert killed, "no worker was caught building"
    ids = {r["id"] for r in records}
    assert len(index) == len(ids)
    stats = index._current().statistics
    assert stats.doc_count == len(ids) + 100  # the first 100 replaced: deleted, not merged
    assert all(index.get(i) is not None for i in sorted(ids)[::97])
    manifest = read_manifest(folder)
    assert sorted(p.name for p in folder.iterdir() if p.is_dir()) == sorted(
        {*manifest.current, *manifest.retired}
    )
    assert index.search("migrantes")


def test_a_shard_a_worker_cannot_read_is_a_clear_error(client: Any, tmp_path: Path) -> None:
    index = ds.ShardedIndex.create(tmp_path / "ix", shards=3, client=client)
    index.add(RECORDS[:30])
    assert index.search("migrantes") is not None
    for name in read_manifest(tmp_path / "ix").current[:1]:
        for entry in (tmp_path / "ix" / name).iterdir():
            entry.unlink()
    fresh = ds.ShardedIndex.open(tmp_path / "ix", client=client)
    with pytest.raises(ds.ShardUnavailableError, match=r"shard .*s000\.\d+ cannot be read"):
        fresh.search("migrantes")


def test_a_cluster_whose_workers_are_gone_is_a_clear_error(tmp_path: Path) -> None:
    index = ds.ShardedIndex.create(tmp_path / "ix", shards=2)
    index.add(RECORDS[:30])
    with (
        distributed.LocalCluster(n_workers=0, processes=True, host="127.0.0.1", **OFF) as cluster,
        distributed.Client(cluster) as empty,  # a scheduler without a worker
    ):
        remote = ds.ShardedIndex.open(tmp_path / "ix", client=empty, search_timeout=2.0)
        with pytest.raises(ds.ShardUnavailableError, match="cannot be reached on the Dask"):
            remote.search("migrantes")


def test_the_command_line_builds_and_searches_on_the_scheduler(
    client: Any, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    address = client.scheduler.address
    folder = str(tmp_path / "ix")
    corpus = str(Path(__file__).parents[2] / "corpus" / "ime.jsonl")
    assert main(["index", corpus, "--index", folder, "--shards", "3", "--scheduler", address]) == 0
    assert capsys.readouterr().out.endswith("the index holds 7\n")
    assert main(["search", "educacion", "--index", folder, "--scheduler", address, "--json"]) == 0
    shown = json.loads(capsys.readouterr().out)
    one = ds.SearchIndex.create(tmp_path / "one")
    one.add(ds.read_corpus(corpus).records)
    assert [h["id"] for h in shown["hits"]] == [h.id for h in one.search("educacion")]
