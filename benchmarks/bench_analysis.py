"""Analysis throughput: ``ds.analyze`` against stock Whoosh analyzers, in the same run.

Analyzes every ``summary_en`` of the corpus (default ``../shared/corpus/records.jsonl``) as
English and every ``summary_es`` as Spanish, with ``ds.analyze(text, lang)`` and with Whoosh's
``StemmingAnalyzer()`` (en) and ``LanguageAnalyzer("es")`` (es), consuming every token
(``[t.text for t in analyzer(text)]``). Reports, per language and engine, the best of
``--repeat`` passes: tokens/s (tokens each engine emits), MB/s of input text (UTF-8), and the ratio
ours ÷ whoosh of MB/s (the same texts, so it is the inverse ratio of times).

Run from the repository root::

    python benchmarks/bench_analysis.py
    python benchmarks/bench_analysis.py --limit 10000 --repeat 5 --json benchmarks/out/analysis.json
"""

from __future__ import annotations

import argparse
import json
import shlex
import sys
import time
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parents[1]
DEFAULT_CORPUS = REPO.parent / "shared" / "corpus" / "records.jsonl"
LANGS = ("en", "es")

Analyzer = Callable[[str], list[str]]


def load_texts(path: Path, limit: int | None) -> dict[str, list[str]]:
    """The non-empty ``summary_en`` and ``summary_es`` texts of the first ``limit`` records."""
    texts: dict[str, list[str]] = {lang: [] for lang in LANGS}
    with path.open(encoding="utf-8") as handle:
        for n, line in enumerate(handle):
            if limit is not None and n >= limit:
                break
            if not line.strip():
                continue
            record = json.loads(line)
            for lang in LANGS:
                if record.get(f"summary_{lang}"):
                    texts[lang].append(record[f"summary_{lang}"])
    return texts


def whoosh_analyzers() -> dict[str, Analyzer]:
    from whoosh.analysis import LanguageAnalyzer, StemmingAnalyzer

    def wrap(analyzer: Any) -> Analyzer:
        return lambda text: [t.text for t in analyzer(text)]

    return {"en": wrap(StemmingAnalyzer()), "es": wrap(LanguageAnalyzer("es"))}


def ours_analyzers() -> dict[str, Analyzer]:
    import diaspora_search as ds

    return {lang: (lambda text, lang=lang: ds.analyze(text, lang)) for lang in LANGS}


def best_pass(analyzer: Analyzer, texts: Sequence[str], repeat: int) -> tuple[float, int]:
    """The fastest of ``repeat`` passes over ``texts``: (seconds, tokens emitted)."""
    best, tokens = float("inf"), 0
    for _ in range(repeat):
        start = time.perf_counter()
        tokens = sum(len(analyzer(text)) for text in texts)
        best = min(best, time.perf_counter() - start)
    return best, tokens


def measure(
    engines: dict[str, dict[str, Analyzer]], texts: dict[str, list[str]], repeat: int
) -> list[dict[str, Any]]:
    """Best of ``repeat`` rounds per engine; each round runs every engine once in turn, so a
    machine that speeds up or slows down meanwhile affects all engines alike."""
    rows = []
    for lang in LANGS:
        mb = sum(len(t.encode("utf-8")) for t in texts[lang]) / 1e6
        best = {name: (float("inf"), 0) for name in engines}
        for analyzers in engines.values():
            analyzers[lang](texts[lang][0] if texts[lang] else "")  # warm caches and imports
        for _ in range(repeat):
            for name, analyzers in engines.items():
                seconds, tokens = best_pass(analyzers[lang], texts[lang], 1)
                best[name] = min(best[name], (seconds, tokens))
        for name, (seconds, tokens) in best.items():
            rows.append(
                {
                    "engine": name,
                    "lang": lang,
                    "texts": len(texts[lang]),
                    "mb": mb,
                    "tokens": tokens,
                    "seconds": seconds,
                    "tokens_per_s": tokens / seconds,
                    "mb_per_s": mb / seconds,
                }
            )
    return rows


def report(rows: list[dict[str, Any]]) -> str:
    head = [
        "lang",
        "engine",
        "texts",
        "MB",
        "tokens",
        "best s",
        "tokens/s",
        "MB/s",
        "ours ÷ whoosh (MB/s)",
    ]
    lines = ["| " + " | ".join(head) + " |", "|" + "---|" * len(head)]
    speed = {(r["engine"], r["lang"]): r["mb_per_s"] for r in rows}
    for r in rows:
        ratio = "-"
        if r["engine"] == "ours" and ("whoosh", r["lang"]) in speed:
            ratio = f"{r['mb_per_s'] / speed['whoosh', r['lang']]:.2f}"
        lines.append(
            "| "
            + " | ".join(
                [
                    r["lang"],
                    r["engine"],
                    f"{r['texts']:,}",
                    f"{r['mb']:.2f}",
                    f"{r['tokens']:,}",
                    f"{r['seconds']:.2f}",
                    f"{r['tokens_per_s']:,.0f}",
                    f"{r['mb_per_s']:.2f}",
                    ratio,
                ]
            )
            + " |"
        )
    return "\n".join(lines)


def parse_args(argv: Sequence[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--corpus", type=Path, default=DEFAULT_CORPUS)
    parser.add_argument("--limit", type=int, default=None, help="first N records only")
    parser.add_argument("--repeat", type=int, default=3, help="passes; the best one counts")
    parser.add_argument("--json", type=Path, default=None, help="write the numbers here")
    return parser.parse_args(argv)


def main(argv: Sequence[str] | None = None) -> int:
    args = parse_args(argv)
    print("$ python " + shlex.join(sys.argv))
    if not args.corpus.is_file():
        print(f"skipped: corpus {args.corpus} not found (use --corpus)")
        return 0
    engines = {"whoosh": whoosh_analyzers()}
    try:
        engines = {"ours": ours_analyzers(), **engines}
    except ImportError as err:
        print(f"skipped ours: diaspora_search not importable ({err})")
    rows = measure(engines, load_texts(args.corpus, args.limit), max(1, args.repeat))
    print(report(rows))
    if args.json:
        args.json.parent.mkdir(parents=True, exist_ok=True)
        payload = {"command": sys.argv, "corpus": str(args.corpus), "results": rows}
        args.json.write_text(json.dumps(payload, indent=2) + "\n", encoding="utf-8")
        print(f"wrote {args.json}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
