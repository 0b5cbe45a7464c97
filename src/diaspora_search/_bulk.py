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

Stored fields and field lengths go through Whoosh's own per-document writer, so the index holds
what ``add_document`` would write (``tests/speed/test_fast_path.py`` compares them). Memory is
bounded: past :data:`POSTINGS_PER_SEGMENT` buffered postings the batch continues in a new segment,
and all the batch's segments appear together in one commit. Large batches are shared among
processes (:class:`BulkWriter`).
"""

from __future__ import annotations

import gc
import itertools
import multiprocessing
import os
import pickle
import signal
import struct
from collections.abc import Callable
from typing import Any

from whoosh.codec.whoosh3 import LENGTHS_COLUMN, STORED_COLUMN, _lenfield
from whoosh.formats import Existence, Positions
from whoosh.util.numlists import GrowableArray
from whoosh.writing import MERGE_SMALL, SegmentWriter

from ._codec import fast_compress, length_byte, write_field
from ._language import LANGUAGES
from ._schema import NAMES, forms_field, summary_field, title_field
from .analysis import NamedAnalyzer, word_texts

POSTINGS_PER_SEGMENT = 2_000_000
"""Buffered postings before the batch continues in a new segment (about 150 MB of buffers)."""

_FORMS_SOURCES = {forms_field(lang): (title_field(lang), summary_field(lang)) for lang in LANGUAGES}
_WORDS_KEPT = frozenset(name for pair in _FORMS_SOURCES.values() for name in pair)
_ANALYSIS_MEMO_LIMIT = 2048
_FREQUENCY = struct.Struct("!I")


def _encode_deltas(deltas: list[int]) -> bytes:
    # Exactly whoosh.formats.Positions.encode for positions whose deltas these are.
    return _FREQUENCY.pack(len(deltas)) + pickle.dumps(deltas, 2)


_SINGLE_POSITIONS = [_encode_deltas([position]) for position in range(4096)]
"""The encoded value of a posting at one position (most postings), for common positions."""


class _Field:
    """What the builder keeps per field: each term's postings in document order (document
    numbers, and for a field with positions their encoded values, alternating), the terms with
    a frequency above 1, and each document's length."""

    __slots__ = ("lengths", "memo", "multi", "postings", "scorable", "terms_of", "with_positions")

    def __init__(self, fieldname: str, field: Any) -> None:
        fmt = field.format
        if not isinstance(fmt, Positions | Existence) or fmt.field_boost != 1.0:
            raise TypeError(f"the fast path does not write {type(fmt).__name__} fields")
        if field.vector or field.column_type or field.separate_spelling():
            raise TypeError(f"the fast path does not write vectors or columns ({fieldname})")
        self.with_positions = isinstance(fmt, Positions)
        ana = field.analyzer
        if not isinstance(ana, NamedAnalyzer):
            self.terms_of: Callable[..., Any] = _whole_value
        else:
            self.terms_of = ana.positions if self.with_positions else ana.term_set
        self.scorable = bool(field.scorable)
        self.postings: dict[str, list[Any]] = {}
        self.multi: set[str] = set()
        self.lengths: dict[int, int] = {}
        # Titles and names repeat from record to record (one title per source document):
        # their analysis is remembered by value.
        repeats = fieldname == NAMES or fieldname.startswith("title_")
        self.memo: dict[str, Any] | None = {} if repeats else None

    def analyze(self, value: str, words: list[str] | None) -> Any:
        memo = self.memo
        if memo is None:
            return self.terms_of(value, words) if words is not None else self.terms_of(value)
        found = memo.get(value)
        if found is None:
            if len(memo) >= _ANALYSIS_MEMO_LIMIT:
                memo.clear()
            found = memo[value] = self.terms_of(value)
        return found


def _whole_value(value: str, words: list[str] | None = None) -> Any:
    """The id field: one term, the value itself."""
    return {value: [0]}


class SegmentBuilder:
    """Builds one new Whoosh segment through the fast path, with an open ``SegmentWriter``'s
    files, and finishes it as ``add_document`` for every document, then committing, would."""

    def __init__(self, writer: SegmentWriter) -> None:
        self.writer = writer
        self.schema = writer.schema
        self.fields: dict[str, _Field] = {}
        self.count = 0  # buffered postings
        self.docs = 0
        self._stored: list[bytes] = []
        self._words: dict[str, list[str]] = {}  # this document's text, broken into words

    def add_document(self, fields: dict[str, Any]) -> None:
        """What ``SegmentWriter.add_document(**fields)`` does, for this schema's field types."""
        schema = self.schema
        docnum = self.docs
        self._words.clear()
        stored: dict[str, Any] = {}
        postings = 0
        for fieldname in sorted(fields, key=_forms_last):
            value = fields[fieldname]
            if value is None:
                continue
            field = schema[fieldname]
            if field.indexed:
                postings += self._index(fieldname, field, value, docnum, fields)
            if field.stored:
                stored[fieldname] = value
        # Whoosh stores the fields in name order.
        blob = pickle.dumps({name: stored[name] for name in sorted(stored)}, 2) if stored else b""
        self._stored.append(fast_compress(blob, _STORED_COMPRESSION) if blob else b"")
        self.count += postings
        self.docs += 1

    def _index(
        self, fieldname: str, field: Any, value: Any, docnum: int, fields: dict[str, Any]
    ) -> int:
        spec = self.fields.get(fieldname)
        if spec is None:
            spec = self.fields[fieldname] = _Field(fieldname, field)
        words = self._source_words(fieldname, value, fields)
        if words is None and fieldname in _WORDS_KEPT and spec.memo is None:
            words = self._words[value] = word_texts(value)
        terms = spec.analyze(value, words)
        postings = spec.postings
        if spec.with_positions:
            single = _SINGLE_POSITIONS
            for term, positions in terms.items():
                if len(positions) == 1 and positions[0] < 4096:
                    encoded = single[positions[0]]
                else:
                    encoded = _encode_deltas(
                        [b - a for a, b in zip([0, *positions], positions, strict=False)]
                    )
                    if len(positions) > 1:
                        spec.multi.add(term)
                entry = postings.get(term)
                if entry is None:
                    postings[term] = [docnum, encoded]
                else:
                    entry += (docnum, encoded)
            if spec.scorable:
                spec.lengths[docnum] = sum(map(len, terms.values()))
        else:
            for term in terms:
                entry = postings.get(term)
                if entry is None:
                    postings[term] = [docnum]
                else:
                    entry.append(docnum)
        return len(terms)

    def _source_words(self, fieldname: str, value: str, fields: dict[str, Any]) -> list[str] | None:
        """For a forms field whose value is its title and summary joined by a newline (as
        ``record_document`` makes it), their words: a newline always breaks words, so these are
        the words of the value, without breaking it again."""
        sources = _FORMS_SOURCES.get(fieldname)
        if sources is None:
            return None
        title, summary = (fields.get(name) or "" for name in sources)
        if value != f"{title}\n{summary}":
            return None
        seen = self._words
        return [
            *(seen.get(title) or word_texts(title)),
            *(seen.get(summary) or word_texts(summary)),
        ]

    def finish(self) -> Any:
        """Write the segment's files; the finished (uncommitted) segment."""
        writer = self.writer
        fieldwriter = writer.fieldwriter
        for fieldname in sorted(self.fields):
            spec = self.fields[fieldname]
            lengths = None
            if spec.scorable:
                lengths = [0] * self.docs
                for docnum, length in spec.lengths.items():
                    lengths[docnum] = length
            write_field(
                fieldwriter,
                fieldname,
                self.schema[fieldname],
                spec.postings,
                spec.with_positions,
                spec.multi,
                lengths,
            )
            spec.postings = {}
        self._write_per_document()
        writer.docnum = self.docs
        writer._added = self.docs > 0
        # (Its temporary folder is the main writer's too, removed when that one finishes.)
        return writer._finalize_segment()

    def _write_per_document(self) -> None:
        """The stored fields and length columns ``W3PerDocWriter`` writes, in bulk."""
        perdoc = self.writer.perdocwriter
        perdoc._doccount = self.docs
        stored = perdoc._colwriters["_stored"]._child  # a CompressedBytesColumn writer
        data = b"".join(self._stored)
        stored._dbfile.write(data)
        sizes = list(map(len, self._stored))
        stored._lengths = _growable(sizes)
        stored._offsets = _growable([0, *itertools.accumulate(sizes)][:-1])
        stored._offset_base = len(data)
        stored._count = self.docs
        self._stored = []
        for fieldname in sorted(self.fields):
            spec = self.fields[fieldname]
            if not any(spec.lengths.values()):
                continue
            column_name = _lenfield(fieldname)
            perdoc._create_column(column_name, LENGTHS_COLUMN)
            column = perdoc._colwriters[column_name]
            values = bytearray(self.docs)
            for docnum, length in spec.lengths.items():
                values[docnum] = length_byte(length)
            # A numeric column holds the values up to the last that is not the default.
            written = bytes(values).rstrip(b"\0")
            column._dbfile.write(written)
            column._count = len(written)
            perdoc._fieldlengths[fieldname] += sum(spec.lengths.values())

    def close(self) -> None:
        """Close the segment's files after an error."""
        self.writer._close_segment()


_STORED_COMPRESSION = STORED_COLUMN._child._level


def _forms_last(fieldname: str) -> tuple[bool, str]:
    # The forms fields last: they reuse the words of the title and summary.
    return (fieldname in _FORMS_SOURCES, fieldname)


def _growable(values: list[int]) -> GrowableArray:
    """The ``GrowableArray`` (without longs) that appending ``values`` one by one makes."""
    grown = GrowableArray(allow_longs=False)
    top = max(values, default=0)
    if top >= 256:
        grown._retype(top)
    grown.array.extend(values)
    return grown


class BulkWriter:
    """A batch written through the fast path into new segments, committed together by the
    main (locking) writer.

    Large batches are split across processes (``fork``): each builds the segments of one
    contiguous share of the documents, so the documents keep their order. Only the main
    process holds the index lock and writes the table of contents.
    """

    def __init__(self, main: SegmentWriter, index: Any, *, processes: int | None = None) -> None:
        self.main = main
        self.index = index
        self.segments: list[Any] = []
        self.processes = processes if processes is not None else default_processes()

    def write(
        self,
        items: list[Any],
        to_document: Callable[[Any], dict[str, Any]],
        progress: Callable[[int], None] | None = None,
    ) -> None:
        """Write the documents ``to_document`` makes of ``items`` into new segments (not yet
        visible: see :meth:`commit`). Documents are made where they are written, in parallel."""
        shares = _split(items, self.processes if len(items) >= PARALLEL_MIN_DOCS else 1)
        children = [
            _fork_builder(self.index, share, to_document, self.main) for share in shares[:-1]
        ]
        try:
            report = None
            if progress is not None:
                report = _scaled_progress(progress, len(shares), len(items))
            own = build_segments(self.index, shares[-1], to_document, report)
        except BaseException:
            for child in children:
                child.kill()
            raise
        for child in children:
            self.segments.extend(child.result())
        self.segments.extend(own)

    def commit(self) -> None:
        self.main.commit(mergetype=self._with_segments)

    def _with_segments(self, writer: SegmentWriter, segments: list[Any]) -> list[Any]:
        # The merge policy hook runs inside SegmentWriter.commit: small existing segments are
        # merged as Whoosh always does; the batch's segments join the list unmerged.
        return [*MERGE_SMALL(writer, segments), *self.segments]

    def cancel(self) -> None:
        self.main.cancel()


PARALLEL_MIN_DOCS = 4000
"""Batches smaller than this are not worth a second process."""


def default_processes() -> int:
    """Processes for large batches: the CPUs this process may use, at most 4; 1 where
    ``fork`` is unavailable."""
    if not hasattr(os, "fork") or multiprocessing.get_start_method(allow_none=True) == "spawn":
        return 1
    try:
        cpus = len(os.sched_getaffinity(0))
    except AttributeError:  # pragma: no cover - not Linux
        cpus = os.cpu_count() or 1
    return max(1, min(4, cpus))


def build_segments(
    index: Any,
    items: list[Any],
    to_document: Callable[[Any], dict[str, Any]],
    progress: Callable[[int], None] | None = None,
) -> list[Any]:
    """Write the documents of ``items`` into as many new segments as
    :data:`POSTINGS_PER_SEGMENT` needs; the finished (uncommitted) segment objects, in order."""
    segments: list[Any] = []
    builder: SegmentBuilder | None = None
    # The buffers are millions of small lists that live until the segment is written and hold
    # no cycles: the cyclic garbage collector would only walk them over and over.
    collecting = gc.isenabled()
    gc.disable()
    try:
        for done, item in enumerate(items, 1):
            if builder is None or builder.count >= POSTINGS_PER_SEGMENT:
                if builder is not None:
                    segments.append(builder.finish())
                builder = SegmentBuilder(SegmentWriter(index, _lk=False))
            builder.add_document(to_document(item))
            if progress is not None and done % 256 == 0:
                progress(done)
        if builder is not None:
            segments.append(builder.finish())
            builder = None
    finally:
        if builder is not None:  # an error: close the unfinished segment's files
            builder.close()
        if collecting:
            gc.enable()
    return segments


def _split(items: list[Any], parts: int) -> list[list[Any]]:
    size = -(-len(items) // parts) if items else 0
    shares = [items[i : i + size] for i in range(0, len(items), size)] if size else []
    return shares or [[]]


def _scaled_progress(
    progress: Callable[[int], None], shares: int, total: int
) -> Callable[[int], None]:
    # The children report nothing; assume they keep pace with this process.
    return lambda done: progress(min(total, done * shares))


class _Child:
    """A forked process building the segments of one share of a batch."""

    def __init__(self, pid: int, reader: int) -> None:
        self.pid = pid
        self.reader = reader

    def result(self) -> list[Any]:
        with os.fdopen(self.reader, "rb") as pipe:
            data = pipe.read()
        _, status = os.waitpid(self.pid, 0)
        if status != 0 or not data:
            raise RuntimeError(f"an indexing process failed (status {status})")
        kind, payload = pickle.loads(data)
        if kind == "error":
            raise RuntimeError(f"an indexing process failed: {payload}")
        return list(payload)

    def kill(self) -> None:
        try:
            os.kill(self.pid, signal.SIGKILL)
            os.waitpid(self.pid, 0)
        except OSError:
            pass
        os.close(self.reader)


def _fork_builder(
    index: Any,
    items: list[Any],
    to_document: Callable[[Any], dict[str, Any]],
    main: SegmentWriter,
) -> _Child:
    reader, writer = os.pipe()
    parent = os.getpid()
    pid = os.fork()
    if pid:
        os.close(writer)
        return _Child(pid, reader)
    # In the child: never hold the index lock (the parent's death must release it), never
    # return into the caller's code, and stop when the parent is gone.
    code = 1
    try:
        os.close(reader)
        lock = getattr(main.writelock, "fd", None)
        if lock is not None:
            os.close(lock)
        segments = build_segments(index, items, to_document, lambda _: _exit_if_orphaned(parent))
        payload = pickle.dumps(("ok", segments))
        code = 0
    except BaseException as error:  # report, then exit: the parent raises
        payload = pickle.dumps(("error", f"{type(error).__name__}: {error}"))
    try:
        with os.fdopen(writer, "wb") as pipe:
            pipe.write(payload)
    finally:
        os._exit(code)


def _exit_if_orphaned(parent: int) -> None:
    if os.getppid() != parent:
        os._exit(1)
