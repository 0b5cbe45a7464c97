"""Corpus reading memory: peak RSS of ``iter_corpus`` (in batches) against ``read_corpus``.

Writes ``--records`` tiny records (``{"id": "r1", "summary_en": "x"}``, default 10^6) to a JSON
Lines file in a temporary folder, then reads it in a fresh child process per way of reading, so
that each peak (``ru_maxrss``) is its own:

* ``import``: the interpreter with ``diaspora_search`` imported, reading nothing (the floor);
* ``iter_corpus``: every batch of ``--batch-size`` records validated and dropped; only the set
  of ids (for the duplicate check) grows with the corpus;
* ``read_corpus``: every record kept, as ``read_corpus`` returns them all;
* ``index-stream``: ``iter_corpus(...).records()`` streamed into one ``SearchIndex.add``
  (written ``STREAM_BATCH`` records at a time into uncommitted segments, one commit);
* ``index-list``: ``SearchIndex.add(read_corpus(path).records)``, the whole corpus in memory.

For the two ``index`` modes the peak of the forked indexing processes (``RUSAGE_CHILDREN``) is
reported beside the main process's.

Run from the repository root (Linux or macOS)::

    python benchmarks/bench_input.py
    python benchmarks/bench_input.py --records 200000 --batch-size 1000
    python benchmarks/bench_input.py --records 200000 --modes import,index-stream,index-list
"""

from __future__ import annotations

import argparse
import json
import resource
import subprocess
import sys
import tempfile
import time
from collections.abc import Sequence
from pathlib import Path

MODES = ("import", "iter_corpus", "read_corpus", "index-stream", "index-list")


def write_corpus(path: Path, n: int) -> None:
    """``n`` tiny records, one per line."""
    with path.open("w", encoding="utf-8") as f:
        for start in range(0, n, 10_000):
            f.write(
                "".join(
                    f'{{"id": "r{i}", "summary_en": "x"}}\n'
                    for i in range(start, min(n, start + 10_000))
                )
            )


def child(mode: str, path: Path, batch_size: int) -> None:
    """Read ``path`` one way and print ``{"records", "seconds", "peak_rss_mb"}`` as JSON."""
    import diaspora_search._records as records_module

    started = time.perf_counter()
    records = 0
    if mode == "iter_corpus":
        for batch in records_module.iter_corpus(path, batch_size=batch_size):
            records += len(batch)
    elif mode == "read_corpus":  # also in versions without iter_corpus, for comparison
        records = len(records_module.read_corpus(path).records)
    elif mode.startswith("index-"):
        import diaspora_search as ds

        with tempfile.TemporaryDirectory() as folder:
            index = ds.SearchIndex.create(Path(folder) / "index")
            if mode == "index-stream":
                with records_module.iter_corpus(path, batch_size=batch_size) as batches:
                    records = index.add(batches.records())
            else:
                records = index.add(records_module.read_corpus(path).records)
            assert len(index) == records
            index.close()
    seconds = time.perf_counter() - started
    scale = 1024 if sys.platform != "darwin" else 1024 * 1024  # KiB on Linux
    peak_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / scale
    helpers_mb = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / scale
    print(
        json.dumps(
            {
                "records": records,
                "seconds": seconds,
                "peak_rss_mb": peak_mb,
                "helper_rss_mb": helpers_mb,
            }
        )
    )


def measure(mode: str, path: Path, batch_size: int) -> dict[str, float]:
    """One child process's result for ``mode``."""
    command = [sys.executable, __file__, "--child", mode, "--corpus", str(path)]
    command += ["--batch-size", str(batch_size)]
    done = subprocess.run(command, capture_output=True, text=True, check=True)
    result: dict[str, float] = json.loads(done.stdout)
    return result


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--records", type=int, default=1_000_000)
    parser.add_argument("--batch-size", type=int, default=10_000)
    parser.add_argument("--modes", default=",".join(MODES[:3]), help="any of " + ", ".join(MODES))
    parser.add_argument("--child", choices=MODES, help=argparse.SUPPRESS)
    parser.add_argument("--corpus", type=Path, help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.child:
        child(args.child, args.corpus, args.batch_size)
        return 0
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "tiny.jsonl"
        write_corpus(path, args.records)
        size = path.stat().st_size / 1e6
        print(f"{args.records:,} records, {size:,.1f} MB; batch size {args.batch_size:,}")
        print(f"{'mode':<13} {'records':>10} {'seconds':>8} {'peak RSS MB':>12} {'helpers MB':>11}")
        for mode in args.modes.split(","):
            r = measure(mode, path, args.batch_size)
            print(
                f"{mode:<13} {r['records']:>10,} {r['seconds']:>8.2f} {r['peak_rss_mb']:>12.1f}"
                f" {r['helper_rss_mb']:>11.1f}"
            )
    return 0


if __name__ == "__main__":
    sys.exit(main())
