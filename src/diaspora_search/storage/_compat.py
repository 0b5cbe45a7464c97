"""The Whoosh versions this package is written against, checked on import.

The fast path writes and reads Whoosh's W3 files through private names of whoosh-reloaded 2.7
(``storage/codec.py``, ``segment.py``, ``snapshot.py``): another release could change them
silently, so any other version is refused with a clear error rather than risk a wrong index.
"""

from __future__ import annotations

import whoosh

SUPPORTED = ((2, 7, 5), (2, 8, 0))
"""The tested range: at least the first, below the second (``pyproject.toml`` pins the same)."""


def supported_range() -> str:
    low, high = (".".join(map(str, v)) for v in SUPPORTED)
    return f">={low},<{high}"


def check_whoosh_version(version: tuple[int, ...] | None = None) -> None:
    """Raise ``ImportError`` naming the supported range if the installed Whoosh is outside it.

    >>> check_whoosh_version((2, 7, 5))
    >>> check_whoosh_version((3, 0, 0))
    Traceback (most recent call last):
    ...
    ImportError: diaspora_search needs whoosh-reloaded >=2.7.5,<2.8.0; found 3.0.0
    """
    found = tuple(version if version is not None else whoosh.__version__)[:3]
    low, high = SUPPORTED
    if not low <= found < high:
        raise ImportError(
            f"diaspora_search needs whoosh-reloaded {supported_range()}; "
            f"found {'.'.join(map(str, found))}"
        )
