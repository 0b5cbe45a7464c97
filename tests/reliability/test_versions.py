"""Index versions: an index written by an incompatible version (or with damaged metadata) gives a
clear error that says to rebuild it with ``diaspora-search index --rebuild``."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path

import pytest

import diaspora_search as ds
from diaspora_search.storage.checksums import checked_json

from ._helpers import assert_one_line_error, bundled_records, files_snapshot, run_cli

META = "diaspora_search.json"
REBUILD = "diaspora-search index --rebuild"


def _set(key: str, value: object) -> Callable[[Path], None]:
    """The metadata as another version would write it (with a valid checksum)."""

    def tamper(folder: Path) -> None:
        meta = json.loads((folder / META).read_text())
        meta.pop("crc32")
        meta[key] = value
        (folder / META).write_bytes(checked_json(meta))

    return tamper


def _write(text: str) -> Callable[[Path], None]:
    def tamper(folder: Path) -> None:
        (folder / META).write_text(text)

    return tamper


def _damage_toc(folder: Path) -> None:
    (toc,) = folder.glob("_MAIN_*.toc")
    toc.write_bytes(toc.read_bytes()[:10])


VERSION_MISMATCHES: list[tuple[str, Callable[[Path], None]]] = [
    ("older-analysis", _set("analysis_version", ds.ANALYSIS_VERSION - 1)),
    ("newer-analysis", _set("analysis_version", ds.ANALYSIS_VERSION + 1)),
    ("analysis-as-string", _set("analysis_version", str(ds.ANALYSIS_VERSION))),
    ("analysis-missing", _set("analysis_version", None)),
    ("newer-format", _set("format", 99)),
]
DAMAGES: list[tuple[str, Callable[[Path], None]]] = [
    ("meta-not-json", _write("{not json")),
    ("meta-empty", _write("")),
    ("meta-not-an-object", _write("[1, 2]")),
    ("meta-not-utf8", lambda folder: (folder / META).write_bytes(b"\xff\xfe")),
    ("whoosh-toc-damaged", _damage_toc),
]
TAMPERINGS = VERSION_MISMATCHES + DAMAGES
EXPECTED_ERROR = {
    **{name: ds.IndexVersionError for name, _ in VERSION_MISMATCHES},
    **{name: ds.IndexCorruptError for name, _ in DAMAGES},
}


@pytest.fixture
def folder(tmp_path: Path) -> Path:
    path = tmp_path / "index"
    with ds.SearchIndex.create(path) as index:
        index.add(bundled_records())
    return path


@pytest.mark.parametrize(("name", "tamper"), TAMPERINGS, ids=[n for n, _ in TAMPERINGS])
def test_open_says_to_rebuild(folder: Path, name: str, tamper: Callable[[Path], None]) -> None:
    """A version mismatch is an IndexVersionError, a damaged index an IndexCorruptError."""
    tamper(folder)
    with pytest.raises(EXPECTED_ERROR[name]) as info:
        ds.SearchIndex.open(folder)
    message = str(info.value)
    assert isinstance(info.value, ds.DiasporaSearchError)
    assert "\n" not in message
    assert str(folder) in message
    assert REBUILD in message


@pytest.mark.parametrize("tamper", [t for _, t in TAMPERINGS], ids=[n for n, _ in TAMPERINGS])
def test_cli_says_to_rebuild_and_rebuild_works(
    folder: Path, tamper: Callable[[Path], None]
) -> None:
    tamper(folder)
    before = files_snapshot(folder)
    assert_one_line_error(run_cli("search", "diaspora", "--index", folder), REBUILD)
    corpus = ds.bundled_corpus()
    assert_one_line_error(run_cli("index", corpus, "--index", folder), REBUILD)
    assert files_snapshot(folder) == before  # an update never writes into such an index

    result = run_cli("index", corpus, "--index", folder, "--rebuild")
    assert result.returncode == 0, result.stderr
    with ds.SearchIndex.open(folder) as index:
        assert len(index) == 7
        assert index.search("diaspora")


def test_message_names_both_versions(folder: Path) -> None:
    _set("analysis_version", 0)(folder)
    with pytest.raises(ds.IndexVersionError, match=f"analysis version {ds.ANALYSIS_VERSION}"):
        ds.SearchIndex.open(folder)


def test_missing_index_is_not_a_version_error(tmp_path: Path) -> None:
    with pytest.raises(ds.IndexNotFoundError, match="diaspora-search index"):
        ds.SearchIndex.open(tmp_path / "nothing-here")
    assert_one_line_error(run_cli("search", "x", "--index", tmp_path / "nothing-here"), "index")


def test_rebuild_replaces_only_an_index(tmp_path: Path) -> None:
    """``--rebuild`` deletes the folder it replaces: never one that is not an index."""
    precious = tmp_path / "documents"
    precious.mkdir()
    (precious / "thesis.txt").write_text("years of work")
    result = run_cli("index", ds.bundled_corpus(), "--index", precious, "--rebuild")
    assert_one_line_error(result, "not a diaspora_search index")
    assert (precious / "thesis.txt").read_text() == "years of work"
    empty = tmp_path / "empty"
    empty.mkdir()
    for target in (empty, tmp_path / "new" / "index"):
        result = run_cli("index", ds.bundled_corpus(), "--index", target, "--rebuild")
        assert result.returncode == 0, result.stderr
        with ds.SearchIndex.open(target) as index:
            assert len(index) == 7
