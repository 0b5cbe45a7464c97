"""Term lookups of one snapshot, each ``(field, term)`` looked up once per segment.

A query looks each of its terms up several times: whether the index holds it (the compiler's
vocabulary), its document frequency (BM25's idf), and its postings in every segment (the
scorer). Each lookup is a hash-table probe of every segment's terms file, about ten
microseconds in Whoosh's Python; most of a rare-word query's terms are not in most of the
fields it looks them up in (the full-text fields of a collection without full text, the short
titles), which costs as much. :class:`TermLookup` probes each segment once per term and keeps
the answer for the snapshot's life (a commit makes a new snapshot, so nothing is ever stale),
and skips the segments whose terms file has no term of the field at all (its field map: an
exact answer, read from the segment's header). A small field of a segment (the titles of a
collection where few records have one) has its terms read into memory on first use, so that the
many words it does not hold cost no probe at all.
"""

from __future__ import annotations

import itertools
from typing import Any, NamedTuple

from whoosh.reading import TermNotFound

from ..query.plan import Key

MEMO_LIMIT = 200_000
"""Distinct ``(field, term)`` answers kept (then forgotten all at once and looked up again)."""
SMALL_FIELD = 2_000
"""A segment's field of at most this many terms has them kept in memory: read once per snapshot,
a few milliseconds (and as much to find that a field has more)."""


class SegmentTerm(NamedTuple):
    """A term in one segment: the segment's number and Whoosh's term info there."""

    segment: int
    info: Any


class TermLookup:
    """The per-segment term infos of a snapshot's segments (Whoosh segment readers), memoized."""

    def __init__(self, readers: list[Any], fields: dict[str, Any]) -> None:
        self._readers = readers
        self._fields = fields  # name -> Whoosh field object
        # Per segment, the fields its terms file holds terms of (``None``: not a W3 segment,
        # asked through Whoosh's reader API instead).
        self._segment_fields: list[frozenset[str] | None] = [
            frozenset(terms._fieldmap) if (terms := getattr(r, "_terms", None)) else None
            for r in readers
        ]
        self._found: dict[Key, tuple[SegmentTerm, ...]] = {}
        self._small: dict[tuple[int, str], frozenset[bytes] | None] = {}

    def to_bytes(self, fieldname: str, term: str) -> bytes | None:
        """``term`` as ``fieldname`` stores it, or ``None`` (an unknown field, or a term the
        field cannot hold: Whoosh matches nothing)."""
        field = self._fields.get(fieldname)
        if field is None:
            return None
        try:
            return bytes(field.to_bytes(term))
        except ValueError:
            return None

    def segments(self, fieldname: str, term: str) -> tuple[SegmentTerm, ...]:
        """The segments holding ``term`` in ``fieldname``, each with its term info."""
        key = (fieldname, term)
        found = self._found.get(key)
        if found is None:
            if len(self._found) >= MEMO_LIMIT:
                self._found.clear()
            found = self._found[key] = self._look_up(fieldname, term)
        return found

    def doc_frequency(self, fieldname: str, term: str) -> int:
        """How many documents of every segment hold the term (deleted ones included)."""
        return sum(int(s.info.doc_frequency()) for s in self.segments(fieldname, term))

    def _look_up(self, fieldname: str, term: str) -> tuple[SegmentTerm, ...]:
        btext = self.to_bytes(fieldname, term)
        if btext is None:
            return ()
        out = []
        for segment, reader in enumerate(self._readers):
            held = self._segment_fields[segment]
            if held is not None and fieldname not in held:
                continue  # (the segment holds no term of the field)
            small = self._small_field(segment, fieldname) if held is not None else None
            if small is not None and btext not in small:
                continue
            try:
                if held is not None:
                    info = reader._terms.term_info(fieldname, btext)
                else:
                    info = reader.term_info(fieldname, term)
            except TermNotFound:
                continue
            out.append(SegmentTerm(segment, info))
        return tuple(out)

    def _small_field(self, segment: int, fieldname: str) -> frozenset[bytes] | None:
        """Every term of a small field of a W3 segment, or ``None`` for a larger one."""
        key = (segment, fieldname)
        if key not in self._small:
            lexicon = self._readers[segment].lexicon(fieldname)
            terms = list(itertools.islice(lexicon, SMALL_FIELD + 1))
            self._small[key] = frozenset(terms) if len(terms) <= SMALL_FIELD else None
        return self._small[key]


def postings_reader(reader: Any, fieldname: str, btext: bytes, info: Any, fmt: Any) -> Any:
    """Whoosh's matcher of a term's postings in a W3 segment, from its term info."""
    terms = reader._terms
    return terms._codec.postings_reader(terms._postfile, info, fmt, term=(fieldname, btext))
