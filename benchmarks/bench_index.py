"""Indexing speed, memory, index size and query latency: diaspora_search against its peers.

Indexes the first N records of the parallel documentation corpus (default: all 51,854 of
``../shared/corpus/records.jsonl``) with each engine of ``baselines.py`` (ours, stock Whoosh with
default writer settings, SQLite FTS5, tantivy if installed), each in its own subprocess so that
peak RSS (``getrusage(RUSAGE_SELF).ru_maxrss`` in the child; it includes the records loaded in
memory, reported apart as ``rss_loaded_mb``) is per engine; ``peak_helper_rss_mb`` is the largest
peak of the engine's own helper processes (ours forks one per extra CPU for large batches), and
"main+helpers" their sum (an upper bound: a forked helper's RSS counts the pages it shares with
the main process). ``--memory-limit MB`` runs every engine's process under that address-space
limit (``RLIMIT_AS``, as ``ulimit -v``; inherited by forked helpers). Sampled from outside
every 20 ms over the engine process's life (``sampled_memory.py``): "sampled PSS", the peak of
the summed proportional set sizes of the process and its helpers (shared pages counted once in
all), and "sampled RSS+USS", the main process's RSS plus the helpers' private pages. The
issue's goal is stated on "main+helpers" (the ``ru_maxrss`` sum); the sampled columns say how
much of it is pages counted twice.
Reports records/s, MB/s of text (UTF-8 bytes of the title and summary fields), peak RSS, index
size on disk and indexing wall time (``add`` through commit), with the ratio of our records/s to
each peer's. Each engine's time includes creating its index, and so importing its package on
first use; before the runs, our package is byte-compiled (``compile_package``), as an install
leaves it, so that no run pays for compiling our modules (stock Whoosh's, from site-packages,
are compiled at install).

Query latency, in the same run: ``--queries`` queries (default 500) of 1 to 4 words drawn
uniformly (seeded) from the distinct words of the English and Spanish summaries, each run with
``limit=10`` on the index just built after 10 warm-up queries; every engine ranks the OR of the
words (FTS5: quoted words joined with OR, ``ORDER BY bm25``, ``LIMIT 10``). p50 and p95 in ms.
A second set ("text"): as many queries of 1 to 4 consecutive words as they occur in a random
summary, stopwords left out, so common words weigh as in real text. ``ours`` searches with
query translation on (its default); ``ours-notranslate`` without. Every search of ours counts
its total; the results-page kinds (``ours-facets``, ``ours-filter``, ``ours-sort``,
``ours-page3``, and ``fts5-total`` that also counts FTS5's matches) are described in
``baselines.py``.

With ``--rounds N``, every engine runs N times, the order alternating; the table shows each
engine's run of median indexing time, and the ratios of ours to each peer are printed round by
round with their median, for indexing and for the latencies (one run's p95 of a few hundred
queries moves with the machine: compare the rounds' neighbours).

Run from the repository root::

    python benchmarks/bench_index.py
    python benchmarks/bench_index.py --limit 10000 --engines ours,fts5 \
        --plot benchmarks/out/bench_index.png
"""

from __future__ import annotations

import argparse
import json
import random
import re
import resource
import shlex
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Sequence
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))
import sampled_memory
from baselines import TEXT_FIELDS, available, make_engine

REPO = Path(__file__).resolve().parents[1]
DEFAULT_CORPUS = REPO.parent / "shared" / "corpus" / "records.jsonl"
DEFAULT_JSON = REPO / "benchmarks" / "out" / "bench_index.json"
ENGINE_ORDER = ("ours", "whoosh", "fts5", "tantivy")
OPTIONAL_ENGINES = (  # (see baselines.py)
    "ours-whoosh-writer",
    "ours-notranslate",
    "ours-facets",
    "ours-filter",
    "ours-sort",
    "ours-page3",
    "ours-snippets",
    "fts5-snippets",
    "fts5-total",
    "ours-fulltext",
    "whoosh-fulltext",
)
WARMUP = 10
_VOCAB_WORD = re.compile(r"[^\W\d_]{3,}")


def load_records(path: Path, limit: int | None) -> list[dict[str, Any]]:
    records: list[dict[str, Any]] = []
    with path.open(encoding="utf-8") as handle:
        for line in handle:
            if limit is not None and len(records) >= limit:
                break
            if line.strip():
                records.append(json.loads(line))
    return records


def text_bytes(records: Sequence[dict[str, Any]]) -> int:
    return sum(len((r.get(f) or "").encode("utf-8")) for r in records for f in TEXT_FIELDS)


def make_queries(records: Sequence[dict[str, Any]], n: int, seed: int) -> list[str]:
    """``n`` queries of 1 to 4 distinct words from the summaries' vocabulary, seeded: every
    distinct word equally likely (rare words dominate)."""
    vocab: set[str] = set()
    for rec in records:
        for field in ("summary_en", "summary_es"):
            vocab.update(w.lower() for w in _VOCAB_WORD.findall(rec.get(field) or ""))
    words, rng = sorted(vocab), random.Random(seed)
    return [" ".join(rng.sample(words, rng.randint(1, 4))) for _ in range(n)]


def make_text_queries(records: Sequence[dict[str, Any]], n: int, seed: int) -> list[str]:
    """``n`` queries of 1 to 4 consecutive words as they occur in a random summary (words of
    3 letters or more, stopwords of either language left out), seeded: words as frequent as
    they are in text."""
    from diaspora_search import Language
    from diaspora_search.analysis.stopwords import is_stopword

    rng = random.Random(seed)
    out: list[str] = []
    while len(out) < n and records:
        rec = records[rng.randrange(len(records))]
        text = rec.get(rng.choice(("summary_en", "summary_es"))) or ""
        words = [
            w
            for w in _VOCAB_WORD.findall(text)
            if not any(is_stopword(w.lower(), lang) for lang in Language)
        ]
        if words:
            start = rng.randrange(len(words))
            out.append(" ".join(words[start : start + rng.randint(1, 4)]))
    return out


def time_queries(engine: Any, queries: Sequence[str]) -> dict[str, float]:
    """p50 and p95 in ms of ``queries`` on ``engine``, after a few warm-up queries."""
    for query in queries[:WARMUP]:
        engine.search(query, limit=10)
    times = []
    for query in queries:
        t0 = time.perf_counter()
        engine.search(query, limit=10)
        times.append((time.perf_counter() - t0) * 1000)
    return {"p50": percentile(times, 50), "p95": percentile(times, 95)}


def dir_size(path: Path) -> int:
    return sum(p.stat().st_size for p in path.rglob("*") if p.is_file())


def peak_rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # KiB on Linux


def peak_helper_rss_mb() -> float:
    """The largest peak RSS among the engine's own helper processes (ours forks builders)."""
    return resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024


def percentile(values: Sequence[float], q: float) -> float:
    return statistics.quantiles(values, n=100, method="inclusive")[round(q) - 1]


def run_child(
    engine_name: str, corpus: Path, limit: int | None, n_queries: int, seed: int
) -> dict[str, Any]:
    """Index, measure and query with one engine; called in a fresh process."""
    records = load_records(corpus, limit)
    queries = make_queries(records, n_queries, seed)
    text_queries = make_text_queries(records, n_queries, seed)
    result: dict[str, Any] = {
        "engine": engine_name,
        "records": len(records),
        "text_mb": text_bytes(records) / 1e6,
        "rss_loaded_mb": peak_rss_mb(),
    }
    with tempfile.TemporaryDirectory(prefix=f"bench-{engine_name}-") as tmp:
        folder = Path(tmp) / "index"
        start = time.perf_counter()
        engine = make_engine(engine_name, folder)
        engine.add(records)
        seconds = time.perf_counter() - start
        result.update(
            seconds=seconds,
            records_per_s=len(records) / seconds,
            mb_per_s=result["text_mb"] / seconds,
            peak_rss_mb=peak_rss_mb(),
            peak_helper_rss_mb=peak_helper_rss_mb(),
            index_mb=dir_size(folder) / 1e6,
        )
        if queries:
            uniform = time_queries(engine, queries)
            text = time_queries(engine, text_queries)
            result.update(
                p50_ms=uniform["p50"],
                p95_ms=uniform["p95"],
                p50_text_ms=text["p50"],
                p95_text_ms=text["p95"],
            )
        engine.close()
    return result


def spawn(engine_name: str, args: argparse.Namespace) -> dict[str, Any] | None:
    cmd = [
        sys.executable,
        str(Path(__file__).resolve()),
        "--child",
        engine_name,
        "--corpus",
        str(args.corpus),
        "--queries",
        str(args.queries),
        "--seed",
        str(args.seed),
    ]
    if args.limit is not None:
        cmd += ["--limit", str(args.limit)]
    limit_bytes = args.memory_limit * 1024 * 1024 if args.memory_limit else None

    def limit_memory() -> None:
        if limit_bytes is not None:
            resource.setrlimit(resource.RLIMIT_AS, (limit_bytes, limit_bytes))

    proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, text=True, preexec_fn=limit_memory)
    sampler = sampled_memory.Sampler(proc.pid).start() if sampled_memory.available() else None
    out, _ = proc.communicate()
    peaks = sampler.stop() if sampler is not None else None
    if proc.returncode != 0:
        print(f"{engine_name}: child failed with exit status {proc.returncode}", file=sys.stderr)
        return None
    result = dict(json.loads(out.strip().splitlines()[-1]))
    if peaks is not None:
        result.update(peaks.as_mb())
    return result


def median_run(found: list[dict[str, Any]]) -> dict[str, Any]:
    """The run of median indexing time (of several rounds), with every round's seconds."""
    ordered = sorted(found, key=lambda r: r["seconds"])
    chosen = dict(ordered[(len(ordered) - 1) // 2])
    chosen["rounds_seconds"] = [r["seconds"] for r in found]
    return chosen


def round_ratios(
    runs: dict[str, list[dict[str, Any]]], mine: str = "ours", peers: Sequence[str] | None = None
) -> list[str]:
    """Our records/s over each peer's (``mine``'s over ``peers``', by default every other
    engine's), round by round (each round's runs are neighbours)."""
    ours = runs.get(mine, [])
    lines = []
    for name, found in runs.items():
        if name == mine or (peers is not None and name not in peers):
            continue
        if len(found) != len(ours) or len(ours) < 2:
            continue
        ratios = [o["records_per_s"] / r["records_per_s"] for o, r in zip(ours, found, strict=True)]
        lines.append(
            f"{mine} rec/s ÷ {name}, round by round: "
            + ", ".join(f"{x:.2f}" for x in ratios)
            + f" (median {statistics.median(ratios):.2f})"
        )
        # Latency too, round by round: one run's p95 of a few hundred queries moves with the
        # machine, and the rounds' neighbours share its state.
        for key, label in LATENCY_KEYS:
            pairs = [(o.get(key), r.get(key)) for o, r in zip(ours, found, strict=True)]
            if all(a and b for a, b in pairs):
                ratios = [a / b for a, b in pairs]
                lines.append(
                    f"latency {mine} ÷ {name}, {label}, round by round: "
                    + ", ".join(f"{x:.2f}" for x in ratios)
                    + f" (median {statistics.median(ratios):.2f})"
                )
    return lines


LATENCY_KEYS = (
    ("p95_ms", "p95 uniform words"),
    ("p95_text_ms", "p95 words as in text"),
    ("p50_ms", "p50 uniform words"),
    ("p50_text_ms", "p50 words as in text"),
)


def fmt(value: Any, digits: int = 1) -> str:
    return f"{value:,.{digits}f}" if isinstance(value, float | int) else "-"


def table(results: list[dict[str, Any]]) -> str:
    ours = next((r for r in results if r["engine"] == "ours"), None)
    head = [
        "engine",
        "records",
        "seconds",
        "records/s",
        "MB/s",
        "peak RSS MB",
        "helper RSS MB",
        "main+helpers MB",
        "sampled PSS MB",
        "sampled RSS+USS MB",
        "index MB",
        "p50 ms",
        "p95 ms",
        "p50 ms text",
        "p95 ms text",
        "ours rec/s ÷ this",
    ]
    lines = ["| " + " | ".join(head) + " |", "|" + "---|" * len(head)]
    for r in results:
        ratio = ours["records_per_s"] / r["records_per_s"] if ours else None
        cells = [
            r["engine"],
            f"{r['records']:,}",
            fmt(r["seconds"]),
            fmt(r["records_per_s"], 0),
            fmt(r["mb_per_s"], 2),
            fmt(r["peak_rss_mb"], 0),
            fmt(r.get("peak_helper_rss_mb"), 0),
            fmt(r["peak_rss_mb"] + (r.get("peak_helper_rss_mb") or 0.0), 0),
            fmt(r.get("sampled_pss_mb"), 0),
            fmt(r.get("sampled_rss_uss_mb"), 0),
            fmt(r["index_mb"]),
            fmt(r.get("p50_ms"), 2),
            fmt(r.get("p95_ms"), 2),
            fmt(r.get("p50_text_ms"), 2),
            fmt(r.get("p95_text_ms"), 2),
            fmt(ratio, 2),
        ]
        lines.append("| " + " | ".join(cells) + " |")
    return "\n".join(lines)


def memory_breakdown(results: list[dict[str, Any]]) -> list[str]:
    """Per engine, each process's RSS, PSS and private MB at the sampled PSS peak."""
    lines = []
    for r in results:
        found = r.get("at_pss_peak_mb")
        if found:
            parts = [f"{u['rss']:.0f}/{u['pss']:.0f}/{u['private']:.0f}" for u in found]
            lines.append(f"{r['engine']} at its PSS peak, RSS/PSS/private MB: " + ", ".join(parts))
        hwm = r.get("sampled_helper_hwm_mb")
        if hwm:
            own = r["peak_rss_mb"] + hwm
            lines.append(
                f"{r['engine']}: largest helper's own peak (sampled VmHWM) {hwm:.0f} MB; "
                f"main + it {own:.0f} MB (its ru_maxrss counts its parent's pages at spawn)"
            )
    return lines


def latency_ratios(results: list[dict[str, Any]]) -> list[str]:
    by_name = {r["engine"]: r for r in results}
    ours = by_name.get("ours")
    if not ours or "p50_ms" not in ours:
        return []
    lines = []
    for name, r in by_name.items():
        if name == "ours" or "p50_ms" not in r:
            continue
        line = (
            f"latency ours ÷ {name}: uniform words p50 {ours['p50_ms'] / r['p50_ms']:.2f}, "
            f"p95 {ours['p95_ms'] / r['p95_ms']:.2f}"
        )
        if "p50_text_ms" in r and "p50_text_ms" in ours:
            line += (
                f"; words as in text p50 {ours['p50_text_ms'] / r['p50_text_ms']:.2f}, "
                f"p95 {ours['p95_text_ms'] / r['p95_text_ms']:.2f}"
            )
        lines.append(line)
    return lines


def plot(results: list[dict[str, Any]], path: Path) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    names = [r["engine"] for r in results]
    panels = [
        ("records_per_s", "records / s (higher is better)"),
        ("peak_rss_mb", "peak RSS MB"),
        ("p50_ms", "query p50 ms (lower is better)"),
    ]
    fig, axes = plt.subplots(1, len(panels), figsize=(4 * len(panels), 3.5))
    for ax, (key, title) in zip(axes, panels, strict=True):
        ax.bar(names, [r.get(key, 0.0) for r in results], color="tab:blue")
        ax.set_title(title, fontsize=10)
        ax.tick_params(axis="x", labelrotation=30)
    fig.suptitle(f"indexing {results[0]['records']:,} records")
    fig.tight_layout()
    path.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(path, dpi=120)


def parse_args(argv: Sequence[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--corpus", type=Path, default=DEFAULT_CORPUS)
    parser.add_argument("--limit", type=int, default=None, help="first N records only")
    parser.add_argument(
        "--engines",
        default=",".join(ENGINE_ORDER),
        help="comma-separated subset of: " + ", ".join(ENGINE_ORDER + OPTIONAL_ENGINES),
    )
    parser.add_argument("--queries", type=int, default=500, help="latency queries (0: none)")
    parser.add_argument("--seed", type=int, default=20240601)
    parser.add_argument(
        "--rounds", type=int, default=1, help="run every engine N times, order alternating"
    )
    parser.add_argument(
        "--memory-limit",
        type=int,
        default=None,
        metavar="MB",
        help="address-space limit (RLIMIT_AS) of every engine's process",
    )
    parser.add_argument("--json", type=Path, default=DEFAULT_JSON)
    parser.add_argument("--plot", type=Path, default=None, help="bar chart (PNG) here")
    parser.add_argument("--child", default=None, help=argparse.SUPPRESS)
    return parser.parse_args(argv)


def compile_package() -> None:
    """Byte-compile diaspora_search where the engines will import it from. An install compiles
    a package's modules; a checkout run with ``PYTHONDONTWRITEBYTECODE`` set (or never run
    before) would compile all of ours in every engine process, about 0.07 s that no installed
    user pays, against Whoosh's modules compiled at install."""
    import compileall
    import importlib.util

    spec = importlib.util.find_spec("diaspora_search")
    if spec is not None and spec.origin is not None:
        compileall.compile_dir(Path(spec.origin).parent, quiet=1)


def main(argv: Sequence[str] | None = None) -> int:
    args = parse_args(argv)
    if args.child:
        result = run_child(args.child, args.corpus, args.limit, args.queries, args.seed)
        print(json.dumps(result))
        return 0
    print("$ python " + shlex.join(sys.argv))
    if not args.corpus.is_file():
        print(f"skipped: corpus {args.corpus} not found (use --corpus)")
        return 0
    compile_package()
    names = []
    for name in [e for e in ENGINE_ORDER + OPTIONAL_ENGINES if e in args.engines.split(",")]:
        if available(name):
            names.append(name)
        else:
            print(f"skipped {name}: not importable")
    runs: dict[str, list[dict[str, Any]]] = {name: [] for name in names}
    for round_ in range(args.rounds):
        # Alternate the order (A B, B A, ...): the machine's drift falls on every engine alike.
        for name in names if round_ % 2 == 0 else names[::-1]:
            print(f"  running {name} (round {round_ + 1}) ...", file=sys.stderr, flush=True)
            result = spawn(name, args)
            if result is not None:
                runs[name].append(result)
    results = [median_run(found) for found in runs.values() if found]
    if not results:
        return 1
    print(table(results))
    for line in memory_breakdown(results) + latency_ratios(results):
        print(line)
    # (With snippets made: ours reading each hit's snippet, FTS5 selecting snippet().)
    for line in round_ratios(runs) + round_ratios(runs, "ours-snippets", ["fts5-snippets"]):
        print(line)
    args.json.parent.mkdir(parents=True, exist_ok=True)
    payload = {"command": sys.argv, "corpus": str(args.corpus), "results": results}
    args.json.write_text(json.dumps(payload, indent=2) + "\n", encoding="utf-8")
    print(f"wrote {args.json}")
    if args.plot:
        plot(results, args.plot)
        print(f"wrote {args.plot}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
