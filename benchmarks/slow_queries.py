"""The slowest queries we could construct, timed on one index (issue 11, "bounded queries").

    python benchmarks/slow_queries.py --index DIR [--corpus ../shared/corpus/records.jsonl]

Builds the index from ``--corpus`` when ``DIR`` does not exist yet. Each candidate is a query
a hostile or careless user could send: the commonest words (longest postings), as OR chains,
as phrases, under many exclusions, words with many accent variants, a pasted paragraph. Each is
run three times after one warm-up; the best time is reported (the machine is shared), with
whether it hit the default time limit.
"""

from __future__ import annotations

import argparse
import collections
import json
import time
from pathlib import Path

import diaspora_search as ds
from diaspora_search.search.deadline import DEFAULT_TIME_LIMIT

SHARED = Path(__file__).resolve().parents[1].parent / "shared" / "corpus" / "records.jsonl"


def common_words(index: ds.SearchIndex, n: int) -> list[str]:
    counts: collections.Counter[str] = collections.Counter()
    snapshot = index._current_searcher().snapshot
    for i, fields in enumerate(snapshot.stored_documents()):
        if i >= 5000:
            break
        for key in ("summary_en", "summary_es"):
            lang = key[-2:]
            counts.update(
                w.lower()
                for w in str(fields.get(key, "")).split()
                if w.isalpha() and ds.analyze(w, lang)  # (stopwords stand for nothing)
            )
    return [w for w, _ in counts.most_common(n)]


def candidates(words: list[str]) -> dict[str, str]:
    pairs = [f'"{a} {b}"' for a, b in zip(words[0::2], words[1::2], strict=False)]
    return {
        "64 commonest words": " ".join(words[:64]),
        "64 commonest words OR-ed": " OR ".join(words[:32]),
        "32 two-word phrases of common words": " ".join(pairs[:32]),
        "2 words, 62 exclusions": " ".join(words[:2] + [f"-{w}" for w in words[2:64]]),
        "a phrase, 63 excluded phrases": " ".join(pairs[:1] + [f"-{p}" for p in pairs[1:64]]),
        "64 unaccented Spanish words with variants": " ".join(
            ["educacion", "politica", "economia", "migracion", "poblacion", "relacion"] * 11
        ),
        "a pasted paragraph (400 words)": " ".join(words[:100] * 4),
        "1,000 exclusions": " ".join(words[:1] + [f"-w{i}" for i in range(1000)]),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--index", type=Path, required=True)
    parser.add_argument("--corpus", type=Path, default=SHARED)
    args = parser.parse_args()
    if not args.index.exists():
        if not args.corpus.exists():
            raise SystemExit(f"no index at {args.index} and no corpus at {args.corpus}")
        with args.corpus.open(encoding="utf-8") as f:
            records = [json.loads(line) for line in f if line.strip()]
        with ds.SearchIndex.create(args.index) as index:
            index.add(records)
    with ds.SearchIndex.open(args.index) as index:
        words = common_words(index, 200)
        print(f"index: {len(index):,} records; default time limit {DEFAULT_TIME_LIMIT:g} s")
        for name, query in candidates(words).items():
            for translate in (True, False):
                index.search(query, translate=translate, time_limit=None)  # warm-up
                best = float("inf")
                for _ in range(3):
                    start = time.perf_counter()
                    index.search(query, translate=translate, time_limit=None)
                    best = min(best, time.perf_counter() - start)
                flag = " (over the default limit)" if best > DEFAULT_TIME_LIMIT else ""
                print(f"{best * 1000:9.1f} ms  translate={translate!s:5}  {name}{flag}")


if __name__ == "__main__":
    main()
