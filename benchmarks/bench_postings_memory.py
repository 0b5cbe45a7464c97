"""Memory per buffered posting of the fast path's segment builder, for the implementation in use.

Feeds the first ``--limit`` records of the shared corpus to one ``SegmentBuilder`` and reports,
per buffered posting: the memory traced by ``tracemalloc`` while adding them (postings, and
everything else the builder keeps: compressed stored fields, the analysis caches), and the size
of the postings containers alone (``sys.getsizeof`` of each term's buffer or list and its
items; the shared single-position values and cached small ints left out).

Run from the repository root, with the compiled core and without::

    PYTHONPATH=src python benchmarks/bench_postings_memory.py --limit 20000
    DIASPORA_SEARCH_PURE_PYTHON=1 PYTHONPATH=src python benchmarks/bench_postings_memory.py
"""

from __future__ import annotations

import argparse
import itertools
import json
import sys
import tempfile
import tracemalloc
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parents[1]
DEFAULT_CORPUS = REPO.parent / "shared" / "corpus" / "records.jsonl"


def container_bytes(builder: Any) -> int:
    from diaspora_search.storage.postings import _SINGLE_POSITIONS

    shared = {id(value) for value in _SINGLE_POSITIONS}
    total = 0
    for spec in builder.fields.values():
        postings = spec.postings
        total += sys.getsizeof(postings.terms)
        for entry in postings.terms.values():
            total += sys.getsizeof(entry)
            if isinstance(entry, list):
                values = entry[1::2] if postings.with_positions else []
                total += sum(sys.getsizeof(v) for v in values if id(v) not in shared)
        for above_one in getattr(postings, "frequencies", {}).values():
            total += sys.getsizeof(above_one)
    return total


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--corpus", type=Path, default=DEFAULT_CORPUS)
    parser.add_argument("--limit", type=int, default=20000)
    args = parser.parse_args()

    from whoosh import index as whoosh_index
    from whoosh.writing import SegmentWriter

    import diaspora_search as ds
    from diaspora_search._fields import document
    from diaspora_search._records import validate_batch
    from diaspora_search.storage import postings, segment
    from diaspora_search.storage.schema import build_schema

    with args.corpus.open(encoding="utf-8") as f:
        records = [json.loads(line) for line in itertools.islice(f, args.limit)]
    documents = [document(r) for r in validate_batch(records)]
    with tempfile.TemporaryDirectory() as folder:
        ds.SearchIndex.create(Path(folder) / "index").close()
        index = whoosh_index.open_dir(str(Path(folder) / "index"), schema=build_schema())
        builder = segment.SegmentBuilder(SegmentWriter(index, _lk=False))
        tracemalloc.start()
        before = tracemalloc.get_traced_memory()[0]
        for fields in documents:
            builder.add_document(fields)
        traced = tracemalloc.get_traced_memory()[0] - before
        tracemalloc.stop()
        containers = container_bytes(builder)
        builder.close()
    count = builder.count
    print(
        f"{postings.IMPLEMENTATION}: {len(documents)} records, {count} postings; "
        f"traced {traced / count:.1f} bytes per posting, "
        f"postings containers {containers / count:.1f} bytes per posting"
    )


if __name__ == "__main__":
    main()
