"""The benchmark's memory sampler (``benchmarks/sampled_memory.py``): a helper's own peak is
read after its exec, where it was seen then, and never left out."""

from __future__ import annotations

import os
import sys
import time
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "benchmarks"))
import sampled_memory

pytestmark = pytest.mark.skipif(
    not sampled_memory.available(), reason="no /proc/<pid>/smaps_rollup on this system"
)


def test_a_reading_after_exec_is_the_helpers_own_peak() -> None:
    # Until its exec, a helper started by posix_spawn shares its parent's address space and
    # reports the parent's high-water mark: once it has been seen after its exec, that reading
    # is its own peak, whatever was seen before.
    peaks = sampled_memory.Peaks()
    peaks.pre_exec_hwm = {11: 113_000, 12: 113_000}
    peaks.helper_hwm = {11: 80_000}
    assert sorted(peaks.helper_peaks()) == [80_000, 113_000]
    assert peaks.as_mb()["sampled_helper_hwm_mb"] == 113_000 / 1024
    peaks.helper_hwm[12] = 70_000
    assert peaks.as_mb()["sampled_helper_hwm_mb"] == 80_000 / 1024


def test_a_helper_forked_without_exec_is_still_measured() -> None:
    # A child that never execs keeps its parent's command line: its readings are the
    # pre-exec kind, and count (its peak is reported, high rather than left out).
    child = os.fork()
    if child == 0:  # pragma: no cover  (the child)
        time.sleep(0.5)
        os._exit(0)
    try:
        sampler = sampled_memory.Sampler(os.getpid(), interval=0.02).start()
        time.sleep(0.2)
        peaks = sampler.stop()
    finally:
        os.waitpid(child, 0)
    assert child in peaks.pre_exec_hwm
    assert child not in peaks.helper_hwm
    assert peaks.as_mb()["sampled_helper_hwm_mb"] > 0
