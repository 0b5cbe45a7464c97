"""The compiled postings core writes what the pure-Python postings write, byte for byte.

Random documents (terms, stopwords, long documents, gaps between document numbers) are added
to both implementations, and every term's encoded blocks and statistics are compared, forward
and backward, with and without lengths and compression, with small and large blocks.
"""

from __future__ import annotations

import importlib.util
import os
import pickle
import subprocess
import sys
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from diaspora_search.storage import postings as _postings
from diaspora_search.storage.postings import PythonPostings, encode_positions

REPO = Path(__file__).resolve().parents[2]
needs_core = pytest.mark.skipif(
    _postings.IMPLEMENTATION != "c",
    reason="the compiled core is not built (python hatch_build.py) or is switched off",
)
TERMS = ["a", "bé", "casa", "día", "x" * 40, "ñandú", ""]  # "" is a stopword

document = st.lists(st.sampled_from(TERMS), max_size=30)
long_document = st.builds(
    lambda n, k: [TERMS[(i * k) % len(TERMS)] for i in range(n)],
    st.integers(1000, 5000),
    st.integers(1, 6),
)
documents = st.lists(
    st.tuples(st.integers(1, 70_000), st.one_of(document, document, document, long_document)),
    min_size=1,
    max_size=40,
)


def fill(kind: type, docs: list[tuple[int, list[str]]], *, positions: bool) -> tuple[object, int]:
    """The postings of ``docs`` (gaps before each document number, word terms); the last
    document number."""
    built = kind(positions)
    docnum = -1
    for gap, words in docs:
        docnum += gap
        if positions:
            built.add_positions(words, docnum)
        else:
            built.add_terms(set(filter(None, words)), docnum)
    return built, docnum


@needs_core
@settings(max_examples=150, deadline=None)
@given(
    docs=documents,
    positions=st.booleans(),
    backward=st.booleans(),
    with_lengths=st.booleans(),
    blocklimit=st.sampled_from([1, 2, 3, 7, 128, 400]),
    compression=st.sampled_from([0, 1, 3]),
)
def test_the_core_encodes_what_python_encodes(
    docs: list[tuple[int, list[str]]],
    positions: bool,
    backward: bool,
    with_lengths: bool,
    blocklimit: int,
    compression: int,
) -> None:
    python, last = fill(PythonPostings, docs, positions=positions)
    compiled, _ = fill(_postings.CompiledPostings, docs, positions=positions)
    assert python.sorted_terms() == compiled.sorted_terms()
    lengths = bytes((7 * n + 3) % 256 for n in range(last + 1)) if with_lengths else None
    options = {
        "reverse_from": last if backward else None,
        "lengths": lengths,
        "blocklimit": blocklimit,
        "compression": compression,
    }
    for term in python.sorted_terms():
        assert compiled.encode(term, **options) == python.encode(term, **options)


@needs_core
@given(docs=documents)
@settings(max_examples=50, deadline=None)
def test_the_core_counts_what_python_counts(docs: list[tuple[int, list[str]]]) -> None:
    python, compiled = PythonPostings(True), _postings.CompiledPostings(True)
    for docnum, (_, words) in enumerate(docs):
        assert compiled.add_positions(words, docnum) == python.add_positions(words, docnum)
        assert compiled.add_terms(set(words), docnum) == python.add_terms(set(words), docnum)
    assert compiled.sorted_terms() == python.sorted_terms()


@needs_core
@given(docs=documents, unknown=st.sampled_from(TERMS[:-1]))
@settings(max_examples=50, deadline=None)
def test_the_core_looks_words_up_as_python_does(
    docs: list[tuple[int, list[str]]], unknown: str
) -> None:
    # Each word's term: the word upper-cased ("" for "", a stopword); one word not known.
    known = {word.upper(): word for word in TERMS if word != unknown}
    python, compiled = PythonPostings(True), _postings.CompiledPostings(True)
    for docnum, (_, terms) in enumerate(docs):
        words = [term.upper() for term in terms]
        expected = python.add_words(known, words, docnum)
        assert compiled.add_words(known, words, docnum) == expected
        assert expected == ([unknown.upper()] * terms.count(unknown) or expected)
    assert compiled.sorted_terms() == python.sorted_terms()
    for term in python.sorted_terms():
        options = {"reverse_from": None, "lengths": None, "blocklimit": 128, "compression": 0}
        assert compiled.encode(term, **options) == python.encode(term, **options)


@needs_core
def test_a_block_is_the_pickle_of_the_python_values() -> None:
    # Positions past the shared single-position values, and a value repeated in a block.
    compiled = _postings.CompiledPostings(True)
    compiled.add_positions(["a"] * 3, 0)
    compiled.add_positions([""] * 5000 + ["a"], 1)
    compiled.add_positions([""] * 9 + ["a"], 2)
    compiled.add_positions([""] * 9 + ["a"], 3)
    found = compiled.encode("a", reverse_from=None, lengths=None, blocklimit=128, compression=0)
    at_nine = encode_positions([9])  # one object, as the Python postings share it
    values = (encode_positions([0, 1, 2]), encode_positions([5000]), at_nine, at_nine)
    data = pickle.dumps(((0, 1, 1, 1), (3.0, 1.0, 1.0, 1.0), values), 3)
    assert found.blocks.endswith(data)
    assert found.blocks.count(at_nine) == 1  # the repeat is a memo reference
    assert pickle.loads(found.blocks[-len(data) :]) == (
        (0, 1, 1, 1),
        (3.0, 1.0, 1.0, 1.0),
        values,
    )
    assert (found.doc_frequency, found.first, found.last, found.max_weight) == (4, 0, 3, 3.0)


def run_python(code: str, *, pure: bool) -> str:
    env = dict(os.environ, PYTHONPATH=str(REPO / "src"))
    env.pop(_postings.PURE_PYTHON_VARIABLE, None)
    if pure:
        env[_postings.PURE_PYTHON_VARIABLE] = "1"
    done = subprocess.run(
        [sys.executable, "-c", code], env=env, capture_output=True, text=True, check=True
    )
    return done.stdout.strip()


def test_the_variable_forces_the_python_implementation() -> None:
    code = "from diaspora_search.storage import postings; print(postings.IMPLEMENTATION)"
    built = importlib.util.find_spec("diaspora_search.storage._core") is not None
    assert run_python(code, pure=True) == "python"
    assert run_python(code, pure=False) == ("c" if built else "python")


@needs_core
@pytest.mark.parametrize("backward", [False, True])
def test_long_blocks_use_long_memo_references(backward: bool) -> None:
    # Past 256 memo entries in one block, pickle writes LONG_BINPUT and LONG_BINGET.
    python, compiled = PythonPostings(True), _postings.CompiledPostings(True)
    for docnum in range(700):
        words = [""] * (docnum * 37 % 300) + ["casa"] + ["día"] * (docnum % 3)
        python.add_positions(words, docnum)
        compiled.add_positions(words, docnum)
    options = {"reverse_from": 699 if backward else None, "lengths": bytes(range(256)) * 3}
    for blocklimit in (128, 700):
        for term in ("casa", "día"):
            expected = python.encode(term, **options, blocklimit=blocklimit, compression=0)
            assert compiled.encode(term, **options, blocklimit=blocklimit, compression=0) == (
                expected
            )


@needs_core
@settings(max_examples=60, deadline=None)
@given(
    docs=documents,
    positions=st.booleans(),
    backward=st.booleans(),
    with_lengths=st.booleans(),
    offsets=st.tuples(st.integers(0, 2**40), st.integers(0, 2**31)),
)
def test_the_core_writes_the_field_python_writes(
    docs: list[tuple[int, list[str]]],
    positions: bool,
    backward: bool,
    with_lengths: bool,
    offsets: tuple[int, int],
) -> None:
    python, last = fill(PythonPostings, docs, positions=positions)
    compiled, _ = fill(_postings.CompiledPostings, docs, positions=positions)
    options = {
        "prefix": b"\x00\x07",
        "offset": offsets[0],
        "table_offset": offsets[1],
        "reverse_from": last if backward else None,
        "lengths": bytes(n % 256 for n in range(last + 1)) if with_lengths else None,
        "blocklimit": 5,
        "compression": 1,
    }
    assert compiled.encode_field(**options) == python.encode_field(**options)
