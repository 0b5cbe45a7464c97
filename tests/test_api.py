"""The public facade: names from CONTRACT.md, a sorted __all__, frozen values."""

from __future__ import annotations

import dataclasses
import subprocess
import sys

import pytest

import diaspora_search as ds

CONTRACT_NAMES = [
    "analyze",
    "fold",
    "SearchIndex",
    "Results",
    "Hit",
    "Record",
    "DiasporaSearchError",
]


@pytest.mark.parametrize("name", CONTRACT_NAMES)
def test_contract_name_is_exported(name: str) -> None:
    assert name in ds.__all__
    assert getattr(ds, name) is not None


def _isort_key(name: str) -> tuple[int, str]:
    # Constants, then classes, then the rest (the order ruff's RUF022 keeps).
    return (0 if name.isupper() else 1 if name[0].isupper() else 2, name)


def test_all_is_sorted_and_complete() -> None:
    assert ds.__all__ == sorted(ds.__all__, key=_isort_key)
    # The subpackages are the library's own layers (see the README's layout), not its API.
    layers = {"analysis", "query", "search", "sharding", "storage", "translation"}
    public = {n for n in dir(ds) if not n.startswith("_")} - layers
    assert public <= set(ds.__all__) | {"annotations"}


def test_every_error_derives_from_the_base() -> None:
    errors = [getattr(ds, n) for n in ds.__all__ if n.endswith("Error")]
    assert len(errors) >= 7
    for error in errors:
        assert issubclass(error, ds.DiasporaSearchError)


def test_hit_is_frozen() -> None:
    hit = ds.Hit(id="a", score=1.0, lang="es", title="t", snippet="s")
    with pytest.raises(dataclasses.FrozenInstanceError):
        hit.score = 2.0  # type: ignore[misc]


def test_record_is_frozen_and_round_trips() -> None:
    record = ds.Record.from_dict({"id": "x", "summary_en": "text", "authors": ["A"], "year": 2009})
    assert record.to_dict() == {"id": "x", "summary_en": "text", "authors": ["A"], "year": 2009}
    with pytest.raises(dataclasses.FrozenInstanceError):
        record.id = "y"  # type: ignore[misc]


def test_results_is_a_list_of_hits_with_a_correction() -> None:
    hit = ds.Hit(id="a", score=1.0, lang="en", title="", snippet="")
    results = ds.Results([hit], corrected_query="x")
    assert results == [hit]
    assert results.corrected_query == "x"
    assert ds.Results().corrected_query is None


def test_import_loads_neither_sharding_nor_whooshs_search_modules() -> None:
    # (both are loaded on first use: indexing needs neither, and a small batch's time is
    # mostly start-up)
    code = (
        "import sys, diaspora_search as ds; "
        "print(sorted(m for m in ('diaspora_search.sharding', 'whoosh.searching', "
        "'whoosh.collectors', 'dask') if m in sys.modules)); "
        "print(ds.ShardedIndex.__name__, 'ShardedIndex' in dir(ds))"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert done.stdout.split("\n")[:2] == ["[]", "ShardedIndex True"]
