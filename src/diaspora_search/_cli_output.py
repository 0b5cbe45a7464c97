"""What the command line prints: result lists, JSON, refused lines and indexing summaries, every
string escaped for the terminal (:func:`~diaspora_search._display.printable`). Shared by the
commands of one index and of a sharded one."""

from __future__ import annotations

import json
import os
import re
import sys
from collections.abc import Sequence
from typing import TextIO

from ._display import json_printable, printable
from ._hits import MARK_CLOSE, MARK_OPEN, Results

SHOW_REFUSED = 5
"""How many refused corpus lines are printed (then how many more there were)."""

_MARKED = re.compile(re.escape(MARK_OPEN) + "(.+?)" + re.escape(MARK_CLOSE))


def print_refused(refused: Sequence[Exception]) -> None:
    """The first :data:`SHOW_REFUSED` lines ``--skip-invalid`` refused, on standard error."""
    if not refused:
        return
    print(f"refused {len(refused):,} invalid line(s):", file=sys.stderr)
    for error in refused[:SHOW_REFUSED]:
        print(f"  {printable(str(error))}", file=sys.stderr)
    if len(refused) > SHOW_REFUSED:
        print(f"  ... and {len(refused) - SHOW_REFUSED:,} more", file=sys.stderr)


def print_indexed(corpus: Sequence[str], count: int, total: int) -> None:
    """What ``index`` did: the records written from the corpus files, and the index's size."""
    files = printable(", ".join(corpus))
    if count == 0:
        print(f"{files}: 0 records; the index holds {total:,}")
    else:
        print(f"indexed {count:,} records from {files}; the index holds {total:,}")


def as_json(query: str, results: Results, offset: int = 0) -> dict[str, object]:
    """The ``--json`` object of a search (docs/api.md)."""
    return {
        "query": query,
        "corrected_query": results.corrected_query,
        "suggestion": results.suggestion,
        "total": results.total,
        "offset": offset,
        "facets": results.facets,
        "hits": [hit.to_dict() for hit in results],
    }


def print_json(data: dict[str, object]) -> None:
    """``data`` as one line of JSON: exact values, and still safe on a terminal (control
    characters are JSON escapes)."""
    print(json_printable(json.dumps(data, ensure_ascii=False)))


def print_results(results: Results, out: TextIO) -> None:
    """A ranked list for people: titles, ids, snippets (matches in bold on a terminal)."""
    color = out.isatty() and "NO_COLOR" not in os.environ
    bold, dim, reset = ("\033[1m", "\033[2m", "\033[0m") if color else ("", "", "")
    if results.corrected_query is not None:
        shown = printable(results.corrected_query)
        print(f"no results as typed; showing results for: {shown}", file=out)
    if not results:
        print("no results", file=out)
        return
    if results.suggestion is not None:
        print(f"did you mean: {printable(results.suggestion)}?", file=out)
    for rank, hit in enumerate(results, 1):
        title, hit_id = printable(hit.title or hit.id), printable(hit.id)
        print(
            f"{rank:>2}. {bold}{title}{reset}  {dim}[{hit.lang}] {hit.score:.2f}  {hit_id}{reset}",
            file=out,
        )
        for text in (hit.snippet, hit.names):
            if text:
                shown = printable(text)
                shown = _MARKED.sub(rf"{bold}\1{reset}", shown) if color else shown
                print(f"    {shown}", file=out)
