"""Shared helpers for the reliability tests: the CLI in a subprocess, synthetic records, and
snapshots of an index that show whether it changed."""

from __future__ import annotations

import hashlib
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import diaspora_search as ds

HERE = Path(__file__).resolve().parent
WORKER = HERE / "_worker.py"
MARKER = "zorblat"
"""A word every synthetic record holds, so one query finds them all."""

_WORDS = (
    "education",
    "migration",
    "diaspora",
    "remittances",
    "consulate",
    "policy",
    "community",
    "integration",
    "health",
    "labour",
    "border",
    "citizenship",
    "language",
    "school",
    "network",
    "identity",
)
_PALABRAS = (
    "educación",
    "migración",
    "diáspora",
    "remesas",
    "consulado",
    "política",
    "comunidad",
    "integración",
    "salud",
    "trabajo",
    "frontera",
    "ciudadanía",
    "lengua",
    "escuela",
    "red",
    "identidad",
)

# The environment of every subprocess: the package importable from the source tree even when
# the tests run from another folder, and no colour codes in the output.
SUBPROCESS_ENV = {**os.environ, "NO_COLOR": "1", "PYTHONIOENCODING": "utf-8"}


def synthetic_record(prefix: str, i: int) -> dict[str, Any]:
    """A bilingual record whose id is ``{prefix}{i}`` and whose text holds ``uniq{prefix}{i}``."""
    words = " ".join(_WORDS[(i + j) % len(_WORDS)] for j in range(24))
    palabras = " ".join(_PALABRAS[(i * 7 + j) % len(_PALABRAS)] for j in range(24))
    tag = unique_word(prefix, i)
    return {
        "id": f"{prefix}{i}",
        "title_en": f"Report {i} on {_WORDS[i % len(_WORDS)]}",
        "title_es": f"Informe {i} sobre {_PALABRAS[i % len(_PALABRAS)]}",
        "summary_en": f"{MARKER} {tag} {words}",
        "summary_es": f"{MARKER} {tag} {palabras}",
        "authors": [f"Author {i % 13}"],
        "year": 1990 + i % 30,
    }


def unique_word(prefix: str, i: int) -> str:
    """The word only record ``{prefix}{i}`` holds (letters only, so no analysis splits it)."""

    def spell(text: str) -> str:  # digits as consonants no stemmer strips
        return "".join("bcdfghjkmp"[int(c)] if c.isdigit() else c for c in text if c.isalnum())

    return f"uniq{spell(prefix.lower())}q{spell(str(i))}x"


def synthetic_records(prefix: str, n: int, start: int = 0) -> list[dict[str, Any]]:
    return [synthetic_record(prefix, i) for i in range(start, start + n)]


def bundled_records() -> list[ds.Record]:
    return ds.read_corpus(ds.bundled_corpus()).records


def run_cli(
    *args: str | os.PathLike[str], cwd: Path | None = None, timeout: float = 120
) -> subprocess.CompletedProcess[str]:
    """``python -m diaspora_search ARGS``: its exit code, stdout and stderr."""
    return subprocess.run(
        [sys.executable, "-m", "diaspora_search", *map(os.fspath, args)],
        cwd=cwd,
        env=SUBPROCESS_ENV,
        capture_output=True,
        text=True,
        encoding="utf-8",
        errors="replace",
        timeout=timeout,
    )


def assert_one_line_error(result: subprocess.CompletedProcess[str], *expected: str) -> str:
    """Exit code 1, no traceback, exactly one line on stderr, holding each of ``expected``."""
    assert "Traceback" not in result.stderr, result.stderr
    assert "Traceback" not in result.stdout, result.stdout
    assert result.returncode == 1, (result.returncode, result.stdout, result.stderr)
    lines = result.stderr.splitlines()
    assert len(lines) == 1, result.stderr
    for part in expected:
        assert part in lines[0], (part, lines[0])
    return lines[0]


PROBE_QUERIES = ("diaspora", "educación", "migrantes", MARKER, "consulado remesas", "IME")


def search_snapshot(path: Path) -> tuple[int, list[list[tuple[str, float]]]]:
    """What searching the index shows: its size and the ranked hits of a few queries."""
    with ds.SearchIndex.open(path) as index:
        hits = [
            [(h.id, round(h.score, 6)) for h in index.search(q, limit=50)] for q in PROBE_QUERIES
        ]
        return len(index), hits


def files_snapshot(path: Path) -> dict[str, str]:
    """Every file of the index folder and a hash of its bytes."""
    return {
        str(f.relative_to(path)): hashlib.sha256(f.read_bytes()).hexdigest()
        for f in sorted(path.rglob("*"))
        if f.is_file()
    }


def worker(*args: str | os.PathLike[str]) -> list[str]:
    """The command line of ``_worker.py`` with ``args``."""
    return [sys.executable, str(WORKER), *map(os.fspath, args)]
