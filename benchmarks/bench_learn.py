"""Time and memory of learning a translation table from a parallel corpus.

Usage::

    python benchmarks/bench_learn.py --corpus ../shared/corpus/records.jsonl

Prints the analysis time (``ds.analyze`` of both summaries of every record), the fit time of
``fit_translation_table`` (analysis excluded), the peak RSS, and a few learned translations.
Exits 0 with a message when the corpus is missing.
"""

from __future__ import annotations

import argparse
import json
import resource
import sys
import time
from pathlib import Path

import diaspora_search as ds
from diaspora_search.translation.learn import fit_translation_table

REPO = Path(__file__).resolve().parents[1]
EXAMPLES = [
    ("es", "oriundos"),
    ("es", "remesas"),
    ("es", "antecedentes"),
    ("es", "recursos"),
    ("es", "páginas"),
    ("en", "function"),
    ("en", "returns"),
    ("en", "string"),
]


def _rss_mb() -> float:
    with open("/proc/self/status", encoding="ascii") as status:
        for line in status:
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
    return 0.0


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--corpus", type=Path, default=REPO.parent / "shared/corpus/records.jsonl")
    args = parser.parse_args(argv)
    if not args.corpus.is_file():
        print(f"bench_learn: no corpus at {args.corpus}; nothing to measure")
        return 0
    start = time.perf_counter()
    pairs = []
    with open(args.corpus, encoding="utf-8") as lines:
        for line in lines:
            record = json.loads(line)
            en, es = record.get("summary_en", ""), record.get("summary_es", "")
            if en and es:
                pairs.append((ds.analyze(en, "en"), ds.analyze(es, "es")))
    analysis = time.perf_counter() - start
    before = _rss_mb()
    start = time.perf_counter()
    table = fit_translation_table(pairs)
    fit = time.perf_counter() - start
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(f"records: {len(pairs)}")
    print(f"analysis: {analysis:.2f} s")
    print(f"fit: {fit:.2f} s; table {table!r}")
    print(f"RSS before fit {before:.0f} MB, peak RSS {peak:.0f} MB")
    for lang, word in EXAMPLES:
        term = ds.analyze(word, lang)[0]
        best = table.translations(ds.Language(lang), term)[:4]
        print(f"  {lang} {word} ({term}): " + ", ".join(f"{t} {p:.2f}" for t, p in best))
    return 0


if __name__ == "__main__":
    sys.exit(main())
