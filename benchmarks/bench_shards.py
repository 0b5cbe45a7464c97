"""Sharded indexes: build time of one index against N shards, and the per-query cost of the
fan-out, all in one run (ratios against the single index of the same run).

Records: ``--corpus PATH`` (JSON Lines), else ``--records N`` synthetic bilingual records
(``tests/fixtures/synthetic.py``: word salad from the bundled corpus, 8 to 80 words a summary).
Queries: ``--queries N`` synthetic queries of the kinds users type (words, phrases, exclusions,
OR, names, typos). Builds, each into a fresh folder:

* ``one``: one ``SearchIndex``, one batch (its own parallel build: forked processes);
* ``local-N``: ``ShardedIndex`` of N shards, parts in local processes (no Dask);
* ``dask-N``: the same on a local Dask cluster (``--workers`` worker processes, 127.0.0.1).

Then query latency (p50, p95, mean; the mean of ``--rounds`` rounds in alternating order) of
``one``, of ``local-N`` searched in this process, and
of ``dask-N`` searched through the cluster, and the time to gather the global statistics (the
first query after a commit). Run from the repository root::

    python benchmarks/bench_shards.py --records 20000 --shards 2,4 --rounds 2 --json out.json
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import tempfile
import time
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import diaspora_search as ds
from tests.fixtures.synthetic import synthetic_queries, synthetic_records


def timed(action: Callable[[], Any]) -> float:
    started = time.perf_counter()
    action()
    return time.perf_counter() - started


def latency(search: Callable[[str], Any], queries: Sequence[str]) -> dict[str, float]:
    for query in queries[:20]:  # warm: vocabulary, norms, translation table
        search(query)
    times = []
    for query in queries:
        started = time.perf_counter()
        search(query)
        times.append((time.perf_counter() - started) * 1000)
    times.sort()
    return {
        "p50_ms": statistics.median(times),
        "p95_ms": times[int(0.95 * (len(times) - 1))],
        "mean_ms": statistics.fmean(times),
    }


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--corpus", type=Path)
    parser.add_argument("--records", type=int, default=20_000)
    parser.add_argument("--queries", type=int, default=300)
    parser.add_argument("--shards", default="2,4")
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--rounds", type=int, default=2)
    parser.add_argument("--json", type=Path)
    args = parser.parse_args(argv)
    try:
        from distributed import Client, LocalCluster
    except ImportError:
        print("bench_shards: needs dask: pip install -e '.[dask]'")
        return 0
    if args.corpus is not None:
        records: list[Any] = list(ds.read_corpus(args.corpus).records)
    else:
        records = synthetic_records(args.records)
    queries = synthetic_queries(args.queries, seed=23)
    counts = [int(n) for n in args.shards.split(",")]
    out: dict[str, Any] = {"records": len(records), "queries": len(queries), "builds": {}}
    with tempfile.TemporaryDirectory(prefix="bench-shards-") as tmp:
        root = Path(tmp)
        one = ds.SearchIndex.create(root / "one")
        out["builds"]["one"] = timed(lambda: one.add(records))
        print(f"one: build {out['builds']['one']:.2f} s", flush=True)
        sharded: dict[str, ds.ShardedIndex] = {}
        for n in counts:
            index = ds.ShardedIndex.create(root / f"local-{n}", shards=n)
            out["builds"][f"local-{n}"] = timed(lambda index=index: index.add(records))
            sharded[f"local-{n}"] = index
            print(f"local-{n}: build {out['builds'][f'local-{n}']:.2f} s", flush=True)
        started = time.perf_counter()
        with (
            LocalCluster(
                n_workers=args.workers,
                threads_per_worker=1,
                processes=True,
                host="127.0.0.1",
                dashboard_address="127.0.0.1:0",  # (a free port; the dashboard is off)
                scheduler_kwargs={"dashboard": False},
            ) as cluster,
            Client(cluster) as client,
        ):
            client.run(lambda: __import__("diaspora_search"))
            out["cluster_start_s"] = time.perf_counter() - started
            for n in counts:
                index = ds.ShardedIndex.create(root / f"dask-{n}", shards=n, client=client)
                out["builds"][f"dask-{n}"] = timed(lambda index=index: index.add(records))
                sharded[f"dask-{n}"] = index
                print(f"dask-{n}: build {out['builds'][f'dask-{n}']:.2f} s", flush=True)
            searchers: dict[str, Callable[[str], Any]] = {"one": one.search}
            out["statistics_s"] = {}
            for name, index in sharded.items():
                fresh = ds.ShardedIndex.open(index.path, client=index.client)
                out["statistics_s"][name] = timed(lambda fresh=fresh: fresh.search("x"))
                searchers[name] = fresh.search
            # Rounds in alternating order (the machine's speed drifts): each p50 and p95 is
            # the mean of the rounds'.
            rounds: dict[str, list[dict[str, float]]] = {name: [] for name in searchers}
            for round_ in range(args.rounds):
                names = list(searchers) if round_ % 2 == 0 else list(reversed(searchers))
                for name in names:
                    rounds[name].append(latency(searchers[name], queries))
                    print(f"round {round_ + 1} {name}: {rounds[name][-1]}", flush=True)
            out["rounds"] = rounds
            out["latency"] = {
                name: {key: statistics.fmean(r[key] for r in found) for key in found[0]}
                for name, found in rounds.items()
            }
    base = out["builds"]["one"]
    print(f"\n{len(records):,} records, {len(queries)} queries, {args.workers} Dask workers")
    print("| build | seconds | / one |")
    print("|---|---|---|")
    for name, seconds in out["builds"].items():
        print(f"| {name} | {seconds:.2f} | {seconds / base:.2f} |")
    lat = out["latency"]
    print("\n| search | p50 ms | p95 ms | mean ms | p50 / one | p95 / one | statistics s |")
    print("|---|---|---|---|---|---|---|")
    for name, row in lat.items():
        gather = out["statistics_s"].get(name)
        print(
            f"| {name} | {row['p50_ms']:.2f} | {row['p95_ms']:.2f} | {row['mean_ms']:.2f} | "
            f"{row['p50_ms'] / lat['one']['p50_ms']:.2f} | "
            f"{row['p95_ms'] / lat['one']['p95_ms']:.2f} | "
            + (f"{gather:.2f} |" if gather is not None else "- |")
        )
    if args.json is not None:
        args.json.write_text(json.dumps(out, indent=1))
    return 0


if __name__ == "__main__":
    sys.exit(main())
