"""The storage package: everything that knows Whoosh, behind one wall.

- ``schema.py``: the Whoosh schema, from the field table (``_fields.py``);
- ``analyzers.py``: the Whoosh adapters of the (pure) analysis;
- ``codec.py``: Whoosh's W3 postings and terms tables, written and read side by side;
- ``segment.py``, ``parallel.py``, ``builder.py``: the fast segment builder (also continued
  across the batches of a stream), and batches shared with builder processes (fresh
  interpreters fed documents through a pipe), watched while they run;
- ``memory.py``: whether the memory available allows starting a builder;
- ``writer.py``: write transactions and the write lock;
- ``weighting.py``, ``lowering.py``: BM25 for Whoosh, and query plans lowered to Whoosh queries,
  for the phrases and exclusions Whoosh runs;
- ``snapshot.py``: the read interface over one committed state (``damage.py``: a damaged file
  met while reading is one clear error);
- ``store.py``: an index folder, its versions and lifecycle;
- ``files.py``: the folder as Whoosh's storage: fsynced commits, no symlink followed;
  ``checksums.py``: each commit's checksum record; ``safe_pickle.py``: the restricted
  unpickler every pickle of an index is read with.

Nothing outside this package imports ``whoosh``; the supported Whoosh versions are checked here.
"""

from __future__ import annotations

from ._compat import check_whoosh_version

check_whoosh_version()

from .codec import LENGTH_OF_BYTE  # noqa: E402
from .snapshot import SegmentPostings, Snapshot  # noqa: E402
from .store import (  # noqa: E402
    INDEX_FORMAT,
    META_FILE,
    IndexStore,
    damaged_in,
    discard_new_index,
    is_empty_folder,
    is_index,
)
from .weighting import Statistics  # noqa: E402
from .writer import DEFAULT_LOCK_TIMEOUT, Writer  # noqa: E402

__all__ = [
    "DEFAULT_LOCK_TIMEOUT",
    "INDEX_FORMAT",
    "LENGTH_OF_BYTE",
    "META_FILE",
    "IndexStore",
    "SegmentPostings",
    "Snapshot",
    "Statistics",
    "Writer",
    "damaged_in",
    "discard_new_index",
    "is_empty_folder",
    "is_index",
]
