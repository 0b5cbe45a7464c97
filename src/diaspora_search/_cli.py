"""The ``diaspora-search`` command: parses arguments, calls the library, maps errors to exit codes.

Exit status: 0 on success (zero hits included, and when the reader of standard output goes
away, as with ``| head``); 1 for bad input, a missing index or file, a damaged index, or a
query that cannot be run, with one line on standard error; 2 for wrong usage, which includes
a bare ``diaspora-search`` (it prints the help on standard error).

Everything printed from a record or a file name goes through :func:`printable` (or, for
``--json``, :func:`json_printable`): a corpus is anyone's text, and its escape codes must not
reach the terminal.
"""

from __future__ import annotations

import argparse
import io
import itertools
import os
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from . import _cli_sharded as sharded
from ._cli_args import (
    INDEX_ENV,
    add_index_option,
    language,
    limit,
    parse_arguments,
    seconds,
)
from ._cli_demo import demo as run_demo
from ._cli_output import as_json, print_indexed, print_json, print_refused, print_results
from ._cli_page import add_page_options, page_arguments, print_page
from ._display import printable
from ._errors import DiasporaSearchError, IndexCorruptError
from ._index import SearchIndex
from ._records import iter_corpus
from ._version import __version__
from .storage import DEFAULT_LOCK_TIMEOUT, damaged_in


def _command(
    commands: Any, name: str, summary: str, description: str, examples: str
) -> argparse.ArgumentParser:
    """A subcommand whose help ends with examples, kept as written."""
    return commands.add_parser(  # type: ignore[no-any-return]
        name,
        help=summary,
        description=description,
        epilog="examples:\n" + examples,
        formatter_class=argparse.RawDescriptionHelpFormatter,
        allow_abbrev=False,  # (a query word must never be taken for a shortened option)
    )


def build_parser() -> argparse.ArgumentParser:
    """The parser of every command; each sets ``run``, the function that carries it out."""
    parser = argparse.ArgumentParser(
        prog="diaspora-search",
        description="Bilingual English/Spanish full-text search.",
        epilog=(
            f"The index folder is given by --index DIR, or else by ${INDEX_ENV}.\n"
            "Run 'diaspora-search COMMAND --help' for a command's options and examples.\n\n"
            "examples:\n"
            "  diaspora-search demo\n"
            "  diaspora-search index corpus.jsonl --index ime-index\n"
            "  diaspora-search search educacion ninos --index ime-index"
        ),
        formatter_class=argparse.RawDescriptionHelpFormatter,
        allow_abbrev=False,
    )
    parser.add_argument(
        "--version", action="version", version=f"%(prog)s {__version__}", help="print the version"
    )
    commands = parser.add_subparsers(
        dest="command", required=True, metavar="COMMAND", help="the command to run"
    )

    index = _command(
        commands,
        "index",
        "create or update an index from JSON Lines corpora",
        "Create or update an index from JSON Lines corpora, all or nothing: one bad line "
        "refuses the whole run and leaves the index as it was (unless --skip-invalid).",
        "  diaspora-search index corpus.jsonl more.jsonl --index ime-index\n"
        "  zcat corpus.jsonl.gz | diaspora-search index - --index ime-index\n"
        "  diaspora-search index --rebuild corpus.jsonl --index ime-index",
    )
    index.add_argument(
        "corpus",
        nargs="+",
        metavar="CORPUS.jsonl",
        help="JSON Lines files, one record a line; '-' reads standard input",
    )
    add_index_option(index)
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
        type=seconds,
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
        help="show progress on standard error (default: only when it is a terminal)",
    )
    bar.add_argument(
        "--no-progress", dest="progress", action="store_false", help="never show progress"
    )
    index.set_defaults(run=_index)

    search = _command(
        commands,
        "search",
        "search an index",
        "Search an index in English and Spanish at once. The words need no quotes; a word "
        "starting with '-' excludes it, \"quoted phrases\" need quotes for the shell, and "
        "OR joins alternatives. Options may come before or after the words; after '--' "
        "everything is a word.",
        "  diaspora-search search educacion ninos --index ime-index\n"
        "  diaspora-search search '\"Estados Unidos\"' -consejo --lang ES\n"
        "  diaspora-search search remesas --limit 3 --json\n"
        "  diaspora-search search migrantes --filter year=2000.. --filter tags=salud "
        "--sort -year --offset 10\n"
        "  diaspora-search search remesas --facets year,source --json",
    )
    search.add_argument("words", nargs="+", metavar="WORDS", help="the query")
    add_index_option(search)
    search.add_argument(
        "--limit",
        type=limit,
        default=10,
        metavar="N",
        help="show at most N hits, 1 to 10,000 (default: 10)",
    )
    search.add_argument(
        "--lang",
        type=language,
        metavar="LANG",
        help="search only the records' text in one language: en or es (any case; also "
        "english, spanish, español, ...)",
    )
    search.add_argument("--json", action="store_true", help="print one JSON object")
    search.add_argument(
        "--no-translate",
        dest="translate",
        action="store_false",
        help="do not also match the translations of the query's words",
    )
    sharded.add_arguments(index, search)
    add_page_options(search)
    search.set_defaults(run=_search)
    _add_get_command(commands)

    delete = _command(
        commands,
        "delete",
        "delete records by id",
        "Delete records by id, in one commit. Ids that are not in the index are not an error: "
        "the command says how many of the ids given were deleted.",
        "  diaspora-search delete ime-a1 ime-a2 --index ime-index",
    )
    delete.add_argument("ids", nargs="+", metavar="ID", help="the ids of the records to delete")
    add_index_option(delete)
    delete.set_defaults(run=_delete)

    info = _command(
        commands,
        "info",
        "describe an index",
        "Print an index's records, records per language, size on disk and versions.",
        "  diaspora-search info --index ime-index\n"
        f"  {INDEX_ENV}=ime-index diaspora-search info --json",
    )
    add_index_option(info)
    info.add_argument("--json", action="store_true", help="print one JSON object")
    info.set_defaults(run=_info)

    learn = _command(
        commands,
        "learn",
        "learn translations from the index's bilingual records",
        "Fit a translation table to the records holding both languages and keep it in the "
        "index, so that queries also find records written only in the other language "
        "through pairs no dictionary has. Run it after loading a collection.",
        "  diaspora-search learn --index ime-index",
    )
    add_index_option(learn)
    learn.set_defaults(run=_learn)

    glossary = _command(
        commands,
        "glossary",
        "use a glossary of English-Spanish pairs for query translation",
        "Keep a glossary in the index: one 'english<TAB>spanish' pair of words or phrases "
        "a line ('#' starts a comment; an optional third column weighs the pair).",
        "  diaspora-search glossary terms.tsv --index ime-index\n"
        "  diaspora-search glossary --clear --index ime-index",
    )
    glossary.add_argument(
        "file", nargs="?", metavar="GLOSSARY.tsv", help="the glossary file (or give --clear)"
    )
    add_index_option(glossary)
    glossary.add_argument("--clear", action="store_true", help="remove the index's glossary")
    glossary.set_defaults(run=_glossary)

    check = _command(
        commands,
        "check",
        "verify every file of an index against its checksums",
        "Read every file of the index's last commit and compare it with the checksums "
        "recorded when it was written. Exit 1 with one line per damaged file.",
        "  diaspora-search check --index ime-index",
    )
    add_index_option(check)
    check.set_defaults(run=_check)

    demo = _command(
        commands,
        "demo",
        "search the bundled IME corpus with example queries",
        "Index the bundled corpus in a temporary folder and run example queries.",
        "  diaspora-search demo",
    )
    demo.set_defaults(run=run_demo)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Run the command in ``argv`` (default: the process's arguments); the exit status."""
    parser = build_parser()
    args = parse_arguments(parser, sys.argv[1:] if argv is None else list(argv))
    if args is None:  # a bare ``diaspora-search``
        parser.print_help(sys.stderr)
        return 2
    for stream in (sys.stdout, sys.stderr):
        # A terminal that cannot show a character (a Latin-1 locale and a Chinese title) gets
        # an escape for it, not a UnicodeEncodeError.
        if isinstance(stream, io.TextIOWrapper):
            stream.reconfigure(errors="backslashreplace")
    try:
        code: int = args.run(args)
        sys.stdout.flush()  # (here, where a closed pipe is still caught below)
        return code
    except DiasporaSearchError as error:
        _error(str(error))
        return 1
    except KeyboardInterrupt:
        print("diaspora-search: interrupted", file=sys.stderr)
        return 130
    except BrokenPipeError:
        # The reader went away (``| head``): it has all it wanted, which is success, as for
        # git and rg. Say nothing more, and let no flush at exit fail.
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return 0
    except OSError as error:
        _error(str(error))
        return 1


def _error(message: str) -> None:
    print(f"diaspora-search: error: {printable(message)}", file=sys.stderr)


def _index(args: argparse.Namespace) -> int:
    progress = sys.stderr.isatty() if args.progress is None else args.progress
    timeout = args.lock_timeout
    if sharded.wanted(args):
        return sharded.index(args)
    # Records are handed over as they are read: standard input is never held whole here.
    with iter_corpus(args.corpus, skip_invalid=args.skip_invalid) as batches:
        # The first batch is read before the index is opened (or created), so that a bad line
        # in it, the common case, leaves no new empty index behind.
        first = next(batches, [])
        records = itertools.chain(first, (record for batch in batches for record in batch))
        if args.rebuild:
            index = SearchIndex.rebuild(
                args.index, records, progress=progress, lock_timeout=timeout
            )
            count = len(index)
        else:
            index = SearchIndex.open(args.index, create=True, lock_timeout=timeout)
            count = index.add(records, progress=progress)
    print_refused(batches.refused)
    with index:
        total = len(index)
    print_indexed(args.corpus, count, total)
    return 0


def _search(args: argparse.Namespace) -> int:
    # An argument that was not valid UTF-8 arrives with lone surrogates, which cannot be
    # printed: search for (and print) it with replacement characters instead.
    # (JSON output gives the query exactly as it came, with such characters as escapes.)
    typed = " ".join(args.words)
    query = typed.encode("utf-8", "surrogatepass").decode("utf-8", "replace")
    page = page_arguments(args)
    if sharded.wanted(args):
        results = sharded.search(args, query, page)
    else:
        with SearchIndex.open(args.index) as index:
            results = index.search(
                query, limit=args.limit, lang=args.lang, translate=args.translate, **page
            )
    if args.json:
        print_json(as_json(typed, results, page["offset"]))
    else:
        print_results(results, sys.stdout)
        print_page(results, page["offset"], args.offset is not None)
    return 0


def _delete(args: argparse.Namespace) -> int:
    ids = list(dict.fromkeys(args.ids))
    with SearchIndex.open(args.index) as index:
        count = index.delete(ids)
        total = len(index)
    print(f"deleted {count:,} of {len(ids):,} id(s) given; the index holds {total:,}")
    return 0


def _info(args: argparse.Namespace) -> int:
    with SearchIndex.open(args.index) as index:
        info = index.info()
    if args.json:
        print_json(info.to_dict())
        return 0
    for line in info.describe():
        print(printable(line))
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
            print(
                f"diaspora-search: damaged: {printable(f'{args.index}: {line}')}", file=sys.stderr
            )
        return 1
    print(printable(f"{args.index}: ok (every file matches its checksum; {count:,} records)"))
    return 0


def _learn(args: argparse.Namespace) -> int:
    with SearchIndex.open(args.index) as index:
        count = index.learn()
    print(
        f"learned translations for {count:,} terms from the bilingual records of "
        f"{printable(str(args.index))}"
    )
    return 0


def _glossary(args: argparse.Namespace) -> int:
    if args.clear == (args.file is not None):
        args.parser.error("give GLOSSARY.tsv or --clear")
    with SearchIndex.open(args.index) as index:
        count = index.set_glossary(None if args.clear else args.file)
    folder = printable(str(args.index))
    if args.clear:
        print(f"{folder}: no glossary")
    else:
        print(f"{folder}: glossary {printable(args.file)} translates {count:,} terms")
    return 0


# get ---------------------------------------------------------------------------------------


def _add_get_command(commands: Any) -> None:
    get = _command(
        commands,
        "get",
        "print one record of an index",
        "Print the stored record with this id, every key it was given, one 'key: value' a "
        "line (lists joined by '; '), or as JSON; exit 1 when there is none.",
        "  diaspora-search get ime-a1 --index ime-index\n"
        f"  {INDEX_ENV}=ime-index diaspora-search get ime-a1 --json",
    )
    get.add_argument("id", metavar="ID", help="the record's id")
    add_index_option(get)
    get.add_argument("--json", action="store_true", help="print the record as one JSON object")
    get.set_defaults(run=_get)


def _get(args: argparse.Namespace) -> int:
    if sharded.wanted(args):
        record = sharded.get(args)
    else:
        with SearchIndex.open(args.index) as index:
            record = index.get(args.id)
    if record is None:
        raise DiasporaSearchError(f"{args.index}: no record with id {printable(args.id)!r}")
    data = record.to_dict()
    if args.json:
        print_json(data)
        return 0
    for key, value in data.items():
        shown = "; ".join(value) if isinstance(value, list) else str(value)
        print(f"{key}: {printable(shown)}")
    return 0


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
