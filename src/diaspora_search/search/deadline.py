"""The time budget of one search.

Every search has one (:data:`DEFAULT_TIME_LIMIT` unless the caller gives another), checked
between the units of work that can grow with the index: each term's postings in each segment,
every few hundred matches Whoosh collects, each excluded phrase. A search past its budget
raises :class:`~diaspora_search.QueryTimeoutError` instead of holding its caller (a web
request, say) for as long as the query takes: a clear error rather than partial results,
since a partial ranking would look like a complete one.
"""

from __future__ import annotations

import time

from .._errors import QueryTimeoutError

DEFAULT_TIME_LIMIT = 5.0
"""Seconds a search may take by default. The slowest query constructed on the 51,854-record
benchmark index takes well under a second (benchmarks/RESULTS.md, "Query bounds"), so only a
pathological query or an overloaded machine meets it."""


class Deadline:
    """When a search must end; :meth:`check` raises once it has passed. ``None``: never."""

    __slots__ = ("_end", "seconds")

    def __init__(self, seconds: float | None) -> None:
        self.seconds = seconds
        self._end = None if seconds is None else time.monotonic() + seconds

    def remaining(self) -> float | None:
        """Seconds left (``None``: no limit), for a search continued elsewhere (a shard)."""
        return None if self._end is None else max(self._end - time.monotonic(), 1e-6)

    def check(self) -> None:
        """Raise :class:`QueryTimeoutError` when the time is up."""
        if self._end is not None and time.monotonic() > self._end:
            raise QueryTimeoutError(
                f"the query took longer than its time limit of {self.seconds:g} s; "
                "shorten it, or pass a larger time_limit"
            )


NO_DEADLINE = Deadline(None)
