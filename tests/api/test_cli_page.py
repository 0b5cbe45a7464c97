"""The command line's results-page options (--offset, --filter, --sort, --facets) and the get
command: exit codes and exact output."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from diaspora_search._cli import main

RECORDS: list[dict[str, Any]] = [
    {
        "id": "a",
        "title_en": "Remittances and families",
        "summary_en": "Remittances sent by migrant families.",
        "source": "IME",
        "year": 2009,
        "tags": ["remesas"],
    },
    {
        "id": "b",
        "title_en": "Migrant health",
        "summary_en": "Health services for migrant workers.",
        "source": "MPI",
        "date": "2012-03",
        "tags": ["salud"],
        "authors": ["Ana Pérez"],
    },
    {
        "id": "c",
        "summary_es": "Las familias migrantes y la salud.",
        "summary_en": "Migrant families and health.",
        "source": "IME",
        "year": 2001,
        "tags": ["salud", "remesas"],
    },
    {"id": "d", "summary_en": "A migrant story without a year.", "text_en": "Full text."},
]


def run(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    code = main(list(argv))
    out, err = capsys.readouterr()
    return code, out, err


@pytest.fixture
def index_dir(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> str:
    corpus = tmp_path / "corpus.jsonl"
    corpus.write_text("".join(json.dumps(r) + "\n" for r in RECORDS), encoding="utf-8")
    folder = str(tmp_path / "index")
    assert run(capsys, "index", str(corpus), "--index", folder)[0] == 0
    return folder


def search_ids(capsys: pytest.CaptureFixture[str], folder: str, *options: str) -> list[str]:
    code, out, err = run(capsys, "search", "migrant", "--index", folder, "--json", *options)
    assert (code, err) == (0, "")
    return [hit["id"] for hit in json.loads(out)["hits"]]


def test_json_has_the_contract_keys(index_dir: str, capsys: pytest.CaptureFixture[str]) -> None:
    code, out, err = run(
        capsys, "search", "migrant", "--index", index_dir, "--json", "--limit", "1",
        "--offset", "1", "--facets", "source,year",
    )  # fmt: skip
    assert (code, err) == (0, "")
    data = json.loads(out)
    assert list(data) == [
        "query", "corrected_query", "suggestion", "total", "offset", "facets", "hits",
    ]  # fmt: skip
    assert (data["total"], data["offset"], len(data["hits"])) == (4, 1, 1)
    assert data["facets"] == {
        "source": {"IME": 2, "MPI": 1},
        "year": {"2001": 1, "2009": 1, "2012": 1},
    }
    hit = data["hits"][0]
    assert {"id", "score", "lang", "title", "snippet", "translated", "record"} <= set(hit)
    assert hit["record"] == next(r for r in RECORDS if r["id"] == hit["id"]) | (
        {"year": 2012} if hit["id"] == "b" else {}
    )


def test_offset_pages_through_one_order(index_dir: str, capsys: pytest.CaptureFixture[str]) -> None:
    everything = search_ids(capsys, index_dir)
    assert len(everything) == 4
    pages = [search_ids(capsys, index_dir, "--limit", "2", "--offset", str(n)) for n in (0, 2, 4)]
    assert pages == [everything[:2], everything[2:], []]


@pytest.mark.parametrize(
    ("options", "expected"),
    [
        (["--filter", "year=2005.."], {"a", "b"}),
        (["--filter", "year=..2009"], {"a", "c"}),
        (["--filter", "year=2001..2009"], {"a", "c"}),
        (["--filter", "year=2012"], {"b"}),
        (["--filter", "source=IME"], {"a", "c"}),
        (["--filter", "source=IME", "--filter", "source=MPI"], {"a", "b", "c"}),
        (["--filter", "tags=salud", "--filter", "source=IME"], {"c"}),
        (["--filter", "authors=Ana Pérez"], {"b"}),
        (["--filter", "lang=es"], {"c"}),
        (["--filter", "lang=ES"], {"c"}),
        (["--filter", "lang=es", "--filter", "lang=en"], {"a", "b", "c", "d"}),
    ],
)
def test_filters(
    index_dir: str, capsys: pytest.CaptureFixture[str], options: list[str], expected: set[str]
) -> None:
    assert set(search_ids(capsys, index_dir, *options)) == expected


@pytest.mark.parametrize(
    ("sort", "expected"),
    [(["--sort", "year"], ["c", "a", "b", "d"]), (["--sort", "-year"], ["b", "a", "c", "d"])],
)
def test_sort(
    index_dir: str, capsys: pytest.CaptureFixture[str], sort: list[str], expected: list[str]
) -> None:
    assert search_ids(capsys, index_dir, *sort) == expected
    assert search_ids(capsys, index_dir, f"{sort[0]}={sort[1]}") == expected


def test_text_output_of_a_page_and_facets(
    index_dir: str, capsys: pytest.CaptureFixture[str]
) -> None:
    code, out, err = run(
        capsys, "search", "health", "--index", index_dir, "--offset", "1", "--facets", "tags,lang",
        "--no-translate",
    )  # fmt: skip
    assert (code, err) == (0, "")
    lines = out.splitlines()
    assert lines[0].startswith(" 1. ") and lines[0].endswith("  c")
    assert lines[-3:] == ["hits 2-2 of 2", "tags: salud (2), remesas (1)", "lang: en (2), es (1)"]


def test_text_output_past_the_end(index_dir: str, capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = run(capsys, "search", "migrant", "--index", index_dir, "--offset", "9")
    assert (code, out) == (0, "no results\nno hits from 10; 4 in all\n")


@pytest.mark.parametrize(
    ("options", "message"),
    [
        (["--offset", "-1"], "argument --offset: must be at least 0, got -1"),
        (["--offset", "x"], "argument --offset: not an integer: 'x'"),
        (["--filter", "colour=red"], "unknown key 'colour'; choose from: year, source"),
        (["--filter", "year"], "expected KEY=VALUE, got 'year'"),
        (["--filter", "year=20x0"], "year must be a year or a range such as 2000..2010"),
        (["--sort", "date"], "argument --sort: invalid choice: 'date'"),
        (["--facets", "year,colour"], "unknown facet 'colour'; choose from: year"),
    ],
)
def test_bad_page_options_are_usage_errors(
    index_dir: str, capsys: pytest.CaptureFixture[str], options: list[str], message: str
) -> None:
    with pytest.raises(SystemExit) as exit_info:
        main(["search", "migrant", "--index", index_dir, *options])
    assert exit_info.value.code == 2
    assert message in capsys.readouterr().err


def test_a_second_year_filter_is_a_usage_error(
    index_dir: str, capsys: pytest.CaptureFixture[str]
) -> None:
    with pytest.raises(SystemExit) as exit_info:
        main(["search", "migrant", "--index", index_dir, "--filter", "year=2000..",
              "--filter", "year=..2010"])  # fmt: skip
    assert exit_info.value.code == 2
    assert "--filter year may be given once (one range)" in capsys.readouterr().err


def test_get_prints_the_record(index_dir: str, capsys: pytest.CaptureFixture[str]) -> None:
    code, out, err = run(capsys, "get", "b", "--index", index_dir)
    assert (code, err) == (0, "")
    assert out == (
        "id: b\n"
        "title_en: Migrant health\n"
        "summary_en: Health services for migrant workers.\n"
        "authors: Ana Pérez\n"
        "source: MPI\n"
        "year: 2012\n"
        "date: 2012-03\n"
        "tags: salud\n"
    )
    code, out, err = run(capsys, "get", "b", "--index", index_dir, "--json")
    assert (code, err) == (0, "")
    assert json.loads(out) == RECORDS[1] | {"year": 2012}


def test_get_of_a_missing_id_exits_1(index_dir: str, capsys: pytest.CaptureFixture[str]) -> None:
    code, out, err = run(capsys, "get", "zz\x1b[2J", "--index", index_dir)
    assert (code, out) == (1, "")
    assert err == f"diaspora-search: error: {index_dir}: no record with id 'zz\\\\x1b[2J'\n"


def test_get_without_an_index_exits_1(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code, _, err = run(capsys, "get", "a", "--index", str(tmp_path / "none"))
    assert code == 1 and err.startswith("diaspora-search: error: ") and err.count("\n") == 1
