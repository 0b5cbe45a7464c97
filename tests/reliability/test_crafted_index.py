"""An index folder is data, never code (issue 11, finding 1).

A crafted folder pickles calls of ``os.system`` (each would create a marker file) in its table
of contents and in a record's stored field, with valid checksums (whoever crafted it rewrote
those too). Opening, searching, showing the hits, checking and reading the stored record run
none of them: each read that meets one raises ``IndexCorruptError``.
"""

from __future__ import annotations

import io
import os
import pickle
from pathlib import Path

import pytest
from whoosh.filedb.structfile import StructFile
from whoosh.index import FileIndex

import diaspora_search as ds
from diaspora_search.storage.checksums import bytes_sum, encode_sums, read_sums
from diaspora_search.storage.files import IndexFiles
from diaspora_search.storage.schema import build_schema

from ._helpers import run_cli


class Payload:
    """Pickles as a call of ``os.system`` that creates ``marker``."""

    def __init__(self, marker: Path) -> None:
        self.marker = marker

    def __reduce__(self) -> tuple[object, tuple[str]]:
        return (os.system, (f"touch {self.marker}",))


def _latest_toc(folder: Path) -> tuple[int, Path]:
    tocs = sorted(folder.glob("_MAIN_*.toc"), key=lambda p: int(p.stem.split("_")[-1]))
    toc = tocs[-1]
    return int(toc.stem.split("_")[-1]), toc


def _forge_toc(folder: Path, payload: object) -> None:
    """Replace the pickled segment list of the latest table of contents by ``payload`` and
    record matching checksums, as someone crafting the folder would."""
    generation, toc = _latest_toc(folder)
    stream = StructFile(io.BytesIO(toc.read_bytes()))
    for _ in range(3):
        stream.read_varint()
    stream.read_int()
    stream.read_int()
    for _ in range(3):
        stream.read_varint()
    stream.skip_string()
    stream.read_int()
    stream.read_int()
    head = toc.read_bytes()[: stream.tell()]
    forged = head + pickle.dumps(payload, 2)
    toc.write_bytes(forged)
    sums = read_sums(folder, generation)
    sums[toc.name] = bytes_sum(forged)
    (folder / f"_MAIN_{generation}.sums").write_bytes(encode_sums(generation, sums))


def _add_forged_record(folder: Path, payload: object) -> None:
    """A record whose stored ``url`` pickles ``payload``, written by Whoosh itself (so every
    checksum is right)."""
    ix = FileIndex(IndexFiles(folder), schema=build_schema(), indexname="MAIN")
    writer = ix.writer()
    writer.add_document(id="evil", summary_en="zorblat evil payload", url=payload)
    writer.commit()


@pytest.fixture
def folder(tmp_path: Path) -> Path:
    path = tmp_path / "index"
    with ds.SearchIndex.create(path) as index:
        index.add([{"id": "a", "summary_en": "zorblat migrants", "url": "https://a"}])
    return path


def test_a_forged_table_of_contents_runs_nothing(folder: Path, tmp_path: Path) -> None:
    marker = tmp_path / "ran-from-toc"
    _forge_toc(folder, [Payload(marker)])
    with pytest.raises(ds.IndexCorruptError, match=r"refused to unpickle posix\.system"):
        ds.SearchIndex.open(folder)
    result = run_cli("search", "zorblat", "--index", folder)
    assert result.returncode == 1 and "Traceback" not in result.stderr
    result = run_cli("check", "--index", folder)
    assert result.returncode == 1 and "Traceback" not in result.stderr
    assert not marker.exists()


def test_a_forged_stored_field_runs_nothing(folder: Path, tmp_path: Path) -> None:
    marker = tmp_path / "ran-from-stored-field"
    _add_forged_record(folder, Payload(marker))
    with ds.SearchIndex.open(folder) as index:
        index.check()  # its checksums are right: Whoosh wrote it
        assert len(index) == 2
        with pytest.raises(ds.IndexCorruptError, match=r"refused to unpickle posix\.system"):
            index.search("evil payload")  # shown as a hit: its stored fields are read
        snapshot = index._store.snapshot()
        evil = snapshot.document_number("id", "evil")
        assert evil is not None
        with pytest.raises(ds.IndexCorruptError) as info:
            snapshot.stored(evil)
        assert "\n" not in str(info.value) and "diaspora-search check" in str(info.value)
        assert snapshot.stored(snapshot.document_number("id", "a") or 0)["url"] == "https://a"
    result = run_cli("search", "evil", "--index", folder)
    assert result.returncode == 1 and "Traceback" not in result.stderr
    assert result.stderr.count("\n") == 1
    assert not marker.exists()


@pytest.mark.parametrize(
    "call",
    [(eval, ("__import__('os').system('touch {m}')",)), (exec, ("open('{m}', 'w')",))],
    ids=["eval", "exec"],
)
def test_builtins_that_run_code_are_refused(
    folder: Path, tmp_path: Path, call: tuple[object, tuple[str]]
) -> None:
    marker = tmp_path / "ran-builtin"
    function, (source,) = call

    class Builtin:
        def __reduce__(self) -> tuple[object, tuple[str]]:
            return (function, (source.format(m=marker),))

    _forge_toc(folder, Builtin())
    with pytest.raises(ds.IndexCorruptError, match=r"refused to unpickle (__builtin__|builtins)\."):
        ds.SearchIndex.open(folder)
    assert not marker.exists()
