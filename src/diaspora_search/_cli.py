"""The ``diaspora-search`` command: parses arguments, calls the library, maps errors to exit codes.

Exit status: 0 on success (zero hits included); 1 for bad input, a missing index or file, or a
query that cannot be run, with one line on standard error; 2 for wrong usage.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import sys
import tempfile
from collections.abc import Sequence
from pathlib import Path
from typing import Any, TextIO

from . import __version__
from ._corpus import bundled_corpus
from ._display import printable
from ._errors import DiasporaSearchError, IndexCorruptError
from ._fields import FACETS
from ._hits import MARK_CLOSE, MARK_OPEN, Results
from ._index import SearchIndex
from ._language import Language
from ._records import read_corpus
from .search.facets import SORTS
from .storage import DEFAULT_LOCK_TIMEOUT, damaged_in

SHOW_REFUSED = 5
DEMO_QUERIES = (
    ("educacion", None),
    ("integración de los migrantes", None),
    ("immigrant integration policies", None),
    ('"Estados Unidos" -consejo', None),
    ("Gonzalez Gutierrez", None),
    ("diaspora", "es"),
    ("remitances", None),
    ("remesas", None),  # Spanish, finding an English-only record through translation
)


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="diaspora-search",
        description="Bilingual English/Spanish full-text search.",
    )
    parser.add_argument("--version", action="version", version=f"%(prog)s {__version__}")
    commands = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

    index = commands.add_parser(
        "index",
        help="create or update an index from JSON Lines corpora",
        description="Create or update an index from JSON Lines corpora (all or nothing).",
    )
    index.add_argument("corpus", nargs="+", metavar="CORPUS.jsonl")
    index.add_argument("--index", required=True, metavar="DIR", help="the index folder")
    index.add_argument(
        "--rebuild", action="store_true", help="replace the whole index with these corpora"
    )
    index.add_argument(
        "--skip-invalid",
        action="store_true",
        help="index the valid records and report the refused lines",
    )
    index.add_argument(
        "--lock-timeout",
        type=_seconds,
        default=DEFAULT_LOCK_TIMEOUT,
        metavar="SECONDS",
        help=f"how long to wait for another writer to finish (default: {DEFAULT_LOCK_TIMEOUT:g})",
    )
    bar = index.add_mutually_exclusive_group()
    bar.add_argument(
        "--progress",
        dest="progress",
        action="store_true",
        default=None,
        help="show a progress bar (default: on a terminal)",
    )
    bar.add_argument("--no-progress", dest="progress", action="store_false")

    search = commands.add_parser("search", help="search an index", description="Search an index.")
    search.add_argument("query", metavar="QUERY")
    search.add_argument("--index", required=True, metavar="DIR", help="the index folder")
    search.add_argument("--limit", type=_positive, default=10, metavar="N")
    search.add_argument("--lang", choices=("en", "es"), help="search one language only")
    search.add_argument("--json", action="store_true", help="print one JSON object")
    search.add_argument(
        "--no-translate",
        dest="translate",
        action="store_false",
        help="do not also match the translations of the query's words",
    )
    _add_page_options(search)
    _add_get_command(commands)

    learn = commands.add_parser(
        "learn",
        help="learn translations from the index's bilingual records",
        description=(
            "Fit a translation table to the records holding both languages and keep it in the "
            "index, so that queries also find records written only in the other language "
            "through pairs no dictionary has. Run it after loading a collection."
        ),
    )
    learn.add_argument("--index", required=True, metavar="DIR", help="the index folder")

    glossary = commands.add_parser(
        "glossary",
        help="use a glossary of English-Spanish pairs for query translation",
        description=(
            "Keep a glossary in the index: one 'english<TAB>spanish' pair of words or phrases "
            "a line ('#' starts a comment; an optional third column weighs the pair)."
        ),
    )
    glossary.add_argument("file", nargs="?", metavar="GLOSSARY.tsv")
    glossary.add_argument("--index", required=True, metavar="DIR", help="the index folder")
    glossary.add_argument("--clear", action="store_true", help="remove the index's glossary")

    check = commands.add_parser(
        "check",
        help="verify every file of an index against its checksums",
        description=(
            "Read every file of the index's last commit and compare it with the checksums "
            "recorded when it was written. Exit 1 with one line per damaged file."
        ),
    )
    check.add_argument("--index", required=True, metavar="DIR", help="the index folder")

    commands.add_parser(
        "demo",
        help="search the bundled IME corpus with example queries",
        description="Index the bundled corpus in a temporary folder and run example queries.",
    )
    return parser


def _positive(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not an integer: {text!r}") from None
    if value < 1:
        raise argparse.ArgumentTypeError(f"must be at least 1, got {value}")
    return value


def _seconds(text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a number of seconds: {text!r}") from None
    if not value >= 0 or value == float("inf"):
        raise argparse.ArgumentTypeError(f"must be a finite number of seconds >= 0, got {text}")
    return value


def main(argv: Sequence[str] | None = None) -> int:
    args = build_parser().parse_args(_sort_values_joined(sys.argv[1:] if argv is None else argv))
    try:
        if args.command == "index":
            return _index(args)
        if args.command == "search":
            return _search(args)
        if args.command == "learn":
            return _learn(args)
        if args.command == "glossary":
            return _glossary(args)
        if args.command == "get":
            return _get(args)
        if args.command == "check":
            return _check(args)
        return _demo()
    except DiasporaSearchError as error:
        print(f"diaspora-search: error: {error}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        print("diaspora-search: interrupted", file=sys.stderr)
        return 130
    except BrokenPipeError:
        # The reader went away (``| head``): say nothing more, and let no flush at exit fail.
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return 1
    except OSError as error:
        print(f"diaspora-search: error: {error}", file=sys.stderr)
        return 1


def _index(args: argparse.Namespace) -> int:
    corpus = read_corpus(args.corpus, skip_invalid=args.skip_invalid)
    if corpus.refused:
        print(f"refused {len(corpus.refused):,} invalid line(s):", file=sys.stderr)
        for error in corpus.refused[:SHOW_REFUSED]:
            print(f"  {error}", file=sys.stderr)
        if len(corpus.refused) > SHOW_REFUSED:
            print(f"  ... and {len(corpus.refused) - SHOW_REFUSED:,} more", file=sys.stderr)
    progress = sys.stderr.isatty() if args.progress is None else args.progress
    timeout = args.lock_timeout
    if args.rebuild:
        index = SearchIndex.rebuild(
            args.index, corpus.records, progress=progress, lock_timeout=timeout
        )
        count = len(corpus.records)
    else:
        index = SearchIndex.open(args.index, create=True, lock_timeout=timeout)
        count = index.add(corpus.records, progress=progress)
    with index:
        total = len(index)
    files = ", ".join(args.corpus)
    if count == 0:
        print(f"{files}: 0 records; the index holds {total:,}")
    else:
        print(f"indexed {count:,} records from {files}; the index holds {total:,}")
    return 0


def _search(args: argparse.Namespace) -> int:
    # An argument that was not valid UTF-8 arrives with lone surrogates, which cannot be
    # printed: search for (and print) it with replacement characters instead.
    query = args.query.encode("utf-8", "surrogatepass").decode("utf-8", "replace")
    with SearchIndex.open(args.index) as index:
        results = index.search(
            query, limit=args.limit, lang=args.lang, translate=args.translate, **_page(args)
        )
    if args.json:
        data = _as_json(args.query, results, args.offset)
        try:
            print(json.dumps(data, ensure_ascii=False))
        except UnicodeEncodeError:  # a query that is not valid Unicode: JSON escapes it
            print(json.dumps(data))
    else:
        _print_results(results, sys.stdout)
        _print_page(results, args.offset, args.offset_given)
    return 0


def _learn(args: argparse.Namespace) -> int:
    with SearchIndex.open(args.index) as index:
        count = index.learn()
    print(f"learned translations for {count:,} terms from the bilingual records of {args.index}")
    return 0


def _glossary(args: argparse.Namespace) -> int:
    if args.clear == (args.file is not None):
        print("diaspora-search glossary: error: give GLOSSARY.tsv or --clear", file=sys.stderr)
        return 2
    with SearchIndex.open(args.index) as index:
        count = index.set_glossary(None if args.clear else args.file)
    if args.clear:
        print(f"{args.index}: no glossary")
    else:
        print(f"{args.index}: glossary {args.file} translates {count:,} terms")
    return 0


def _check(args: argparse.Namespace) -> int:
    """``check``: ``ok`` and exit 0, or one line per damaged file on standard error and 1
    (also when the damage keeps the index from opening)."""
    try:
        with SearchIndex.open(args.index) as index:
            index.check()
            count = len(index)
    except IndexCorruptError as error:
        damaged = error.damaged or damaged_in(Path(args.index))
        if not damaged:
            raise
        for line in damaged:
            print(f"diaspora-search: damaged: {args.index}: {line}", file=sys.stderr)
        return 1
    print(f"{args.index}: ok (every file matches its checksum; {count:,} records)")
    return 0


def _as_json(query: str, results: Results, offset: int = 0) -> dict[str, object]:
    """The ``--json`` object of a search (CONTRACT.md)."""
    return {
        "query": query,
        "corrected_query": results.corrected_query,
        "suggestion": results.suggestion,
        "total": results.total,
        "offset": offset,
        "facets": results.facets,
        "hits": [hit.to_dict() for hit in results],
    }


_MARKED = re.compile(re.escape(MARK_OPEN) + "(.+?)" + re.escape(MARK_CLOSE))


def _print_results(results: Results, out: TextIO) -> None:
    color = out.isatty() and "NO_COLOR" not in os.environ
    bold, dim, reset = ("\033[1m", "\033[2m", "\033[0m") if color else ("", "", "")
    if results.corrected_query is not None:
        print(f"no results as typed; showing results for: {results.corrected_query}", file=out)
    if not results:
        print("no results", file=out)
        return
    if results.suggestion is not None:
        print(f"did you mean: {results.suggestion}?", file=out)
    for rank, hit in enumerate(results, 1):
        title = hit.title or hit.id
        print(
            f"{rank:>2}. {bold}{title}{reset}  {dim}[{hit.lang}] {hit.score:.2f}  {hit.id}{reset}",
            file=out,
        )
        for text in (hit.snippet, hit.names):
            if text:
                shown = _MARKED.sub(rf"{bold}\1{reset}", text) if color else text
                print(f"    {shown}", file=out)


def _demo() -> int:
    corpus = read_corpus(bundled_corpus())
    with (
        tempfile.TemporaryDirectory(prefix="diaspora-demo-") as tmp,
        SearchIndex.create(Path(tmp) / "index") as index,
    ):
        index.add(corpus.records)
        print(f"indexed {len(index)} records of the bundled IME corpus ({bundled_corpus().name})")
        for query, lang in DEMO_QUERIES:
            shown = f"{query!r}" + (f" --lang {lang}" if lang else "")
            print(f"\n$ diaspora-search search {shown} --index DIR")
            _print_results(index.search(query, limit=3, lang=lang), sys.stdout)
    return 0


# Results pages (issue 12): --offset, --filter, --sort, --facets, and the get command ---------


def _add_page_options(search: argparse.ArgumentParser) -> None:
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


def _add_get_command(commands: Any) -> None:
    get = commands.add_parser(
        "get",
        help="print one record of an index",
        description="Print the stored record with this id (exit 1 when there is none).",
    )
    get.add_argument("id", metavar="ID")
    get.add_argument("--index", required=True, metavar="DIR", help="the index folder")
    get.add_argument("--json", action="store_true", help="print the record as one JSON object")


def _sort_values_joined(argv: Sequence[str]) -> list[str]:
    """``--sort -year`` as ``--sort=-year``: argparse takes a value starting with '-' for an
    option."""
    out: list[str] = []
    for arg in argv:
        if out and out[-1] == "--sort" and arg.startswith("-") and arg != "--":
            out[-1] = f"--sort={arg}"
        else:
            out.append(arg)
    return out


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


def _page(args: argparse.Namespace) -> dict[str, Any]:
    """The search arguments of the page options (``offset_given`` set for the output)."""
    args.offset_given = args.offset is not None
    args.offset = args.offset or 0
    filters: dict[str, Any] = {}
    for key, value in args.filters:
        if key == "year" and "year" in filters:
            raise DiasporaSearchError("--filter year may be given once (one range)")
        if key == "year":
            filters["year"] = value
        else:
            filters.setdefault(key, []).append(value)
    langs = filters.pop("lang", [])
    if len({Language.parse(code) for code in langs}) == 1:  # (both: every record passes)
        filters["lang"] = langs[0]
    return {"offset": args.offset, "filters": filters, "sort": args.sort, "facets": args.facets}


def _print_page(results: Results, offset: int, offset_given: bool) -> None:
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


def _get(args: argparse.Namespace) -> int:
    with SearchIndex.open(args.index) as index:
        record = index.get(args.id)
    if record is None:
        raise DiasporaSearchError(f"{args.index}: no record with id {printable(args.id)!r}")
    data = record.to_dict()
    if args.json:
        print(json.dumps(data, ensure_ascii=False))
        return 0
    for key, value in data.items():
        shown = "; ".join(value) if isinstance(value, list) else str(value)
        print(f"{key}: {printable(shown)}")
    return 0


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
