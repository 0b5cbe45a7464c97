"""Corpus input that could exhaust memory, hang the reader or crash it: each is bounded and
refused with one ``RecordError`` line naming the file, the line and (where there is one) the key.
The table in ``test_bad_input.py`` holds the one-line cases; these need more than one line."""

from __future__ import annotations

import io
import json
import os
import subprocess
import sys
import threading
import tracemalloc
from pathlib import Path

import pytest

import diaspora_search as ds
from diaspora_search import _jsonl

from ._helpers import SUBPROCESS_ENV, assert_one_line_error, run_cli

LIMIT = 16 * 1024 * 1024


def _write(path: Path, *lines: bytes) -> Path:
    path.write_bytes(b"".join(line + b"\n" for line in lines))
    return path


def _record(rid: str, **extra: object) -> bytes:
    return json.dumps({"id": rid, "summary_en": "Diaspora", **extra}).encode()


def test_limits_are_documented_values() -> None:
    assert _jsonl.MAX_LINE_BYTES == LIMIT
    assert _jsonl.MAX_DEPTH == 64
    assert _jsonl.MAX_INTEGER_DIGITS == 18


# Nesting ------------------------------------------------------------------------------------


@pytest.mark.parametrize(("levels", "refused"), [(63, False), (64, True), (1200, True)])
def test_nesting_is_bounded_before_parsing(levels: int, refused: bool, tmp_path: Path) -> None:
    # The record object is one level, so authors nested `levels` deep make levels + 1 in all.
    line = b'{"id": "a", "summary_en": "x", "authors": ' + b"[" * levels + b"]" * levels + b"}"
    path = _write(tmp_path / "deep.jsonl", _record("ok"), line)
    phrase = "nesting deeper than 64 levels" if refused else "key 'authors': must be a list"
    with pytest.raises(ds.RecordError, match=phrase) as info:
        ds.read_corpus(path)
    assert (info.value.line, str(path) in str(info.value)) == (2, True)


def test_deep_nesting_does_not_abort_skip_invalid(tmp_path: Path) -> None:
    deep = b"[" * 5000 + b"]" * 5000
    path = _write(tmp_path / "deep.jsonl", _record("a"), deep, b"{" * 5000, _record("b"))
    corpus = ds.read_corpus(path, skip_invalid=True)
    assert [r.id for r in corpus.records] == ["a", "b"]
    assert [(e.line, "nesting deeper" in e.reason) for e in corpus.refused] == [
        (2, True),
        (3, True),
    ]


def test_brackets_inside_strings_do_not_count(tmp_path: Path) -> None:
    text = '[{"x\\"[[' * 2000 + "\\\\"
    path = _write(tmp_path / "brackets.jsonl", _record("a", title_en=text, authors=["]" * 99]))
    (record,) = ds.read_corpus(path).records
    assert record.title_en == json.loads(json.dumps(text))


# Integers and duplicate keys ----------------------------------------------------------------


def test_year_of_18_digits_is_the_largest(tmp_path: Path) -> None:
    largest = 10**18 - 1
    path = _write(tmp_path / "years.jsonl", _record("a", year=largest), _record("b", year=-largest))
    assert [r.year for r in ds.read_corpus(path).records] == [largest, -largest]
    assert ds.Record.from_dict({"id": "c", "summary_en": "x", "year": largest}).year == largest
    with pytest.raises(ds.RecordError, match="key 'year': must be an integer of at most 18"):
        ds.Record.from_dict({"id": "c", "summary_en": "x", "year": 10**5000})


def test_huge_integers_anywhere_are_refused_by_type(tmp_path: Path) -> None:
    big = b"9" * 100_000
    path = _write(
        tmp_path / "big.jsonl",
        b'{"id": "a", "summary_en": "x", "authors": [' + big + b"]}",
        b'{"id": ' + big + b', "summary_en": "x"}',
    )
    corpus = ds.read_corpus(path, skip_invalid=True)
    assert [(e.line, e.key) for e in corpus.refused] == [(1, "authors"), (2, "id")]
    assert all("got a number" in e.reason or "holding a number" in e.reason for e in corpus.refused)


def test_duplicate_key_in_a_nested_object_is_refused(tmp_path: Path) -> None:
    path = _write(
        tmp_path / "dup.jsonl", b'{"id": "a", "summary_en": "x", "url": {"h": 1, "h": 2}}'
    )
    with pytest.raises(ds.RecordError, match=r"dup\.jsonl:1: key 'h': duplicate key in one object"):
        ds.read_corpus(path)


# Files that are not regular files -----------------------------------------------------------


def _read_in_thread(path: Path, **kwargs: bool) -> BaseException | ds.Corpus:
    """read_corpus(path) in a thread; a reader blocked opening a FIFO is released and fails."""
    outcome: list[BaseException | ds.Corpus] = []

    def run() -> None:
        try:
            outcome.append(ds.read_corpus(path, **kwargs))
        except BaseException as error:
            outcome.append(error)

    thread = threading.Thread(target=run, daemon=True)
    thread.start()
    thread.join(10)
    if thread.is_alive():  # blocked in open(): give it a writer that closes at once
        os.close(os.open(path, os.O_WRONLY | os.O_NONBLOCK))
        thread.join(10)
        pytest.fail(f"read_corpus({path.name}) blocked opening a FIFO")
    return outcome[0]


@pytest.mark.skipif(not hasattr(os, "mkfifo"), reason="no FIFOs here")
@pytest.mark.parametrize("skip_invalid", [False, True])
def test_fifo_is_refused_without_opening_it(skip_invalid: bool, tmp_path: Path) -> None:
    fifo = tmp_path / "corpus.jsonl"
    os.mkfifo(fifo)
    outcome = _read_in_thread(fifo, skip_invalid=skip_invalid)
    assert isinstance(outcome, ds.RecordError), outcome
    assert str(outcome).startswith(f"{fifo}: not a regular file")
    assert "'-'" in str(outcome)  # the way to read a pipe


@pytest.mark.skipif(not os.path.exists("/dev/null"), reason="no /dev/null")
def test_device_is_refused(tmp_path: Path) -> None:
    with pytest.raises(ds.RecordError, match=r"^/dev/null: not a regular file"):
        ds.read_corpus("/dev/null", skip_invalid=True)
    result = run_cli("index", "/dev/null", "--index", tmp_path / "ix")
    assert_one_line_error(result, "/dev/null: not a regular file")
    assert not (tmp_path / "ix").exists()


@pytest.mark.skipif(sys.platform != "linux", reason="needs /dev/zero and RLIMIT_AS")
def test_dev_zero_is_refused_in_bounded_memory(tmp_path: Path) -> None:
    # In a child limited to 1 GiB, so that a regression fails instead of filling the machine.
    code = (
        "import resource, diaspora_search as ds\n"
        "resource.setrlimit(resource.RLIMIT_AS, (1 << 30, 1 << 30))\n"
        "for source in ['/dev/zero', open('/dev/zero', 'rb')]:\n"
        "    try:\n"
        "        ds.read_corpus(source)\n"
        "    except ds.RecordError as error:\n"
        "        print(error)\n"
    )
    result = subprocess.run(
        [sys.executable, "-c", code],
        capture_output=True,
        text=True,
        timeout=120,
        env=SUBPROCESS_ENV,
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.splitlines() == [
        "/dev/zero: not a regular file (a device, pipe or socket); to read a pipe, pass '-' and "
        "give it on standard input",
        f"/dev/zero:1: line is over {LIMIT:,} bytes, the limit for one line",
    ]


# Standard input and file objects ------------------------------------------------------------


class _Stdin:
    def __init__(self, data: bytes) -> None:
        self.buffer = io.BufferedReader(io.BytesIO(data))


def test_dash_reads_standard_input(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(sys, "stdin", _Stdin(_record("a") + b"\n\n" + _record("b") + b"\n[1]\n"))
    corpus = ds.read_corpus("-", skip_invalid=True)
    assert [r.id for r in corpus.records] == ["a", "b"]
    assert [str(e) for e in corpus.refused] == ["<stdin>:4: expected a JSON object, got an array"]


def test_binary_file_object_is_read_and_left_open(tmp_path: Path) -> None:
    stream = io.BytesIO(b"\xef\xbb\xbf" + _record("a") + b"\r\n" + _record("a") + b"\r\n")
    with pytest.raises(ds.RecordError) as info:
        ds.read_corpus(stream)
    assert str(info.value).startswith("<stream>:2: key 'id': duplicate id 'a' in this batch")
    assert "(first at <stream>:1)" in str(info.value)
    assert not stream.closed
    path = _write(tmp_path / "named.jsonl", _record("n"))
    with path.open("rb") as f:
        assert [r.id for r in ds.read_corpus([f, io.BytesIO(_record("m"))]).records] == ["n", "m"]
    with path.open("r") as text, pytest.raises(ds.RecordError, match="binary mode"):
        ds.read_corpus(text)  # type: ignore[arg-type]


def test_cli_reads_standard_input(tmp_path: Path) -> None:
    def index(data: bytes) -> subprocess.CompletedProcess[bytes]:
        return subprocess.run(
            [sys.executable, "-m", "diaspora_search", "index", "-", "--index", tmp_path / "ix"],
            input=data,
            capture_output=True,
            env=SUBPROCESS_ENV,
            timeout=120,
        )

    result = index(_record("a") + b"\n" + _record("b") + b"\n")
    assert result.returncode == 0, result.stderr
    assert b"indexed 2 records" in result.stdout
    result = index(_record("c") + b"\n{oops\n")
    assert result.returncode == 1
    assert result.stderr.decode().startswith("diaspora-search: error: <stdin>:2: invalid JSON")
    with ds.SearchIndex.open(tmp_path / "ix") as ix:
        assert len(ix) == 2


# Long lines ---------------------------------------------------------------------------------


class _Endless(io.RawIOBase):
    """Zero bytes as if without end (a pipe from /dev/zero), counting what was read.

    It does end, after four times the limit, so that a reader that does not stop at the limit
    fails this test instead of filling the machine's memory.
    """

    def __init__(self) -> None:
        self.given = 0

    def readable(self) -> bool:
        return True

    def readinto(self, buffer: memoryview) -> int:  # type: ignore[override]
        size = min(len(buffer), 4 * LIMIT - self.given)
        buffer[:size] = bytes(size)
        self.given += size
        return size


def test_endless_line_is_refused_after_the_limit() -> None:
    raw = _Endless()
    with pytest.raises(ds.RecordError, match=r"^<stream>:1: line is over 16,777,216 bytes"):
        ds.read_corpus(io.BufferedReader(raw))
    assert raw.given < LIMIT + 1024 * 1024


def test_line_at_the_limit_is_read_and_one_over_is_refused(tmp_path: Path) -> None:
    line = _record("a")
    at_limit = line + b" " * (LIMIT - len(line))  # whitespace after the object is valid JSON
    path = _write(tmp_path / "edge.jsonl", at_limit, at_limit + b" ", _record("b"))
    corpus = ds.read_corpus(path, skip_invalid=True)
    assert [r.id for r in corpus.records] == ["a", "b"]
    assert [(e.line, e.reason) for e in corpus.refused] == [
        (2, f"line is over {LIMIT:,} bytes, the limit for one line")
    ]
    path.write_bytes(at_limit)  # the last line, without a newline
    assert [r.id for r in ds.read_corpus(path).records] == ["a"]


def test_over_long_line_is_skipped_without_holding_it(tmp_path: Path) -> None:
    path = tmp_path / "long.jsonl"
    with path.open("wb") as f:
        f.write(_record("a") + b"\n")
        f.write(b'{"id": "big", "summary_en": "' + b"x" * (4 * LIMIT) + b'"}\n')
        f.write(_record("b") + b"\n")
    tracemalloc.start()
    try:
        corpus = ds.read_corpus(path, skip_invalid=True)
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert [r.id for r in corpus.records] == ["a", "b"]
    assert [e.line for e in corpus.refused] == [2]
    # At most the limit twice over (readline joins the pieces it reads), not the line.
    assert peak < LIMIT * 2.5, f"peak {peak:,} bytes for a {4 * LIMIT:,}-byte line"
