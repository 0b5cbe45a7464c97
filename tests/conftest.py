"""Shared fixtures: real Whoosh indexes on disk, built from the bundled corpus."""

from __future__ import annotations

from pathlib import Path

import pytest

import diaspora_search as ds

REPO = Path(__file__).resolve().parents[1]
SHARED = REPO.parent / "shared"


@pytest.fixture(scope="session")
def bundled_records() -> list[ds.Record]:
    return ds.read_corpus(ds.bundled_corpus()).records


@pytest.fixture(scope="session")
def ime_index(tmp_path_factory: pytest.TempPathFactory, bundled_records: list[ds.Record]):
    """The bundled IME corpus in an index, shared by read-only tests."""
    index = ds.SearchIndex.create(tmp_path_factory.mktemp("ime") / "index")
    index.add(bundled_records)
    yield index
    index.close()


@pytest.fixture
def empty_index(tmp_path: Path):
    index = ds.SearchIndex.create(tmp_path / "index")
    yield index
    index.close()
