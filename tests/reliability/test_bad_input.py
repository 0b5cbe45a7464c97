"""Bad corpus input, through the API and the CLI: every case is refused with one line naming the
file, the line and the key, exit code 1, and the index exactly as it was. Plus the inputs that
must be accepted (BOM, CRLF, an empty file) and ``--skip-invalid``."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

import diaspora_search as ds

from ._helpers import (
    assert_one_line_error,
    bundled_records,
    files_snapshot,
    run_cli,
    search_snapshot,
)

GOOD = (
    {"id": "good-1", "summary_en": "Remittances sent home to Oaxaca", "title_en": "Oaxaca"},
    {"id": "good-2", "summary_es": "Las remesas enviadas a Oaxaca", "title_es": "Remesas"},
)
"""Two valid lines that precede each bad line: none of them may get in."""

VALID = {"id": "bad-1", "summary_en": "A summary about diaspora policy"}


def _with(**changes: Any) -> dict[str, Any]:
    record = {**VALID, **changes}
    return {k: v for k, v in record.items() if v is not _DROP}


_DROP = object()

LINE_LIMIT = 16 * 1024 * 1024
"""The longest line read (``_jsonl.MAX_LINE_BYTES``), kept here so the table is built even when
the library does not have it."""


def _deep(levels: int) -> bytes:
    return b'{"id": "bad-1", "summary_en": "x", "authors": ' + b"[" * levels + b"]" * levels + b"}"


def _year(literal: bytes) -> bytes:
    return b'{"id": "bad-1", "summary_en": "x", "year": ' + literal + b"}"


_dup_key = b'{"id": "bad-1", "summary_en": "kept?", "summary_en": "or this?"}'
# Valid JSON, and a record the character limit alone would refuse without saying why it is
# slow: a line one byte over the limit.
_long_line = b'{"id": "bad-1", "summary_en": "' + b"x" * (LINE_LIMIT - 32) + b'"}'
assert len(_long_line) == LINE_LIMIT + 1

# (case, the bad line as bytes or as a dict, the key the error must name or None, a phrase the
# message must hold). The bad line is always line 3 of its file.
BAD_LINES: list[tuple[str, bytes | dict[str, Any], str | None, str]] = [
    ("json-truncated", b'{"id": "bad-1", "summary_en": "x"', None, "invalid JSON"),
    ("json-trailing-comma", b'{"id": "bad-1", "summary_en": "x",}', None, "invalid JSON"),
    ("json-single-quotes", b"{'id': 'bad-1'}", None, "invalid JSON"),
    ("json-garbage", b"hello world", None, "invalid JSON"),
    ("json-two-objects", b'{"id": "a", "summary_en": "x"} {"id": "b"}', None, "invalid JSON"),
    ("json-nan", b'{"id": "bad-1", "summary_en": "x", "year": NaN}', "year", "integer"),
    ("not-object-array", b'["bad-1", "x"]', None, "expected a JSON object, got an array"),
    ("not-object-string", b'"bad-1"', None, "expected a JSON object, got a string"),
    ("not-object-number", b"42", None, "expected a JSON object, got a number"),
    ("not-object-null", b"null", None, "expected a JSON object, got null"),
    ("not-object-bool", b"true", None, "expected a JSON object, got a boolean"),
    ("id-missing", _with(id=_DROP), "id", "missing"),
    ("id-empty", _with(id=""), "id", "blank"),
    ("id-blank", _with(id="  \t "), "id", "blank"),
    ("id-number", _with(id=7), "id", "must be a string"),
    ("id-null", _with(id=None), "id", "must be a string"),
    ("id-list", _with(id=["bad-1"]), "id", "must be a string"),
    ("id-too-long", _with(id="x" * 257), "id", "the limit is 256"),
    ("id-lone-surrogate", b'{"id": "bad-\\ud800", "summary_en": "x"}', "id", "surrogate"),
    ("id-nul", b'{"id": "bad-\\u0000", "summary_en": "x"}', "id", "NUL"),
    ("duplicate-id", _with(id="good-1"), "id", "duplicate id 'good-1'"),
    ("no-summary", _with(summary_en=_DROP, title_en="Only a title"), "summary_en", "summary"),
    ("blank-summaries", _with(summary_en=" ", summary_es="\n\t"), "summary_en", "summary"),
    ("title-number", _with(title_en=5), "title_en", "must be a string"),
    ("title-es-bool", _with(title_es=False), "title_es", "must be a string"),
    ("summary-list", _with(summary_en=["x"]), "summary_en", "must be a string"),
    ("summary-null", _with(summary_es=None), "summary_es", "must be a string"),
    ("summary-nul", _with(summary_en="a\x00b"), "summary_en", "NUL"),
    ("summary-lone-surrogate", b'{"id": "b", "summary_en": "\\udfff"}', "summary_en", "surrogate"),
    ("source-number", _with(source=3), "source", "must be a string"),
    ("url-object", _with(url={"href": "x"}), "url", "must be a string"),
    ("authors-string", _with(authors="Ana Pérez"), "authors", "list of strings"),
    ("authors-number-inside", _with(authors=["Ana", 3]), "authors", "list of strings"),
    ("authors-nested", _with(authors=[["Ana"]]), "authors", "list of strings"),
    ("year-string", _with(year="1999"), "year", "integer"),
    ("year-float", _with(year=1999.5), "year", "integer"),
    ("year-bool", _with(year=True), "year", "integer"),
    ("unknown-key-typo", _with(sumary_en="x"), "sumary_en", "unknown key"),
    ("unknown-key-case", _with(Title_en="x"), "Title_en", "unknown key"),
    ("unknown-key-extra", _with(keywords=["a"]), "keywords", "unknown key"),
    ("invalid-utf8", b'{"id": "bad-1", "summary_en": "caf\xe9"}', None, "invalid UTF-8"),
    ("invalid-utf8-truncated", b'{"id": "bad-1", "summary_en": "\xc3"}', None, "invalid UTF-8"),
    ("utf16", '{"id": "bad-1"}'.encode("utf-16"), None, "invalid UTF-8"),
    # Bounds on what a line can make the reader do (the reliability issue's corpus findings).
    ("json-deep-nesting", _deep(1200), None, "nesting deeper than 64 levels"),
    ("json-deep-unclosed", b'{"id": "bad-1", "authors": ' + b"[" * 1200, None, "nesting deeper"),
    ("json-duplicate-key", _dup_key, "summary_en", "duplicate key in one object"),
    ("year-5000-digits", _year(b"9" * 5000), "year", "at most 18 digits, got one of 5,000"),
    ("year-19-digits", _with(year=-(10**18)), "year", "at most 18 digits"),
    ("year-infinity", _year(b"Infinity"), "year", "must be an integer, got a number"),
    ("year-minus-infinity", _year(b"-Infinity"), "year", "must be an integer, got a number"),
    ("year-1e400", _year(b"1e400"), "year", "must be an integer, got a number"),
    ("year-integral-float", _year(b"1999.0"), "year", "must be an integer, got a number"),
    ("number-of-5000-digits", b"7" * 5000, None, "expected a JSON object, got a number"),
    ("line-too-long", _long_line, None, f"line is over {LINE_LIMIT:,} bytes"),
    (
        "record-too-large",
        _with(summary_en="palabra " * (ds.MAX_RECORD_CHARS // 8 + 1)),
        None,
        f"the limit is {ds.MAX_RECORD_CHARS:,}",
    ),
]

# Cases that can be handed to SearchIndex.add as Python objects (not raw bytes).
API_OBJECTS = [
    (case, line, key, phrase)
    for case, line, key, phrase in BAD_LINES
    if isinstance(line, dict) or case.startswith("not-object")
]


def _line_bytes(line: bytes | dict[str, Any]) -> bytes:
    if isinstance(line, bytes):
        return line
    return json.dumps(line, ensure_ascii=False).encode("utf-8")


def _write_corpus(path: Path, bad: bytes | dict[str, Any], *, newline: bytes = b"\n") -> Path:
    lines = [json.dumps(r, ensure_ascii=False).encode() for r in GOOD] + [_line_bytes(bad)]
    path.write_bytes(newline.join(lines) + newline)
    return path


def _bundled_index(folder: Path) -> Path:
    with ds.SearchIndex.create(folder) as index:
        index.add(bundled_records())
    return folder


@pytest.fixture
def index_dir(tmp_path: Path) -> Path:
    """An index of the bundled corpus, for a test that changes it."""
    return _bundled_index(tmp_path / "index")


@pytest.fixture(scope="module")
def refusing_index(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, tuple[object, ...]]:
    """An index of the bundled corpus shared by the tests that must leave it unchanged, and its
    snapshot (each such test checks it, so a test that changed it fails itself)."""
    folder = _bundled_index(tmp_path_factory.mktemp("refusing") / "index")
    return folder, _snapshot(folder)


def _snapshot(folder: Path) -> tuple[object, ...]:
    """Every file's bytes, the record count, and the hits of a few queries."""
    return (files_snapshot(folder), search_snapshot(folder))


def _check_error(message: str, name: str, line: int | None, key: str | None, phrase: str) -> None:
    assert "\n" not in message
    assert name in message
    if line is not None:
        assert f"{name}:{line}:" in message
    if key is not None:
        assert f"key {key!r}" in message
    assert phrase in message


# The API ------------------------------------------------------------------------------------


@pytest.mark.parametrize("newline", [b"\n", b"\r\n"], ids=["lf", "crlf"])
@pytest.mark.parametrize(("case", "bad", "key", "phrase"), BAD_LINES, ids=[c[0] for c in BAD_LINES])
def test_api_read_corpus_refuses(
    case: str,
    bad: bytes | dict[str, Any],
    key: str | None,
    phrase: str,
    newline: bytes,
    tmp_path: Path,
) -> None:
    path = _write_corpus(tmp_path / f"{case}.jsonl", bad, newline=newline)
    with pytest.raises(ds.RecordError) as info:
        ds.read_corpus(path)
    error = info.value
    _check_error(str(error), str(path), 3, key, phrase)
    assert (error.source, error.line, error.key) == (str(path), 3, key)
    assert isinstance(error, ds.DiasporaSearchError)


@pytest.mark.parametrize(
    ("case", "bad", "key", "phrase"), API_OBJECTS, ids=[c[0] for c in API_OBJECTS]
)
def test_api_add_refuses_and_leaves_index_unchanged(
    case: str,
    bad: bytes | dict[str, Any],
    key: str | None,
    phrase: str,
    refusing_index: tuple[Path, tuple[object, ...]],
) -> None:
    folder, before = refusing_index
    obj: object = json.loads(bad) if isinstance(bad, bytes) else bad
    with ds.SearchIndex.open(folder) as index, pytest.raises(ds.RecordError) as info:
        index.add([*GOOD, obj])
    _check_error(str(info.value), "<records>", 3, key, phrase)
    assert _snapshot(folder) == before


# The CLI ------------------------------------------------------------------------------------


@pytest.mark.parametrize(("case", "bad", "key", "phrase"), BAD_LINES, ids=[c[0] for c in BAD_LINES])
def test_cli_refuses_and_leaves_index_unchanged(
    case: str,
    bad: bytes | dict[str, Any],
    key: str | None,
    phrase: str,
    refusing_index: tuple[Path, tuple[object, ...]],
    tmp_path: Path,
) -> None:
    folder, before = refusing_index
    newline = b"\r\n" if sum(map(ord, case)) % 2 else b"\n"  # half the cases with CRLF
    path = _write_corpus(tmp_path / f"{case}.jsonl", bad, newline=newline)
    result = run_cli("index", path.name, "--index", folder, cwd=tmp_path)
    message = assert_one_line_error(result)
    _check_error(message, path.name, 3, key, phrase)
    assert result.stdout == ""
    assert _snapshot(folder) == before


def test_cli_refused_file_creates_no_index(tmp_path: Path) -> None:
    path = _write_corpus(tmp_path / "bad.jsonl", _with(sumary_en="x"))
    result = run_cli("index", path, "--index", tmp_path / "new-index")
    assert_one_line_error(result, "bad.jsonl:3", "'sumary_en'")
    assert not (tmp_path / "new-index" / "diaspora_search.json").exists()


def test_bad_second_file_refuses_the_first_too(
    refusing_index: tuple[Path, tuple[object, ...]], tmp_path: Path
) -> None:
    index_dir, before = refusing_index
    """Several files are one batch: a bad line in the second keeps the first file out."""
    first = tmp_path / "first.jsonl"
    first.write_text(json.dumps({"id": "only-in-first", "summary_en": "Diaspora"}) + "\n")
    second = _write_corpus(tmp_path / "second.jsonl", _with(year="1999"))
    result = run_cli("index", first, second, "--index", index_dir)
    assert_one_line_error(result, "second.jsonl:3", "'year'")
    assert _snapshot(index_dir) == before
    with pytest.raises(ds.RecordError, match=r"second\.jsonl:3: key 'year'"):
        ds.read_corpus([first, second])


def test_duplicate_id_across_files_is_refused(
    refusing_index: tuple[Path, tuple[object, ...]], tmp_path: Path
) -> None:
    index_dir, before = refusing_index
    first = _write_corpus(tmp_path / "first.jsonl", VALID)
    second = tmp_path / "second.jsonl"
    second.write_text(json.dumps({"id": "good-2", "summary_en": "again"}) + "\n")
    result = run_cli("index", first, second, "--index", index_dir)
    assert_one_line_error(result, "second.jsonl:1", "key 'id'", "duplicate id 'good-2'")
    assert _snapshot(index_dir) == before


@pytest.mark.parametrize("kind", ["missing", "directory"])
def test_missing_file_is_refused(
    kind: str, refusing_index: tuple[Path, tuple[object, ...]], tmp_path: Path
) -> None:
    index_dir, before = refusing_index
    path = tmp_path / "no-such.jsonl"
    if kind == "directory":
        path.mkdir()
    with pytest.raises(ds.RecordError, match=r"no-such\.jsonl") as info:
        ds.read_corpus(path)
    assert "\n" not in str(info.value)
    with pytest.raises(ds.RecordError):
        ds.read_corpus(path, skip_invalid=True)
    for extra in ([], ["--skip-invalid"]):
        result = run_cli("index", path, "--index", index_dir, *extra)
        assert_one_line_error(result, "no-such.jsonl")
    assert _snapshot(index_dir) == before


# What is accepted -----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("bom", "newline"),
    [(b"", b"\n"), (b"\xef\xbb\xbf", b"\n"), (b"", b"\r\n"), (b"\xef\xbb\xbf", b"\r\n")],
    ids=["plain", "bom", "crlf", "bom-crlf"],
)
def test_bom_and_crlf_are_accepted(bom: bytes, newline: bytes, tmp_path: Path) -> None:
    records = [
        {"id": "crlf-1", "summary_es": "La educación de los migrantes", "title_es": "Educación"},
        {"id": "crlf-2", "summary_en": "Consular support", "authors": ["Ana Pérez"]},
    ]
    body = newline.join(json.dumps(r, ensure_ascii=False).encode() for r in records)
    path = tmp_path / "ok.jsonl"
    path.write_bytes(bom + body + newline + newline + b"  " + newline)  # blank lines ignored
    corpus = ds.read_corpus(path)
    assert [r.to_dict() for r in corpus.records] == records
    assert corpus.refused == []
    result = run_cli("index", path, "--index", tmp_path / "index")
    assert result.returncode == 0, result.stderr
    assert "indexed 2 records" in result.stdout
    with ds.SearchIndex.open(tmp_path / "index") as index:
        assert len(index) == 2
        assert [h.id for h in index.search("educacion")] == ["crlf-1"]
        assert index.search("educacion")[0].title == "Educación"


def test_bom_is_only_skipped_at_the_start(tmp_path: Path) -> None:
    path = tmp_path / "bom.jsonl"
    good = json.dumps(GOOD[0]).encode()
    path.write_bytes(good + b"\n\xef\xbb\xbf" + json.dumps(GOOD[1]).encode() + b"\n")
    with pytest.raises(ds.RecordError, match=r"bom\.jsonl:2: invalid JSON"):
        ds.read_corpus(path)


@pytest.mark.parametrize("content", [b"", b"\n\n", b"\xef\xbb\xbf", b"  \r\n\t\n"])
def test_empty_file_holds_zero_records(content: bytes, index_dir: Path, tmp_path: Path) -> None:
    path = tmp_path / "empty.jsonl"
    path.write_bytes(content)
    assert ds.read_corpus(path).records == []
    before = search_snapshot(index_dir)
    result = run_cli("index", path, "--index", index_dir)
    assert result.returncode == 0, result.stderr
    assert result.stderr == ""
    assert "0 records" in result.stdout
    assert search_snapshot(index_dir) == before
    with ds.SearchIndex.open(index_dir) as index:
        assert index.add(ds.read_corpus(path).records) == 0


def test_empty_file_into_new_index(tmp_path: Path) -> None:
    path = tmp_path / "empty.jsonl"
    path.write_bytes(b"")
    result = run_cli("index", path, "--index", tmp_path / "index")
    assert result.returncode == 0, result.stderr
    assert "0 records" in result.stdout
    with ds.SearchIndex.open(tmp_path / "index") as index:
        assert len(index) == 0


def test_record_at_the_size_limit_is_accepted(tmp_path: Path) -> None:
    summary = "x" * (ds.MAX_RECORD_CHARS - len("big"))
    (record,) = ds.read_corpus(_write_one(tmp_path, {"id": "big", "summary_en": summary})).records
    assert len(record.summary_en) == ds.MAX_RECORD_CHARS - 3
    too_big = {"id": "big", "summary_en": summary + "x"}
    with pytest.raises(ds.RecordError, match="limit"):
        ds.read_corpus(_write_one(tmp_path, too_big))


def _write_one(tmp_path: Path, record: dict[str, Any]) -> Path:
    path = tmp_path / "one.jsonl"
    path.write_text(json.dumps(record) + "\n", encoding="utf-8")
    return path


# --skip-invalid -----------------------------------------------------------------------------


def _messy_corpus(path: Path) -> tuple[list[str], list[int]]:
    """A file mixing valid lines and every kind of bad line: the valid ids, the bad lines."""
    lines = [json.dumps(r).encode() for r in GOOD]  # so that the duplicate id is one
    valid = [r["id"] for r in GOOD]
    bad: list[int] = []
    for i, (_, line, _, _) in enumerate(BAD_LINES):
        good = {"id": f"messy-{i}", "summary_en": f"Diaspora record {i}"}
        lines.append(json.dumps(good).encode())
        valid.append(good["id"])
        lines.append(_line_bytes(line))
        bad.append(len(lines))
    path.write_bytes(b"\n".join(lines) + b"\n")
    return valid, bad


def test_api_skip_invalid_keeps_valid_and_lists_every_refused(
    index_dir: Path, tmp_path: Path
) -> None:
    path = tmp_path / "messy.jsonl"
    valid, bad = _messy_corpus(path)
    corpus = ds.read_corpus(path, skip_invalid=True)
    assert isinstance(corpus, ds.Corpus)
    assert [r.id for r in corpus.records] == valid
    assert [e.line for e in corpus.refused] == bad
    assert all(isinstance(e, ds.RecordError) and e.source == str(path) for e in corpus.refused)
    assert all("\n" not in str(e) for e in corpus.refused)
    with ds.SearchIndex.open(index_dir) as index:
        before = len(index)
        assert index.add(corpus.records) == len(valid)
        assert len(index) == before + len(valid)
        assert [h.id for h in index.search('"record 7"', limit=1)] == ["messy-7"]


def test_cli_skip_invalid_reports_count_and_first_few(index_dir: Path, tmp_path: Path) -> None:
    path = tmp_path / "messy.jsonl"
    valid, bad = _messy_corpus(path)
    before = search_snapshot(index_dir)[0]
    result = run_cli("index", path.name, "--index", index_dir, "--skip-invalid", cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    assert "Traceback" not in result.stderr
    err = result.stderr.splitlines()
    assert f"refused {len(bad)} invalid line(s)" in err[0]
    shown = [line for line in err[1:] if "messy.jsonl:" in line]
    assert 1 <= len(shown) < len(bad)  # the first few, not all of them
    for number, line in zip(bad, shown, strict=False):
        assert f"messy.jsonl:{number}:" in line
    assert f"and {len(bad) - len(shown)} more" in err[-1]
    assert f"indexed {len(valid)} records" in result.stdout
    assert search_snapshot(index_dir)[0] == before + len(valid)


def test_cli_skip_invalid_with_nothing_valid(index_dir: Path, tmp_path: Path) -> None:
    path = tmp_path / "all-bad.jsonl"
    path.write_bytes(b"[1]\n{oops\n")
    before = search_snapshot(index_dir)
    result = run_cli("index", path, "--index", index_dir, "--skip-invalid")
    assert result.returncode == 0, result.stderr
    assert "refused 2 invalid line(s)" in result.stderr
    assert "0 records" in result.stdout
    assert search_snapshot(index_dir) == before


def test_skip_invalid_keeps_the_first_of_a_duplicate_id(tmp_path: Path) -> None:
    path = tmp_path / "dup.jsonl"
    rows = [{"id": "d", "summary_en": "first"}, {"id": "d", "summary_en": "second"}]
    path.write_text("\n".join(json.dumps(r) for r in rows) + "\n")
    corpus = ds.read_corpus(path, skip_invalid=True)
    assert [r.summary_en for r in corpus.records] == ["first"]
    assert [(e.line, e.key) for e in corpus.refused] == [(2, "id")]
