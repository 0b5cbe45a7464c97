"""What progress reporting costs an ``add``: tqdm bars and a callback against none, same run.

Each way of reporting indexes the same ``--limit`` records into a new index, in a fresh child
process (so that no import, cache or thread carries over), and the ways alternate within each
of ``--rounds`` rounds; the ratio to ``none`` is taken round by round:

* ``none``: ``progress=False``;
* ``callback``: ``progress=lambda done, total: ...``;
* ``bars``: ``progress=True``, tqdm bars on standard error (sent to /dev/null: the drawing is
  done all the same);
* ``bars+monitor``: the same with tqdm's monitor thread left on (tqdm's default), which the
  bars turn off: while a thread runs, the indexer builds in one process, not in parallel.

Data: the first ``--limit`` records of ``--corpus`` (default ``../shared/corpus/records.jsonl``
beside the checkout; says so and exits 0 when it is missing). Run from the repository root::

    python benchmarks/bench_progress.py
    python benchmarks/bench_progress.py --limit 51854 --rounds 3
"""

from __future__ import annotations

import argparse
import io
import itertools
import json
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Sequence
from pathlib import Path

MODES = ("none", "callback", "bars", "bars+monitor")
DEFAULT_CORPUS = Path(__file__).resolve().parents[1].parent / "shared" / "corpus" / "records.jsonl"


def child(mode: str, corpus: Path, limit: int) -> None:
    """Index the records one way and print ``{"seconds": ...}`` (the ``add`` only) as JSON."""
    import diaspora_search as ds
    from diaspora_search import _progress

    with corpus.open("rb") as f:
        lines = b"".join(itertools.islice(f, limit))
    records = ds.read_corpus(io.BytesIO(lines)).records
    progress: _progress.Progress = False
    if mode == "callback":
        steps: list[int] = []
        progress = lambda done, total: steps.append(done)  # noqa: E731
    elif mode.startswith("bars"):
        progress = True
        if mode == "bars+monitor":
            _progress.bar_class().monitor_interval = 10  # tqdm's default
    with tempfile.TemporaryDirectory() as tmp, ds.SearchIndex.create(Path(tmp) / "i") as index:
        started = time.perf_counter()
        index.add(records, progress=progress)
        seconds = time.perf_counter() - started
    print(json.dumps({"seconds": seconds, "records": len(records)}))


def run_child(mode: str, corpus: Path, limit: int) -> float:
    out = subprocess.run(
        [sys.executable, __file__, "--child", mode, "--corpus", str(corpus), "--limit", str(limit)],
        check=True,
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
        text=True,
    ).stdout
    return float(json.loads(out)["seconds"])


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--corpus", type=Path, default=DEFAULT_CORPUS)
    parser.add_argument("--limit", type=int, default=20_000)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--child", choices=MODES, help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.child:
        child(args.child, args.corpus, args.limit)
        return 0
    if not args.corpus.is_file():
        print(f"{args.corpus}: not found; give --corpus PATH (skipping)")
        return 0
    seconds: dict[str, list[float]] = {mode: [] for mode in MODES}
    for round_number in range(args.rounds):
        order = MODES if round_number % 2 == 0 else MODES[::-1]
        for mode in order:
            seconds[mode].append(run_child(mode, args.corpus, args.limit))
        ratios = ", ".join(
            f"{mode} {seconds[mode][-1] / seconds['none'][-1]:.2f}x" for mode in MODES[1:]
        )
        print(f"round {round_number + 1}: none {seconds['none'][-1]:.2f} s; {ratios}")
    print(f"\n{args.limit:,} records, {args.rounds} rounds; median ratio to none:")
    for mode in MODES:
        pairs = zip(seconds[mode], seconds["none"], strict=True)
        ratio = statistics.median(s / n for s, n in pairs)
        print(f"  {mode:<13} {statistics.median(seconds[mode]):6.2f} s  {ratio:.2f}x")
    return 0


if __name__ == "__main__":
    sys.exit(main())
