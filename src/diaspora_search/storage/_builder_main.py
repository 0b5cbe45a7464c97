"""A builder process's entry point (``python .../storage/_builder_main.py FOLDER``; the
folder only names whose builder it is): see ``builder.py``.

Run by its path, not with ``-m``, so that the packages ``diaspora_search`` and
``diaspora_search.storage`` are made bare (their folders, without running their
``__init__``): a builder needs the analysis, the segment code and Whoosh's writing side, not
the package's public interface, which imports the searching side, the sharding and more.
Measured: 0.28 s and 41.5 MB to import what a builder needs, against 0.40 s and 46 MB
through the package. Its own folder, which Python puts first on ``sys.path`` for a script, is
taken off it (``-P`` would, from Python 3.11 only). Nothing imports this module."""

import importlib.util
import os
import sys


def bare_package(name: str, folder: str) -> None:
    """Register the package ``name`` at ``folder`` without running its ``__init__``: its
    submodules import as usual."""
    init = os.path.join(folder, "__init__.py")
    spec = importlib.util.spec_from_file_location(name, init, submodule_search_locations=[folder])
    assert spec is not None
    sys.modules[name] = importlib.util.module_from_spec(spec)


if __name__ == "__main__":  # (collecting the package's doctests imports it too)
    storage = os.path.dirname(os.path.abspath(__file__))
    sys.path[:] = [p for p in sys.path if os.path.abspath(p or os.curdir) != storage]
    bare_package("diaspora_search", os.path.dirname(storage))
    bare_package("diaspora_search.storage", storage)
    from diaspora_search.storage.builder import serve

    sys.exit(serve(sys.stdin.buffer, sys.stdout.buffer))
