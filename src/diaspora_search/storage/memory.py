"""How much memory the machine can still give: whether starting a builder process is wise."""

from __future__ import annotations

from . import segment as _segment

MEMINFO = "/proc/meminfo"
CGROUP_MEMORY = "/sys/fs/cgroup/"

BUILDER_BASE = 60 * 1024 * 1024
"""A builder process's memory before any document: the interpreter, Whoosh and the analysis
(about 45 MB measured), with room."""

BYTES_PER_POSTING = 100
"""A segment's buffers per posting, with room for writing it out (about 63 measured)."""


def builder_bytes() -> int:
    """The most memory a builder process holds: its base and one segment's buffers."""
    return BUILDER_BASE + _segment.POSTINGS_PER_SEGMENT * BYTES_PER_POSTING


def memory_for_builder() -> bool:
    """Whether the memory available (``MemAvailable``, and the cgroup's limit where one is
    set) holds another builder (:func:`builder_bytes`). On a machine short of memory a
    second process only makes both page out (a run took 5x as long as Whoosh's); unknown
    (not Linux) counts as enough."""
    try:
        available = _meminfo_available()
    except (OSError, ValueError, IndexError):
        return True
    limit = _cgroup_room()
    if limit is not None:
        available = min(available, limit)
    return available >= builder_bytes()


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
