"""A separate process for the crash-safety and concurrency tests (run as a script).

_worker.py add DIR PREFIX BATCH ROUNDS [--lock-timeout S] [--hold READY GO] [--kill-at P]
    Adds ROUNDS batches of BATCH synthetic records (ids ``{PREFIX}r{round}-{i}``), printing
    ``committed N`` (N = records in the index) after each commit.
    --hold: the first progress report of the first batch (mid-add: the write lock held,
        nothing committed) creates READY and waits for GO to exist.
    --kill-at: the process SIGKILLs itself at that point of Whoosh's commit: before-toc
        (segment files written), toc-temp (new TOC written under its temporary name),
        after-toc (TOC renamed into place, old files not yet cleaned), mid-clean (after the
        first old file is deleted).
_worker.py read DIR OLD NEW READY
    Searches in a loop, printing ``seen COUNT HITS`` for each search; creates READY after
    seeing OLD three times; stops when it sees NEW (exit 0) or after 120 s (exit 4).
"""

from __future__ import annotations

import argparse
import os
import signal
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from _helpers import MARKER, synthetic_records

import diaspora_search as ds


def wait_for(path: Path, timeout: float = 120.0) -> None:
    deadline = time.monotonic() + timeout
    while not path.exists():
        if time.monotonic() > deadline:
            sys.exit(5)
        time.sleep(0.01)


def die() -> None:
    sys.stdout.flush()
    os.kill(os.getpid(), signal.SIGKILL)


def kill_at(point: str) -> None:
    """Make this process SIGKILL itself at ``point`` of the next Whoosh commit."""
    import whoosh.index
    import whoosh.writing
    from whoosh.filedb.filestore import FileStorage

    def before(original: Callable[..., Any], test: Callable[..., bool]) -> Callable[..., Any]:
        def wrapper(*args: Any, **kwargs: Any) -> Any:
            if test(*args, **kwargs):
                die()
            return original(*args, **kwargs)

        return wrapper

    if point == "before-toc":
        cls = whoosh.writing.SegmentWriter
        cls._commit_toc = before(cls._commit_toc, lambda *a: True)
    elif point == "toc-temp":
        from diaspora_search.storage.files import IndexFiles  # (the storage of every index)

        IndexFiles.rename_file = before(
            IndexFiles.rename_file, lambda self, frm, to, **kw: to.endswith(".toc")
        )
    elif point == "after-toc":
        whoosh.index.clean_files = before(whoosh.index.clean_files, lambda *a: True)
    elif point == "mid-clean":
        cleaning = False
        clean_files, delete_file = whoosh.index.clean_files, FileStorage.delete_file

        def clean(*args: Any, **kwargs: Any) -> Any:
            nonlocal cleaning
            cleaning = True
            return clean_files(*args, **kwargs)

        def delete_then_die(self: FileStorage, name: str) -> None:
            delete_file(self, name)
            if cleaning:  # not the deletions that build a compound segment before the TOC
                die()

        whoosh.index.clean_files = clean
        FileStorage.delete_file = delete_then_die
    else:
        raise SystemExit(f"unknown kill point {point!r}")


def add(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(prog="_worker.py add")
    parser.add_argument("folder")
    parser.add_argument("prefix")
    parser.add_argument("batch", type=int)
    parser.add_argument("rounds", type=int)
    parser.add_argument("--lock-timeout", type=float, default=10.0)
    parser.add_argument("--hold", nargs=2, type=Path, metavar=("READY", "GO"))
    parser.add_argument("--kill-at")
    args = parser.parse_args(argv)
    held = False

    def progress(done: int, total: int) -> None:
        nonlocal held
        if args.hold is not None and not held and done < total:
            held = True
            args.hold[0].touch()
            wait_for(args.hold[1])

    with ds.SearchIndex.open(args.folder, lock_timeout=args.lock_timeout) as index:
        print("open", len(index), flush=True)
        if args.kill_at:
            kill_at(args.kill_at)
        for r in range(args.rounds):
            index.add(synthetic_records(f"{args.prefix}r{r}-", args.batch), progress=progress)
            print("committed", len(index), flush=True)
    return 0


def read(argv: list[str]) -> int:
    folder, old, new, ready = argv[0], int(argv[1]), int(argv[2]), Path(argv[3])
    deadline = time.monotonic() + 120
    seen_old = 0
    with ds.SearchIndex.open(folder) as index:
        while time.monotonic() < deadline:
            count = len(index)
            hits = index.search(MARKER, limit=5)
            print("seen", count, len(hits), flush=True)
            if count == old:
                seen_old += 1
                if seen_old == 3:
                    ready.touch()
            if count == new:
                return 0
            time.sleep(0.005)
    return 4


if __name__ == "__main__":
    command, *rest = sys.argv[1:]
    sys.exit(add(rest) if command == "add" else read(rest))
