"""A builder process's entry point (``python -m diaspora_search.storage._builder_main FOLDER``;
the folder only names whose builder it is): see ``builder.py``. A module of its own, which
nothing imports, so that running it never imports ``builder.py`` twice."""

import sys

if __name__ == "__main__":  # (collecting the package's doctests imports it too)
    from diaspora_search.storage.builder import serve

    sys.exit(serve(sys.stdin.buffer, sys.stdout.buffer))
