"""Symlinks among an index's files (issue 11, finding 4): the index never deletes or writes
through one. A symlinked ``MAIN.tmp`` (the writer's scratch folder) used to make the next
``add`` empty the folder it pointed to. The index folder itself may be a symlink."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

import diaspora_search as ds


@pytest.fixture
def victim(tmp_path: Path) -> Path:
    """A folder of someone's files, which no index operation may touch."""
    path = tmp_path / "precious"
    path.mkdir()
    (path / "thesis.txt").write_text("years of work")
    (path / "MAIN_x.seg").write_text("looks like a segment")
    return path


def _untouched(victim: Path) -> bool:
    return sorted(os.listdir(victim)) == ["MAIN_x.seg", "thesis.txt"] and (
        (victim / "thesis.txt").read_text() == "years of work"
    )


def test_a_symlinked_scratch_folder_is_never_emptied(tmp_path: Path, victim: Path) -> None:
    folder = tmp_path / "index"
    with ds.SearchIndex.create(folder) as index:
        index.add([{"id": "a", "summary_en": "first"}])
        (folder / "MAIN.tmp").symlink_to(victim, target_is_directory=True)
        index.add([{"id": "b", "summary_en": "second"}])
        index.delete(["a"])
        assert [hit.id for hit in index.search("second")] == ["b"]
        index.check()
    assert _untouched(victim)
    assert not (folder / "MAIN.tmp").is_symlink()


@pytest.mark.parametrize(
    "name",
    [
        "diaspora_search.json.tmp",
        "MAIN_WRITELOCK",
        "_MAIN_3.sums.tmp",
        "translations-learned.json.tmp",
    ],
)
def test_symlinked_files_are_never_written_through(tmp_path: Path, victim: Path, name: str) -> None:
    """A link planted where the index writes (or locks) a file of that name, pointing at a
    file of someone's and at a name that does not exist yet: neither is written or made."""
    folder = tmp_path / "index"
    index = ds.SearchIndex.create(folder)
    index.add([{"id": "a", "summary_en": "first", "summary_es": "primero"}])
    target = victim / "thesis.txt"
    dangling = victim / "created-through-a-link"
    for link_target in (target, dangling):
        link = folder / name
        if link.exists() or link.is_symlink():
            link.unlink()
        link.symlink_to(link_target)
        index.add([{"id": "b", "summary_en": "second", "summary_es": "segundo"}])
        index.learn()  # writes its table beside the index
        index.close()
        index = ds.SearchIndex.rebuild(folder, [{"id": "c", "summary_en": "third"}])
        assert [hit.id for hit in index.search("third")] == ["c"]
        index.check()
    index.close()
    assert _untouched(victim)


def test_a_symlinked_segment_is_never_read_or_deleted(tmp_path: Path, victim: Path) -> None:
    folder = tmp_path / "index"
    with ds.SearchIndex.create(folder) as index:
        index.add([{"id": "a", "summary_en": "first"}])
    (segment,) = folder.glob("*.seg")
    segment.unlink()
    segment.symlink_to(victim / "MAIN_x.seg")
    with pytest.raises(ds.IndexCorruptError, match=segment.name):
        ds.SearchIndex.open(folder).search("first")
    ds.SearchIndex.rebuild(folder, [{"id": "b", "summary_en": "new"}]).close()
    assert _untouched(victim)


def test_the_index_folder_itself_may_be_a_symlink(tmp_path: Path) -> None:
    real = tmp_path / "real"
    ds.SearchIndex.create(real).close()
    link = tmp_path / "link"
    link.symlink_to(real, target_is_directory=True)
    with ds.SearchIndex.open(link) as index:
        index.add([{"id": "a", "summary_en": "through the link"}])
        index.check()
    ds.SearchIndex.rebuild(link, [{"id": "b", "summary_en": "rebuilt"}]).close()
    assert link.is_symlink()
    with ds.SearchIndex.open(real) as index:
        assert [hit.id for hit in index.search("rebuilt")] == ["b"]
