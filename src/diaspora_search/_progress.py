"""A small progress bar for long batches, written to a stream (standard error by default)."""

from __future__ import annotations

import sys
import time
from typing import TextIO


class ProgressBar:
    """Shows ``done/total`` records with a bar and a rate, at most a few times a second; only
    the count and the rate while the total is not known (``None``: a stream being read)."""

    def __init__(self, total: int | None, *, stream: TextIO | None = None, label: str = "indexing"):
        self.total = total
        self.stream = stream if stream is not None else sys.stderr
        self.label = label
        self._start = time.monotonic()
        self._last = 0.0

    def update(self, done: int) -> None:
        now = time.monotonic()
        if (self.total is None or done < self.total) and now - self._last < 0.2:
            return
        self._last = now
        rate = done / max(now - self._start, 1e-9)
        if self.total is None:
            self.stream.write(f"\r{self.label} {done:,} records ({rate:,.0f}/s)")
        else:
            width = 30
            filled = int(width * done / self.total) if self.total else width
            bar = "#" * filled + "-" * (width - filled)
            self.stream.write(f"\r{self.label} [{bar}] {done:,}/{self.total:,} ({rate:,.0f}/s)")
        self.stream.flush()

    def close(self, done: int | None = None) -> None:
        """Show the final count (``done``, by default the total) and end the line."""
        if done is not None:
            self.total = done
        self.update(self.total or 0)
        self.stream.write("\n")
        self.stream.flush()
