"""The fast-path comparison with Whoosh (``test_fast_path.py``) again, with the compiled core
switched off: the pure-Python postings must write what Whoosh writes too."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from diaspora_search.storage import postings as _postings

REPO = Path(__file__).resolve().parents[2]


@pytest.mark.skipif(
    _postings.IMPLEMENTATION != "c", reason="this run already uses the pure-Python postings"
)
def test_the_fast_path_without_the_compiled_core() -> None:
    env = dict(os.environ, PYTHONPATH=str(REPO / "src"))
    env[_postings.PURE_PYTHON_VARIABLE] = "1"
    command = [sys.executable, "-m", "pytest", "-x", "-q", "-p", "no:cacheprovider"]
    done = subprocess.run(
        [*command, str(REPO / "tests" / "speed" / "test_fast_path.py")],
        cwd=REPO,
        env=env,
        capture_output=True,
        text=True,
        check=False,
    )
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-3000:]
    assert " passed" in done.stdout
