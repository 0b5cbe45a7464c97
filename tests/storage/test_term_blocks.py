"""The core's reader of W3 postings blocks (``_core.term_blocks``) against Whoosh's matcher
(``codec.read_blocks``): the same document numbers and weights for every term of real indexes
written both ways (the fast path's protocol-3 blocks, Whoosh's own protocol-2 ones), and for
blocks of every shape; and ``None`` (then Whoosh reads the term), never a crash or a different
answer, for bytes it does not know."""

from __future__ import annotations

import pickle
import random
import struct
import zlib
from array import array
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from whoosh.codec.whoosh3 import WHOOSH3_HEADER_MAGIC, W3Codec, W3LeafMatcher, W3TermInfo
from whoosh.filedb.structfile import BufferFile
from whoosh.formats import Positions

import diaspora_search as ds
from diaspora_search._compiled import core
from diaspora_search._records import validate_batch
from diaspora_search.storage import IndexStore, codec
from tests.fixtures.synthetic import synthetic_records

needs_core = pytest.mark.skipif(core is None, reason="the compiled core is not built or is off")

Blocks = list[tuple[list[int], "list[float] | None"]]


def _length(info: Any) -> int:
    length = info.extent()[1]
    return int(length[0] if isinstance(length, tuple) else length)


def _index_terms(path: Path) -> Iterator[tuple[Any, Any, Any, tuple[str, bytes]]]:
    """``(postings file, term info, format, (field, term))`` of every term of every segment."""
    with ds.SearchIndex.open(path) as index:
        snapshot = index._current_searcher().snapshot
        for reader, _ in snapshot._segments:
            terms = reader._terms
            for key, info in terms.items():
                if not info.is_inlined():  # (Whoosh's writer inlines a term of one posting)
                    yield terms._postfile, info, snapshot._fields[key[0]].format, key


def _whoosh_blocks(postfile: Any, info: Any, fmt: Any, key: tuple[str, bytes]) -> Blocks:
    return list(codec.read_blocks(W3Codec().postings_reader(postfile, info, fmt, term=key)))


def _records_with_weights() -> list[dict[str, Any]]:
    """Synthetic records, and some repeating a word (weights above 1.0, alike in a block or
    not) in enough records for several blocks."""
    records = synthetic_records(900)
    for i in range(300):
        repeats = " ".join(["migrantes"] * (1 + i % 3 if i % 2 else 2))
        records.append({"id": f"rep-{i:04d}", "summary_es": f"Los {repeats} y la educación."})
    return records


@needs_core
@pytest.mark.parametrize("fast", [True, False], ids=["fast path", "Whoosh's writer"])
def test_every_term_of_an_index_reads_as_whoosh_reads_it(tmp_path: Path, fast: bool) -> None:
    ds.SearchIndex.create(tmp_path / "ix").close()
    store = IndexStore.open(tmp_path / "ix")
    with store.writer(fast=fast) as writer:
        writer.add(validate_batch(_records_with_weights()))
    store.close()
    terms = blocks = weighted = compressed = 0
    for postfile, info, fmt, key in _index_terms(tmp_path / "ix"):
        start, length = info.extent()[0], _length(info)
        compiled = core.term_blocks(postfile._buf, start, length)
        assert compiled is not None, key  # (every block as Whoosh and the fast path write it)
        assert compiled == _whoosh_blocks(postfile, info, fmt, key), key
        terms += 1
        blocks += len(compiled)
        weighted += sum(weights is not None for _, weights in compiled)
        header = pickle.loads(bytes(postfile._buf[start + 8 : start + length]))
        compressed += header[3] != 0
    # (the shapes the reader must know are all there: many blocks, weights, compression)
    assert terms > 1000 and blocks > terms and weighted > 50 and compressed > 50


def _block(
    ids: list[int], weights: list[float], values: Any, protocol: int, comp: int, last: bool
) -> bytes:
    """One block as ``W3PostingsWriter._write_block`` writes it (with ``protocol`` for the
    data, and the compression ``comp`` whatever the size)."""
    if all(w == 1.0 for w in weights):
        mini: Any = None
    elif all(w == weights[0] for w in weights):
        mini = weights[0]
    else:
        mini = tuple(weights)
    deltas = tuple(b - a for a, b in zip([0, *ids], ids, strict=False))
    data = pickle.dumps((deltas, mini, values), protocol)
    if comp:
        data = zlib.compress(data, comp)
    info = pickle.dumps((len(ids), ids[-1], max(weights), comp, 1, 9), 2)
    size = len(info) + len(data)
    return struct.pack("!i", -size if last else size) + info + data


weights_of = st.sampled_from([1.0, 2.0, 0.5, 3.25, 0.1])  # (0.1: not exact in float32)


@st.composite
def terms(draw: st.DrawFn) -> bytes:
    """A term's postings: blocks of 1 to 5 postings (tuples written with and without a MARK),
    ids up to 2**32 - 1 (deltas from BININT1 to LONG1), weights all 1.0, all alike or not,
    values or none, protocol 2 or 3, compressed or not."""
    sizes = draw(st.lists(st.integers(1, 5), min_size=1, max_size=4))
    numbers = st.integers(0, 300) | st.integers(0, 70_000) | st.integers(0, 2**32 - 1)
    ids = sorted(draw(st.sets(numbers, min_size=sum(sizes), max_size=sum(sizes))))
    out = [WHOOSH3_HEADER_MAGIC]
    for i, n in enumerate(sizes):
        block_ids, ids = ids[:n], ids[n:]
        kind = draw(st.sampled_from(["ones", "alike", "mixed"]))
        if kind == "ones":
            weights = [1.0] * n
        elif kind == "alike":
            weights = [draw(weights_of)] * n
        else:
            weights = draw(st.lists(weights_of, min_size=n, max_size=n))
        values = draw(st.none() | st.just(tuple(b"\x00\x00\x00\x01xy" for _ in range(n))))
        protocol, comp = draw(st.sampled_from([2, 3])), draw(st.sampled_from([0, 1, 6]))
        out.append(_block(block_ids, weights, values, protocol, comp, i == len(sizes) - 1))
    return b"".join(out)


def _matcher_blocks(buf: bytes) -> Blocks:
    matcher = W3LeafMatcher(BufferFile(memoryview(buf)), 0, len(buf), Positions())
    return list(codec.read_blocks(matcher))


@needs_core
@settings(max_examples=400, deadline=None)
@given(terms())
def test_blocks_of_every_shape_read_as_whoosh_reads_them(buf: bytes) -> None:
    assert core.term_blocks(buf, 0, len(buf)) == _matcher_blocks(buf)


def _damaged(term: bytes, data: st.DataObject) -> tuple[bytes, int]:
    """A term's postings with one to three bytes changed, and a length to read of them."""
    buf = bytearray(term)
    for _ in range(data.draw(st.integers(1, 3))):
        buf[data.draw(st.integers(0, len(buf) - 1))] = data.draw(st.integers(0, 255))
    return bytes(buf), data.draw(st.integers(0, len(buf)))


@needs_core
@settings(max_examples=400, deadline=None)
@given(terms(), st.data())
def test_damaged_blocks_are_declined_or_read_as_whoosh_reads_them(
    term: bytes, data: st.DataObject
) -> None:
    buf, length = _damaged(term, data)
    compiled = core.term_blocks(buf, 0, length)  # (never a crash)
    try:
        whoosh = _matcher_blocks(buf[:length])
    except Exception:  # (Whoosh fails on damage in its own ways)
        return  # (damage past what the core reads, in the values, is the checksum's to find)
    assert compiled is None or compiled == whoosh


@needs_core
@pytest.mark.parametrize("gap", [1, 300, 70_000, 2**23])
@pytest.mark.parametrize("count", [40, 128])
@pytest.mark.parametrize(("protocol", "comp"), [(2, 1), (3, 6)])
def test_full_compressed_blocks_of_every_delta_size_read_as_whoosh_reads_them(
    gap: int, count: int, protocol: int, comp: int
) -> None:
    """Blocks as large as the writer makes them, compressed: only their deltas and weights are
    inflated, the typical share of a posting first, then (wide deltas and a weight each: more
    bytes a posting than the typical) the rest of the most a posting can take."""
    rng = random.Random(gap + count)
    out = [WHOOSH3_HEADER_MAGIC]
    first = 0
    for b in range(3):
        ids = [first + gap * (i + 1) for i in range(count)]
        first = ids[-1]
        weights = [rng.choice([0.5, 1.0, 2.0, 3.25, 0.1]) for _ in ids]
        values = tuple(b"\x00\x00\x00\x01" + bytes([i % 250]) for i in range(count))
        out.append(_block(ids, weights, values, protocol, comp, b == 2))
    buf = b"".join(out)
    assert first <= 2**32 - 1
    assert core.term_blocks(buf, 0, len(buf)) == _matcher_blocks(buf)
    fused, blocks = _score_both(buf, 0, len(buf), 1)  # (every document beyond the totals)
    assert fused == blocks


@needs_core
def test_a_small_block_with_a_wrong_checksum_is_declined() -> None:
    """A compressed block inflated to its end has its Adler-32 checked, as zlib (and so
    Whoosh) checks it: wrong, or cut off, the block is declined and Whoosh reads it."""
    good = _block([3, 9, 40], [1.0, 2.0, 0.5], None, 3, 6, True)
    assert core.term_blocks(WHOOSH3_HEADER_MAGIC + good, 0, len(good) + 4) == [
        ([3, 9, 40], [1.0, 2.0, 0.5])
    ]
    wrong = good[:-1] + bytes([good[-1] ^ 1])  # (the trailer's last byte)
    term = WHOOSH3_HEADER_MAGIC + wrong
    with pytest.raises(zlib.error):
        _matcher_blocks(term)
    assert core.term_blocks(term, 0, len(term)) is None
    size = struct.unpack("!i", good[:4])[0]  # (the block without its trailer)
    cut = struct.pack("!i", size + 4) + good[4:-4]
    assert core.term_blocks(WHOOSH3_HEADER_MAGIC + cut, 0, len(cut) + 4) is None


@needs_core
def test_a_term_outside_its_file_or_not_w3_is_declined() -> None:
    buf = _block([3, 9], [1.0, 2.0], None, 3, 0, True)
    term = WHOOSH3_HEADER_MAGIC + buf
    assert core.term_blocks(term, 0, len(term)) == [([3, 9], [1.0, 2.0])]
    assert core.term_blocks(term, 0, len(term) - 1) is None  # the last block runs past the end
    assert core.term_blocks(term, 1, len(term)) is None  # past the file
    assert core.term_blocks(term, -1, 5) is None
    assert core.term_blocks(b"W3Bx" + buf, 0, len(term)) is None  # no W3 magic
    not_last = WHOOSH3_HEADER_MAGIC + _block([3], [1.0], None, 3, 0, False)
    assert core.term_blocks(not_last, 0, len(not_last)) is None  # no last block
    rng = random.Random(5)
    for _ in range(2000):  # random bytes after the magic: never a crash
        junk = WHOOSH3_HEADER_MAGIC + rng.randbytes(rng.randrange(0, 60))
        assert core.term_blocks(junk, 0, len(junk)) in (None, [])  # (no block ends the loop)


def test_a_term_the_core_declines_is_read_through_whoosh() -> None:
    """Postings pickled as lists (not as Whoosh writes them, but what its reader takes): the
    core declines them, and ``codec.term_blocks`` reads them through Whoosh."""
    deltas, weights = [4, 1, 7], [1.0, 2.0, 2.0]
    data = pickle.dumps((deltas, weights, None), 2)
    info_bytes = pickle.dumps((3, 12, 2.0, 0, 1, 9), 2)
    block = struct.pack("!i", -(len(info_bytes) + len(data))) + info_bytes + data
    buf = memoryview(b"\0" * 10 + WHOOSH3_HEADER_MAGIC + block)
    info = W3TermInfo()
    info._offset, info._length = 10, len(buf) - 10
    if core is not None:
        assert core.term_blocks(buf, 10, len(buf) - 10) is None

    class Terms:  # (what codec.term_blocks uses of a segment's terms reader)
        _postfile = BufferFile(buf)
        _codec = W3Codec()

    assert list(codec.term_blocks(Terms, info, Positions(), ("summary_es", b"x"))) == [
        ([4, 5, 12], [1.0, 2.0, 2.0])
    ]


# ---------------------------------------------------------------------------------------------
# The scorer's fused reading (``_core.score_term``): add_scores over each block term_blocks
# gives, without the lists; the same totals to the bit, the same documents in the same order,
# the same error at the same posting, and nothing changed where term_blocks declines.


def _scoring(size: int, seed: int) -> tuple[array[float], array[float], bytes | None]:
    rng = random.Random(seed)
    norm = array("d", [rng.uniform(0.3, 3.0) for _ in range(size)])
    tf_one = array("d", [2.2 / (1.0 + n) for n in norm])
    skipped = set(rng.sample(range(size), size // 5)) if seed % 2 else None
    return norm, tf_one, None if skipped is None else bytes(d in skipped for d in range(size))


def _score_both(buf: Any, start: int, length: int, size: int, seed: int = 1) -> Any:
    """What ``score_term`` leaves (its answer or error, the totals, touched and held in
    order), and what term_blocks then add_scores leave (the answer ``False`` when term_blocks
    declines)."""
    norm, tf_one, skipped = _scoring(size, seed)
    outcomes = []
    for fused in (True, False):
        total, touched, held = array("d", bytes(8 * size)), bytearray(size), array("q")
        args = (norm, tf_one, skipped, 1.7, 0.8, 2.2, touched, held, 1000)
        try:
            if fused:
                answer: Any = core.score_term(buf, start, length, total, *args)
            else:
                found = core.term_blocks(buf, start, length)
                answer = found is not None
                for ids, weights in found or ():
                    core.add_scores(total, ids, weights, *args)
        except IndexError as error:
            answer = str(error)
        outcomes.append((answer, total.tobytes(), bytes(touched), held.tolist()))
    return outcomes


@needs_core
def test_every_term_of_an_index_scores_as_its_blocks_do(tmp_path: Path) -> None:
    with ds.SearchIndex.create(tmp_path / "ix") as index:
        index.add(_records_with_weights())
    scored = 0
    for postfile, info, _, key in _index_terms(tmp_path / "ix"):
        start, length = info.extent()[0], _length(info)
        fused, blocks = _score_both(postfile._buf, start, length, 1300, seed=scored)
        assert fused == blocks, key
        assert fused[0] is True, key
        scored += 1
    assert scored > 1000


@needs_core
@settings(max_examples=400, deadline=None)
@given(terms(), st.integers(1, 400), st.integers(0, 9))
def test_blocks_of_every_shape_score_as_they_read(buf: bytes, size: int, seed: int) -> None:
    # (documents beyond the totals raise at the same posting, the earlier ones added alike)
    fused, blocks = _score_both(buf, 0, len(buf), size, seed)
    assert fused == blocks


@needs_core
@settings(max_examples=400, deadline=None)
@given(terms(), st.data())
def test_damaged_blocks_are_declined_by_the_scorer_with_nothing_changed(
    term: bytes, data: st.DataObject
) -> None:
    buf, length = _damaged(term, data)
    fused, blocks = _score_both(buf, 0, length, 300)
    assert fused == blocks
    if fused[0] is False:
        assert fused[1:] == (bytes(8 * 300), bytes(300), [])


@needs_core
def test_the_scorer_refuses_what_add_scores_refuses() -> None:
    term = WHOOSH3_HEADER_MAGIC + _block([3, 9], [1.0, 2.0], None, 3, 0, True)
    total, norms = array("d", bytes(8 * 4)), array("d", [1.0] * 4)
    args = (norms, norms, None, 1.0, 1.0, 2.2, bytearray(4), array("q"), 0)
    with pytest.raises(IndexError, match="beyond the totals"):
        core.score_term(term, 0, len(term), total, *args)
    with pytest.raises(TypeError, match="13 arguments"):
        core.score_term(term, 0, len(term), total)
    with pytest.raises(TypeError, match=r"array\('d'\)"):
        core.score_term(term, 0, len(term), array("f", [0.0] * 10), *args)
    assert core.score_term(term, 1, len(term), total, *args) is False  # (past the file)


@needs_core
def test_a_block_weight_cut_short_is_declined() -> None:
    """One posting (delta 3: ``K\\x03``, then TUPLE1) and its block weight, a BINFLOAT with
    only 3 of its 8 bytes: declined by the reader and the scorer, not read as some weight."""
    info = pickle.dumps((1, 3, 2.0, 0, 1, 9), 2)
    for data in (
        b"\x80\x03K\x03\x85G\x40\x00\x00",
        b"\x80\x03K\x03\x85G\x40\x00\x00\x00\x00\x00\x00\x00",
    ):
        whole = len(data) == 14
        term = WHOOSH3_HEADER_MAGIC + struct.pack("!i", -(len(info) + len(data))) + info + data
        blocks = core.term_blocks(term, 0, len(term))
        assert blocks == ([([3], [2.0])] if whole else None)
        fused, unfused = _score_both(term, 0, len(term), 10)
        assert fused == unfused and fused[0] is whole
