"""Write the bundled lexicon's translation table, stemmed by the running analysis.

Usage::

    python scripts/build_table.py [--out PATH]

The output (default ``src/diaspora_search/data/lexicon-en-es.table.tsv.gz``) is what
``translation.lexicon.bundled_table`` loads instead of stemming the lexicon at every process's
first translated search. Its first line names what it was made with (the analysis and
stemmer versions, the table format and pruning, the lexicon's digest); where any differs from
the running code's, the table is stemmed at load instead. Run it after changing the analysis,
the table's pruning or the lexicon (``tests/translation/test_lexicon.py`` fails until then).
The gzip stream carries no time stamp or file name: the same input gives the same bytes.
"""

from __future__ import annotations

import argparse
import gzip
import os
from pathlib import Path

from diaspora_search.translation.lexicon import TABLE_FILE, stemmed_table_text

DEFAULT_OUT = Path(__file__).resolve().parents[1] / "src" / "diaspora_search" / "data" / TABLE_FILE


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--out", type=Path, default=DEFAULT_OUT)
    args = parser.parse_args(argv)
    text = stemmed_table_text()
    # (Written beside it, then moved over it: an interrupted build leaves the old file whole.)
    partial = args.out.with_name(args.out.name + ".partial")
    with open(partial, "wb") as raw, gzip.GzipFile("", "wb", 9, raw, mtime=0) as gz:
        gz.write(text.encode("utf-8"))
    os.replace(partial, args.out)
    print(f"{args.out}: {text.count(chr(10)) - 1} sources, {args.out.stat().st_size:,} bytes")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
