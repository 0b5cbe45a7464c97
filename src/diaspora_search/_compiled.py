"""The compiled core (``storage/_core.c``), or ``None``: the one place that decides whether it is
used.

It is used when it was built (``hatch_build.py`` builds it at install; ``python hatch_build.py``
in place) and the environment variable :data:`PURE_PYTHON_VARIABLE` is not set to ``1``. The
postings (``storage/postings.py``), the terms tables' hashes and the reading of postings blocks
and stored fields (``storage/codec.py``), the stored fields' compression (``storage/stored.py``),
the word breaker (``analysis/tokenizer.py``), the term lookups of queries (``storage/lookup.py``),
the scoring of word queries (``search/scorer.py``) and the exact-form ranking's folding of texts
(``search/rerank.py``) use it, and each has a pure-Python fallback
that gives the same results.

The extension lives in the storage package but is found and loaded here from that folder,
under its own name ``diaspora_search.storage._core``, without importing the package: the
analysis package is imported before storage (which imports analysis), so importing storage from
the tokenizer would be circular.
"""

from __future__ import annotations

import importlib.machinery
import importlib.util
import os
import sys
import warnings
from pathlib import Path
from typing import Any

PURE_PYTHON_VARIABLE = "DIASPORA_SEARCH_PURE_PYTHON"

_NAME = "diaspora_search.storage._core"

FUNCTIONS = (
    "add_positions",
    "add_words",
    "add_terms",
    "encode_term",
    "encode_field",
    "simple_words",
    "simple_word_spans",
    "held_words",
    "field_terms",
    "field_holders",
    "key_hashes",
    "hash_tables",
    "add_scores",
    "score_term",
    "collect_scores",
    "best_candidates",
    "best_in_segments",
    "flag_count",
    "held_leaves",
    "term_blocks",
    "stored_fields",
    "fold_chars",
)
"""What the package calls in the core: a build lacking any of them is not used."""

OPTIONAL_FUNCTIONS = ("deflate_blobs",)
"""What the core has when it was built with zlib (``hatch_build.py``), used when it is there:
``storage/stored.py`` compresses in Python without it."""


def _load() -> Any:
    if os.environ.get(PURE_PYTHON_VARIABLE) == "1":
        return None
    if _NAME in sys.modules:
        return sys.modules[_NAME]
    folder = str(Path(__file__).resolve().with_name("storage"))
    spec = importlib.machinery.PathFinder.find_spec(_NAME, [folder])
    if spec is None or spec.loader is None:
        return None
    module = importlib.util.module_from_spec(spec)
    sys.modules[_NAME] = module
    try:
        spec.loader.exec_module(module)
    except ImportError:
        del sys.modules[_NAME]
        return None
    missing = [name for name in FUNCTIONS if not hasattr(module, name)]
    if missing:  # built from an older _core.c (an in-place build, then a pull)
        del sys.modules[_NAME]
        warnings.warn(
            f"{spec.origin}: built from an older source (no {', '.join(missing)}); "
            "using pure Python: rebuild it with `python hatch_build.py`",
            RuntimeWarning,
            stacklevel=2,
        )
        return None
    return module


core: Any = _load()
"""The ``_core`` extension module, or ``None`` when the pure-Python fallbacks are used."""
