"""The fast indexing path: Whoosh segments written with far less Python work per posting.

Whoosh's ``SegmentWriter.add_document`` turns every word into a ``Token`` object, every posting
into a tuple in an external sorting pool, and every posting back into a method call when the
segment is written. :class:`SegmentBuilder` keeps Whoosh's codec, files, locking and commit, and
replaces the per-posting work:

- analysis by :meth:`Analyzer.positions` (the same registered analyzers, one dict per field
  value, no tokens);
- postings kept per term, already in document order, so nothing is sorted but the term lists
  (:mod:`.postings`: compactly and in C when the compiled core is built, in lists otherwise);
- each field's postings and terms tables built in memory and written in one call
  (:func:`write_field`), and the stored fields and length columns written in bulk.

The index holds what ``add_document`` would write (``tests/speed/test_fast_path.py`` compares
them). Memory is bounded: past :data:`POSTINGS_PER_SEGMENT` buffered postings a batch continues
in a new segment, and all the batch's segments appear together in one commit
(:mod:`.parallel`, which also shares large batches among processes).
"""

from __future__ import annotations

import gc
import pickle
from collections.abc import Callable
from typing import Any

from whoosh.codec.whoosh3 import LENGTHS_COLUMN, STORED_COLUMN, _lenfield
from whoosh.formats import Existence, Positions
from whoosh.util.numlists import GrowableArray
from whoosh.writing import SegmentWriter

from .._fields import FORMS_SOURCES, NAMES, forms_field, forms_text
from .._language import LANGUAGES
from ..analysis import word_texts
from .analyzers import NamedAnalyzer
from .codec import length_byte, write_field
from .postings import FieldPostings, Postings
from .stored import StoredBlobs

POSTINGS_PER_SEGMENT = 2_000_000
"""Buffered postings before a batch continues in a new segment (about 150 MB of buffers)."""

PROGRESS_EVERY = 48
"""Documents between progress reports of :class:`SerialBuilder`."""

_FORMS_SOURCES = {forms_field(lang): FORMS_SOURCES[lang] for lang in LANGUAGES}
_WORDS_KEPT = frozenset(name for names in _FORMS_SOURCES.values() for name in names)
_ANALYSIS_MEMO_LIMIT = 2048
_STORED_COMPRESSION: int = STORED_COLUMN._child._level


class _Field:
    """What the builder keeps per indexed field: each term's postings in the order documents
    were added (:mod:`.postings`), and each document's length."""

    __slots__ = (
        "keeps_words",
        "known",
        "learn",
        "length_total",
        "lengths",
        "memo",
        "postings",
        "scorable",
        "sources",
        "terms_of",
        "with_positions",
    )

    def __init__(self, fieldname: str, field: Any) -> None:
        fmt = field.format
        if not isinstance(fmt, Positions | Existence) or fmt.field_boost != 1.0:
            raise TypeError(f"the fast path does not write {type(fmt).__name__} fields")
        if field.vector or field.column_type or field.separate_spelling():
            raise TypeError(f"the fast path does not write vectors or columns ({fieldname})")
        self.with_positions = isinstance(fmt, Positions)
        if field.scorable and not self.with_positions:
            raise TypeError("the fast path does not write scored fields without positions")
        ana = field.analyzer
        if not isinstance(ana, NamedAnalyzer):
            self.terms_of: Callable[..., Any] = _whole_value
            self.known = None
        else:
            analysis = ana.analysis
            self.terms_of = analysis.word_terms if self.with_positions else analysis.term_set
            # The terms of words already analyzed, looked up while adding the postings.
            self.known = analysis.known_terms() if self.with_positions else None
            self.learn = analysis.learn
        self.scorable = bool(field.scorable)
        self.postings: FieldPostings = Postings(self.with_positions)
        # Each document's length byte, by document number in the order added (0: none),
        # and the lengths' sum.
        self.lengths = bytearray()
        self.length_total = 0
        # The forms fields reuse the words of the title and summary they are made of.
        self.sources = _FORMS_SOURCES.get(fieldname)
        # Titles and names repeat from record to record (one title per source document):
        # their analysis is remembered by value.
        repeats = fieldname == NAMES or fieldname.startswith("title_")
        self.memo: dict[str, Any] | None = {} if repeats else None
        if repeats:
            self.known = None
        self.keeps_words = fieldname in _WORDS_KEPT and not repeats

    def analyze(self, value: str, words: list[str] | None) -> Any:
        memo = self.memo
        if memo is None:
            return self.terms_of(value, words)
        found = memo.get(value)
        if found is None:
            if len(memo) >= _ANALYSIS_MEMO_LIMIT:
                memo.clear()
            found = memo[value] = self.terms_of(value)
        return found


def _whole_value(value: str, words: list[str] | None = None) -> list[str]:
    """The id field: one term, the value itself."""
    return [value]


class SegmentBuilder:
    """Builds one new Whoosh segment with an open ``SegmentWriter``'s files, and finishes it as
    ``add_document`` for every document, then committing, would.

    ``backward``: documents are added last first (the segment's last document first), as the
    backward builder of a shared batch takes them (see :mod:`.parallel`).
    """

    def __init__(self, writer: SegmentWriter, *, backward: bool = False) -> None:
        self.writer = writer
        self.schema = writer.schema
        self.backward = backward
        self.fields: dict[str, _Field] = {}
        self.count = 0  # buffered postings
        self.docs = 0
        self._plan: dict[str, tuple[_Field | None, bool]] = {}
        stored_column = writer.perdocwriter._colwriters["_stored"]._child
        self._stored = StoredBlobs(
            stored_column._dbfile,
            level=_STORED_COMPRESSION,
            backward=backward,
            folder=getattr(writer.storage, "folder", None),
        )
        self._words: dict[str, list[str]] = {}  # this document's text, broken into words

    def add_document(self, fields: dict[str, Any]) -> None:
        """What ``SegmentWriter.add_document(**fields)`` does, for this schema's field types.
        A forms field is quickest after its title and summary (as ``_fields.document`` orders
        them)."""
        docnum = self.docs
        plan = self._plan
        self._words.clear()
        stored: dict[str, Any] = {}
        count = 0
        for fieldname, value in fields.items():
            if value is None:
                continue
            found = plan.get(fieldname)
            if found is None:
                found = plan[fieldname] = self._plan_field(fieldname)
            spec, store = found
            if spec is not None:
                count += self._index(spec, value, docnum, fields)
            if store:
                stored[fieldname] = value
        self._stored.add(pickle.dumps(stored, 2) if stored else b"")
        self.count += count
        self.docs += 1

    def _plan_field(self, fieldname: str) -> tuple[_Field | None, bool]:
        field = self.schema[fieldname]
        spec = None
        if field.indexed:
            spec = self.fields[fieldname] = _Field(fieldname, field)
        return spec, bool(field.stored)

    def _index(self, spec: _Field, value: Any, docnum: int, fields: dict[str, Any]) -> int:
        words = None
        if spec.sources is not None:
            words = self._source_words(spec.sources, value, fields)
        elif spec.keeps_words:
            words = self._words[value] = word_texts(value)
        postings = spec.postings
        found: tuple[int, int] | list[str] | None = None
        if spec.known is not None:
            if words is None:
                words = word_texts(value)
            found = postings.add_words(spec.known, words, docnum)
            if isinstance(found, list):  # words never analyzed before: analyzed, then added
                spec.learn(found)
                found = postings.add_words(spec.known, words, docnum)
        if not isinstance(found, tuple):  # no words kept, or the analysis cache started again
            terms = spec.analyze(value, words)
            if not spec.with_positions:
                return postings.add_terms(terms, docnum)
            found = postings.add_positions(terms, docnum)
        added, length = found
        if spec.scorable:
            lengths = spec.lengths
            if len(lengths) < docnum:
                lengths.extend(bytes(docnum - len(lengths)))
            lengths.append(length_byte(length))
            spec.length_total += length
        return added

    def _source_words(
        self, sources: tuple[str, ...], value: str, fields: dict[str, Any]
    ) -> list[str] | None:
        """For a forms field whose value is its title, summary and full text joined by
        newlines (as ``_fields.document`` makes it), their words: a newline always breaks
        words, so these are the words of the value, without breaking it again."""
        texts = [fields.get(name) or "" for name in sources]
        if value != forms_text(texts):
            return None
        seen = self._words
        return [word for text in texts for word in (seen.get(text) or word_texts(text))]

    def finish(self) -> Any:
        """Write the segment's files; the finished (uncommitted) segment. On an error, the
        stored fields' temporary file and compressing thread are released before it is
        raised (the callers drop a builder whose finish failed: nothing else would)."""
        try:
            return self._finish()
        except BaseException:
            self._stored.close()
            raise

    def _finish(self) -> Any:
        writer = self.writer
        last = self.docs - 1 if self.backward else None
        lengths: dict[str, bytes] = {}  # each scorable field's length bytes, in segment order
        for fieldname, spec in self.fields.items():
            if spec.scorable:
                column = spec.lengths
                column.extend(bytes(self.docs - len(column)))
                lengths[fieldname] = bytes(column[::-1] if self.backward else column)
                spec.lengths = bytearray()
        for fieldname in sorted(self.fields):
            spec = self.fields[fieldname]
            if not spec.postings:  # (Whoosh never starts a field without postings)
                continue
            doc_lengths = lengths.get(fieldname)
            write_field(
                writer.fieldwriter,
                fieldname,
                self.schema[fieldname],
                spec.postings,
                lengths=doc_lengths,
                reverse_from=last,
            )
            spec.postings = Postings(spec.with_positions)
        self._write_per_document(lengths)
        writer.docnum = self.docs
        writer._added = self.docs > 0
        # (Its temporary folder is the main writer's too, removed when that one finishes.)
        return writer._finalize_segment()

    def _write_per_document(self, lengths: dict[str, bytes]) -> None:
        """The stored fields and length columns ``W3PerDocWriter`` writes, in bulk (the
        stored blobs are in their file already: :mod:`.stored`)."""
        perdoc = self.writer.perdocwriter
        perdoc._doccount = self.docs
        stored = perdoc._colwriters["_stored"]._child  # a CompressedBytesColumn writer
        sizes, offsets, total = self._stored.finish()
        stored._lengths = _growable(sizes)
        stored._offsets = _growable(offsets)
        stored._offset_base = total
        stored._count = self.docs
        for fieldname in sorted(lengths):
            spec = self.fields[fieldname]
            if not spec.length_total:
                continue
            column_name = _lenfield(fieldname)
            perdoc._create_column(column_name, LENGTHS_COLUMN)
            column = perdoc._colwriters[column_name]
            # A numeric column holds the values up to the last that is not the default.
            written = lengths[fieldname].rstrip(b"\0")
            column._dbfile.write(written)
            column._count = len(written)
            perdoc._fieldlengths[fieldname] += spec.length_total

    def close(self) -> None:
        """Close the segment's files after an error."""
        self._stored.close()
        self.writer._close_segment()


class SerialBuilder:
    """Documents built in this process, in the order given, batch after batch, into segments
    that continue from one batch to the next (a new one only past
    :data:`POSTINGS_PER_SEGMENT` postings): a stream of small batches makes few
    segments, and its buffers never exceed one segment's."""

    def __init__(self, index: Any, to_document: Callable[[Any], dict[str, Any]]) -> None:
        self._index = index
        self._to_document = to_document
        self._builder: SegmentBuilder | None = None
        self._segments: list[Any] = []

    def add(self, items: list[Any], progress: Callable[[int], None] | None = None) -> None:
        """Build ``items``; ``progress`` gets the count done every :data:`PROGRESS_EVERY`."""
        collecting = gc.isenabled()
        gc.disable()  # (as in :func:`.parallel.build`)
        try:
            for count, item in enumerate(items, 1):
                builder = self._builder
                if builder is None or builder.count >= POSTINGS_PER_SEGMENT:
                    if builder is not None:
                        self._segments.append(builder.finish())
                    builder = self._builder = SegmentBuilder(SegmentWriter(self._index, _lk=False))
                builder.add_document(self._to_document(item))
                if progress is not None and count % PROGRESS_EVERY == 0:
                    progress(count)
        finally:
            if collecting:
                gc.enable()

    def finish(self) -> list[Any]:
        """The segments built since the last call, the open one finished, in document order."""
        if self._builder is not None:
            self._segments.append(self._builder.finish())
            self._builder = None
        segments, self._segments = self._segments, []
        return segments

    def close(self) -> None:
        """Close the open segment's files (after an error)."""
        if self._builder is not None:
            self._builder.close()
            self._builder = None


def _growable(values: list[int]) -> GrowableArray:
    """The ``GrowableArray`` (without longs) that appending ``values`` one by one makes."""
    grown = GrowableArray(allow_longs=False)
    top = max(values, default=0)
    if top >= 256:
        grown._retype(top)
    grown.array.extend(values)
    return grown
