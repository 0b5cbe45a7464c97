"""Sharded indexes: N ordinary index folders built in parallel and searched as one.

- ``manifest.py``: the manifest, the routing hash and the two-phase commit of a batch;
- ``build.py``: phase 1, one shard's part written into a new folder (a Dask task);
- ``statistics.py``: the collection statistics and vocabulary, summed from the shards;
- ``shard.py``: the tasks run where a shard is read (heads, statistics, stored fields);
- ``searcher.py``: the fan-out, the merge and the reranking of a search;
- ``runner.py``: where tasks run (this process, local processes, Dask: the only Dask user);
- ``index.py``: :class:`ShardedIndex`, the facade.
"""

from __future__ import annotations

from .index import ShardedIndex
from .manifest import is_sharded_index, route
from .runner import connect

__all__ = ["ShardedIndex", "connect", "is_sharded_index", "route"]
