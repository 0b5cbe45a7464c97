"""scripts/build_lexicon.py end to end on a tiny wordnet in the real formats."""

from __future__ import annotations

import gzip
import subprocess
import sys
from pathlib import Path

from diaspora_search import Language
from diaspora_search.translation.lexicon import lexicon_pairs
from diaspora_search.translation.table import TranslationTable

HERE = Path(__file__).resolve().parent
SCRIPT = HERE.parents[1] / "scripts" / "build_lexicon.py"


def build(tmp_path: Path) -> tuple[Path, str]:
    out = tmp_path / "lexicon.tsv.gz"
    done = subprocess.run(
        [
            sys.executable,
            str(SCRIPT),
            "--lexicon",
            str(HERE / "data" / "lexicon"),
            "--out",
            str(out),
        ],
        capture_output=True,
        text=True,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    return out, gzip.decompress(out.read_bytes()).decode("utf-8")


def test_pairs_join_by_synset_and_count_across_sources(tmp_path: Path) -> None:
    _, text = build(tmp_path)
    rows = {(en, es): n for en, es, n in lexicon_pairs(text)}
    assert rows == {
        ("school", "escuela"): 2,  # in both Spanish wordnets
        ("schoolhouse", "escuela"): 2,
        ("school", "colegio"): 1,
        ("schoolhouse", "colegio"): 1,
        ("page", "página"): 1,
        ("radio", "radio"): 1,  # identical pairs stay
        ("teach", "enseñar"): 1,
        ("able", "capaz"): 1,
        ("handy", "a mano"): 1,  # a satellite joins data.adj; "_" is a space, case folded
        ("ready to hand", "a mano"): 1,  # the "(p)" marker is gone
    }


def test_output_is_deterministic_and_loads(tmp_path: Path) -> None:
    out, text = build(tmp_path)
    first = out.read_bytes()
    build(tmp_path)
    assert out.read_bytes() == first
    table = TranslationTable.from_pairs(list(lexicon_pairs(text)))
    assert table.translations(Language.EN, "school") == (("escuel", 2 / 3), ("colegi", 1 / 3))


def test_missing_folder_is_one_line_and_exit_1(tmp_path: Path) -> None:
    done = subprocess.run(
        [sys.executable, str(SCRIPT), "--lexicon", str(tmp_path), "--out", str(tmp_path / "x.gz")],
        capture_output=True,
        text=True,
        check=False,
    )
    assert done.returncode == 1
    assert done.stderr.startswith("build_lexicon: ") and done.stderr.count("\n") == 1
