"""hatch_build.py: the compiled core builds with the interpreter's compiler, and a missing
compiler is a CompileError (which the build hook turns into a warning and a pure-Python
package)."""

from __future__ import annotations

import importlib.util
import shutil
import sysconfig
from pathlib import Path
from types import ModuleType

import pytest

ROOT = Path(__file__).resolve().parents[1]


@pytest.fixture
def hatch_build() -> ModuleType:
    spec = importlib.util.spec_from_file_location("hatch_build", ROOT / "hatch_build.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_the_core_compiles_and_imports(hatch_build: ModuleType, tmp_path: Path) -> None:
    linker = str(sysconfig.get_config_var("LDSHARED") or "cc").split()[0]
    if shutil.which(linker) is None:
        pytest.skip(f"no C compiler ({linker})")
    built = hatch_build.compile_core(tmp_path)
    assert built.name == hatch_build.extension_name()
    spec = importlib.util.spec_from_file_location("_core", built)
    assert spec is not None and spec.loader is not None
    core = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(core)
    if Path("/usr/include/zlib.h").exists():  # (where zlib is installed, it is built in)
        assert hasattr(core, "deflate_blobs")
    postings: dict[str, bytearray] = {}
    assert core.add_positions(postings, ["a", "", "a", "b"], 5) == (2, 3)
    assert postings == {"a": bytearray([5, 2, 0, 2]), "b": bytearray([5, 1, 3])}


def test_a_missing_compiler_is_a_compile_error(
    hatch_build: ModuleType, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    real = sysconfig.get_config_var

    def without_compiler(name: str) -> object:
        return str(tmp_path / "no-such-cc") if name == "LDSHARED" else real(name)

    monkeypatch.setattr(hatch_build.sysconfig, "get_config_var", without_compiler)
    with pytest.raises(hatch_build.CompileError, match="no-such-cc"):
        hatch_build.compile_core(tmp_path)


def test_without_zlib_the_core_is_built_all_the_same(
    hatch_build: ModuleType, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    linker = str(sysconfig.get_config_var("LDSHARED") or "cc").split()[0]
    if shutil.which(linker) is None:
        pytest.skip(f"no C compiler ({linker})")
    # (a library that cannot be found fails the build with zlib, as a missing zlib would)
    monkeypatch.setattr(hatch_build, "WITH_ZLIB", ("-DDIASPORA_ZLIB", "-lno-such-zlib"))
    with pytest.warns(UserWarning, match="without zlib"):
        built = hatch_build.compile_core(tmp_path)
    spec = importlib.util.spec_from_file_location("_core", built)
    assert spec is not None and spec.loader is not None
    core = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(core)
    assert not hasattr(core, "deflate_blobs")
    assert core.add_terms({}, ["a"], 0) == 1
