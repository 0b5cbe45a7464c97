"""Checked commits (issue 11, finding 6): every file of a commit has a recorded checksum;
``check`` finds any damage, and a damaged file met while searching is one clear error."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

import diaspora_search as ds

from ._helpers import run_cli


def _tiny_index(folder: Path) -> None:
    with ds.SearchIndex.create(folder) as index:
        index.add([{"id": "a", "summary_en": "go home"}])


def _files(folder: Path) -> list[Path]:
    return sorted(p for p in folder.iterdir() if p.is_file() and p.stat().st_size > 0)


def test_every_single_bit_flip_in_any_file_is_caught(tmp_path: Path) -> None:
    """Every bit of every file (the segment, the table of contents, the checksum record and
    the metadata: 47,064 bits for one tiny record), flipped one at a time."""
    folder = tmp_path / "index"
    _tiny_index(folder)
    index = ds.SearchIndex.open(folder)
    index.check()
    flips = 0
    for path in _files(folder):
        fd = os.open(path, os.O_RDWR)
        try:
            for offset in range(path.stat().st_size):
                (byte,) = os.pread(fd, 1, offset)
                for bit in range(8):
                    os.pwrite(fd, bytes([byte ^ (1 << bit)]), offset)
                    with pytest.raises(ds.IndexCorruptError) as info:
                        index.check()
                    assert info.value.damaged, (path.name, offset, bit)
                    flips += 1
                os.pwrite(fd, bytes([byte]), offset)
        finally:
            os.close(fd)
    index.check()  # every byte restored: sound again
    assert flips > 30_000


def test_a_flipped_segment_bit_is_an_error_when_searching(tmp_path: Path) -> None:
    """Not a changed result: the first search of a process reads each file whole once."""
    folder = tmp_path / "index"
    _tiny_index(folder)
    (segment,) = folder.glob("*.seg")
    data = bytearray(segment.read_bytes())
    data[len(data) // 2] ^= 0x10
    segment.write_bytes(data)
    with ds.SearchIndex.open(folder) as index, pytest.raises(ds.IndexCorruptError) as info:
        index.search("home")
    message = str(info.value)
    assert "\n" not in message and segment.name in message
    assert "diaspora-search check" in message and "--rebuild" in message


@pytest.mark.parametrize(
    "keep", [0, 12, 1000, -1], ids=["empty", "12-bytes", "1000-bytes", "1-short"]
)
def test_a_truncated_segment_is_one_line_in_the_cli(tmp_path: Path, keep: int) -> None:
    folder = tmp_path / "index"
    _tiny_index(folder)
    (segment,) = folder.glob("*.seg")
    segment.write_bytes(segment.read_bytes()[:keep])
    for command in (["search", "home"], ["check"]):
        result = run_cli(*command, "--index", folder)
        assert result.returncode == 1, result
        assert "Traceback" not in result.stderr
        assert result.stderr.count("\n") == 1, result.stderr
        assert segment.name in result.stderr


def test_check_command(tmp_path: Path) -> None:
    folder = tmp_path / "index"
    _tiny_index(folder)
    result = run_cli("check", "--index", folder)
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip().endswith("ok (every file matches its checksum; 1 records)")
    (segment,) = folder.glob("*.seg")
    (sums,) = folder.glob("_MAIN_*.sums")
    segment.write_bytes(segment.read_bytes() + b"x")
    result = run_cli("check", "--index", folder)
    assert result.returncode == 1
    assert result.stderr.splitlines() == [
        f"diaspora-search: damaged: {folder}: {segment.name}: damaged "
        f"({segment.stat().st_size} bytes, {segment.stat().st_size - 1} recorded)"
    ]
    segment.unlink()
    sums.write_bytes(sums.read_bytes().replace(b'"format": 1', b'"format": 2'))
    result = run_cli("check", "--index", folder)
    assert result.returncode == 1
    assert result.stderr.splitlines() == [
        f"diaspora-search: damaged: {folder}: {sums.name}: damaged (its checksum does not match)"
    ]


def test_check_names_every_damaged_file(tmp_path: Path) -> None:
    folder = tmp_path / "index"
    with ds.SearchIndex.create(folder) as index:
        index.add([{"id": "a", "summary_en": "go home"}])
        index.add([{"id": "b", "summary_en": "stay home"}])
        segments = sorted(folder.glob("*.seg"))
        assert len(segments) == 2
        for segment in segments:
            segment.write_bytes(segment.read_bytes()[:-1])
        with pytest.raises(ds.IndexCorruptError) as info:
            index.check()
    assert [line.split(":")[0] for line in info.value.damaged] == [s.name for s in segments]
    assert "\n" not in str(info.value)


def test_an_index_without_checksums_is_refused_as_an_older_version(tmp_path: Path) -> None:
    """Indexes of format 1 (before checksums) have nothing to check against: refused with the
    advice to rebuild, which works and gives a checked index."""
    folder = tmp_path / "index"
    _tiny_index(folder)
    (folder / "diaspora_search.json").write_text(
        f'{{"format": 1, "analysis_version": {ds.ANALYSIS_VERSION}}}\n'
    )
    for sums in folder.glob("_MAIN_*.sums"):
        sums.unlink()
    with pytest.raises(ds.IndexVersionError, match=r"index format 1.*--rebuild"):
        ds.SearchIndex.open(folder)
    with ds.SearchIndex.rebuild(folder, [{"id": "b", "summary_en": "new"}]) as index:
        index.check()
        assert [hit.id for hit in index.search("new")] == ["b"]
