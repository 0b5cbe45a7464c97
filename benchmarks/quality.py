"""Retrieval quality: known-item paragraph retrieval on XQuAD en/es dev questions.

Each question's one relevant record is the paragraph it was asked about (see
``../shared/xquad/README.md``). Reports MRR@10 and recall@1 for diaspora_search ("ours") and the
peers of ``baselines.py`` (stock Whoosh, Whoosh + accent_map, SQLite FTS5, tantivy if installed),
for three record settings:

- ``both``: records hold both languages;
- ``en-only``: records keep only their English title and summary;
- ``es-only``: records keep only their Spanish title and summary;
- ``mixed``: each record in one language only, alternating (English for even positions);
- ``full-text`` (only when asked for, ours only): the paragraph as the full text
  (``text_en``, ``text_es``), the title as the summary;

and three question sets: ``en``, ``es``, and ``es-noacc`` (the Spanish question with diacritics
removed: NFD, combining marks dropped, and ``¿`` ``¡`` removed).

Run from the repository root::

    python benchmarks/quality.py
    python benchmarks/quality.py --json benchmarks/out/quality.json
    python benchmarks/quality.py --queries ../shared/xquad/test-queries.jsonl   # held-out set

Data is read from ``../shared/xquad`` next to the repository (``--data DIR`` to override); when it
is missing the script says so and exits 0.
"""

from __future__ import annotations

import argparse
import json
import shlex
import sys
import tempfile
import time
import unicodedata
from collections.abc import Sequence
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))
from baselines import EN_FIELDS, TEXT_FIELDS, available, make_engine

REPO = Path(__file__).resolve().parents[1]
DEFAULT_DATA = REPO.parent / "shared" / "xquad"
ENGINE_ORDER = ("ours", "ours-notranslate", "whoosh", "whoosh-accent", "fts5", "tantivy")
SETTINGS = ("both", "en-only", "es-only", "mixed", "full-text")
DEFAULT_SETTINGS = SETTINGS[:4]
"""(``full-text`` on request only: the peers index the title and summary fields alone, so only
ours is measured there.)"""
QUESTION_SETS = ("en", "es", "es-noacc")
CUTOFF = 10

Query = dict[str, str]


def read_jsonl(path: Path) -> list[dict[str, Any]]:
    with path.open(encoding="utf-8") as handle:
        return [json.loads(line) for line in handle if line.strip()]


def strip_accents(text: str) -> str:
    """``text`` without diacritics or the inverted marks ``¿`` ``¡``."""
    decomposed = unicodedata.normalize("NFD", text.replace("¿", "").replace("¡", ""))
    kept = "".join(ch for ch in decomposed if not unicodedata.combining(ch))
    return unicodedata.normalize("NFC", kept)


def question(query: Query, qset: str) -> str:
    return strip_accents(query["es"]) if qset == "es-noacc" else query[qset]


def restrict(record: dict[str, Any], setting: str, position: int) -> dict[str, Any]:
    """``record`` (at ``position`` in the collection) with only the text fields of ``setting``
    kept."""
    if setting == "both":
        return dict(record)
    if setting == "full-text":  # the paragraph as full text; its summary only the title
        out = {k: v for k, v in record.items() if k not in TEXT_FIELDS}
        for lang in ("en", "es"):
            out[f"title_{lang}"] = record.get(f"title_{lang}", "")
            out[f"summary_{lang}"] = record.get(f"title_{lang}") or record["id"]
            out[f"text_{lang}"] = record.get(f"summary_{lang}", "")
        return out
    keep_en = setting == "en-only" or (setting == "mixed" and position % 2 == 0)
    drop = {f for f in TEXT_FIELDS if (f in EN_FIELDS) != keep_en}
    return {k: v for k, v in record.items() if k not in drop}


def reciprocal_rank(ranked: Sequence[str], target: str) -> float:
    top = list(ranked[:CUTOFF])
    return 1.0 / (top.index(target) + 1) if target in top else 0.0


def evaluate(
    engine_name: str, records: list[dict[str, Any]], queries: list[Query], setting: str
) -> dict[str, dict[str, float]]:
    """MRR@10 and R@1 per question set for one engine on one record setting."""
    with tempfile.TemporaryDirectory(prefix=f"q-{engine_name}-") as tmp:
        engine = make_engine(engine_name, Path(tmp) / "index")
        try:
            engine.add([restrict(r, setting, i) for i, r in enumerate(records)])
            scores: dict[str, dict[str, float]] = {}
            for qset in QUESTION_SETS:
                rrs = [
                    reciprocal_rank(engine.search(question(q, qset), limit=CUTOFF), q["target"])
                    for q in queries
                ]
                scores[qset] = {
                    "mrr@10": sum(rrs) / len(rrs),
                    "r@1": sum(rr == 1.0 for rr in rrs) / len(rrs),
                }
        finally:
            engine.close()
    return scores


def markdown_table(results: dict[str, dict[str, dict[str, dict[str, float]]]]) -> str:
    head = (
        ["engine", "records"]
        + [f"MRR@10 {q}" for q in QUESTION_SETS]
        + [f"R@1 {q}" for q in QUESTION_SETS]
    )
    lines = ["| " + " | ".join(head) + " |", "|" + "---|" * len(head)]
    for engine, by_setting in results.items():
        for setting, scores in by_setting.items():
            cells = [f"{scores[q]['mrr@10']:.3f}" for q in QUESTION_SETS] + [
                f"{scores[q]['r@1']:.3f}" for q in QUESTION_SETS
            ]
            lines.append("| " + " | ".join([engine, setting, *cells]) + " |")
    return "\n".join(lines)


def parse_args(argv: Sequence[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument(
        "--data",
        type=Path,
        default=DEFAULT_DATA,
        help="folder with records.jsonl and dev-queries.jsonl",
    )
    parser.add_argument(
        "--queries",
        type=Path,
        default=None,
        help="query file ({target, en, es} per line); default DATA/dev-queries",
    )
    parser.add_argument(
        "--engines",
        default=",".join(ENGINE_ORDER),
        help="comma-separated subset of: " + ", ".join(ENGINE_ORDER),
    )
    parser.add_argument(
        "--settings",
        default=",".join(DEFAULT_SETTINGS),
        help="comma-separated subset of: " + ", ".join(SETTINGS) + " (default: all but the last)",
    )
    parser.add_argument("--json", type=Path, default=None, help="write the numbers here")
    return parser.parse_args(argv)


def main(argv: Sequence[str] | None = None) -> int:
    args = parse_args(argv)
    print("$ python " + shlex.join(sys.argv))
    records_path = args.data / "records.jsonl"
    queries_path = args.queries or args.data / "dev-queries.jsonl"
    for path in (records_path, queries_path):
        if not path.is_file():
            print(f"skipped: {path} not found (use --data / --queries)")
            return 0
    records, queries = read_jsonl(records_path), read_jsonl(queries_path)
    print(f"{len(records)} records ({records_path}), {len(queries)} queries ({queries_path})\n")

    results: dict[str, dict[str, dict[str, dict[str, float]]]] = {}
    for name in [e for e in ENGINE_ORDER if e in args.engines.split(",")]:
        if not available(name):
            print(f"skipped {name}: not importable")
            continue
        results[name] = {}
        for setting in [s for s in SETTINGS if s in args.settings.split(",")]:
            start = time.perf_counter()
            results[name][setting] = evaluate(name, records, queries, setting)
            print(
                f"  {name} / {setting}: {time.perf_counter() - start:.1f} s",
                file=sys.stderr,
                flush=True,
            )
    print(markdown_table(results))
    if args.json:
        args.json.parent.mkdir(parents=True, exist_ok=True)
        payload = {
            "command": sys.argv,
            "records": str(records_path),
            "queries": str(queries_path),
            "n_queries": len(queries),
            "results": results,
        }
        args.json.write_text(json.dumps(payload, indent=2) + "\n", encoding="utf-8")
        print(f"\nwrote {args.json}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
