"""How much memory the machine can still give: whether forking a builder is wise."""

from __future__ import annotations

import os

MEMINFO = "/proc/meminfo"
CGROUP_MEMORY = "/sys/fs/cgroup/"


def memory_for_fork() -> bool:
    """Whether the memory available (``MemAvailable``, and the cgroup's limit where one is
    set) holds twice this process's resident size: a forked builder counts every page it
    shares with this one, copies those it writes to (reference counts), and adds its own
    buffers. On a machine short of memory a second process only makes both page out (a run
    took 5x as long as Whoosh's); unknown (not Linux) counts as enough."""
    try:
        with open("/proc/self/statm") as statm:
            resident = int(statm.read().split()[1]) * os.sysconf("SC_PAGE_SIZE")
        available = _meminfo_available()
    except (OSError, ValueError, IndexError):
        return True
    limit = _cgroup_room()
    if limit is not None:
        available = min(available, limit)
    return available >= 2 * resident


def _meminfo_available() -> int:
    with open(MEMINFO) as meminfo:
        for line in meminfo:
            if line.startswith("MemAvailable:"):
                return int(line.split()[1]) * 1024
    raise ValueError("no MemAvailable")


def _cgroup_room() -> int | None:
    """Bytes left under this process's cgroup (v2) memory limit, or ``None`` without one."""
    try:
        with open(CGROUP_MEMORY + "memory.max") as limit_file:
            limit = limit_file.read().strip()
        if limit == "max":
            return None
        with open(CGROUP_MEMORY + "memory.current") as current_file:
            return int(limit) - int(current_file.read())
    except (OSError, ValueError):
        return None
