"""Results for a results page: paging, totals, filters, sorting and facets, each checked
against a plain computation over the records (``get``) or one long list."""

from __future__ import annotations

import itertools
from collections import Counter
from typing import Any

import pytest

import diaspora_search as ds
from tests.fixtures.synthetic import synthetic_queries

QUERIES = [
    *[q for q in synthetic_queries(40, seed=5) if q.strip()][:8],
    "migrantes",
    "community policy",
    '"Estados Unidos" -consejo',
    "political OR política",
]
FILTERS: list[dict[str, Any]] = [
    {"year": (2000, 2010)},
    {"year": (None, 1995)},
    {"year": (2015, None)},
    {"source": "IME"},
    {"source": ["IME", "Migration Policy Institute"]},
    {"authors": "Ana Pérez"},
    {"tags": ["salud", "remesas"]},
    {"lang": "es"},
    {"lang": "EN", "year": (1990, 2020), "tags": "migration"},
]
LONG = 10_000


def ids(results: ds.Results) -> list[str]:
    return [hit.id for hit in results]


def passes(record: ds.Record, filters: dict[str, Any]) -> bool:
    """The filter as the contract states it, in plain Python over a stored record."""
    for key, wanted in filters.items():
        if key == "year":
            lo, hi = wanted
            if record.year is None or (lo is not None and record.year < lo):
                return False
            if hi is not None and record.year > hi:
                return False
        elif key == "lang":
            code = wanted.lower()
            text = [getattr(record, f"{part}_{code}") for part in ("title", "summary", "text")]
            if not any(text):
                return False
        else:
            values = {wanted} if isinstance(wanted, str) else set(wanted)
            held = {record.source} if key == "source" else set(getattr(record, key))
            if not values & held:
                return False
    return True


def facet_values(record: ds.Record, name: str) -> set[str]:
    if name == "year":
        return {str(record.year)} if record.year is not None else set()
    if name == "source":
        return {record.source} if record.source else set()
    if name == "lang":
        return {
            code
            for code in ("en", "es")
            if any(getattr(record, f"{part}_{code}") for part in ("title", "summary", "text"))
        }
    return set(getattr(record, name))


@pytest.mark.parametrize("query", QUERIES)
@pytest.mark.parametrize("sort", ["relevance", "year", "-year"])
def test_pages_are_slices_of_one_long_list(
    page_index: ds.SearchIndex, query: str, sort: str
) -> None:
    long = page_index.search(query, limit=LONG, sort=sort)
    assert long.total == len(long)
    for size in (7, 25):
        paged: list[str] = []
        for offset in range(0, min(len(long), 75) + size, size):
            page = page_index.search(query, limit=size, offset=offset, sort=sort)
            assert page.total == long.total
            assert page.corrected_query == long.corrected_query
            paged += ids(page)
        assert paged == ids(long)[: len(paged)]
        assert len(paged) == min(len(long), len(paged))


def test_a_page_past_the_end_is_empty_with_the_total(page_index: ds.SearchIndex) -> None:
    results = page_index.search("migrantes", offset=100_000)
    assert list(results) == [] and results.total > 0


@pytest.mark.parametrize("query", QUERIES)
def test_total_and_facets_are_counts_over_every_match(
    page_index: ds.SearchIndex, query: str
) -> None:
    names = ["year", "source", "authors", "tags", "lang"]
    page = page_index.search(query, limit=5, facets=names)
    long = page_index.search(query, limit=LONG)
    assert page.total == len(long)
    records = [page_index.get(hit.id) for hit in long]
    for name in names:
        expected = Counter(v for r in records if r is not None for v in facet_values(r, name))
        assert page.facets[name] == dict(expected), name
    # The most frequent values first.
    for counts in page.facets.values():
        assert list(counts.values()) == sorted(counts.values(), reverse=True)


def test_total_is_the_brute_force_count_of_a_word(
    page_index: ds.SearchIndex, all_ids: list[str]
) -> None:
    """One English word, without translation: the records whose English text holds its term
    (or whose names hold the word)."""
    for word in ("community", "policy", "migration"):
        term = ds.analyze(word, "en")[0]
        expected = set()
        for rid in all_ids:
            record = page_index.get(rid)
            assert record is not None
            text = "\n".join([record.title_en, record.summary_en, record.text_en])
            names = " ".join([*record.authors, record.source]).lower().split()
            if term in ds.analyze(text, "en") or word in names:
                expected.add(rid)
        results = page_index.search(word, lang="en", translate=False, limit=LONG)
        assert results.total == len(expected) > 0, word
        assert set(ids(results)) == expected, word


@pytest.mark.parametrize("filters", FILTERS, ids=[str(f) for f in FILTERS])
@pytest.mark.parametrize("query", QUERIES[::2])
def test_filters_keep_exactly_the_records_a_plain_filter_keeps(
    page_index: ds.SearchIndex, all_ids: list[str], query: str, filters: dict[str, Any]
) -> None:
    long = page_index.search(query, limit=LONG)
    filtered = page_index.search(query, limit=LONG, filters=filters)
    kept = [hit for hit in long if passes(page_index.get(hit.id), filters)]  # type: ignore[arg-type]
    if long.corrected_query is None and filtered.corrected_query is None:
        # Same records, same order, same scores: filters only choose which records count.
        assert [(h.id, h.score) for h in filtered] == [(h.id, h.score) for h in kept]
        assert filtered.total == len(kept)
    # And every id of the index, filtered in Python, agrees with the filter as a query.
    allowed = {rid for rid in all_ids if passes(page_index.get(rid), filters)}  # type: ignore[arg-type]
    assert set(ids(filtered)) <= allowed


@pytest.mark.parametrize("sort", ["year", "-year"])
def test_sort_by_year_is_deterministic_ties_in_relevance_order(
    page_index: ds.SearchIndex, sort: str
) -> None:
    relevance = ids(page_index.search("migrantes community", limit=LONG))
    first = page_index.search("migrantes community", limit=LONG, sort=sort)
    again = page_index.search("migrantes community", limit=LONG, sort=sort)
    assert [(h.id, h.score) for h in first] == [(h.id, h.score) for h in again]
    assert sorted(ids(first)) == sorted(relevance)
    years = [hit.record.year if hit.record is not None else None for hit in first]
    dated = [y for y in years if y is not None]
    assert years[: len(dated)] == dated  # records without a year last
    assert dated == sorted(dated, reverse=sort == "-year")
    position = {rid: n for n, rid in enumerate(relevance)}
    for a, b in itertools.pairwise(first):
        assert a.record is not None and b.record is not None
        if a.record.year == b.record.year:
            assert position[a.id] < position[b.id]


def test_relevance_ties_are_in_one_fixed_order(tmp_index: ds.SearchIndex) -> None:
    same = "Consular services for the migrant community."
    tmp_index.add([{"id": f"r{n}", "summary_en": same, "year": 2000 + n % 3} for n in range(30)])
    results = tmp_index.search("consular", limit=30)
    assert len({hit.score for hit in results}) == 1
    assert [hit.id for hit in tmp_index.search("consular", limit=30)] == ids(results)
    by_year = tmp_index.search("consular", limit=30, sort="-year")
    position = {rid: n for n, rid in enumerate(ids(results))}
    for year in (2002, 2001, 2000):
        group = [h.id for h in by_year if h.record is not None and h.record.year == year]
        assert group == sorted(group, key=position.__getitem__)
    assert [h.record.year for h in by_year if h.record is not None] == sorted(
        (h.record.year for h in by_year if h.record is not None and h.record.year), reverse=True
    )


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"offset": -1}, "offset must be an integer from 0"),
        ({"offset": "3"}, "offset must be an integer from 0"),
        ({"sort": "date"}, "unknown sort 'date'; choose one of: relevance, year, -year"),
        ({"facets": ["colour"]}, "unknown facet 'colour'; choose from: year, source"),
        ({"filters": {"colour": "red"}}, "unknown filter 'colour'; choose from: authors"),
        ({"filters": {"year": "2000"}}, "filter 'year' must be a year or a (from, to) pair"),
        ({"filters": {"tags": 5}}, "filter 'tags' must be a string or a list of strings"),
        ({"filters": ["year"]}, "filters must be a dict"),
    ],
)
def test_bad_page_arguments_are_query_errors(
    page_index: ds.SearchIndex, kwargs: dict[str, Any], message: str
) -> None:
    with pytest.raises(ds.QueryError) as info:
        page_index.search("migrantes", **kwargs)
    assert message in str(info.value)


def test_a_bad_filter_language_names_the_choices(page_index: ds.SearchIndex) -> None:
    with pytest.raises(ds.UnsupportedLanguageError, match="choose one of: en, es"):
        page_index.search("migrantes", filters={"lang": "fr"})


def test_a_filter_that_keeps_nothing_gives_no_hits(page_index: ds.SearchIndex) -> None:
    results = page_index.search("migrantes", filters={"year": (3000, None)}, facets=["year"])
    assert (list(results), results.total, results.facets) == ([], 0, {"year": {}})
