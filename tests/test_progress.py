"""Progress of a write: phases, one callback per real step, tqdm bars only when asked."""

from __future__ import annotations

import io
import threading
from pathlib import Path

import pytest

import diaspora_search as ds
from diaspora_search._cli import main
from diaspora_search._progress import COMMITTING, INDEXING, READING, TerminalProgress, reporter


def records(n: int) -> list[dict[str, object]]:
    return [{"id": str(i), "summary_en": f"remittances report {i}"} for i in range(n)]


@pytest.mark.parametrize("count", [1, 3, 600, 5000])
def test_the_callback_fires_once_per_new_count(tmp_path: Path, count: int) -> None:
    seen: list[tuple[int, int | None]] = []
    with ds.SearchIndex.create(tmp_path / "i") as index:
        index.add(records(count), progress=lambda done, total: seen.append((done, total)))
    assert seen[-1] == (count, count)
    done = [d for d, _ in seen]
    assert done == sorted(set(done))  # strictly increasing: never the same step twice
    assert all(total == count for _, total in seen)


def test_a_three_record_batch_reports_once(tmp_path: Path) -> None:
    seen: list[tuple[int, int | None]] = []
    with ds.SearchIndex.create(tmp_path / "i") as index:
        index.add(records(3), progress=lambda done, total: seen.append((done, total)))
    assert seen == [(3, 3)]


def test_rebuild_reports_through_the_callback(tmp_path: Path) -> None:
    with ds.SearchIndex.create(tmp_path / "i") as index:
        index.add(records(5))
    seen: list[tuple[int, int | None]] = []
    ds.SearchIndex.rebuild(tmp_path / "i", records(4), progress=lambda d, t: seen.append((d, t)))
    assert seen == [(4, 4)]


def test_the_callback_gets_the_total_once_it_is_known() -> None:
    seen: list[tuple[int, int | None]] = []
    steps = reporter(lambda done, total: seen.append((done, total)))
    steps.phase(READING)
    steps.update(7)  # reading is not reported to a callback
    steps.phase(INDEXING)  # streamed: the total is not known yet
    steps.update(2)
    steps.update(5, total=9)
    steps.update(9)
    steps.phase(COMMITTING)
    steps.close()
    assert seen == [(2, None), (5, 9), (9, 9)]


def test_bars_show_every_phase_with_time_and_rate(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    with ds.SearchIndex.create(tmp_path / "i") as index:
        index.add(records(50), progress=True)
    out, err = capsys.readouterr()
    assert out == ""
    last_lines = [line.split("\r")[-1] for line in err.split("\n")[:-1]]
    assert [line.split()[0] for line in last_lines] == ["reading:", "indexing:", "committing"]
    reading, indexing, committing = last_lines
    # (A list's length is known: its reading has a bar too.)
    assert reading.startswith("reading: 100%") and "50/50 [00:00" in reading
    assert indexing.startswith("indexing: 100%") and "50/50 [00:00<00:00" in indexing
    assert committing.startswith("committing 00:0")


def test_an_unknown_total_shows_a_count_then_a_bar() -> None:
    stream = io.StringIO()
    bar = TerminalProgress(stream)
    bar.phase(INDEXING)
    bar.update(5)
    bar.close()
    assert stream.getvalue().split("\r")[-1].startswith("indexing: 5 records [00:00, ")
    stream = io.StringIO()
    bar = TerminalProgress(stream)
    bar.phase(INDEXING)
    bar.update(5)
    bar.update(10, total=10)
    bar.close()
    assert stream.getvalue().split("\r")[-1].startswith("indexing: 100%")


def test_only_committing_runs_a_thread() -> None:
    # While indexing, a running thread would keep the indexer from forking its builders.
    before = threading.active_count()
    bar = TerminalProgress(io.StringIO())
    bar.phase(READING)
    bar.phase(INDEXING, total=10)
    bar.update(10)
    assert threading.active_count() == before
    bar.phase(COMMITTING)
    assert threading.active_count() == before + 1
    bar.close()
    assert threading.active_count() == before


def test_the_cli_shows_progress_only_when_asked_or_on_a_terminal(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    corpus = str(ds.bundled_corpus())
    assert main(["index", corpus, "--index", str(tmp_path / "a")]) == 0
    assert capsys.readouterr().err == ""  # standard error is not a terminal here
    assert main(["index", corpus, "--index", str(tmp_path / "b"), "--progress"]) == 0
    out, err = capsys.readouterr()
    assert out == f"indexed 7 records from {corpus}; the index holds 7\n"
    # (The CLI streams its input, read as it is indexed: no reading phase of its own.)
    assert "indexing: 100%" in err and "7/7" in err and "committing" in err
