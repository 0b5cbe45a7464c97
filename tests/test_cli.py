"""The command line: exit codes, exact output shapes, --json, help for every command."""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

import diaspora_search as ds
from diaspora_search._cli import build_parser, main
from diaspora_search._cli_args import INDEX_ENV

COMMANDS = ["check", "delete", "demo", "get", "glossary", "index", "info", "learn", "search"]


def run(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    code = main(list(argv))
    out, err = capsys.readouterr()
    return code, out, err


def run_process(
    *argv: str, env: dict[str, str] | None = None, **kwargs: object
) -> subprocess.CompletedProcess[bytes]:
    """The command in a real process, as a shell runs it."""
    return subprocess.run(
        [sys.executable, "-m", "diaspora_search", *argv],
        capture_output=True,
        check=False,
        env=process_env(env),
        **kwargs,  # type: ignore[arg-type]
    )


def process_env(env: dict[str, str] | None = None) -> dict[str, str]:
    """``env`` (default: this one) without the index variable, and this code first on the path."""
    env = {k: v for k, v in (env or os.environ).items() if k != INDEX_ENV}
    package_root = str(Path(ds.__file__).resolve().parents[1])
    env["PYTHONPATH"] = os.pathsep.join(p for p in (package_root, env.get("PYTHONPATH")) if p)
    return env


@pytest.fixture(autouse=True)
def no_index_variable(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv(INDEX_ENV, raising=False)


@pytest.fixture
def built(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> Path:
    folder = tmp_path / "index"
    code, out, _ = run(capsys, "index", str(ds.bundled_corpus()), "--index", str(folder))
    assert code == 0
    assert out == f"indexed 7 records from {ds.bundled_corpus()}; the index holds 7\n"
    return folder


def write_corpus(path: Path, records: list[dict[str, object]]) -> Path:
    path.write_text("".join(json.dumps(r) + "\n" for r in records), encoding="utf-8")
    return path


def subcommands() -> dict[str, argparse.ArgumentParser]:
    action = next(a for a in build_parser()._actions if a.dest == "command")
    return dict(action.choices)  # type: ignore[call-overload]


@pytest.mark.parametrize("command", COMMANDS)
def test_every_command_has_help_with_an_example(
    command: str, capsys: pytest.CaptureFixture[str]
) -> None:
    with pytest.raises(SystemExit) as exit_info:
        main([command, "--help"])
    assert exit_info.value.code == 0
    out = capsys.readouterr().out
    assert "usage: diaspora-search " + command in out
    examples = out.split("examples:\n", 1)[1].splitlines()
    assert examples
    assert all(line.startswith("  ") and f"diaspora-search {command}" in line for line in examples)


@pytest.mark.parametrize("command", COMMANDS)
def test_every_option_has_help(command: str) -> None:
    for action in subcommands()[command]._actions:
        assert action.help and action.help != argparse.SUPPRESS, (command, action.dest)


def test_top_level_options_have_help() -> None:
    for action in build_parser()._actions:
        assert action.help, action.dest


def test_parser_knows_every_command() -> None:
    assert sorted(subcommands()) == COMMANDS


def test_bare_command_prints_help_and_exits_2(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, err = run(capsys)
    assert (code, out) == (2, "")
    assert err == build_parser().format_help()
    assert "search" in err and "examples:" in err


def test_version(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as exit_info:
        main(["--version"])
    assert exit_info.value.code == 0
    assert capsys.readouterr().out == f"diaspora-search {ds.__version__}\n"


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (["search"], "the following arguments are required: WORDS"),
        (["search", "x"], f"the index folder is required: give --index DIR or set {INDEX_ENV}"),
        (["index", "--index", "d"], "the following arguments are required: CORPUS.jsonl"),
        (["nope"], "invalid choice: 'nope'"),
        (["search", "x", "--index", "d", "--limit", "0"], "must be from 1 to 10,000, got 0"),
        (
            ["search", "x", "--index", "d", "--limit", "20000"],
            "must be from 1 to 10,000, got 20,000",
        ),
        (["search", "x", "--index", "d", "--limit", "ten"], "not an integer: 'ten'"),
        (["search", "x", "--index", "d", "--lang", "fr"], "unsupported language 'fr'"),
        (["search", "x", "--index", "d", "--limt", "3"], "unrecognized arguments: --limt"),
        (["search", "x", "--index"], "expected one argument"),
        (["info", "--index", "d", "extra"], "unrecognized arguments: extra"),
        (["delete", "--index", "d"], "the following arguments are required: ID"),
        (["glossary", "--index", "d"], "give GLOSSARY.tsv or --clear"),
        (["index", "c.jsonl", "--index", "d", "--lock-timeout", "-1"], "must be a finite"),
    ],
)
def test_wrong_usage_exits_2(
    argv: list[str], message: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    with pytest.raises(SystemExit) as exit_info:
        main([str(tmp_path / a) if a == "d" else a for a in argv])
    assert exit_info.value.code == 2
    err = capsys.readouterr().err
    assert err.startswith("usage: diaspora-search")
    assert err.splitlines()[-1].startswith("diaspora-search")
    assert message in err.splitlines()[-1]
    assert not (tmp_path / "d").exists()


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
    glossary.write_text("no tab\n", encoding="utf-8")
    code, _, err = run(capsys, "glossary", str(glossary), "--index", str(built))
    assert code == 1 and err.startswith(f"diaspora-search: error: {glossary}:1: ")
    assert err.count("\n") == 1


def search_ids(capsys: pytest.CaptureFixture[str], *argv: str) -> list[str]:
    code, out, err = run(capsys, "search", *argv, "--json")
    assert (code, err) == (0, "")
    return [hit["id"] for hit in json.loads(out)["hits"]]


def test_words_need_no_quotes(built: Path, capsys: pytest.CaptureFixture[str]) -> None:
    with ds.SearchIndex.open(built) as index:
        expected = [hit.id for hit in index.search("integración de los migrantes")]
    assert expected
    assert search_ids(capsys, "integración", "de", "los", "migrantes", "--index", str(built)) == (
        expected
    )
    # Options may come between and after the words; the query keeps the words' order.
    code, out, _ = run(
        capsys, "search", "integración", "--index", str(built), "de", "los", "--json", "migrantes"
    )
    assert code == 0 and json.loads(out)["query"] == "integración de los migrantes"
    assert [hit["id"] for hit in json.loads(out)["hits"]] == expected


def test_a_word_starting_with_a_dash_is_an_exclusion(
    built: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    with ds.SearchIndex.open(built) as index:
        expected = [hit.id for hit in index.search('"Estados Unidos" -consejo')]
        without = [hit.id for hit in index.search('"Estados Unidos"')]
    assert expected != without  # (the exclusion matters in this corpus)
    assert search_ids(capsys, '"Estados Unidos"', "-consejo", "--index", str(built)) == expected
    assert search_ids(capsys, "-consejo", '"Estados Unidos"', "--index", str(built)) == expected
    _, out, _ = run(
        capsys, "search", "--json", "--index", str(built), "--", '"Estados Unidos"', "-consejo"
    )
    assert [hit["id"] for hit in json.loads(out)["hits"]] == expected


@pytest.mark.parametrize("code", ["EN", "En", "english", "inglés"])
def test_language_codes_take_any_case_and_the_api_aliases(
    code: str, built: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    with ds.SearchIndex.open(built) as index:
        expected = [hit.id for hit in index.search("diaspora", lang="en")]
    assert search_ids(capsys, "diaspora", "--lang", code, "--index", str(built)) == expected


def test_index_from_the_environment(
    built: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv(INDEX_ENV, str(built))
    assert search_ids(capsys, "educacion") == search_ids(capsys, "educacion", "--index", str(built))
    # --index wins over the variable.
    code, _, err = run(capsys, "search", "educacion", "--index", str(tmp_path / "none"))
    assert code == 1 and "no diaspora_search index" in err
    code, out, _ = run(capsys, "info")
    assert code == 0 and out.splitlines()[0] == f"index      {built}"


def test_index_reads_standard_input(tmp_path: Path) -> None:
    records = [{"id": "s1", "summary_es": "Remesas a Oaxaca"}, {"id": "s2", "summary_en": "Visas"}]
    lines = "".join(json.dumps(r) + "\n" for r in records).encode()
    folder = tmp_path / "index"
    result = run_process("index", "-", "--index", str(folder), input=lines)
    assert result.returncode == 0, result.stderr
    assert result.stdout.decode() == "indexed 2 records from -; the index holds 2\n"
    assert result.stderr == b""
    result = run_process("index", "-", "--index", str(folder), input=b'{"id": "s3"}\n')
    assert result.returncode == 1
    err = result.stderr.decode()
    assert err.startswith("diaspora-search: error: <stdin>:1: ") and err.count("\n") == 1
    assert len(ds.SearchIndex.open(folder)) == 2  # the refused input changed nothing


def test_a_closed_pipe_ends_quietly_with_success(built: Path) -> None:
    # As `diaspora-search search ... | head -0`: the reader is gone before anything is written.
    proc = subprocess.Popen(
        [sys.executable, "-m", "diaspora_search", "search", "migrantes", "--index", str(built)],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        env=process_env(),
    )
    assert proc.stdout is not None and proc.stderr is not None
    proc.stdout.close()
    err = proc.stderr.read()
    assert (proc.wait(), err) == (0, b"")


def test_delete(built: Path, capsys: pytest.CaptureFixture[str]) -> None:
    first, second = search_ids(capsys, "migrantes", "--index", str(built))[:2]
    code, out, err = run(capsys, "delete", first, second, "nope", first, "--index", str(built))
    assert (code, out, err) == (0, "deleted 2 of 3 id(s) given; the index holds 5\n", "")
    with ds.SearchIndex.open(built) as index:
        assert len(index) == 5
        assert {first, second}.isdisjoint(hit.id for hit in index.search("migrantes", limit=10))
    code, out, _ = run(capsys, "delete", first, "--index", str(built))
    assert (code, out) == (0, "deleted 0 of 1 id(s) given; the index holds 5\n")


def test_delete_needs_an_index(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code, out, err = run(capsys, "delete", "a", "--index", str(tmp_path / "none"))
    assert (code, out) == (1, "")
    assert err.startswith("diaspora-search: error: ") and err.count("\n") == 1


def test_info(built: Path, capsys: pytest.CaptureFixture[str]) -> None:
    size = sum(f.stat().st_size for f in built.iterdir() if f.is_file())
    code, out, err = run(capsys, "info", "--index", str(built))
    assert (code, err) == (0, "")
    assert out.splitlines() == [
        f"index      {built}",
        "records    7",
        "languages  en 7, es 4  (records with text in each)",
        f"size       {size / 1000:.1f} kB ({size:,} bytes)",
        f"versions   diaspora_search {ds.__version__}, index format 2, "
        f"analysis version {ds.ANALYSIS_VERSION}",
    ]
    code, out, _ = run(capsys, "info", "--index", str(built), "--json")
    assert code == 0
    assert json.loads(out) == {
        "path": str(built),
        "records": 7,
        "languages": {"en": 7, "es": 4},
        "size_bytes": size,
        "index_format": 2,
        "analysis_version": ds.ANALYSIS_VERSION,
        "version": ds.__version__,
    }


def test_info_counts_each_language(tmp_path: Path) -> None:
    with ds.SearchIndex.create(tmp_path / "i") as index:
        index.add(
            [
                {"id": "a", "summary_es": "Remesas"},
                {"id": "b", "summary_en": "Remittances", "title_es": "Remesas"},
                {"id": "c", "summary_en": "Visas"},
            ]
        )
        index.delete(["c"])
        info = index.info()
    assert (info.records, info.languages) == (2, {"en": 1, "es": 2})


EVIL = {
    "id": "evil\x1b[2J\u202e",
    "title_en": "\x1b]0;pwned\x07Remittance \x9b31mreport",
    "summary_en": "Remittance flows\x1b[5m to Oaxaca",
    "authors": ["Ana\x1b[8m Ruiz"],
}


def test_control_characters_are_escaped_in_what_is_printed(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    corpus = write_corpus(tmp_path / "evil\x1b[1m.jsonl", [EVIL])
    folder = tmp_path / "index"
    code, out, _ = run(capsys, "index", str(corpus), "--index", str(folder))
    assert code == 0
    assert out == f"indexed 1 records from {tmp_path}/evil\\x1b[1m.jsonl; the index holds 1\n"
    code, out, err = run(capsys, "search", "remittance", "ruiz", "--index", str(folder))
    assert (code, err) == (0, "")
    assert out.splitlines()[0] == (
        " 1. \\x1b]0;pwned\\x07Remittance \\x9b31mreport  [en] "
        + out.splitlines()[0].split("[en] ")[1].split()[0]
        + "  evil\\x1b[2J\\u202e"
    )
    assert all(ch.isprintable() for ch in out.replace("\n", ""))
    code, out, _ = run(capsys, "search", "remittance", "--index", str(folder), "--json")
    assert all(ch.isprintable() for ch in out.rstrip("\n"))
    hit = json.loads(out)["hits"][0]
    assert (hit["id"], hit["title"]) == (EVIL["id"], EVIL["title_en"])  # exact values


def test_errors_are_escaped_too(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code, _, err = run(capsys, "index", str(tmp_path / "no\x1b[2Jfile.jsonl"), "--index", "x")
    assert code == 1
    assert err == f"diaspora-search: error: {tmp_path}/no\\x1b[2Jfile.jsonl: no such file\n"


def test_a_terminal_that_cannot_show_a_character_gets_an_escape(built: Path) -> None:
    env = {**os.environ, "PYTHONIOENCODING": "latin-1"}
    result = run_process("search", "migrantes", "--limit", "1", "--index", str(built), env=env)
    assert result.returncode == 0 and result.stderr == b""
    assert b"\\u2019" in result.stdout  # (a title's typographic apostrophe, not in Latin-1)
