"""Peak memory of a process and its descendants, sampled from outside while it runs.

``getrusage``'s ``ru_maxrss`` of a forked helper counts every page it shares with its parent,
so "main + helpers" summed that way counts the shared pages twice. This samples, every
``interval`` seconds, ``/proc/<pid>/smaps_rollup`` of the process and of every descendant and
keeps the peaks of:

- ``pss``: the sum of their proportional set sizes (a page shared by two processes counts
  half in each): the memory the tree really holds;
- ``rss_uss``: the main process's RSS plus its descendants' unique set sizes (their private
  pages only);
- ``rss``: the sum of their RSS at one moment (counts shared pages once per process).

The sampler runs in the benchmark's parent, never in the measured process: a thread there
would change what it measures (our indexer builds in one process while other threads run).
Linux only (``available()`` says whether ``/proc`` has what it needs).
"""

from __future__ import annotations

import os
import threading
from dataclasses import dataclass, field

INTERVAL = 0.02


def available() -> bool:
    return os.path.exists("/proc/self/smaps_rollup")


@dataclass
class Usage:
    """Kilobytes of one process (from ``smaps_rollup``)."""

    rss: int = 0
    pss: int = 0
    private: int = 0  # Private_Clean + Private_Dirty: its unique set size


@dataclass
class Peaks:
    """The largest of each sum seen, in kilobytes, and the processes at the PSS peak."""

    pss: int = 0
    rss_uss: int = 0
    rss: int = 0
    processes: int = 0  # most processes seen at once
    # Each helper's own peak RSS since its exec (its VmHWM read after the exec; see
    # helper_peaks for both dicts). Its ``ru_maxrss`` is not that: a helper started by
    # ``posix_spawn`` (vfork) execs from its parent's address space, and the kernel carries
    # that space's high-water mark into the child's ``ru_maxrss``.
    helper_hwm: dict[int, int] = field(default_factory=dict)
    # Until its exec, such a helper shares its parent's address space (vfork), and its VmHWM
    # is the parent's: readings taken while its command line is still its parent's count only
    # for a helper never seen after an exec (one forked without exec, measured high, not low).
    pre_exec_hwm: dict[int, int] = field(default_factory=dict)
    at_pss_peak: list[Usage] = field(default_factory=list)  # main first

    def helper_peaks(self) -> list[int]:
        """Each helper's own peak, in kilobytes: after its exec where it was seen then."""
        helpers = self.pre_exec_hwm.keys() | self.helper_hwm.keys()
        return [self.helper_hwm.get(h, self.pre_exec_hwm.get(h, 0)) for h in helpers]

    def as_mb(self) -> dict[str, object]:
        return {
            "sampled_pss_mb": self.pss / 1024,
            "sampled_rss_uss_mb": self.rss_uss / 1024,
            "sampled_rss_sum_mb": self.rss / 1024,
            "sampled_processes": self.processes,
            "sampled_helper_hwm_mb": max(self.helper_peaks(), default=0) / 1024,
            "at_pss_peak_mb": [
                {"rss": u.rss / 1024, "pss": u.pss / 1024, "private": u.private / 1024}
                for u in self.at_pss_peak
            ],
        }


def command_line(pid: int) -> bytes | None:
    """A process's command line, or ``None`` once it has gone."""
    try:
        with open(f"/proc/{pid}/cmdline", "rb") as line:
            return line.read()
    except OSError:
        return None


def usage(pid: int) -> Usage | None:
    """One process's usage, or ``None`` once it has gone."""
    values: dict[str, int] = {}
    try:
        with open(f"/proc/{pid}/smaps_rollup") as rollup:
            for line in rollup:
                name, _, rest = line.partition(":")
                if rest.endswith("kB\n"):
                    values[name] = int(rest.split()[0])
    except (OSError, ValueError):
        return None
    if "Rss" not in values:  # (a zombie: nothing mapped)
        return None
    private = values.get("Private_Clean", 0) + values.get("Private_Dirty", 0)
    return Usage(values["Rss"], values.get("Pss", 0), private)


def high_water(pid: int) -> tuple[int, int] | None:
    """A process's ``VmHWM`` in kilobytes and its parent's pid, or ``None`` once it has gone."""
    found: dict[str, int] = {}
    try:
        with open(f"/proc/{pid}/status") as status:
            for line in status:
                name, _, value = line.partition(":")
                if name in ("VmHWM", "PPid"):
                    found[name] = int(value.split()[0])
    except (OSError, ValueError, IndexError):
        return None
    if "VmHWM" not in found or "PPid" not in found:
        return None
    return found["VmHWM"], found["PPid"]


def descendants(pid: int) -> list[int]:
    """Every process below ``pid`` (children first found through ``/proc/*/task/*/children``)."""
    found: list[int] = []
    pending = [pid]
    while pending:
        parent = pending.pop()
        try:
            tasks = os.listdir(f"/proc/{parent}/task")
        except OSError:
            continue
        for task in tasks:
            try:
                with open(f"/proc/{parent}/task/{task}/children") as children:
                    kids = [int(k) for k in children.read().split()]
            except OSError:
                continue
            found += kids
            pending += kids
    return found


class Sampler:
    """Samples ``pid``'s tree in a thread from :meth:`start` to :meth:`stop`."""

    def __init__(self, pid: int, interval: float = INTERVAL) -> None:
        self.pid = pid
        self.interval = interval
        self.peaks = Peaks()
        self._done = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def start(self) -> Sampler:
        self._thread.start()
        return self

    def stop(self) -> Peaks:
        self._done.set()
        self._thread.join()
        return self.peaks

    def _run(self) -> None:
        while not self._done.wait(self.interval):
            self.sample()

    def sample(self) -> None:
        main = usage(self.pid)
        if main is None:
            return
        helpers = [u for u in map(usage, descendants(self.pid)) if u is not None]
        peaks = self.peaks
        pss = main.pss + sum(u.pss for u in helpers)
        if pss > peaks.pss:
            peaks.pss = pss
            peaks.at_pss_peak = [main, *helpers]
        peaks.rss_uss = max(peaks.rss_uss, main.rss + sum(u.private for u in helpers))
        peaks.rss = max(peaks.rss, main.rss + sum(u.rss for u in helpers))
        peaks.processes = max(peaks.processes, 1 + len(helpers))
        for helper in descendants(self.pid):
            # (The command line read first: if it is no longer its parent's, the exec came
            # before the VmHWM read. Its own parent's, not the main process's: a helper's own
            # child shares the helper's address space until its exec.)
            line = command_line(helper)
            found = high_water(helper)
            if found is not None:
                hwm, parent = found
                execed = line != command_line(parent)
                seen = peaks.helper_hwm if execed else peaks.pre_exec_hwm
                seen[helper] = max(seen.get(helper, 0), hwm)
