"""Term lookups of one snapshot, each ``(field, term)`` looked up once per segment.

A query looks each of its terms up several times: whether the index holds it (the compiler's
vocabulary), its document frequency (BM25's idf), and its postings in every segment (the
scorer). Each lookup is a hash-table probe of every segment's terms file, about ten
microseconds in Whoosh's Python; most of a rare-word query's terms are not in most of the
fields it looks them up in (the full-text fields of a collection without full text, the short
titles), which costs as much. :class:`TermLookup` probes each segment once per term and keeps
the answer for the snapshot's life (a commit makes a new snapshot, so nothing is ever stale),
and skips the segments whose terms file has no term of the field at all (its field map: an
exact answer, read from the segment's header). Each field of a W3 segment has its terms read
on first use, with where each term's record is (one pass over the field's records of the terms
file, in C: a few milliseconds for 25,000 terms): the many words a field does not hold (most of
a query's accent variants, translations and spellings) cost a dict lookup, not a probe, and
those it holds have their term info read where the record is (Whoosh's probe hashes the key
with md5 and walks its hash tables in Python: ten microseconds a lookup, three hundred a query).
"""

from __future__ import annotations

import contextlib
import struct
from collections.abc import Iterable, Iterator
from collections.abc import Set as AbstractSet
from typing import Any, NamedTuple

from whoosh.codec.whoosh3 import W3TermInfo
from whoosh.fields import FieldType
from whoosh.reading import TermNotFound
from whoosh.util.numeric import byte_to_length

from .._compiled import core as compiled_core
from ..query.plan import Key
from .codec import TERM_INFO

MEMO_LIMIT = 200_000
"""Distinct ``(field, term)`` answers kept (then forgotten all at once and looked up again)."""


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
        # The fields no segment holds a term of (every segment a W3 one): most of a query's
        # lookups in a collection that leaves fields empty (full texts, one language's titles),
        # answered before the term is encoded or kept.
        held = self._segment_fields
        self._empty_fields: frozenset[str] = (
            frozenset(fields).difference(*held)  # type: ignore[arg-type]  # (no None in held)
            if None not in held
            else frozenset()
        )
        # The fields whose terms are their UTF-8 bytes (Whoosh's own to_bytes: text, keyword
        # and id fields), encoded here without its two type checks.
        self._utf8_fields = frozenset(
            name for name, field in fields.items() if type(field).to_bytes is FieldType.to_bytes
        )
        self._found: dict[Key, tuple[SegmentTerm, ...]] = {}
        self._field_terms: dict[tuple[int, str], FieldTerms] = {}

    def to_bytes(self, fieldname: str, term: str) -> bytes | None:
        """``term`` as ``fieldname`` stores it, or ``None`` (an unknown field, or a term the
        field cannot hold: Whoosh matches nothing)."""
        try:
            if fieldname in self._utf8_fields and type(term) is str:
                return term.encode("utf-8")
            field = self._fields.get(fieldname)
            if field is None:
                return None
            return bytes(field.to_bytes(term))
        except ValueError:  # (a lone surrogate)
            return None

    def segments(self, fieldname: str, term: str) -> tuple[SegmentTerm, ...]:
        """The segments holding ``term`` in ``fieldname``, each with its term info."""
        if fieldname in self._empty_fields:
            return ()
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
            if held is None:
                try:
                    info = reader.term_info(fieldname, term)
                except TermNotFound:
                    continue
            elif fieldname not in held:
                continue  # (the segment holds no term of the field)
            else:
                terms = self.segment_terms(segment, fieldname)
                at = terms.positions.get(btext)
                if at is None:
                    continue
                info = term_info_at(terms.records, at)
            out.append(SegmentTerm(segment, info))
        return tuple(out)

    def known_terms(self, fieldnames: Iterable[str]) -> KnownTerms:
        """Every term of any of ``fieldnames`` in any segment (deleted documents' included, as
        Whoosh's lexicon has them)."""
        found: dict[bytes, int] = {}
        for fieldname in fieldnames:
            for segment, reader in enumerate(self._readers):
                held = self._segment_fields[segment]
                if held is None:
                    with contextlib.suppress(TermNotFound):  # (no term of the field there)
                        found.update(dict.fromkeys(map(_bytes, reader.lexicon(fieldname)), 0))
                elif fieldname in held:
                    found.update(self.segment_terms(segment, fieldname).positions)
        return KnownTerms(found)

    def segment_terms(self, segment: int, fieldname: str) -> FieldTerms:
        """The terms of ``fieldname`` in W3 segment ``segment``, read once."""
        key = (segment, fieldname)
        found = self._field_terms.get(key)
        if found is None:
            found = self._field_terms[key] = read_field_terms(self._readers[segment], fieldname)
        return found


class KnownTerms(AbstractSet[str]):
    """A set of terms kept as their UTF-8 bytes, as the terms files hold them (the text
    fields' and the names' ``to_bytes``): a lookup encodes the term.

    Not a frozenset of ``str``: decoding the 85,000 terms of the shared corpus's text fields
    took 16 ms, in the query that first needed them (a spelling correction), and a frozenset
    is a container the garbage collector traverses, item by item, at each young collection
    it is in (1.6 and 2.5 ms). A dict of bytes and ints is one it never tracks, and is made by
    merging the terms files' own dicts, in C."""

    __slots__ = ("_terms",)

    def __init__(self, terms: dict[bytes, int]) -> None:
        self._terms = terms

    def __contains__(self, term: object) -> bool:
        if not isinstance(term, str):
            return False
        try:
            return term.encode("utf-8") in self._terms
        except UnicodeEncodeError:  # (a lone surrogate: no field holds it)
            return False

    def __iter__(self) -> Iterator[str]:
        return (term.decode("utf-8") for term in self._terms)

    def __len__(self) -> int:
        return len(self._terms)

    def __and__(self, other: AbstractSet[Any]) -> set[str]:
        """The terms of ``other`` held here, encoded in one pass (a spelling correction asks
        about hundreds of candidates at once: a third of the cost of asking one at a time)."""
        terms = self._terms
        try:
            return {term for term in other if term.encode("utf-8") in terms}
        except (AttributeError, UnicodeEncodeError):  # (not a str, or a lone surrogate)
            return {term for term in other if term in self}

    __rand__ = __and__


class FieldTerms(NamedTuple):
    """The terms of a field of a W3 segment: its terms file's records of the field, and each
    term (as bytes) with where its record starts in them."""

    records: bytes | memoryview
    positions: dict[bytes, int]


def read_field_terms(reader: Any, fieldname: str) -> FieldTerms:
    """Every term of a field of a W3 segment, from its terms file."""
    found = _field_records(reader, fieldname)
    if found is None:
        return FieldTerms(b"", {})
    core = compiled_core
    read = core.field_terms if core is not None else python_field_terms
    return FieldTerms(found[0], read(*found))


def term_info_at(records: bytes | memoryview, at: int) -> Any:
    """The term info (Whoosh's ``W3TermInfo``) of the record starting at ``at`` in
    ``records``: what Whoosh's ``term_info`` reads for its key.

    The info of postings kept in the postings file (every term this package writes) is read
    in one unpack, straight from the records, into a new info's attributes, as
    ``W3TermInfo.from_bytes`` sets them (a query's first lookup of a word reads a dozen, and
    this was a third of their cost); inlined postings are left to ``from_bytes``."""
    keylen, datalen = _RECORD_LENGTHS.unpack_from(records, at)
    start = at + _RECORD_LENGTHS.size + keylen
    if datalen != TERM_INFO.size or records[start]:  # (inlined postings: flags set)
        return W3TermInfo.from_bytes(bytes(records[start : start + datalen]))
    _, weight, df, minlength, maxlength, maxweight, minid, maxid, offset, length = (
        TERM_INFO.unpack_from(records, start)
    )
    info = W3TermInfo.__new__(W3TermInfo)
    info._weight = weight
    info._df = df
    info._minlength = byte_to_length(minlength)
    info._maxlength = byte_to_length(maxlength)
    info._maxweight = maxweight
    info._minid = None if minid == _NO_ID else minid
    info._maxid = None if maxid == _NO_ID else maxid
    info._offset = offset
    info._length = (length,)  # (from_bytes leaves it unpacked: a tuple)
    info._inlined = None
    return info


def read_field_holders(reader: Any, fieldname: str) -> dict[int, bytes]:
    """The document (by the segment's numbers) holding each term of a field of a W3 segment
    that one or two of its documents hold (a unique key such as the record id: two when a
    record was replaced within the segment), from the term infos' document frequency and
    first and last document; terms more documents hold are left out."""
    found = _field_records(reader, fieldname)
    if found is None:
        return {}
    core = compiled_core
    if core is not None:
        return dict(core.field_holders(*found))
    return python_field_holders(*found)


def _field_records(reader: Any, fieldname: str) -> tuple[bytes | memoryview, bytes] | None:
    """The records of a W3 segment's terms file from the field's first key to the next field's
    (keys are ordered, each the field's number then the term's bytes) and that prefix; ``None``
    when the segment holds no term of the field."""
    terms = reader._terms
    if fieldname not in terms._fieldmap:
        return None
    number = terms._fieldmap[fieldname]
    prefix = struct.pack("!H", number)
    table = terms._tindex
    start = table.closest_key_pos(prefix)
    if start is None:
        return None
    end = table.closest_key_pos(struct.pack("!H", number + 1)) if number < 0xFFFF else None
    end = table.endofdata if end is None else end
    dbfile = table.dbfile
    buffer = getattr(dbfile, "_buf", None)  # (an in-memory file: no copy of it)
    records = (
        memoryview(buffer)[start:end] if buffer is not None else dbfile.get(start, end - start)
    )
    return records, prefix


_RECORD_LENGTHS = struct.Struct("!ii")  # (Whoosh's filetables._lengths)
_NO_ID = 0xFFFFFFFF  # (W3TermInfo's stand-in for no first or last document)
_INFO_COUNT = struct.Struct("!I")  # (W3TermInfo's document frequency, first, last: "!BfIBBfII")


def _python_records(records: bytes | memoryview, prefix: bytes) -> Iterator[tuple[int, int, int]]:
    """Each record at the start of ``records`` whose key starts with ``prefix`` (up to the first
    whose key does not): where its key starts, how long it is, and how long its value is."""
    data = memoryview(records)
    pos, size, plen = 0, len(data), len(prefix)
    while pos + 8 <= size:
        keylen, datalen = _RECORD_LENGTHS.unpack_from(data, pos)
        if keylen < 0 or datalen < 0 or pos + 8 + keylen + datalen > size:
            raise ValueError("a terms file record runs past its end")
        if keylen < plen or data[pos + 8 : pos + 8 + plen] != prefix:
            break
        yield pos + 8, keylen, datalen
        pos += 8 + keylen + datalen


def python_field_terms(records: bytes | memoryview, prefix: bytes) -> dict[bytes, int]:
    """``_core.field_terms`` in Python: ``{term: where its record starts}``, a term held
    twice (in a damaged file only) keeping its first."""
    data = memoryview(records)
    plen = len(prefix)
    found: dict[bytes, int] = {}
    for at, keylen, _ in _python_records(data, prefix):
        found.setdefault(bytes(data[at + plen : at + keylen]), at - _RECORD_LENGTHS.size)
    return found


def python_field_holders(records: bytes | memoryview, prefix: bytes) -> dict[int, bytes]:
    """``_core.field_holders`` in Python."""
    data = memoryview(records)
    plen = len(prefix)
    found: dict[int, bytes] = {}
    for at, keylen, datalen in _python_records(data, prefix):
        info = at + keylen
        count = _INFO_COUNT.unpack_from(data, info + 5)[0] if datalen >= 23 else 0
        if count in (1, 2):
            term = bytes(data[at + plen : at + keylen])
            for place in (15, 19)[:count]:
                found[_INFO_COUNT.unpack_from(data, info + place)[0]] = term
    return found


def _bytes(term: Any) -> bytes:
    return term if isinstance(term, bytes) else str(term).encode("utf-8")
