"""The command line's sharded indexes: ``index ... --shards N [--scheduler ADDRESS]`` and
``search ... [--scheduler ADDRESS]``, kept apart from the rest of the CLI."""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import Any

from ._cli_output import print_indexed, print_refused
from ._errors import IndexExistsError, QueryError
from ._hits import Results
from ._records import Record, read_corpus
from .sharding import ShardedIndex, connect, is_sharded_index


def add_arguments(index: argparse.ArgumentParser, search: argparse.ArgumentParser) -> None:
    index.add_argument(
        "--shards",
        type=int,
        metavar="N",
        help="create a sharded index of N shards (records routed by id; fixed at creation)",
    )
    for parser in (index, search):
        parser.add_argument(
            "--scheduler",
            metavar="ADDRESS",
            help="a Dask scheduler (tcp://host:8786) whose workers build or search the shards",
        )


def wanted(args: argparse.Namespace) -> bool:
    """Whether the command is for a sharded index (``--shards``, or one at ``--index``)."""
    return getattr(args, "shards", None) is not None or is_sharded_index(Path(args.index))


def index(args: argparse.Namespace) -> int:
    """``index`` into a sharded index (created with ``--shards``): the corpus read whole (a
    batch is routed and built at once), refusals reported as for one index."""
    if args.rebuild:
        raise QueryError("--rebuild is not supported for a sharded index; index into a new folder")
    corpus = read_corpus(args.corpus, skip_invalid=args.skip_invalid)
    print_refused(corpus.refused)
    with connect(args.scheduler) as client:
        folder = Path(args.index)
        if is_sharded_index(folder):
            sharded = ShardedIndex.open(folder, client=client, lock_timeout=args.lock_timeout)
            if args.shards is not None and args.shards != sharded.shards:
                raise IndexExistsError(
                    f"{folder}: a sharded index of {sharded.shards} shards; "
                    f"the shard count is fixed at creation (got --shards {args.shards})"
                )
        else:
            sharded = ShardedIndex.create(
                folder, shards=args.shards, client=client, lock_timeout=args.lock_timeout
            )
        count = sharded.add(corpus.records)
        total = len(sharded)
    print_indexed(args.corpus, count, total)
    return 0


def search(args: argparse.Namespace, query: str, page: dict[str, Any]) -> Results:
    """``search`` on a sharded index, with the page options (those a sharded index does not
    support are refused by its ``search``, as a QueryError)."""
    with connect(args.scheduler) as client:
        sharded = ShardedIndex.open(args.index, client=client)
        return sharded.search(
            query, limit=args.limit, lang=args.lang, translate=args.translate, **page
        )


def get(args: argparse.Namespace) -> Record | None:
    """``get`` on a sharded index: the record from the shard it is routed to."""
    with (
        connect(getattr(args, "scheduler", None)) as client,
        ShardedIndex.open(args.index, client=client) as sharded,
    ):
        return sharded.get(args.id)
