"""Indexing speed and query latency of two checkouts of diaspora_search, measured in one run.

Runs each checkout's own ``benchmarks/bench_index.py`` with its own ``.venv/bin/python``
(engine ``ours``, one process per run) on the same corpus, limit and queries, for ``--rounds``
rounds in alternating order (base, new; then new, base; ...), and with ``--with-whoosh`` stock
Whoosh once per round (from the new checkout, last in the round) as the common baseline. Prints,
per round, records/s and query p50/p95 of both and the ratios new/base, then the medians of the
per-round ratios. The machine drifts, so only ratios within a round are compared.

Run from the repository root::

    python benchmarks/compare_revisions.py --base ../wt-base --new . --rounds 3 --with-whoosh
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import statistics
import subprocess
import sys
import tempfile
from collections.abc import Sequence
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parents[1]
Run = dict[str, Any]


def bench(checkout: Path, engine: str, args: argparse.Namespace, out: Path) -> Run | None:
    """One ``bench_index.py`` run of ``engine`` in ``checkout``; its JSON result or None."""
    cmd = [
        str(checkout / ".venv" / "bin" / "python"),
        str(checkout / "benchmarks" / "bench_index.py"),
        "--engines",
        engine,
        "--corpus",
        str(args.corpus),
        "--queries",
        str(args.queries),
        "--json",
        str(out),
    ]
    if args.limit is not None:
        cmd += ["--limit", str(args.limit)]
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    proc = subprocess.run(cmd, cwd=checkout, capture_output=True, text=True, check=False)
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    if proc.returncode != 0 or not out.is_file():
        print(f"FAILED ({proc.returncode}): {' '.join(cmd)}\n{proc.stdout}{proc.stderr}")
        return None
    run = dict(json.loads(out.read_text(encoding="utf-8"))["results"][0])
    # CPU seconds of the whole run (load, index with its helpers, queries): less sensitive
    # than wall time to other work taking the second core.
    run["cpu_s"] = after.ru_utime + after.ru_stime - before.ru_utime - before.ru_stime
    return run


def commit(checkout: Path) -> str:
    """HEAD of the checkout, with ``+dirty`` if ``src/`` has uncommitted changes."""
    git = ["git", "-C", str(checkout)]
    head = subprocess.run([*git, "rev-parse", "--short", "HEAD"], capture_output=True, text=True)
    dirty = subprocess.run([*git, "status", "--porcelain", "src"], capture_output=True, text=True)
    if head.returncode != 0:
        return "(not a git checkout)"
    return head.stdout.strip() + ("+dirty" if dirty.stdout.strip() else "")


def parse_args(argv: Sequence[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--base", type=Path, required=True, help="checkout before the change")
    parser.add_argument("--new", type=Path, required=True, help="checkout after the change")
    parser.add_argument("--corpus", type=Path, default=None, help="default: NEW/../shared/...")
    parser.add_argument("--limit", type=int, default=None, help="first N records only")
    parser.add_argument("--queries", type=int, default=500)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--with-whoosh", action="store_true", help="stock Whoosh once a round")
    parser.add_argument(
        "--new-engine",
        default="ours",
        help="the new checkout's engine (e.g. ours-notranslate, to compare without a feature "
        "the base lacks)",
    )
    args = parser.parse_args(argv)
    args.base, args.new = args.base.resolve(), args.new.resolve()
    if args.corpus is None:
        args.corpus = args.new.parent / "shared" / "corpus" / "records.jsonl"
    args.corpus = args.corpus.resolve()
    return args


def main(argv: Sequence[str] | None = None) -> int:
    args = parse_args(argv)
    print("$ python " + " ".join(sys.argv))
    if not args.corpus.is_file():
        print(f"skipped: corpus {args.corpus} not found (use --corpus)")
        return 0
    print(f"base {args.base} @ {commit(args.base)}; new {args.new} @ {commit(args.new)}")
    head = ["round", "load", "order", "base rec/s", "new rec/s", "new/base"]
    head += ["base p50 ms", "new p50 ms", "new/base", "base p95 ms", "new p95 ms", "new/base"]
    head += ["base CPU s", "new CPU s", "new/base"]
    if args.with_whoosh:
        head += ["whoosh rec/s", "base/whoosh", "new/whoosh", "whoosh p95 ms"]
    print("| " + " | ".join(head) + " |\n|" + "---|" * len(head), flush=True)
    ratios: dict[str, list[float]] = {}
    failed = False
    with tempfile.TemporaryDirectory(prefix="compare-revisions-") as tmp:
        for round_ in range(1, args.rounds + 1):
            order = ["base", "new"] if round_ % 2 else ["new", "base"]
            engines = {"base": "ours", "new": args.new_engine}
            plan = [(name, getattr(args, name), engines[name]) for name in order]
            if args.with_whoosh:
                plan.append(("whoosh", args.new, "whoosh"))
            runs: dict[str, Run | None] = {}
            load = os.getloadavg()[0]  # other work on the machine as the round starts
            for name, checkout, engine in plan:
                runs[name] = bench(checkout, engine, args, Path(tmp) / f"{name}-{round_}.json")
            base, new, whoosh = runs["base"], runs["new"], runs.get("whoosh")
            if base is None or new is None or (args.with_whoosh and whoosh is None):
                failed = True
                continue
            row = {
                "index new/base": new["records_per_s"] / base["records_per_s"],
                "p50 new/base": new["p50_ms"] / base["p50_ms"],
                "p95 new/base": new["p95_ms"] / base["p95_ms"],
                "CPU s new/base": new["cpu_s"] / base["cpu_s"],
            }
            cells = [str(round_), f"{load:.2f}", ",".join(name for name, _, _ in plan)]
            cells += [f"{base['records_per_s']:,.0f}", f"{new['records_per_s']:,.0f}"]
            cells += [f"{row['index new/base']:.3f}"]
            for q in ("p50", "p95"):
                cells += [f"{base[q + '_ms']:.2f}", f"{new[q + '_ms']:.2f}"]
                cells += [f"{row[q + ' new/base']:.3f}"]
            cells += [f"{base['cpu_s']:.1f}", f"{new['cpu_s']:.1f}", f"{row['CPU s new/base']:.3f}"]
            if whoosh is not None:
                row["index base/whoosh"] = base["records_per_s"] / whoosh["records_per_s"]
                row["index new/whoosh"] = new["records_per_s"] / whoosh["records_per_s"]
                row["p95 base/whoosh"] = base["p95_ms"] / whoosh["p95_ms"]
                row["p95 new/whoosh"] = new["p95_ms"] / whoosh["p95_ms"]
                cells += [f"{whoosh['records_per_s']:,.0f}"]
                cells += [f"{row['index base/whoosh']:.2f}", f"{row['index new/whoosh']:.2f}"]
                cells += [f"{whoosh['p95_ms']:.2f}"]
            print("| " + " | ".join(cells) + " |", flush=True)
            for key, value in row.items():
                ratios.setdefault(key, []).append(value)
    print(f"base @ {commit(args.base)}; new @ {commit(args.new)} (after the run)")
    for key, values in ratios.items():
        listed = ", ".join(f"{v:.3f}" for v in values)
        print(f"median {key}: {statistics.median(values):.3f} ({listed})")
    return 1 if failed or not ratios else 0


if __name__ == "__main__":
    sys.exit(main())
