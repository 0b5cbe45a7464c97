"""Build the compiled core (``src/diaspora_search/storage/_core.c``) when the package is built.

A hatchling build hook (``[tool.hatch.build.targets.wheel.hooks.custom]``): for a wheel the
extension is compiled into the wheel, which is then tagged for this interpreter and platform;
for an editable install (``pip install -e .``, which imports from ``src/``) it is compiled in
place beside its source. It needs nothing but a C compiler and the Python headers, which
PyICU's build needs too (and uses zlib's header where it is installed, as it is with the Python
headers on Debian and Ubuntu); without them the build warns and the package stays pure Python
(``_compiled.py`` finds no core, and every user of it falls back to Python).

Run directly, ``python hatch_build.py`` compiles the core in place for a checkout used through
``PYTHONPATH=src``.
"""

from __future__ import annotations

import shlex
import subprocess
import sys
import sysconfig
import tempfile
import warnings
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent
SOURCE = ROOT / "src" / "diaspora_search" / "storage" / "_core.c"
PACKAGE_PATH = "diaspora_search/storage"


class CompileError(Exception):
    """The compiler is missing or failed."""


def extension_name() -> str:
    """The file name of the compiled core for this interpreter (``_core.cpython-311-...so``)."""
    return "_core" + str(sysconfig.get_config_var("EXT_SUFFIX") or ".so")


def compile_core(directory: Path) -> Path:
    """Compile the core into ``directory`` with the compiler and flags Python was built with;
    the path of the extension. With zlib (its header and library) when it is installed, for
    the compression of stored fields beside the indexing (``_core.deflate_blobs``); without,
    and with a warning, when that build fails."""
    target = directory / extension_name()
    linker = shlex.split(str(sysconfig.get_config_var("LDSHARED") or "cc -shared"))
    command = [
        *linker,
        "-O2",
        "-fPIC",
        # (a * b + c rounded twice, as Python computes it: search/scorer.py's scores are
        # Python's to the bit)
        "-ffp-contract=off",
        f"-I{sysconfig.get_paths()['include']}",
        str(SOURCE),
        "-o",
        str(target),
    ]
    try:
        _run([*command, *WITH_ZLIB])
    except CompileError as error:
        _run(command)
        warnings.warn(
            f"the compiled core was built without zlib (stored fields are compressed in "
            f"Python): {error}",
            stacklevel=1,
        )
    return target


WITH_ZLIB = ("-DDIASPORA_ZLIB", "-lz")
"""What the core is built with when zlib's header and library are installed."""


def _run(command: list[str]) -> None:
    try:
        done = subprocess.run(command, capture_output=True, text=True, check=False)
    except OSError as error:
        raise CompileError(f"{command[0]}: {error}") from error
    if done.returncode != 0:
        raise CompileError(f"{shlex.join(command)} failed:\n{done.stderr.strip()}")


try:
    from hatchling.builders.hooks.plugin.interface import BuildHookInterface
except ImportError:  # run directly, without hatchling
    BuildHookInterface = object  # type: ignore[assignment,misc]


class CoreBuildHook(BuildHookInterface):  # type: ignore[misc,valid-type]
    """Compile the core into the wheel, or in place for an editable install."""

    PLUGIN_NAME = "custom"

    def initialize(self, version: str, build_data: dict[str, Any]) -> None:
        if self.target_name != "wheel":
            return
        try:
            if version == "editable":
                compile_core(SOURCE.parent)
                return
            built = compile_core(Path(tempfile.mkdtemp(prefix="diaspora-core-")))
        except CompileError as error:
            warnings.warn(
                f"the compiled core was not built, the package is pure Python: {error}",
                stacklevel=1,
            )
            return
        build_data["force_include"][str(built)] = f"{PACKAGE_PATH}/{built.name}"
        build_data["pure_python"] = False
        build_data["infer_tag"] = True


if __name__ == "__main__":
    try:
        print(compile_core(SOURCE.parent))
    except CompileError as error:
        sys.exit(str(error))
