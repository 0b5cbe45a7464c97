"""Queries never crash: any string gives hits, no hits, or a clear ``DiasporaSearchError``, and the
CLI never prints a traceback."""

from __future__ import annotations

import json
import resource
import subprocess
import sys
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import diaspora_search as ds
from diaspora_search._cli import main

from ._helpers import SUBPROCESS_ENV, bundled_records, run_cli, synthetic_records, unique_word

QUERIES = [
    # empty and blank
    "",
    " ",
    "\t\r\n",
    "\u00a0\u2003",
    # only stopwords, in either language
    "the",
    "the of and a",
    "de la los las y",
    "el",
    # only punctuation
    "!!!",
    "¿¡?!",
    ".,;:…",
    "—–-",
    "'",
    "’",
    # quotes
    '"',
    '""',
    '"unbalanced quote',
    'unbalanced quote"',
    '"educación" "migrantes',
    '"the of"',
    # Whoosh syntax
    "title:",
    "title_en:educación",
    "summary_es:",
    ":",
    "id:",
    "id:ime-intro",
    "year:[1990 TO 2000]",
    "[a TO z]",
    "{a TO z}",
    "[",
    "]",
    "[TO]",
    "*",
    "**",
    "?",
    "edu*",
    "*cion",
    "e?ucation",
    "educacion~",
    "educacion~2",
    "~",
    "^",
    "educacion^3",
    "\\",
    "a\\",
    "(",
    ")",
    "((educación)",
    "educación))",
    "()",
    "AND",
    "OR",
    "NOT",
    "AND OR NOT",
    "educación AND",
    "OR migrantes",
    "NOT NOT",
    "ANDNOT",
    "-",
    "--",
    "+",
    "-educación",
    "+educación",
    "educación -",
    "-the",
    "<educación>",
    "/regex/",
    "a:b:c",
    "field:(a OR b)",
    "%s %d {0}",
    "${HOME}",
    "'; DROP TABLE records; --",
    # very long
    "a " * 5_000,
    "educación " * 1_000,
    " ".join(f"palabra{i}" for i in range(1_100)),
    "x" * 300,
    # control characters, NUL, emoji and other scripts
    "\x00",
    "a\x00b",
    "educ\x00ación",
    "\x01\x02\x1b[31m",
    "\u200b",
    "\ufeff",
    "\ufffd",
    "😀",
    "👩‍👩‍👧‍👦",
    "migración 🇲🇽",
    "🇲🇽🇺🇸",
    "移民",
    "مهاجر",
    "мигранты",
    "e\u0301ducacio\u0301n",
    "ＥＤＵＣＡＣＩÓＮ",
    "ß",
    "İ",
    "1" * 1_000,
    "3.14 1e10 -5",
    "\ud800",
    "educaci\udcf3n",
]

LONG_QUERIES = [
    "x" * 10_000,
    "educación" * 1_111,
    " ".join(["migrantes"] * 1_000),
]
"""10,000-character queries, run in a process with limited memory: each must finish."""

ARGV_UNSAFE = ("\x00", "\ud800", "\udcf3")
"""Characters no command line can carry (NUL ends a C string; lone surrogates are not bytes)."""


def _ids(queries: list[str]) -> list[str]:
    return [ascii(q[:20]) + (f"...{len(q)}" if len(q) > 20 else "") for q in queries]


@pytest.fixture(scope="module")
def index_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = tmp_path_factory.mktemp("queries") / "index"
    with ds.SearchIndex.create(folder) as index:
        index.add(bundled_records())
        index.add(synthetic_records("q", 40))
    return folder


@pytest.fixture(scope="module")
def index(index_dir: Path) -> ds.SearchIndex:
    return ds.SearchIndex.open(index_dir)


def _search_never_crashes(index: ds.SearchIndex, query: str, lang: str | None) -> None:
    try:
        results = index.search(query, lang=lang)
    except ds.DiasporaSearchError as error:
        assert str(error).strip()
        assert "\n" not in str(error)
        return
    assert isinstance(results, ds.Results)
    assert len(results) <= 10
    for hit in results:
        assert isinstance(hit, ds.Hit)
        assert hit.lang in ("en", "es")
        assert isinstance(hit.snippet, str)
        assert isinstance(hit.title, str)
    assert results.corrected_query is None or isinstance(results.corrected_query, str)


@pytest.mark.parametrize("lang", [None, "en", "es"])
@pytest.mark.parametrize("query", QUERIES, ids=_ids(QUERIES))
def test_search_never_crashes(index: ds.SearchIndex, query: str, lang: str | None) -> None:
    _search_never_crashes(index, query, lang)


def test_search_still_finds_after_hostile_queries(index: ds.SearchIndex) -> None:
    for query in QUERIES:
        _search_never_crashes(index, query, None)
    assert [h.id for h in index.search(unique_word("q", 7))] == ["q7"]


@pytest.mark.parametrize("query", QUERIES, ids=_ids(QUERIES))
def test_cli_search_never_prints_a_traceback(
    index_dir: Path, query: str, capsys: pytest.CaptureFixture[str]
) -> None:
    """The CLI in this process (fast), in both output modes; ``--`` so "-x" is a query."""
    for extra in ([], ["--json"]):
        code = main(["search", "--index", str(index_dir), *extra, "--", query])
        out, err = capsys.readouterr()
        assert code in (0, 1), err
        if code == 1:
            assert len(err.splitlines()) == 1, err
        elif extra:
            assert json.loads(out)["query"] == query


SUBPROCESS_QUERIES = [
    ("", "--json"),
    ("the of", "--plain"),
    ("!!!", "--json"),
    ('"unbalanced quote', "--plain"),
    ("title:", "--json"),
    ("[a TO z]", "--plain"),
    ("*", "--json"),
    ("-educación", "--plain"),
    ("migración 🇲🇽", "--json"),
    ("😀", "--plain"),
    ("\x01\x02\x1b[31m", "--json"),
    ("a " * 5_000, "--plain"),
]


@pytest.mark.parametrize(
    ("query", "mode"), SUBPROCESS_QUERIES, ids=_ids([q for q, _ in SUBPROCESS_QUERIES])
)
def test_cli_subprocess_never_prints_a_traceback(index_dir: Path, query: str, mode: str) -> None:
    """Some of the queries through a real process (its own stdout encoding and argv)."""
    extra = ["--json"] if mode == "--json" else []
    result = run_cli("search", "--index", index_dir, *extra, "--", query)
    assert "Traceback" not in result.stderr, result.stderr
    assert result.returncode in (0, 1), result.stderr
    if result.returncode == 1:
        assert len(result.stderr.splitlines()) == 1, result.stderr
    elif extra:
        assert json.loads(result.stdout)["query"] == query


def test_cli_undecodable_argument(index_dir: Path) -> None:
    """A query argument that is not UTF-8 (a Latin-1 terminal) is searched, not a traceback."""
    for extra in ([], ["--json"]):
        argv = [sys.executable, "-m", "diaspora_search", "search", b"educaci\xf3n"]
        result = subprocess.run(
            [*argv, "--index", str(index_dir), *extra],
            env=SUBPROCESS_ENV,
            capture_output=True,
            timeout=60,
        )
        assert b"Traceback" not in result.stderr, result.stderr
        assert result.returncode in (0, 1), result.stderr


def test_cli_closed_stdout_is_not_a_traceback(index_dir: Path) -> None:
    """``diaspora-search search ... | head -1``: the reader goes away; no traceback."""
    argv = [sys.executable, "-m", "diaspora_search", "search", "zorblat", "--limit", "40"]
    proc = subprocess.Popen(
        [*argv, "--index", str(index_dir)],
        env=SUBPROCESS_ENV,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
    )
    assert proc.stdout is not None and proc.stderr is not None
    proc.stdout.close()
    err = proc.stderr.read().decode("utf-8", "replace")
    proc.wait(timeout=60)
    assert "Traceback" not in err, err
    assert "Exception ignored" not in err, err


def _limit_memory() -> None:  # pragma: no cover - runs in the child
    gib = 1024**3
    resource.setrlimit(resource.RLIMIT_AS, (gib, gib))


@pytest.mark.parametrize("query", LONG_QUERIES, ids=_ids(LONG_QUERIES))
def test_ten_thousand_character_query(index_dir: Path, query: str) -> None:
    """A 10,000-character query finishes in a process limited to 1 GiB of memory."""
    assert len(query) >= 9_999
    code = (
        "import sys, diaspora_search as ds\n"
        "index = ds.SearchIndex.open(sys.argv[1])\n"
        "try:\n"
        "    results = index.search(sys.stdin.read())\n"
        "except ds.DiasporaSearchError as error:\n"
        "    print('error', error)\n"
        "else:\n"
        "    print('hits', len(results))\n"
    )
    result = subprocess.run(
        [sys.executable, "-c", code, str(index_dir)],
        input=query,
        env=SUBPROCESS_ENV,
        capture_output=True,
        text=True,
        encoding="utf-8",
        timeout=30,
        preexec_fn=_limit_memory,
    )
    assert result.returncode == 0, result.stderr[-2000:]
    assert result.stdout.startswith(("hits", "error")), result.stdout


# Hypothesis --------------------------------------------------------------------------------

_SYNTAX = st.sampled_from(
    [
        '"', "'", "(", ")", "[", "]", "{", "}", "*", "?", "~", "^", ":", "-", "+", "\\", "/",
        "AND", "OR", "NOT", "TO", "title:", "id:", "summary_es:", "educación", "migrantes",
        "the", "de", "la", "2", "~2", "^3", " ", "  ", "\t", "\x00", "😀", "é", "e\u0301",
    ]
)  # fmt: skip


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(query=st.text(), lang=st.sampled_from([None, "en", "es"]))
def test_hypothesis_search_any_text(index: ds.SearchIndex, query: str, lang: str | None) -> None:
    _search_never_crashes(index, query, lang)


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(parts=st.lists(st.one_of(_SYNTAX, st.text(max_size=4)), max_size=12))
def test_hypothesis_search_query_syntax(index: ds.SearchIndex, parts: list[str]) -> None:
    _search_never_crashes(index, "".join(parts), None)
    _search_never_crashes(index, " ".join(parts), None)


@settings(max_examples=500, deadline=None)
@given(text=st.text(), lang=st.sampled_from(["en", "es"]))
def test_hypothesis_analyze_any_text(text: str, lang: str) -> None:
    terms = ds.analyze(text, lang)
    assert isinstance(terms, list)
    assert all(isinstance(t, str) and t for t in terms)
    assert isinstance(ds.fold(text), str)


@settings(max_examples=100, deadline=None)
@given(text=st.text(), lang=st.text(max_size=5))
def test_hypothesis_analyze_bad_language(text: str, lang: str) -> None:
    try:
        ds.analyze(text, lang)
    except ds.UnsupportedLanguageError as error:
        assert "en" in str(error) and "es" in str(error)


@pytest.mark.parametrize(
    "query",
    [
        '"the Mexican" IME',
        '"los mexicanos" IME',
        '"políticas públicas" gobierno',
        '"Estados Unidos" "the Mexican"',
    ],
)
def test_phrases_whose_words_have_several_written_forms(
    ime_index: ds.SearchIndex, query: str
) -> None:
    # A phrase word standing for several terms (mexican, mexicans; política, políticas) was a
    # SpanOr without a size estimate: an Or above it raised NotImplementedError.
    results = ime_index.search(query)
    assert results, query
