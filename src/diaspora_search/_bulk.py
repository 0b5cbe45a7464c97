"""The fast indexing path: Whoosh segments written with far less Python work per posting.

Whoosh's ``SegmentWriter.add_document`` turns every word into a ``Token`` object, every posting
into a tuple in an external sorting pool, and every posting back into a method call when the
segment is written. This module keeps Whoosh's codec, files, locking and commit, and replaces the
per-posting work:

- analysis by :meth:`NamedAnalyzer.positions` (the same registered analyzers, one dict per field
  value, no tokens);
- postings kept per term in compact arrays, already in document order, so nothing is sorted but
  the term lists;
- each term's posting blocks written whole (the exact bytes ``W3PostingsWriter.add_posting``
  would buffer), not one call per posting.

Stored fields and field lengths go through Whoosh's own per-document writer, so the index is the
one ``add_document`` would write (``tests/speed/test_fast_path.py`` compares them). Memory is
bounded: past :data:`POSTINGS_PER_SEGMENT` buffered postings the batch continues in a new segment,
and all the batch's segments appear together in one commit.
"""

from __future__ import annotations

import pickle
from array import array
from typing import Any

from whoosh.system import pack_uint
from whoosh.writing import NO_MERGE, SegmentWriter

from .analysis import NamedAnalyzer

POSTINGS_PER_SEGMENT = 2_000_000
"""Buffered postings before the batch continues in a new segment (about 150 MB of buffers)."""

_POSITIONS_MEMO_LIMIT = 4096


class _Postings:
    """One term's postings in document order: ids, weights, encoded values, field lengths."""

    __slots__ = ("ids", "lengths", "values", "weights")

    def __init__(self) -> None:
        self.ids = array("I")
        self.weights = array("f")
        self.lengths = array("I")
        self.values: list[bytes] = []


class SegmentBuilder:
    """Adds documents to one open Whoosh ``SegmentWriter`` through the fast path."""

    def __init__(self, writer: SegmentWriter) -> None:
        self.writer = writer
        self.schema = writer.schema
        self.postings: dict[str, dict[str, _Postings]] = {}
        self.count = 0
        self._memo: dict[tuple[int, ...], bytes] = {}

    def add_document(self, fields: dict[str, Any]) -> None:
        """What ``SegmentWriter.add_document(**fields)`` does, for this schema's field types."""
        writer = self.writer
        schema = self.schema
        docnum = writer.docnum
        perdoc = writer.perdocwriter
        perdoc.start_doc(docnum)
        try:
            for fieldname in sorted(fields):
                value = fields[fieldname]
                if value is None:
                    continue
                field = schema[fieldname]
                length = 0
                if field.indexed:
                    length = self._index(fieldname, field, value, docnum)
                perdoc.add_field(fieldname, field, value if field.stored else None, length)
        except Exception:
            perdoc.cancel_doc()
            raise
        perdoc.finish_doc()
        writer._added = True
        writer.docnum += 1

    def _index(self, fieldname: str, field: Any, value: str, docnum: int) -> int:
        by_term = self.postings.setdefault(fieldname, {})
        ana = field.analyzer
        scorable = field.scorable
        if not isinstance(ana, NamedAnalyzer):  # the id field: one term, the value itself
            terms: dict[str, list[int]] = {value: [0]}
        else:
            terms = ana.positions(value)
        with_positions = field.format.fixed_value_size() is None
        length = sum(len(p) for p in terms.values()) if scorable else 0
        for term, positions in terms.items():
            postings = by_term.get(term)
            if postings is None:
                postings = by_term[term] = _Postings()
            postings.ids.append(docnum)
            postings.lengths.append(length)
            if with_positions:
                postings.weights.append(float(len(positions)))
                postings.values.append(self._encode_positions(positions))
            else:
                postings.weights.append(1.0)
        self.count += len(terms)
        return length

    def _encode_positions(self, positions: list[int]) -> bytes:
        """``whoosh.formats.Positions.encode``, memoized for the common short lists."""
        deltas = tuple(b - a for a, b in zip([0, *positions], positions, strict=False))
        found = self._memo.get(deltas)
        if found is None:
            found = pack_uint(len(deltas)) + pickle.dumps(list(deltas), 2)
            if len(deltas) <= 2 and len(self._memo) < _POSITIONS_MEMO_LIMIT:
                self._memo[deltas] = found
        return found

    def write_postings(self) -> None:
        """Write every buffered posting into the writer's field writer, in (field, term) order."""
        fieldwriter = self.writer.fieldwriter
        for fieldname in sorted(self.postings):
            field = self.schema[fieldname]
            fieldwriter.start_field(fieldname, field)
            by_term = self.postings[fieldname]
            for term in sorted(by_term):
                fieldwriter.start_term(term.encode("utf-8"))
                _write_term(fieldwriter._postwriter, by_term[term])
                fieldwriter.finish_term()
            fieldwriter.finish_field()
        self.postings.clear()
        self.count = 0


def _write_term(postwriter: Any, postings: _Postings) -> None:
    """Fill ``W3PostingsWriter``'s block buffer a block at a time. Every block but the last is
    written here; the last stays buffered for ``finish_term`` to write (as ``add_posting``
    would have left it)."""
    ids, weights, lengths, values = (
        postings.ids,
        postings.weights,
        postings.lengths,
        postings.values,
    )
    total = len(ids)
    blocklimit = postwriter._blocklimit
    for start in range(0, total, blocklimit):
        end = min(start + blocklimit, total)
        postwriter._ids = ids[start:end]
        block_weights = weights[start:end]
        postwriter._weights = block_weights
        postwriter._values = values[start:end] if values else []
        postwriter._maxweight = max(0.0, max(block_weights))
        block_lengths = [n for n in lengths[start:end] if n]
        postwriter._minlength = min(block_lengths) if block_lengths else None
        postwriter._maxlength = max(block_lengths, default=0)
        if end < total:
            postwriter._write_block()


class BulkWriter:
    """A batch written through the fast path, in as many segments as memory allows, committed
    together by the main (locking) writer."""

    def __init__(self, main: SegmentWriter, index: Any) -> None:
        self.main = main
        self.index = index
        self.segments: list[Any] = []
        self.builder = SegmentBuilder(main)
        self._subwriters: list[SegmentWriter] = []

    def add_document(self, doc: dict[str, Any]) -> None:
        if self.builder.count >= POSTINGS_PER_SEGMENT:
            self._next_segment()
        self.builder.add_document(doc)

    def _next_segment(self) -> None:
        self._close_builder()
        sub = SegmentWriter(self.index, _lk=False)
        self._subwriters.append(sub)
        self.builder = SegmentBuilder(sub)

    def _close_builder(self) -> None:
        """Write the current builder's postings; finish its segment unless it is the main
        writer's, which ``SegmentWriter.commit`` finishes."""
        builder = self.builder
        builder.write_postings()
        if builder.writer is not self.main:
            self.segments.append(builder.writer._finalize_segment())
            builder.writer._tempstorage.destroy()

    def commit(self) -> None:
        self._close_builder()
        self.main.commit(mergetype=self._with_segments)

    def _with_segments(self, writer: SegmentWriter, segments: list[Any]) -> list[Any]:
        # The merge policy hook runs inside SegmentWriter.commit, before the main segment is
        # appended: keep the existing segments as they are and add the batch's others.
        return [*NO_MERGE(writer, segments), *self.segments]

    def cancel(self) -> None:
        for sub in self._subwriters:
            if not sub.is_closed:
                sub._close_segment()
                sub._tempstorage.destroy()
        self.main.cancel()
