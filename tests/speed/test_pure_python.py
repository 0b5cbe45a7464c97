"""The fast-path comparison with Whoosh (``test_fast_path.py``) again, with the compiled core
switched off: the pure-Python postings must write what Whoosh writes too (on the bundled and
synthetic records: the shared ones add time, not code paths)."""

from __future__ import annotations

from pathlib import Path

import pytest

from diaspora_search.storage import postings as _postings
from tests.fixtures.pure_python import pytest_without_core


@pytest.mark.skipif(
    _postings.IMPLEMENTATION != "c", reason="this run already uses the pure-Python postings"
)
def test_the_fast_path_without_the_compiled_core() -> None:
    output = pytest_without_core(Path(__file__).with_name("test_fast_path.py"))
    assert " passed" in output
