"""What the storage-integrity work (issue 11) costs a query: the restricted unpickler.

Builds one index (``--limit`` records of the corpus, default ../shared/corpus/records.jsonl;
the bundled corpus when it is missing), then times the same ``--queries`` queries (1 to 4
corpus words, ``limit=10``) in ``--rounds`` rounds, each round twice in alternating order:
once with every pickle read through the restricted unpickler (as shipped) and once with
Whoosh's own ``pickle`` loads put back, the time spent inside the loaders measured in both
(the direct cost, far less noisy than whole-query times on a shared machine). Each run opens
the index afresh and warms up on 10 queries first, so the one-time read of every file against
its checksum is not in the times (the first search is printed separately). Only the ratios
within a round are compared (the machine drifts).

    python benchmarks/bench_trust.py [--corpus PATH] [--limit 20000] [--queries 300] [--rounds 5]
"""

from __future__ import annotations

import argparse
import pickle
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

from bench_index import load_records, make_queries  # noqa: E402

import diaspora_search as ds  # noqa: E402
from diaspora_search.storage import safe_pickle  # noqa: E402

SPENT = [0.0]
"""Seconds spent inside the pickle loaders since the last reset."""


def _timed(load: Callable[[Any], Any]) -> Callable[[Any], Any]:
    def loader(source: Any) -> Any:
        start = time.perf_counter()
        try:
            return load(source)
        finally:
            SPENT[0] += time.perf_counter() - start

    return loader


def use_loaders(mode: str) -> None:
    """Whoosh's readers on the restricted unpickler (as shipped) or back on ``pickle`` (what
    they did before issue 11), each timed."""
    from whoosh import columns
    from whoosh.codec import whoosh3
    from whoosh.filedb import structfile

    if mode == "restricted":
        load, loads = safe_pickle.load_segments, safe_pickle.loads_data
    else:
        load, loads = pickle.load, pickle.loads
    structfile.load_pickle = _timed(load)
    whoosh3.loads = columns.loads = _timed(loads)


def timed(path: Path, queries: list[str]) -> tuple[float, float, float, float]:
    """p50 and p95 ms of ``queries``, the seconds the first search took, and the ms per query
    spent unpickling."""
    with ds.SearchIndex.open(path) as index:
        start = time.perf_counter()
        index.search(queries[0])
        first = time.perf_counter() - start
        for query in queries[:10]:
            index.search(query)
        SPENT[0] = 0.0
        times = []
        for query in queries:
            start = time.perf_counter()
            index.search(query)
            times.append((time.perf_counter() - start) * 1000)
    cuts = statistics.quantiles(times, n=20)
    return statistics.median(times), cuts[18], first, SPENT[0] * 1000 / len(queries)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    default = HERE.parents[1] / "shared" / "corpus" / "records.jsonl"
    parser.add_argument("--corpus", type=Path, default=default)
    parser.add_argument("--limit", type=int, default=20_000)
    parser.add_argument("--queries", type=int, default=300)
    parser.add_argument("--rounds", type=int, default=5)
    args = parser.parse_args()
    print("$ python " + " ".join(sys.argv))
    corpus = args.corpus if args.corpus.is_file() else ds.bundled_corpus()
    records = load_records(Path(corpus), args.limit)
    queries = make_queries(records, args.queries, seed=11)
    with tempfile.TemporaryDirectory(prefix="bench-trust-") as tmp:
        path = Path(tmp) / "index"
        start = time.perf_counter()
        with ds.SearchIndex.create(path) as index:
            index.add(records)
        size = sum(f.stat().st_size for f in path.iterdir())
        print(
            f"{len(records):,} records from {corpus}; index {size / 1e6:.1f} MB, built in "
            f"{time.perf_counter() - start:.1f} s"
        )
        start = time.perf_counter()
        with ds.SearchIndex.open(path) as index:
            index.check()
        print(f"check: {time.perf_counter() - start:.3f} s")
        print(
            "| round | order | p50 ms restricted / stock | ratio | p95 ms restricted / stock "
            "| ratio | unpickling ms/query restricted / stock | first search s restricted / stock |"
            "\n|---|---|---|---|---|---|---|---|"
        )
        p50s, p95s = [], []
        for round_ in range(1, args.rounds + 1):
            order = ["restricted", "stock"] if round_ % 2 else ["stock", "restricted"]
            got = {}
            for mode in order:
                use_loaders(mode)
                got[mode] = timed(path, queries)
            safe_pickle.install()
            (r50, r95, rfirst, rpk), (s50, s95, sfirst, spk) = got["restricted"], got["stock"]
            p50s.append(r50 / s50)
            p95s.append(r95 / s95)
            print(
                f"| {round_} | {', '.join(order)} | {r50:.2f} / {s50:.2f} | {r50 / s50:.3f} "
                f"| {r95:.2f} / {s95:.2f} | {r95 / s95:.3f} | {rpk:.3f} / {spk:.3f} "
                f"| {rfirst:.3f} / {sfirst:.3f} |"
            )
        print(
            f"median p50 ratio {statistics.median(p50s):.3f}, "
            f"p95 ratio {statistics.median(p95s):.3f}"
        )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
