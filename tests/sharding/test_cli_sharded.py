"""The command line's sharded indexes, without Dask: ``index --shards N`` and ``search``."""

from __future__ import annotations

from pathlib import Path

import pytest

import diaspora_search as ds
from diaspora_search._cli import main

CORPUS = str(Path(__file__).parents[2] / "corpus" / "ime.jsonl")


def test_index_with_shards_then_search(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    folder = str(tmp_path / "ix")
    assert main(["index", CORPUS, "--index", folder, "--shards", "3"]) == 0
    assert capsys.readouterr().out.endswith("; the index holds 7\n")
    assert len(ds.ShardedIndex.open(folder)) == 7
    assert main(["index", CORPUS, "--index", folder]) == 0  # an update: the shards kept
    assert capsys.readouterr().out.endswith("; the index holds 7\n")
    assert main(["search", "educacion", "--index", folder, "--limit", "1"]) == 0
    assert "ime-protection-through-integration" in capsys.readouterr().out


def test_the_shard_count_is_fixed_and_rebuild_refused(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    folder = str(tmp_path / "ix")
    assert main(["index", CORPUS, "--index", folder, "--shards", "2"]) == 0
    capsys.readouterr()
    assert main(["index", CORPUS, "--index", folder, "--shards", "3"]) == 1
    err = capsys.readouterr().err
    assert err == (
        f"diaspora-search: error: {folder}: a sharded index of 2 shards; the shard count is "
        "fixed at creation (got --shards 3)\n"
    )
    assert main(["index", CORPUS, "--index", folder, "--rebuild"]) == 1
    assert "--rebuild is not supported for a sharded index" in capsys.readouterr().err
    assert main(["index", CORPUS, "--index", str(tmp_path / "b"), "--shards", "0"]) == 1
    assert "shards must be an integer from 1 to 1,000, got 0" in capsys.readouterr().err


def test_page_options_on_a_sharded_index(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """--offset, --filter, --facets and --sort as for one index."""
    one, folder = str(tmp_path / "one"), str(tmp_path / "ix")
    assert main(["index", CORPUS, "--index", one]) == 0
    assert main(["index", CORPUS, "--index", folder, "--shards", "3"]) == 0
    capsys.readouterr()
    for options in (
        ["--offset", "1", "--filter", "lang=es", "--facets", "year,lang", "--json"],
        ["--sort", "-year", "--offset", "2", "--limit", "3", "--json"],
    ):
        assert main(["search", "migrantes", "--index", one, *options]) == 0
        expected = capsys.readouterr().out
        assert main(["search", "migrantes", "--index", folder, *options]) == 0
        assert capsys.readouterr().out == expected


def test_get_on_a_sharded_index(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    one, folder = str(tmp_path / "one"), str(tmp_path / "ix")
    assert main(["index", CORPUS, "--index", one]) == 0
    assert main(["index", CORPUS, "--index", folder, "--shards", "3"]) == 0
    capsys.readouterr()
    record = "ime-protection-through-integration"
    assert main(["get", record, "--index", one, "--json"]) == 0
    expected = capsys.readouterr().out
    assert main(["get", record, "--index", folder, "--json"]) == 0
    assert capsys.readouterr().out == expected
    assert ds.ShardedIndex.open(folder).get(record) == ds.SearchIndex.open(one).get(record)
    assert main(["get", "no-such-id", "--index", folder]) == 1
