"""The compiled core refuses what it cannot encode with a Python exception, never a crash or a
silently wrong index (findings of a review of ``storage/_core.c``; each call here crashed the
interpreter or wrote a wrong value before the fix). Skipped where the core is not built."""

from __future__ import annotations

import pytest

from diaspora_search import _compiled
from diaspora_search.storage import postings

core = postings._core
pytestmark = pytest.mark.skipif(core is None, reason="the compiled core is not built here")


def test_postings_that_are_not_a_bytearray_are_refused() -> None:
    with pytest.raises(TypeError):
        core.add_terms({"a": [1]}, ["a"], 0)
    with pytest.raises(TypeError):
        core.add_positions({"a": "x"}, ["a"], 0)


@pytest.mark.parametrize(
    "damaged",
    [b"\x00\xff\xff\xff\xff\x0f", bytes([0x80] * 20)],
    ids=["a position count past the end", "a varint longer than 64 bits"],
)
def test_damaged_postings_are_refused_not_read_past_their_end(damaged: bytes) -> None:
    with pytest.raises(ValueError):
        core.encode_term(damaged, True, -1, None, 128, 0, None)


def test_a_hash_that_changes_the_word_list_does_not_crash() -> None:
    words: list[str] = []

    class Mutating(str):
        def __hash__(self) -> int:
            words.clear()
            return 0

    words.extend([Mutating("a"), Mutating("b"), *(f"x{i}" for i in range(50))])
    added, length = core.add_positions({}, words, 0)
    assert (added, length) == (52, 52)


@pytest.mark.parametrize("docnum", [-1, 2**32, 2**64 + 3])
def test_document_numbers_out_of_range_are_refused(docnum: int) -> None:
    with pytest.raises(OverflowError):
        core.add_terms({}, ["a"], docnum)
    with pytest.raises(OverflowError):
        core.add_positions({}, ["a"], docnum)


@pytest.mark.skipif(_compiled.core is None, reason="the compiled core is not built or is off")
def test_every_function_of_the_core_is_one_the_package_requires() -> None:
    # (a build lacking one of _compiled.FUNCTIONS, from an older source, is not used: the list
    # must name every function the package calls, so every function the core has, but those
    # of a build with zlib)
    core = _compiled.core
    functions = {name for name in dir(core) if callable(getattr(core, name))}
    required = functions - {"__loader__"} - set(_compiled.OPTIONAL_FUNCTIONS)
    assert required == set(_compiled.FUNCTIONS)
