"""Index lifecycles owned by the library: create, open, open-or-create, rebuild as a commit."""

from __future__ import annotations

import os
import re
import stat
from pathlib import Path

import pytest

import diaspora_search as ds
from diaspora_search.storage import IndexStore
from diaspora_search.storage._compat import SUPPORTED, check_whoosh_version, supported_range
from tests.conftest import REPO


def records(prefix: str, n: int) -> list[dict[str, str]]:
    return [{"id": f"{prefix}{i}", "summary_en": f"{prefix} report number {i}"} for i in range(n)]


def test_open_with_create_makes_then_opens(tmp_path: Path) -> None:
    path = tmp_path / "new" / "index"
    with ds.SearchIndex.open(path, create=True) as index:
        index.add(records("a", 3))
    with ds.SearchIndex.open(path, create=True) as index:  # a second run opens it
        assert len(index) == 3


def test_open_with_create_refuses_a_folder_holding_something_else(tmp_path: Path) -> None:
    (tmp_path / "notes.txt").write_text("mine")
    with pytest.raises(ds.IndexExistsError):
        ds.SearchIndex.open(tmp_path, create=True)
    assert (tmp_path / "notes.txt").read_text() == "mine"


def test_rebuild_is_a_new_commit_that_open_indexes_see(tmp_path: Path) -> None:
    path = tmp_path / "index"
    reader = ds.SearchIndex.create(path)
    reader.add(records("old", 5))
    generation = IndexStore.open(path).snapshot().generation
    with ds.SearchIndex.rebuild(path, records("new", 3)) as rebuilt:
        assert len(rebuilt) == 3
    assert len(reader) == 3  # the index opened before sees the rebuild
    assert reader.search("new report number 2")[0].id == "new2"
    assert not reader.search("old")
    assert IndexStore.open(path).snapshot().generation > generation
    reader.close()


def test_rebuild_touches_only_the_index_files_and_keeps_mode_and_links(tmp_path: Path) -> None:
    real = tmp_path / "real"
    with ds.SearchIndex.create(real) as index:
        index.add(records("old", 5))
    (real / "README.txt").write_text("the archive's own notes")
    os.chmod(real, 0o755)
    link = tmp_path / "link"
    link.symlink_to(real)
    ds.SearchIndex.rebuild(link, records("new", 2)).close()
    assert link.is_symlink() and link.resolve() == real.resolve()
    assert (real / "README.txt").read_text() == "the archive's own notes"
    assert stat.S_IMODE(real.stat().st_mode) == 0o755
    assert not [p for p in tmp_path.iterdir() if p.name.startswith(".")]  # no debris beside it
    with ds.SearchIndex.open(real) as index:
        assert len(index) == 2


def test_rebuild_of_a_new_path_creates_it(tmp_path: Path) -> None:
    with ds.SearchIndex.rebuild(tmp_path / "a" / "b", records("x", 2)) as index:
        assert len(index) == 2


def test_rebuild_refuses_a_folder_that_is_not_an_index(tmp_path: Path) -> None:
    (tmp_path / "thesis.txt").write_text("years of work")
    with pytest.raises(ds.IndexExistsError, match="not a diaspora_search index"):
        ds.SearchIndex.rebuild(tmp_path, records("x", 2))
    assert (tmp_path / "thesis.txt").read_text() == "years of work"


def test_a_bad_record_refuses_the_rebuild_and_keeps_the_index(tmp_path: Path) -> None:
    path = tmp_path / "index"
    with ds.SearchIndex.create(path) as index:
        index.add(records("old", 4))
    with pytest.raises(ds.RecordError):
        ds.SearchIndex.rebuild(path, [*records("new", 2), {"id": "bad"}])
    with ds.SearchIndex.open(path) as index:
        assert len(index) == 4


def test_whoosh_version_is_checked() -> None:
    check_whoosh_version(SUPPORTED[0])
    with pytest.raises(ImportError, match=re.escape(supported_range())):
        check_whoosh_version(SUPPORTED[1])
    with pytest.raises(ImportError, match=re.escape("found 2.7.4")):
        check_whoosh_version((2, 7, 4))


def test_pyproject_pins_the_supported_range() -> None:
    pyproject = (REPO / "pyproject.toml").read_text(encoding="utf-8")
    low, high = SUPPORTED
    assert f'"whoosh-reloaded>={".".join(map(str, low))},<{high[0]}.{high[1]}"' in pyproject
