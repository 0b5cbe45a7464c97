"""The fast path's postings per field, compiled or pure Python: this module picks which.

A field's postings are added one document at a time (``add_positions`` for a field with
positions, from the index term of each word, or ``add_words`` from the words and the terms of
the words already analyzed; ``add_terms`` for a field without positions) and encoded a
term at a time into W3 blocks when the segment is written (:meth:`encode`). Two
implementations write the same bytes:

- :class:`CompiledPostings`, over the C extension ``_core`` (``_core.c``): each term's postings
  in one bytearray of varints, about 4 bytes per posting, grouped, appended and encoded in C;
- :class:`PythonPostings`, the fallback: each term's postings in a list, document numbers and
  encoded positions alternating (about 68 bytes per posting), encoded by ``codec._block``.
  (``encode`` is named as in the protocol :class:`FieldPostings` both follow.)

:data:`Postings` is the compiled one when ``_core`` was built (``hatch_build.py`` builds it at
install; ``python hatch_build.py`` in place) and the environment variable
:data:`PURE_PYTHON_VARIABLE` is not set to ``1``; :data:`IMPLEMENTATION` says which.
``tests/storage/test_postings.py`` compares the two on random postings.
"""

from __future__ import annotations

import os
import pickle
import struct
from collections.abc import Iterable
from typing import Any, Protocol

from whoosh.codec.whoosh3 import WHOOSH3_HEADER_MAGIC

from ..analysis.chain import group_positions
from .codec import FieldTables, TermBlocks, encode_term_lists, encode_terms, fast_compress

PURE_PYTHON_VARIABLE = "DIASPORA_SEARCH_PURE_PYTHON"


class FieldPostings(Protocol):
    """What the segment builder and ``codec.write_field`` ask of one field's postings."""

    def __init__(self, with_positions: bool) -> None: ...
    def __len__(self) -> int: ...
    def add_positions(self, word_terms: list[str], docnum: int) -> tuple[int, int]: ...
    def add_words(
        self, known: dict[str, str], words: list[str], docnum: int
    ) -> tuple[int, int] | list[str]: ...
    def add_terms(self, terms: Iterable[str], docnum: int) -> int: ...
    def sorted_terms(self) -> list[str]: ...
    def encode(
        self,
        term: str,
        *,
        reverse_from: int | None,
        lengths: bytes | None,
        blocklimit: int,
        compression: int,
    ) -> TermBlocks: ...
    def encode_field(
        self,
        *,
        prefix: bytes,
        offset: int,
        table_offset: int,
        reverse_from: int | None,
        lengths: bytes | None,
        blocklimit: int,
        compression: int,
    ) -> FieldTables: ...


class PythonPostings:
    """Each term's postings in a list: document numbers, and for a field with positions their
    ``Positions``-encoded values, alternating; the frequencies above 1 beside them."""

    __slots__ = ("frequencies", "terms", "with_positions")

    def __init__(self, with_positions: bool) -> None:
        self.with_positions = with_positions
        self.terms: dict[str, list[Any]] = {}
        self.frequencies: dict[str, dict[int, int]] = {}

    def __len__(self) -> int:
        return len(self.terms)

    def add_positions(self, word_terms: list[str], docnum: int) -> tuple[int, int]:
        """Add a document from the index term of each word (``""`` for a stopword, whose
        position is kept); the number of postings added (distinct terms) and of words that
        are not stopwords (the document's length in the field)."""
        grouped = group_positions(word_terms)
        terms = self.terms
        single = _SINGLE_POSITIONS
        length = 0
        for term, positions in grouped.items():
            length += len(positions)
            if len(positions) == 1 and positions[0] < len(single):
                encoded = single[positions[0]]
            else:
                encoded = encode_positions(positions)
                if len(positions) > 1:
                    above_one = self.frequencies.get(term)
                    if above_one is None:
                        self.frequencies[term] = {docnum: len(positions)}
                    else:
                        above_one[docnum] = len(positions)
            entry = terms.get(term)
            if entry is None:
                terms[term] = [docnum, encoded]
            else:
                entry += (docnum, encoded)
        return len(grouped), length

    def add_words(
        self, known: dict[str, str], words: list[str], docnum: int
    ) -> tuple[int, int] | list[str]:
        """:meth:`add_positions` with the term of each word from ``known`` (word to term,
        ``""`` for a stopword); if some words are not known, nothing is added: those words
        (in order, repeats included)."""
        found: list[str | None] = list(map(known.get, words))
        if None in found:
            return [w for w, t in zip(words, found, strict=True) if t is None]
        return self.add_positions(found, docnum)  # type: ignore[arg-type]  # (no None left)

    def add_terms(self, terms: Iterable[str], docnum: int) -> int:
        """Add a document from its distinct terms; their number."""
        count = 0
        postings = self.terms
        for term in terms:
            entry = postings.get(term)
            if entry is None:
                postings[term] = [docnum]
            else:
                entry.append(docnum)
            count += 1
        return count

    def sorted_terms(self) -> list[str]:
        return sorted(self.terms)

    def encode(
        self,
        term: str,
        *,
        reverse_from: int | None,
        lengths: bytes | None,
        blocklimit: int,
        compression: int,
    ) -> TermBlocks:
        """One term's W3 blocks and term statistics (``codec.encode_term_lists``)."""
        return encode_term_lists(
            self.terms[term],
            self.frequencies.get(term),
            with_values=self.with_positions,
            reverse_from=reverse_from,
            lengths=lengths,
            blocklimit=blocklimit,
            compression=compression,
        )

    def encode_field(self, **options: Any) -> FieldTables:
        """Every term's blocks and terms table entry (``codec.encode_terms``)."""
        return encode_terms(self, **options)


def encode_positions(positions: list[int]) -> bytes:
    """Exactly ``whoosh.formats.Positions.encode(positions)``."""
    return _encode_deltas([b - a for a, b in zip([0, *positions], positions, strict=False)])


def _encode_deltas(deltas: list[int]) -> bytes:
    return _COUNT.pack(len(deltas)) + pickle.dumps(deltas, 2)


_COUNT = struct.Struct("!I")


_SINGLE_POSITIONS = [_encode_deltas([position]) for position in range(4096)]
"""The encoded value of a posting at one position (most postings), for common positions: one
shared object each, so a block's pickle refers back to a repeated one (``_core.c`` does too)."""


class CompiledPostings:
    """Each term's postings in one bytearray of varints, grouped, appended and encoded in C."""

    __slots__ = ("terms", "with_positions")

    def __init__(self, with_positions: bool) -> None:
        self.with_positions = with_positions
        self.terms: dict[str, bytearray] = {}

    def __len__(self) -> int:
        return len(self.terms)

    def add_positions(self, word_terms: list[str], docnum: int) -> tuple[int, int]:
        added, length = _core.add_positions(self.terms, word_terms, docnum)
        return added, length

    def add_words(
        self, known: dict[str, str], words: list[str], docnum: int
    ) -> tuple[int, int] | list[str]:
        found: tuple[int, int] | list[str] = _core.add_words(self.terms, known, words, docnum)
        return found

    def add_terms(self, terms: Iterable[str], docnum: int) -> int:
        return int(_core.add_terms(self.terms, terms, docnum))

    def sorted_terms(self) -> list[str]:
        return sorted(self.terms)

    def encode(
        self,
        term: str,
        *,
        reverse_from: int | None,
        lengths: bytes | None,
        blocklimit: int,
        compression: int,
    ) -> TermBlocks:
        found = _core.encode_term(
            self.terms[term],
            self.with_positions,
            -1 if reverse_from is None else reverse_from,
            lengths,
            blocklimit,
            compression,
            fast_compress,
        )
        return TermBlocks(*found)

    def encode_field(
        self,
        *,
        prefix: bytes,
        offset: int,
        table_offset: int,
        reverse_from: int | None,
        lengths: bytes | None,
        blocklimit: int,
        compression: int,
    ) -> FieldTables:
        found = _core.encode_field(
            self.terms,
            self.sorted_terms(),
            self.with_positions,
            -1 if reverse_from is None else reverse_from,
            lengths,
            blocklimit,
            compression,
            fast_compress,
            WHOOSH3_HEADER_MAGIC,
            prefix,
            offset,
            table_offset,
        )
        return FieldTables(*found)


def _compiled_core() -> Any:
    if os.environ.get(PURE_PYTHON_VARIABLE) == "1":
        return None
    try:
        from . import _core  # type: ignore[attr-defined]
    except ImportError:
        return None
    return _core


_core: Any = _compiled_core()

Postings: type[FieldPostings] = CompiledPostings if _core is not None else PythonPostings
"""The implementation the segment builder uses."""

IMPLEMENTATION = "c" if _core is not None else "python"
"""Which implementation :data:`Postings` is: ``"c"`` or ``"python"``."""


def compiled_core() -> Any:
    """The compiled core module (``_core``), or ``None`` when it was not built or
    :data:`PURE_PYTHON_VARIABLE` asks for pure Python: for other users of its functions
    (``lookup.py``'s term sets), each with a pure-Python fallback."""
    return _core
