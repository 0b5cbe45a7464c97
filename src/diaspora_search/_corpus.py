"""The bundled corpus: the IME articles, in English and Spanish."""

from __future__ import annotations

from importlib import resources
from pathlib import Path


def bundled_corpus() -> Path:
    """The path of the bundled corpus (``ime.jsonl``), installed or in a source checkout."""
    installed = resources.files("diaspora_search") / "data" / "ime.jsonl"
    if installed.is_file():
        return Path(str(installed))
    return Path(__file__).resolve().parents[2] / "corpus" / "ime.jsonl"
