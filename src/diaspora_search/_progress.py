"""A small progress bar for long batches, written to a stream (standard error by default)."""

from __future__ import annotations

import sys
import time
from typing import TextIO


class ProgressBar:
    """Shows ``done/total`` records with a bar and a rate, at most a few times a second."""

    def __init__(self, total: int, *, stream: TextIO | None = None, label: str = "indexing"):
        self.total = total
        self.stream = stream if stream is not None else sys.stderr
        self.label = label
        self._start = time.monotonic()
        self._last = 0.0

    def update(self, done: int) -> None:
        now = time.monotonic()
        if done < self.total and now - self._last < 0.2:
            return
        self._last = now
        width = 30
        filled = int(width * done / self.total) if self.total else width
        rate = done / max(now - self._start, 1e-9)
        bar = "#" * filled + "-" * (width - filled)
        self.stream.write(f"\r{self.label} [{bar}] {done:,}/{self.total:,} ({rate:,.0f}/s)")
        self.stream.flush()

    def close(self) -> None:
        self.update(self.total)
        self.stream.write("\n")
        self.stream.flush()
