"""How many processes build a batch: decided from costs (``parallel.Costs``), injected here,
never from timings; and what a builder is sent and how it starts."""

from __future__ import annotations

import io
import pickle
import subprocess
import sys
import threading
from pathlib import Path

import pytest

import diaspora_search as ds
from diaspora_search.storage import builder as _builder
from diaspora_search.storage import parallel as _parallel
from diaspora_search.storage import stored
from diaspora_search.storage.parallel import Costs, workers_for
from diaspora_search.storage.writer import STREAM_BATCH

SRC = Path(_parallel.__file__).resolve().parents[2]


def idle(**changes: float) -> Costs:
    """The development machine's costs, its cores idle (a builder starts in 0.3 s)."""
    return Costs(**{"builder_start": 0.3, "builder_speed": 1.0, **changes})


def test_one_process_builds_alone() -> None:
    costs = idle()
    assert costs.seconds(5.0, 1) == 5.0


def test_a_batch_shorter_than_a_builders_start_waits_for_it_all_the_same() -> None:
    assert idle().seconds(0.1, 2) == pytest.approx(0.3)


def test_a_second_process_halves_what_is_left_after_its_start_less_the_feeding() -> None:
    # 0.3 s alone, then 2 s shared: this process builds ``own`` and feeds the rest, which
    # the builder builds meanwhile: own + 0.1 (2 - own) == 2 - own, so own = 1.8 / 1.9.
    costs = idle(feeding=0.1)
    own = 2 * 0.9 / 1.9
    assert costs.seconds(2.3, 2) == pytest.approx(0.3 + own + 0.1 * (2 - own))
    assert costs.seconds(2.3, 2) < costs.seconds(2.3, 1)
    assert costs.seconds(2.3, 4) < costs.seconds(2.3, 2)


def test_a_builder_without_a_core_gains_nothing() -> None:
    costs = idle(builder_speed=0.0)
    assert costs.seconds(10.0, 2) == pytest.approx(10.0)


def test_the_work_grows_with_records_and_with_their_text() -> None:
    costs = Costs(per_record=1e-4, per_char=1e-7)
    assert costs.work(1000, 0) == pytest.approx(0.1)
    assert costs.work(1000, 2_000_000) == pytest.approx(0.3)


def test_no_builder_for_a_batch_its_start_would_outlast() -> None:
    costs = idle(per_record=1e-4, per_char=0.0)
    assert workers_for(2000, 0, 2, costs) == 1  # 0.2 s of work: less than the start
    assert workers_for(3000, 0, 2, costs) == 1  # 0.3 s: a tie, so one
    assert workers_for(4000, 0, 2, costs) == 2
    assert workers_for(40_000, 0, 4, costs) == 4
    assert workers_for(40_000, 0, 1, costs) == 1  # one allowed


def test_the_callers_threads_keep_a_batch_in_one_process_but_its_compressing_thread_not(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    costs = idle(per_record=1e-4, per_char=0.0)
    # A stream's segment built here, its stored fields being compressed by their own thread
    # (the compiled core with zlib, or not: the thread is the module's in either case).
    monkeypatch.setattr(stored, "CHUNK", 2)
    if stored._deflate_blobs is None:
        monkeypatch.setattr(
            stored,
            "_deflate_blobs",
            lambda blobs, level: (b"".join(blobs), [len(b) for b in blobs]),
        )
    blobs = stored.StoredBlobs(io.BytesIO(), level=3, backward=False, folder=None)
    for _ in range(4):
        blobs.add(b"x")
    assert any(stored.is_compressor(t) for t in threading.enumerate())
    assert workers_for(40_000, 0, 2, costs) == 2
    release = threading.Event()
    caller = threading.Thread(target=release.wait)
    caller.start()
    try:
        assert workers_for(40_000, 0, 2, costs) == 1
    finally:
        release.set()
        caller.join()
        blobs.finish()


def test_long_texts_are_shared_where_as_many_short_records_are_not() -> None:
    costs = idle(per_record=1e-4, per_char=1e-7)
    assert workers_for(1000, 100_000, 2, costs) == 1
    assert workers_for(1000, 10_000_000, 2, costs) == 2


def test_a_busy_machine_keeps_the_batch_in_this_process() -> None:
    # As measured on this machine under a load of 3.5 to 6: a builder started in 1.1-1.9 s,
    # at 0.2-0.25 of a core; two processes took 1.1 to 2 times as long as one.
    assert workers_for(6000, 0, 2, idle(per_record=2e-4, per_char=0.0)) == 2
    busy = idle(per_record=2e-4, per_char=0.0, builder_start=1.5, builder_speed=0.2)
    assert workers_for(6000, 0, 2, busy) == 1
    assert busy.seconds(2.0, 2) > busy.seconds(2.0, 1) - 0.1  # (a builder at 0.2: little)


def test_a_builders_start_is_what_the_next_batches_decide_from() -> None:
    costs = idle()
    costs.builder_started(1.5, 0.3)  # a busy machine: 0.3 s of CPU took 1.5 s
    assert (costs.builder_start, costs.builder_speed) == (0.9, pytest.approx(0.6))
    costs.builder_started(0.3, 0.31)  # (CPU clocks tick in steps)
    assert (costs.builder_start, costs.builder_speed) == (0.6, pytest.approx(0.8))
    fixed = idle(measure=False)
    fixed.builder_started(1.5, 0.3)
    assert (fixed.builder_start, fixed.builder_speed) == (0.3, 1.0)


def test_slow_starts_never_keep_a_streams_batches_in_one_process() -> None:
    # (builders are measured again only when started: an estimate above a stream batch's work
    # would keep every later batch of the process in one process)
    costs = Costs()
    for _ in range(20):
        costs.builder_started(5.0, 0.5)
    assert costs.builder_start == _parallel.MAX_BUILDER_START
    assert workers_for(STREAM_BATCH, STREAM_BATCH * 372, 2, costs) == 2


def test_the_writer_weighs_a_batch_by_its_text(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(_parallel, "COSTS", idle(per_record=1e-4, per_char=1e-6, measure=False))
    short = [ds.Record(id=f"s{i}", summary_en="a short summary") for i in range(1000)]
    long = [ds.Record(id=f"l{i}", summary_en="a long summary " * 100) for i in range(1000)]
    index = ds.SearchIndex.create(tmp_path / "index")
    try:
        with index._store.writer(processes=2) as writer:
            assert writer._workers_for(short) == 1  # 0.1 s + 0.015 s
            assert writer._workers_for(long) == 2  # 0.1 s + 1.5 s
        with index._store.writer(processes=1) as writer:
            assert writer._workers_for(long) == 1
    finally:
        index.close()


def test_documents_reach_a_builder_as_they_were_made() -> None:
    documents = [
        {"id": "r1", "summary_en": "plain", "summary_es": "año de la migración", "year": 1920},
        {"id": "r2", "authors": ["Núñez", "Smith"], "tags": ["a"], "title_en": ""},
        {"id": "r3", "text_es": "\U0001f600 emoji and \udcff a lone surrogate"},
    ]
    assert _builder.decode_documents(_builder.encode_documents(documents)) == documents


def test_sending_documents_leaves_no_utf8_copy_on_the_callers_strings() -> None:
    # CPython keeps a string's UTF-8 form on it once asked for (pickle asks); its size
    # then counts it.
    text = "".join(["migración ", str(id(object()))]) * 50  # a fresh non-ASCII string
    author = "".join(["Núñez ", str(id(object()))])
    size, author_size = sys.getsizeof(text), sys.getsizeof(author)
    _builder.encode_documents([{"id": "r1", "summary_es": text, "authors": [author]}])
    assert (sys.getsizeof(text), sys.getsizeof(author)) == (size, author_size)
    pickle.dumps(text)  # what sending the string itself did
    assert sys.getsizeof(text) > size


def test_a_builder_imports_neither_the_public_interface_nor_the_search_side() -> None:
    # What ``_builder_main.py`` imports before it serves, in a fresh interpreter.
    main = Path(_builder.__file__).with_name("_builder_main.py")
    code = (
        "import importlib.util, sys\n"
        f"spec = importlib.util.spec_from_file_location('builder_main', {str(main)!r})\n"
        "entry = importlib.util.module_from_spec(spec); spec.loader.exec_module(entry)\n"
        "storage = str(entry.__file__).rsplit('/', 1)[0]\n"
        "entry.bare_package('diaspora_search', storage.rsplit('/', 1)[0])\n"
        "entry.bare_package('diaspora_search.storage', storage)\n"
        "import diaspora_search.storage.builder, diaspora_search.storage.parallel\n"
        "import diaspora_search.storage.schema\n"
        "print(' '.join(sorted(m for m in sys.modules if m.startswith('diaspora_search'))))\n"
    )
    done = subprocess.run(
        [sys.executable, "-c", code],
        capture_output=True,
        text=True,
        check=True,
        env={"PYTHONPATH": str(SRC)},
    )
    modules = set(done.stdout.split())
    assert {"diaspora_search.storage.segment", "diaspora_search.analysis.chain"} <= modules
    assert not {"diaspora_search._index", "diaspora_search.search"} & modules
    assert not {m for m in modules if m.startswith("diaspora_search.sharding")}
