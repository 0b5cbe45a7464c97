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


class _Emptying:
    """A document number whose ``__index__`` empties the list it is in: the scorer's
    functions read ints out of lists, and read them from a copy (or they would read freed
    items past the list's new end)."""

    def __init__(self, value: int, within: list[object]) -> None:
        self.value = value
        self.within = within

    def __index__(self) -> int:
        self.within.clear()
        return self.value


def test_a_list_emptied_while_the_scorer_reads_it_is_read_as_it_was_given() -> None:
    from array import array

    ids: list[object] = [1, 2, 3]
    ids[0] = _Emptying(1, ids)
    total, norms, held = array("d", bytes(8 * 4)), array("d", [1.0] * 4), array("q")
    core.add_scores(total, ids, None, norms, norms, None, 1.0, 1.0, 2.2, bytearray(4), held, 0)
    assert held.tolist() == [1, 2, 3]
    docnums: list[object] = [1, 2, 3]
    docnums[0] = _Emptying(1, docnums)
    found = core.held_leaves({("f", "t"): array("q", [1, 3])}, docnums)
    # (keyed by the numbers as given: the first is the object itself)
    assert list(found.values()) == [{("f", "t")}, set(), {("f", "t")}]
    segments: list[object] = []
    segments.append((_Emptying(0, segments), array("d", [1.0, 2.0]), bytearray(b"\x01\x01")))
    with pytest.raises(TypeError, match="integer"):  # (a segment's start: an int itself)
        core.best_in_segments(segments, 1)


def test_the_scorer_refuses_what_is_not_its_arrays() -> None:
    from array import array

    with pytest.raises(TypeError, match=r"array\('q'\)"):
        core.held_leaves({("f", "t"): array("d", [1.0])}, [1])
    with pytest.raises(TypeError, match="tuples"):
        core.best_in_segments([(0, array("d", [1.0]))], 1)
    with pytest.raises(ValueError, match="fewer flags"):
        core.best_in_segments([(0, array("d", [1.0, 2.0]), bytearray(1))], 1)
    with pytest.raises(TypeError):
        core.best_in_segments([(0, [1.0], bytearray(1))], 1)
