"""The write path alone, for two source trees in one run: seconds of ``Writer.add`` + commit.

Each run is a fresh process with ``PYTHONPATH`` set to one of the ``--src`` folders (say, main's
``src`` and a branch's): it loads the first ``--limit`` records of ``--corpus``, validates them,
then times ``Writer.add`` of the list with ``--processes`` processes and the commit. Rounds
alternate the order of the trees (A B, B A, ...); the ratios of the second tree's seconds over
the first's, round by round, and their median are printed; and the same for CPU seconds (the
process's and its builders', user and system), steadier than wall time on a busy machine.

Run from the repository root::

    python benchmarks/bench_write.py --src ../main/src --src src --rounds 3
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
import time
from collections.abc import Sequence
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
DEFAULT_CORPUS = REPO.parent / "shared" / "corpus" / "records.jsonl"


def cpu_seconds() -> float:
    """User and system seconds of this process and of its children waited for (builders)."""
    own, children = (
        resource.getrusage(resource.RUSAGE_SELF),
        resource.getrusage(resource.RUSAGE_CHILDREN),
    )
    return own.ru_utime + own.ru_stime + children.ru_utime + children.ru_stime


def child(corpus: Path, limit: int, processes: int) -> None:
    """Time one write; print ``{"seconds": ..., "cpu": ...}``."""
    import diaspora_search as ds
    from diaspora_search._records import validate_batch

    records = []
    with corpus.open(encoding="utf-8") as f:
        for line in f:
            if len(records) >= limit:
                break
            if line.strip():
                records.append(json.loads(line))
    batch = validate_batch(records)
    with tempfile.TemporaryDirectory() as folder:
        index = ds.SearchIndex.create(Path(folder) / "index")
        started, cpu = time.perf_counter(), cpu_seconds()
        with index._store.writer(processes=processes) as writer:
            writer.add(batch)
        seconds, cpu = time.perf_counter() - started, cpu_seconds() - cpu
        index.close()
    print(json.dumps({"seconds": seconds, "cpu": cpu}))


def run(src: str, args: argparse.Namespace) -> tuple[float, float]:
    """Wall and CPU seconds of one write in a fresh process."""
    command = [sys.executable, __file__, "--child", "--corpus", str(args.corpus)]
    command += ["--limit", str(args.limit), "--processes", str(args.processes)]
    env = dict(os.environ, PYTHONPATH=str(Path(src).resolve()))
    done = subprocess.run(command, capture_output=True, text=True, check=True, env=env)
    found = json.loads(done.stdout.strip().splitlines()[-1])
    return float(found["seconds"]), float(found["cpu"])


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--src", action="append", default=[], help="a source tree (twice)")
    parser.add_argument("--corpus", type=Path, default=DEFAULT_CORPUS)
    parser.add_argument("--limit", type=int, default=10**9)
    parser.add_argument("--processes", type=int, default=2)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--child", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.child:
        child(args.corpus, args.limit, args.processes)
        return 0
    if not args.corpus.is_file():
        print(f"skipped: corpus {args.corpus} not found (use --corpus)")
        return 0
    if len(args.src) != 2:
        parser.error("give --src twice: the base tree, then the new one")
    ratios, cpu_ratios = [], []
    for round_ in range(args.rounds):
        order = args.src if round_ % 2 == 0 else args.src[::-1]
        measured = {src: run(src, args) for src in order}
        (base, base_cpu), (new, new_cpu) = (measured[src] for src in args.src)
        ratios.append(new / base)
        cpu_ratios.append(new_cpu / base_cpu)
        print(
            f"round {round_ + 1}: base {base:.2f} s, new {new:.2f} s, new/base {new / base:.3f};"
            f" CPU base {base_cpu:.2f} s, new {new_cpu:.2f} s, new/base {new_cpu / base_cpu:.3f}"
        )
    print(f"median new/base: {statistics.median(ratios):.3f}")
    print(f"median CPU new/base: {statistics.median(cpu_ratios):.3f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
