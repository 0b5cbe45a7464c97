"""What a results page costs on the shared corpus, query by query: the per-commit table of
record values that filters, facets and year sorting read, and single searches of each kind on
the commonest and rarer queries (``bench_index.py`` gives p50/p95 over many queries).

Indexes the 51,854 records of ``../shared/corpus/records.jsonl`` with a year and tags added
from each id (``baselines.with_page_values``) into ``--index`` (kept: a second run reuses it),
then prints the seconds the record-values table takes to build and each search's
milliseconds and total. Run from the repository root::

    PYTHONPATH=src python benchmarks/bench_pages.py --index /tmp/pages-index
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))
from baselines import with_page_values

import diaspora_search as ds

REPO = Path(__file__).resolve().parents[1]
CORPUS = REPO.parent / "shared" / "corpus" / "records.jsonl"
QUERIES = ("function", "python documentation", "función módulo", "the")
KINDS: dict[str, dict[str, Any]] = {
    "plain": {},
    "facets": {"facets": ("year", "source", "authors", "tags", "lang")},
    "sort -year": {"sort": "-year"},
    "filter": {"filters": {"year": (2000, 2015)}},
    "offset 60": {"offset": 60},
}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--index", type=Path, required=True)
    args = parser.parse_args()
    if not CORPUS.is_file():
        print(f"skipped: {CORPUS} not found")
        return 0
    if not args.index.exists():
        records = [json.loads(line) for line in CORPUS.open(encoding="utf-8")]
        start = time.perf_counter()
        ds.SearchIndex.create(args.index).add(with_page_values(records))
        print(f"indexed {len(records):,} records in {time.perf_counter() - start:.1f} s")
    index = ds.SearchIndex.open(args.index)
    index.search("warmup", translate=False)
    start = time.perf_counter()
    index.search("warmup", translate=False, facets=["year"])  # builds the record values
    print(f"record values table (first faceted search): {time.perf_counter() - start:.2f} s")
    print("| query | " + " | ".join(KINDS) + " | total |")
    print("|---|" + "---|" * (len(KINDS) + 1))
    for query in QUERIES:
        cells = []
        total = 0
        for options in KINDS.values():
            start = time.perf_counter()
            found = index.search(query, translate=False, **options)
            cells.append(f"{(time.perf_counter() - start) * 1000:.0f} ms")
            total = max(total, found.total)
        print(f"| {query} | " + " | ".join(cells) + f" | {total:,} |")
    return 0


if __name__ == "__main__":
    sys.exit(main())
