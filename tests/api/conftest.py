"""A collection with every key a results page reads: years and dates, sources, authors, tags,
full text, in three segments with deletions."""

from __future__ import annotations

import random
from pathlib import Path
from typing import Any

import pytest

import diaspora_search as ds
from tests.fixtures.synthetic import synthetic_records

TAGS = ["remesas", "salud", "educación", "consulados", "migration"]
RECORDS = 1_200


def collection() -> list[dict[str, Any]]:
    rng = random.Random(3)
    records = synthetic_records(RECORDS, seed=13)
    for i, record in enumerate(records):
        if rng.random() < 0.6:
            record["tags"] = rng.sample(TAGS, 1 + int(rng.random() * 2))
        if i % 7 == 0 and "year" in record:
            record["date"] = f"{record['year']}-0{1 + i % 9}"
        if i % 5 == 0:
            lang = "en" if "summary_en" in record else "es"
            record[f"text_{lang}"] = record[f"summary_{lang}"] + " " + record[f"summary_{lang}"]
        if i % 11 == 0 and len(record.get("authors", ())) == 1:
            record["authors"] = [*record["authors"], "Ana Pérez"]
    return records


@pytest.fixture(scope="session")
def page_index(tmp_path_factory: pytest.TempPathFactory) -> ds.SearchIndex:
    records = collection()
    index = ds.SearchIndex.create(tmp_path_factory.mktemp("page") / "index")
    index.add(records[:500])
    index.add(records[500:900])
    index.add(records[900:])
    index.delete([r["id"] for r in records[450:520]])
    return index


@pytest.fixture(scope="session")
def all_ids(page_index: ds.SearchIndex) -> list[str]:
    return [r["id"] for r in collection() if page_index.get(r["id"]) is not None]


@pytest.fixture
def tmp_index(tmp_path: Path) -> ds.SearchIndex:
    return ds.SearchIndex.create(tmp_path / "index")
