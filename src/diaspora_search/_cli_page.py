"""The search options of a results page, for ``_cli.py``: ``--offset``, ``--filter
KEY=VALUE`` (repeatable), ``--sort`` and ``--facets``, and the lines they add to the output.

Values are checked here as argparse types, so a bad one is a usage error (exit 2).
"""

from __future__ import annotations

import argparse
from typing import Any

from ._display import printable
from ._fields import FACETS
from ._hits import Results
from ._language import Language
from .search.facets import SORTS


def add_page_options(search: argparse.ArgumentParser) -> None:
    search.add_argument(
        "--offset",
        type=_offset,
        default=None,
        metavar="N",
        help="skip the first N hits (pages of one order: --offset 10 --limit 10 is page 2)",
    )
    search.add_argument(
        "--filter",
        dest="filters",
        type=_filter_pair,
        action="append",
        default=[],
        metavar="KEY=VALUE",
        help=(
            "only records with this value: year=2000..2010 (either end may be left out: "
            "year=2005..), source=NAME, authors=NAME, tags=NAME, lang=es; repeated keys mean "
            "any of them, different keys all of them"
        ),
    )
    search.add_argument(
        "--sort",
        choices=SORTS,
        default="relevance",
        help="relevance (default), year (oldest first) or -year (newest first)",
    )
    search.add_argument(
        "--facets",
        type=_facet_list,
        default=(),
        metavar="KEY[,KEY...]",
        help=f"count the matches per value of these keys ({', '.join(FACETS)})",
    )


def _offset(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not an integer: {text!r}") from None
    if value < 0:
        raise argparse.ArgumentTypeError(f"must be at least 0, got {value}")
    return value


def _filter_pair(text: str) -> tuple[str, object]:
    """``KEY=VALUE`` checked: a known key, and for ``year`` a year or a range ``A..B``."""
    key, sep, value = text.partition("=")
    if not sep or not key:
        raise argparse.ArgumentTypeError(f"expected KEY=VALUE, got {text!r}")
    if key not in FACETS:
        raise argparse.ArgumentTypeError(f"unknown key {key!r}; choose from: {', '.join(FACETS)}")
    if key != "year":
        return key, value
    lo, dots, hi = value.partition("..")
    try:
        if not dots:
            return key, (int(value), int(value))
        return key, (int(lo) if lo else None, int(hi) if hi else None)
    except ValueError:
        raise argparse.ArgumentTypeError(
            f"year must be a year or a range such as 2000..2010 or 2005.., got {value!r}"
        ) from None


def _facet_list(text: str) -> tuple[str, ...]:
    names = tuple(name.strip() for name in text.split(",") if name.strip())
    unknown = [name for name in names if name not in FACETS]
    if unknown or not names:
        raise argparse.ArgumentTypeError(
            f"unknown facet {(unknown or [text])[0]!r}; choose from: {', '.join(FACETS)}"
        )
    return names


def page_arguments(args: argparse.Namespace) -> dict[str, Any]:
    """The search arguments of the page options."""
    filters: dict[str, Any] = {}
    for key, value in args.filters:
        if key == "year" and "year" in filters:
            args.parser.error("--filter year may be given once (one range)")
        if key == "year":
            filters["year"] = value
        else:
            filters.setdefault(key, []).append(value)
    langs = filters.pop("lang", [])
    if len({Language.parse(code) for code in langs}) == 1:  # (both: every record passes)
        filters["lang"] = langs[0]
    offset = args.offset or 0
    return {"offset": offset, "filters": filters, "sort": args.sort, "facets": args.facets}


def print_page(results: Results, offset: int, offset_given: bool) -> None:
    """After the hits: where this page is in all the matches (with --offset), then each facet
    asked for, one line each (``year: 2009 (3), 2008 (1)``)."""
    if offset_given:
        if results:
            print(f"hits {offset + 1}-{offset + len(results)} of {results.total:,}")
        else:
            print(f"no hits from {offset + 1}; {results.total:,} in all")
    for name, counts in results.facets.items():
        shown = ", ".join(f"{printable(value)} ({count:,})" for value, count in counts.items())
        print(f"{name}: {shown}" if shown else f"{name}: none")
