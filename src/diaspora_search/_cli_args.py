"""Reading the command line as a shell user writes it, for ``_cli.py``.

argparse alone would refuse two things people type: query words that start with ``-``
(``search remesas -consejo``, an exclusion) and option values that do (``--sort -year``). It
would also require ``--index`` on every call. :func:`parse_arguments` fixes these before and
after argparse runs, and leaves every other rule, and every usage error (exit 2), to it.
"""

from __future__ import annotations

import argparse
import os

from ._errors import UnsupportedLanguageError
from ._language import Language
from .search.request import MAX_LIMIT

INDEX_ENV = "DIASPORA_SEARCH_INDEX"
"""The environment variable that gives ``--index`` when it is not given."""

WORDS_COMMAND = "search"
"""The command whose positional arguments are query words."""

_WORD = "\0"
"""Marks an argument as a query word for argparse (no argument from a shell holds NUL)."""


def add_index_option(parser: argparse.ArgumentParser) -> None:
    """The ``--index DIR`` option; :func:`parse_arguments` falls back on ``$INDEX_ENV``."""
    parser.add_argument("--index", metavar="DIR", help=f"the index folder (default: ${INDEX_ENV})")


def parse_arguments(parser: argparse.ArgumentParser, argv: list[str]) -> argparse.Namespace | None:
    """Parse ``argv`` with ``parser``, or ``None`` when it is empty (the caller shows help).

    The namespace also holds ``parser``, the subcommand's own parser, for usage errors found
    later. Exits with status 2 on wrong usage, as argparse does.
    """
    if not argv:
        return None
    commands = _subcommands(parser)
    where = next((i for i, arg in enumerate(argv) if not arg.startswith("-")), None)
    if where is not None and argv[where] == WORDS_COMMAND:
        argv = [*argv[: where + 1], *_mark_words(commands[WORDS_COMMAND], argv[where + 1 :])]
    args, extras = parser.parse_known_args(argv)
    sub = commands[args.command]
    args.parser = sub
    if args.command == WORDS_COMMAND:
        # The words after an option come back as extras, in order after the first ones; an
        # unmarked one starting with "-" is an option nobody knows.
        unknown = [arg for arg in extras if arg.startswith("-")]
        if unknown:
            sub.error(f"unrecognized arguments: {' '.join(unknown)}")
        args.words = [word.removeprefix(_WORD) for word in [*args.words, *extras]]
    elif extras:
        sub.error(f"unrecognized arguments: {' '.join(extras)}")
    if hasattr(args, "index") and args.index is None:
        args.index = os.environ.get(INDEX_ENV) or None
        if args.index is None:
            sub.error(f"the index folder is required: give --index DIR or set {INDEX_ENV}")
    return args


def _subcommands(parser: argparse.ArgumentParser) -> dict[str, argparse.ArgumentParser]:
    for action in parser._actions:
        if isinstance(action, argparse._SubParsersAction):
            return dict(action.choices)
    raise ValueError("the parser has no subcommands")


def _mark_words(parser: argparse.ArgumentParser, args: list[str]) -> list[str]:
    """``args`` with each query word starting with "-" marked, so argparse keeps it as a word.

    A word is an argument starting with a single "-" that is not an option of ``parser``, or
    anything after "--". The value of an option that takes one is joined to it (``--sort
    -year`` becomes ``--sort=-year``), so a value starting with "-" stays a value. An unknown
    ``--name`` is left alone: argparse refuses it (a mistyped option must not become a word).
    """
    options = {name for action in parser._actions for name in action.option_strings}
    takes_value = {
        name for action in parser._actions if action.nargs != 0 for name in action.option_strings
    }
    out: list[str] = []
    i = 0
    while i < len(args):
        arg = args[i]
        if arg == "--":
            out.extend(_WORD + word for word in args[i + 1 :])
            break
        if arg in takes_value and i + 1 < len(args):
            out.append(f"{arg}={args[i + 1]}")
            i += 1
        elif arg.startswith("-") and len(arg) > 1 and arg not in options and arg[1] != "-":
            out.append(_WORD + arg)
        else:
            out.append(arg)
        i += 1
    return out


def limit(text: str) -> int:
    """``--limit``: an integer from 1 to the library's limit; a usage error otherwise."""
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not an integer: {text!r}") from None
    if not 1 <= value <= MAX_LIMIT:
        raise argparse.ArgumentTypeError(f"must be from 1 to {MAX_LIMIT:,}, got {value:,}")
    return value


def language(text: str) -> str:
    """``--lang``: a language code or alias in any case ("ES", "español"), as the API takes."""
    try:
        return Language.parse(text).value
    except UnsupportedLanguageError as error:
        raise argparse.ArgumentTypeError(str(error)) from None


def seconds(text: str) -> float:
    """``--lock-timeout``: a finite number of seconds, at least 0."""
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a number of seconds: {text!r}") from None
    if not value >= 0 or value == float("inf"):
        raise argparse.ArgumentTypeError(f"must be a finite number of seconds >= 0, got {text}")
    return value
