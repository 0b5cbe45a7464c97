"""The command line: exit codes, exact output shapes, --json, help for every command."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

import diaspora_search as ds
from diaspora_search._cli import build_parser, main

COMMANDS = ["index", "search", "get", "learn", "glossary", "check", "demo"]


def run(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    code = main(list(argv))
    out, err = capsys.readouterr()
    return code, out, err


@pytest.fixture
def built(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> Path:
    folder = tmp_path / "index"
    code, out, _ = run(capsys, "index", str(ds.bundled_corpus()), "--index", str(folder))
    assert code == 0
    assert out == f"indexed 7 records from {ds.bundled_corpus()}; the index holds 7\n"
    return folder


@pytest.mark.parametrize("command", COMMANDS)
def test_every_command_has_help(command: str, capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as exit_info:
        main([command, "--help"])
    assert exit_info.value.code == 0
    assert "usage: diaspora-search " + command in capsys.readouterr().out


def test_parser_knows_every_command() -> None:
    subparsers = next(a for a in build_parser()._actions if a.dest == "command")
    assert sorted(subparsers.choices) == sorted(COMMANDS)  # type: ignore[union-attr]


@pytest.mark.parametrize(
    "argv",
    [
        [],
        ["search"],
        ["search", "x"],
        ["index", "--index", "d"],
        ["nope"],
        ["search", "x", "--index", "d", "--limit", "0"],
        ["search", "x", "--index", "d", "--lang", "fr"],
    ],
)
def test_wrong_usage_exits_2(argv: list[str], capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as exit_info:
        main(argv)
    assert exit_info.value.code == 2
    assert "usage:" in capsys.readouterr().err


def test_search_human_output(built: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code, out, err = run(capsys, "search", "Laglagaron", "--index", str(built), "--limit", "1")
    assert code == 0 and err == ""
    lines = out.splitlines()
    assert len(lines) == 3  # the title line, the snippet, the names that matched
    assert lines[0].startswith(" 1. Protection through Integration")
    assert "[en]" in lines[0] and "ime-protection-through-integration" in lines[0]
    assert lines[2] == (
        "    Laureen **Laglagaron**; Migration Policy Institute, "
        "National Center on Immigrant Integration"
    )
    assert "\033[" not in out  # no colours when not on a terminal


def test_search_json_output(built: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = run(capsys, "search", "educacion", "--index", str(built), "--json")
    assert code == 0
    data = json.loads(out)
    assert list(data) == [
        "query",
        "corrected_query",
        "suggestion",
        "total",
        "offset",
        "facets",
        "hits",
    ]
    assert data["query"] == "educacion" and data["corrected_query"] is None
    assert data["total"] == len(data["hits"]) and data["offset"] == 0 and data["facets"] == {}
    assert data["hits"]
    assert set(data["hits"][0]) == {
        "id",
        "score",
        "lang",
        "title",
        "snippet",
        "names",
        "translated",
        "record",
    }
    assert data["hits"][0]["record"]["id"] == data["hits"][0]["id"]


def test_search_reports_the_correction(built: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = run(capsys, "search", "remitances", "--index", str(built))
    assert code == 0
    assert out.splitlines()[0] == "no results as typed; showing results for: remittances"
    code, out, _ = run(capsys, "search", "remitances", "--index", str(built), "--json")
    assert json.loads(out)["corrected_query"] == "remittances"


def test_zero_hits_is_success(built: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = run(capsys, "search", "zzzqqqxxx", "--index", str(built))
    assert (code, out) == (0, "no results\n")
    code, out, _ = run(capsys, "search", "zzzqqqxxx", "--index", str(built), "--json")
    assert json.loads(out) == {
        "query": "zzzqqqxxx",
        "corrected_query": None,
        "suggestion": None,
        "total": 0,
        "offset": 0,
        "facets": {},
        "hits": [],
    }


def test_lang_option(built: Path, capsys: pytest.CaptureFixture[str]) -> None:
    _, out, _ = run(capsys, "search", "diaspora", "--index", str(built), "--json", "--lang", "es")
    assert {h["lang"] for h in json.loads(out)["hits"]} == {"es"}


def test_missing_index_exits_1_with_one_line(tmp_path: Path, capsys: pytest.CaptureFixture[str]):
    code, out, err = run(capsys, "search", "x", "--index", str(tmp_path / "none"))
    assert code == 1 and out == ""
    assert len(err.splitlines()) == 1
    assert "no diaspora_search index" in err


def test_index_updates_and_rebuilds(built: Path, tmp_path: Path, capsys) -> None:
    extra = tmp_path / "extra.jsonl"
    extra.write_text(json.dumps({"id": "x1", "summary_en": "Consular ID cards"}) + "\n")
    code, out, _ = run(capsys, "index", str(extra), "--index", str(built))
    assert (code, out) == (0, f"indexed 1 records from {extra}; the index holds 8\n")
    code, out, _ = run(capsys, "index", str(extra), "--index", str(built), "--rebuild")
    assert (code, out) == (0, f"indexed 1 records from {extra}; the index holds 1\n")
    assert len(ds.SearchIndex.open(built)) == 1


def test_demo_runs_queries_in_both_languages(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, err = run(capsys, "demo")
    assert code == 0 and err == ""
    assert out.startswith("indexed 7 records of the bundled IME corpus")
    assert out.count("$ diaspora-search search") >= 5
    assert "[es]" in out and "[en]" in out
    assert "showing results for:" in out


def test_python_dash_m_and_exit_codes_in_a_real_process(tmp_path: Path) -> None:
    result = subprocess.run(
        [sys.executable, "-m", "diaspora_search", "search", "x", "--index", str(tmp_path)],
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.returncode == 1
    assert result.stdout == ""
    assert "Traceback" not in result.stderr
    assert len(result.stderr.splitlines()) == 1


def test_search_prints_a_suggestion(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    corpus = tmp_path / "c.jsonl"
    lines = [
        {"id": "a", "summary_en": "remittances to Chicago"},
        {"id": "b", "summary_en": "remittances and savings"},
        {"id": "c", "summary_en": "remittances grow"},
    ]
    corpus.write_text("".join(json.dumps(line) + "\n" for line in lines))
    assert run(capsys, "index", str(corpus), "--index", str(tmp_path / "i"))[0] == 0
    code, out, _ = run(capsys, "search", "remitances chicago", "--index", str(tmp_path / "i"))
    assert code == 0
    assert out.splitlines()[0] == "did you mean: remittances chicago?"


def test_no_translate(built: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = run(capsys, "search", "remesas", "--index", str(built))
    assert code == 0 and "ime-latest-news-mexican-diaspora" in out
    code, out, _ = run(capsys, "search", "remesas", "--index", str(built), "--no-translate")
    assert code == 0 and out == "no results\n"


def test_learn_and_glossary(built: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]):
    code, out, _ = run(capsys, "learn", "--index", str(built))
    assert code == 0 and out.startswith("learned translations for ")
    glossary = tmp_path / "glossary.tsv"
    glossary.write_text("background\tantecedentes\n", encoding="utf-8")
    code, out, _ = run(capsys, "glossary", str(glossary), "--index", str(built))
    assert (code, out) == (0, f"{built}: glossary {glossary} translates 2 terms\n")
    code, out, _ = run(capsys, "search", "antecedentes", "--index", str(built), "--limit", "1")
    assert code == 0 and "ime-imagining-2024" in out.splitlines()[0]
    code, out, _ = run(capsys, "glossary", "--clear", "--index", str(built))
    assert (code, out) == (0, f"{built}: no glossary\n")
    code, _, err = run(capsys, "glossary", "--index", str(built))
    assert code == 2 and "give GLOSSARY.tsv or --clear" in err
    glossary.write_text("no tab\n", encoding="utf-8")
    code, _, err = run(capsys, "glossary", str(glossary), "--index", str(built))
    assert code == 1 and err.startswith(f"diaspora-search: error: {glossary}:1: ")
    assert err.count("\n") == 1
