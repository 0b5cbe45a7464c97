"""Every Python and shell sample in README.md runs as written.

A sample is a fenced block marked ``python`` or ``sh``. A sample preceded by the line
``<!-- readme-test: skip, REASON -->`` is not run: the two that install the package into a new
virtual environment (network and minutes; one of them runs this whole suite). Other blocks
(``text``, diagrams, tables of the code's layout) are not samples.
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

import pytest

import diaspora_search as ds

ROOT = Path(__file__).resolve().parents[1]
README = ROOT / "README.md"
SKIP = re.compile(r"<!-- readme-test: skip, (.+) -->")
FENCE = re.compile(r"^```(\w*)\n(.*?)^```\n", re.MULTILINE | re.DOTALL)


@dataclass(frozen=True)
class Sample:
    language: str
    code: str
    line: int
    skip: str | None

    def __str__(self) -> str:
        return f"README.md:{self.line}"


def samples() -> list[Sample]:
    text = README.read_text(encoding="utf-8")
    found = []
    for match in FENCE.finditer(text):
        language, code = match.groups()
        if language not in ("python", "sh"):
            continue
        before = text[: match.start()].rstrip("\n").rsplit("\n", 1)[-1]
        skip = SKIP.fullmatch(before)
        line = text.count("\n", 0, match.start()) + 2
        found.append(Sample(language, code, line, skip.group(1) if skip else None))
    return found


def run_samples(language: str) -> list[Sample]:
    return [s for s in samples() if s.language == language and s.skip is None]


def test_the_readme_has_samples_and_skips_only_the_installs() -> None:
    assert len(run_samples("python")) >= 1 and len(run_samples("sh")) >= 1
    skipped = [s.skip for s in samples() if s.skip is not None]
    assert len(skipped) == 2 and all("installs the package" in reason for reason in skipped)


@pytest.mark.parametrize("sample", run_samples("python"), ids=str)
def test_python_sample_runs_and_runs_again(
    sample: Sample,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    monkeypatch.chdir(tmp_path)
    code = compile(sample.code, str(sample), "exec")
    for _ in range(2):  # the second run finds the index the first one made
        exec(code, {"__name__": "__readme__"})
    assert capsys.readouterr().out


@pytest.mark.parametrize("sample", run_samples("sh"), ids=str)
def test_shell_sample_runs(sample: Sample, tmp_path: Path) -> None:
    # As from a checkout: `corpus/` beside it, `diaspora-search` on the PATH (this code's).
    (tmp_path / "corpus").symlink_to(ROOT / "corpus")
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    command = bin_dir / "diaspora-search"
    command.write_text(f'#!/bin/sh\nexec "{sys.executable}" -m diaspora_search "$@"\n')
    command.chmod(0o755)
    package_root = str(Path(ds.__file__).resolve().parents[1])
    env = {k: v for k, v in os.environ.items() if k != "DIASPORA_SEARCH_INDEX"}
    env["PATH"] = f"{bin_dir}{os.pathsep}{env.get('PATH', '')}"
    env["PYTHONPATH"] = os.pathsep.join(p for p in (package_root, env.get("PYTHONPATH")) if p)
    result = subprocess.run(
        ["bash", "-euo", "pipefail", "-c", sample.code],
        cwd=tmp_path,
        env=env,
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.returncode == 0, f"{sample}\n{result.stdout}\n{result.stderr}"
    assert result.stderr == "", f"{sample}: {result.stderr}"
    assert result.stdout
