"""``diaspora-search demo``: the bundled corpus in a temporary index, and example queries in
both languages (one Spanish query finding an English-only record through translation)."""

from __future__ import annotations

import argparse
import shlex
import sys
import tempfile
from pathlib import Path

from ._cli_output import print_results
from ._corpus import bundled_corpus
from ._index import SearchIndex
from ._records import read_corpus

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


def demo(args: argparse.Namespace) -> int:
    corpus = read_corpus(bundled_corpus())
    with (
        tempfile.TemporaryDirectory(prefix="diaspora-demo-") as tmp,
        SearchIndex.create(Path(tmp) / "index") as index,
    ):
        index.add(corpus.records)
        print(f"indexed {len(index)} records of the bundled IME corpus ({bundled_corpus().name})")
        for query, lang in DEMO_QUERIES:
            shown = shlex.quote(query) + (f" --lang {lang}" if lang else "")
            print(f"\n$ diaspora-search search {shown} --index DIR")
            print_results(index.search(query, limit=3, lang=lang), sys.stdout)
    return 0
