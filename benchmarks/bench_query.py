"""Query latency of two (or more) source trees of diaspora_search on one index, in one run.

The same index (``--index``, built from the corpus by the first tree when it is missing, and
kept), the same queries (``bench_index.py``'s two kinds: ``uniform``, words drawn uniformly
from the summaries' vocabulary; ``text``, words as they occur in a summary, stopwords left
out), each tree in its own process, the trees alternating round by round (A B, B A, ...) so
that the machine's drift falls on each alike. Every search is ``SearchIndex.search(query,
limit=10)`` with the defaults (translation on, the total counted), after 10 warm-up queries.

Prints, per kind and tree, the median over rounds of p50 and p95 in ms, wall clock and CPU
time of the process (CPU time is less disturbed by other work on a shared machine), and the
ratio of each tree's to the first tree's, round by round. Every tree's results (ids, scores,
totals, corrections) are compared with the first tree's: a speed change must change nothing.

With ``--profile KIND``, instead: cProfile of the first tree's searches of that kind (after
the warm-up), the functions taking most time (cumulative) and the calls per query of each.

Run from the repository root::

    python benchmarks/bench_query.py --src /work/main/src --src src --rounds 3
    python benchmarks/bench_query.py --src src --profile uniform
"""

from __future__ import annotations

import argparse
import json
import shlex
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Sequence
from pathlib import Path
from typing import Any

BENCH = Path(__file__).resolve().parent
REPO = BENCH.parent
DEFAULT_CORPUS = REPO.parent / "shared" / "corpus" / "records.jsonl"
KINDS = ("uniform", "text")
WARMUP = 10


def child_queries(corpus: Path, n: int, seed: int) -> dict[str, list[str]]:
    """Both kinds of queries, as ``bench_index.py`` makes them."""
    sys.path.insert(0, str(BENCH))
    from bench_index import load_records, make_queries, make_text_queries

    records = load_records(corpus, None)
    return {
        "uniform": make_queries(records, n, seed),
        "text": make_text_queries(records, n, seed),
    }


def child_build(corpus: Path, index: Path) -> None:
    import diaspora_search as ds

    sys.path.insert(0, str(BENCH))
    from bench_index import load_records

    with ds.SearchIndex.create(index) as built:
        built.add(load_records(corpus, None))


def child_time(index: Path, queries: dict[str, list[str]]) -> dict[str, Any]:
    """Each query's wall and CPU milliseconds, and a digest of its results."""
    import diaspora_search as ds

    out: dict[str, Any] = {}
    with ds.SearchIndex.open(index) as opened:
        for kind, texts in queries.items():
            for text in texts[:WARMUP]:
                opened.search(text, limit=10)
            wall, cpu, found = [], [], []
            for text in texts:
                w0, c0 = time.perf_counter(), time.process_time()
                results = opened.search(text, limit=10)
                cpu.append((time.process_time() - c0) * 1000)
                wall.append((time.perf_counter() - w0) * 1000)
                found.append(
                    [
                        [
                            (
                                hit.id,
                                repr(hit.score),
                                hit.lang,
                                hit.title,
                                hit.snippet,
                                hit.translated,
                            )
                            for hit in results
                        ],
                        results.total,
                        results.corrected_query,
                        results.suggestion,
                    ]
                )
            out[kind] = {"wall": wall, "cpu": cpu, "results": found}
    return out


def child_profile(index: Path, queries: list[str], top: int = 30) -> None:
    """cProfile of ``queries`` (after the warm-up), printed: cumulative time, calls per query."""
    import cProfile
    import pstats

    import diaspora_search as ds

    with ds.SearchIndex.open(index) as opened:
        for text in queries[:WARMUP]:
            opened.search(text, limit=10)
        profile = cProfile.Profile()
        profile.enable()
        for text in queries:
            opened.search(text, limit=10)
        profile.disable()
    stats = pstats.Stats(profile)
    rows = sorted(stats.stats.items(), key=lambda item: -item[1][3])[:top]  # type: ignore[attr-defined]
    print(f"{len(queries)} queries; per query: calls, cumulative ms (under cProfile)")
    for (filename, line, name), (_, calls, _, cumulative, _) in rows:
        where = f"{Path(filename).parent.name}/{Path(filename).name}:{line}"
        print(
            f"  {calls / len(queries):8.1f} {cumulative * 1000 / len(queries):8.2f}  {name} {where}"
        )


def percentile(values: Sequence[float], q: int) -> float:
    return statistics.quantiles(values, n=100, method="inclusive")[q - 1]


def run_child(src: Path, *args: str) -> Any:
    cmd = [sys.executable, str(Path(__file__).resolve()), "--child-src", str(src), *args]
    proc = subprocess.run(cmd, stdout=subprocess.PIPE, text=True, check=False)
    if proc.returncode != 0:
        raise SystemExit(f"child failed ({proc.returncode}): {shlex.join(cmd)}")
    return json.loads(proc.stdout.strip().splitlines()[-1]) if proc.stdout.strip() else None


def report(trees: list[Path], runs: dict[int, list[dict[str, Any]]]) -> list[str]:
    lines = []
    for kind in KINDS:
        lines.append(f"{kind}:")
        stats = {
            t: [
                {f"{m}_{q}": percentile(r[kind][m], q) for m in ("wall", "cpu") for q in (50, 95)}
                for r in runs[t]
            ]
            for t in runs
        }
        for t, tree in enumerate(trees):
            medians = {k: statistics.median(s[k] for s in stats[t]) for k in stats[t][0]}
            line = (
                f"  {tree}: wall p50 {medians['wall_50']:.2f} p95 {medians['wall_95']:.2f} ms; "
                f"cpu p50 {medians['cpu_50']:.2f} p95 {medians['cpu_95']:.2f} ms"
            )
            if t:
                for key in ("wall_95", "cpu_95", "wall_50"):
                    ratios = [
                        mine[key] / base[key] for mine, base in zip(stats[t], stats[0], strict=True)
                    ]
                    line += (
                        f"\n    {key.replace('_', ' p')} ÷ first tree, round by round: "
                        + ", ".join(f"{x:.2f}" for x in ratios)
                        + f" (median {statistics.median(ratios):.2f})"
                    )
                same = all(r[kind]["results"] == runs[0][0][kind]["results"] for r in runs[t])
                line += f"\n    results identical to the first tree's: {'yes' if same else 'NO'}"
            lines.append(line)
    return lines


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--src", type=Path, action="append", help="a source tree (twice or more)")
    parser.add_argument("--index", type=Path, default=Path(tempfile.gettempdir()) / "q-index")
    parser.add_argument("--corpus", type=Path, default=DEFAULT_CORPUS)
    parser.add_argument("--queries", type=int, default=300)
    parser.add_argument("--seed", type=int, default=20240601)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--profile", choices=KINDS, help="profile the first tree instead")
    parser.add_argument("--child-src", type=Path, help=argparse.SUPPRESS)
    parser.add_argument("--child", default=None, help=argparse.SUPPRESS)
    parser.add_argument("--queries-file", type=Path, help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.child:
        sys.path.insert(0, str(args.child_src.resolve()))
        if args.child == "queries":
            print(json.dumps(child_queries(args.corpus, args.queries, args.seed)))
        elif args.child == "build":
            child_build(args.corpus, args.index)
        elif args.child == "profile":
            queries = json.loads(args.queries_file.read_text(encoding="utf-8"))
            child_profile(args.index, queries[args.profile])
        else:
            queries = json.loads(args.queries_file.read_text(encoding="utf-8"))
            print(json.dumps(child_time(args.index, queries)))
        return 0
    print("$ python " + shlex.join(sys.argv))
    trees = [src.resolve() for src in args.src or []]
    if len(trees) < (1 if args.profile else 2):
        parser.error("give --src at least twice (once with --profile)")
    if not args.corpus.is_file():
        print(f"skipped: corpus {args.corpus} not found (use --corpus)")
        return 0
    common = ["--corpus", str(args.corpus), "--index", str(args.index)]
    if not args.index.exists():
        print(f"building {args.index} with {trees[0]} ...", file=sys.stderr, flush=True)
        run_child(trees[0], "--child", "build", *common)
    queries = run_child(
        trees[0],
        "--child",
        "queries",
        *common,
        "--queries",
        str(args.queries),
        "--seed",
        str(args.seed),
    )
    runs: dict[int, list[dict[str, Any]]] = {t: [] for t in range(len(trees))}
    with tempfile.TemporaryDirectory() as tmp:
        queries_file = Path(tmp) / "queries.json"
        queries_file.write_text(json.dumps(queries), encoding="utf-8")
        if args.profile:
            cmd = [sys.executable, str(Path(__file__).resolve()), "--child-src", str(trees[0])]
            cmd += ["--child", "profile", "--profile", args.profile, *common]
            subprocess.run([*cmd, "--queries-file", str(queries_file)], check=True)
            return 0
        for round_ in range(args.rounds):
            order = list(range(len(trees)))
            for t in order if round_ % 2 == 0 else order[::-1]:
                print(f"  round {round_ + 1}: {trees[t]} ...", file=sys.stderr, flush=True)
                runs[t].append(
                    run_child(
                        trees[t], "--child", "time", *common, "--queries-file", str(queries_file)
                    )
                )
    for line in report(trees, runs):
        print(line)
    return 0


if __name__ == "__main__":
    sys.exit(main())
