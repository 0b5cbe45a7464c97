"""A sharded index's results pages: the same totals, facets, filtered hits and pages (within
and past the reranked head, sorted by year or not) as one index."""

from __future__ import annotations

from typing import Any

import pytest

import diaspora_search as ds
from tests.fixtures.synthetic import synthetic_queries, synthetic_records
from tests.sharding._compare import differences

RECORDS = synthetic_records(360)
QUERIES = synthetic_queries(120)
FACETS = ("year", "source", "authors", "tags", "lang")


@pytest.fixture(scope="module")
def pair(tmp_path_factory: pytest.TempPathFactory) -> tuple[ds.SearchIndex, ds.ShardedIndex]:
    root = tmp_path_factory.mktemp("pages")
    one = ds.SearchIndex.create(root / "one")
    one.add(RECORDS)
    sharded = ds.ShardedIndex.create(root / "sharded", shards=3)
    sharded.add(RECORDS)
    return one, sharded


@pytest.mark.parametrize(
    "options",
    [
        {"facets": FACETS},
        {"offset": 10},
        {"offset": 30, "facets": ("year", "lang")},
        {"limit": 50},
    ],
    ids=["facets", "offset", "offset-facets", "limit-50"],
)
def test_totals_facets_and_pages_as_one_index(
    pair: tuple[ds.SearchIndex, ds.ShardedIndex], options: dict[str, Any]
) -> None:
    one, sharded = pair
    assert differences(one, sharded, QUERIES, **options) == []


@pytest.mark.parametrize(
    "filters",
    [
        {"lang": "es"},
        {"year": (2005, 2015)},
        {"source": ["IME", "Migration Policy Institute"]},
        {"year": (None, 2010), "lang": "en"},
    ],
    ids=["lang", "years", "sources", "years-lang"],
)
def test_filtered_pages_as_one_index(
    pair: tuple[ds.SearchIndex, ds.ShardedIndex], filters: dict[str, Any]
) -> None:
    one, sharded = pair
    assert differences(one, sharded, QUERIES, 10, filters=filters, facets=FACETS) == []
    assert differences(one, sharded, QUERIES[:40], 20, offset=40, filters=filters) == []


@pytest.mark.parametrize(
    "options",
    [
        {"offset": 60},
        {"limit": 100},
        {"offset": 45, "limit": 10},
        {"offset": 200, "limit": 30, "facets": ("source",)},
        {"offset": 120, "filters": {"lang": "es"}},
    ],
    ids=["offset-60", "limit-100", "across", "offset-200", "filtered"],
)
def test_pages_past_the_head_as_one_index(
    pair: tuple[ds.SearchIndex, ds.ShardedIndex], options: dict[str, Any]
) -> None:
    """Past the reranked head, each shard's best after the collection's head, merged."""
    one, sharded = pair
    assert one.search("Mexicans").total > 250  # (so that the pages are past the head)
    queries = ["Mexicans", "mexicanos community", "Mexicans OR migrantes", "comunidad -the"]
    options = dict(options)
    limit = options.pop("limit", 10)
    assert differences(one, sharded, queries + QUERIES[:30], limit, **options) == []


def test_time_limit_is_passed_on(pair: tuple[ds.SearchIndex, ds.ShardedIndex]) -> None:
    _, sharded = pair
    assert sharded.search("migrantes", time_limit=30).total >= 0
    with pytest.raises(ds.QueryTimeoutError):
        sharded.search("migrantes mexicanos the of", time_limit=1e-9)
    with pytest.raises(ds.QueryError, match="time_limit"):
        sharded.search("migrantes", time_limit=0)


@pytest.mark.parametrize(
    "options",
    [
        {"sort": "year"},
        {"sort": "-year", "offset": 20},
        {"sort": "year", "offset": 70, "limit": 30},
        {"sort": "-year", "filters": {"lang": "es"}, "facets": ("year",)},
        {"sort": "year", "filters": {"year": (2000, None)}, "offset": 55},
    ],
    ids=["year", "-year-offset", "year-past-head", "-year-filtered", "year-ranged"],
)
def test_sorted_by_year_as_one_index(
    pair: tuple[ds.SearchIndex, ds.ShardedIndex], options: dict[str, Any]
) -> None:
    one, sharded = pair
    options = dict(options)
    limit = options.pop("limit", 10)
    queries = ["Mexicans", "mexicanos community", "Mexicans OR migrantes", "comunidad -the"]
    assert differences(one, sharded, queries + QUERIES[:40], limit, **options) == []


def test_a_page_past_the_head_of_few_matches_is_answered(
    pair: tuple[ds.SearchIndex, ds.ShardedIndex],
) -> None:
    """Limit and offset past the head are answered when the head holds every match."""
    one, sharded = pair
    rare = next(q for q in QUERIES if 0 < one.search(q, limit=50).total <= 50)
    assert differences(one, sharded, [rare], 100) == []
    assert differences(one, sharded, [rare], 100, offset=2) == []


def test_bad_options_are_refused_as_by_one_index(
    pair: tuple[ds.SearchIndex, ds.ShardedIndex],
) -> None:
    _, sharded = pair
    for options in ({"offset": -1}, {"filters": {"colour": "red"}}, {"facets": ["colour"]}):
        with pytest.raises(ds.QueryError):
            sharded.search("Mexicans", **options)
