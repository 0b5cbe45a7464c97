"""Packaging: one version, a licence, every bundled data file with its licence, docs that ship."""

from __future__ import annotations

import re
import sys
from pathlib import Path

import pytest

import diaspora_search as ds

ROOT = Path(__file__).resolve().parents[1]
DATA = ROOT / "src" / "diaspora_search" / "data"
SRC = ROOT / "src" / "diaspora_search"


def pyproject() -> dict[str, object]:
    if sys.version_info < (3, 11):
        pytest.skip("tomllib needs Python 3.11")
    import tomllib

    return tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))


def test_the_version_has_one_source() -> None:
    project = pyproject()["project"]
    assert isinstance(project, dict)
    assert "version" not in project and project["dynamic"] == ["version"]
    tool = pyproject()["tool"]
    assert isinstance(tool, dict)
    assert tool["hatch"]["version"]["path"] == "src/diaspora_search/_version.py"
    assert re.fullmatch(r"\d+\.\d+\.\d+", ds.__version__)


def test_the_licence_is_mit_as_declared() -> None:
    assert (ROOT / "LICENSE").read_text(encoding="utf-8").startswith("MIT License\n")
    project = pyproject()["project"]
    assert isinstance(project, dict)
    assert str(project["license"]).startswith("MIT")
    assert {"LICENSE", "NOTICE"} <= set(project["license-files"])  # type: ignore[arg-type]


def test_every_bundled_data_file_is_named_by_a_notice_in_the_package() -> None:
    notices = " ".join(p.read_text(encoding="utf-8") for p in DATA.glob("NOTICE-*"))
    shipped = [p.name for p in DATA.iterdir() if not p.name.startswith("NOTICE-")]
    shipped.append("ime.jsonl")  # (copied into data/ by the wheel build: pyproject.toml)
    for name in shipped:
        assert name in notices, f"{name} has no NOTICE in diaspora_search/data/"


def test_docstrings_cite_only_what_ships() -> None:
    # The API reference is docs/api.md (in the source distribution), not a file elsewhere.
    for path in SRC.rglob("*.py"):
        assert "CONTRACT.md" not in path.read_text(encoding="utf-8"), path
    assert (ROOT / "docs" / "api.md").is_file()
