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

import functools
import multiprocessing
import os
import pickle
import signal
import struct
from array import array
from collections.abc import Callable
from typing import Any

from whoosh.system import pack_uint, pack_ushort
from whoosh.writing import MERGE_SMALL, SegmentWriter

from ._codec import fast_compress, write_block, write_one_block, write_term
from ._language import LANGUAGES
from ._schema import NAMES, forms_field, summary_field, title_field
from .analysis import NamedAnalyzer, word_texts

POSTINGS_PER_SEGMENT = 2_000_000
"""Buffered postings before the batch continues in a new segment (about 150 MB of buffers)."""

_POSITIONS_MEMO_LIMIT = 4096
_FORMS_SOURCES = {forms_field(lang): (title_field(lang), summary_field(lang)) for lang in LANGUAGES}
_WORDS_KEPT = frozenset(name for pair in _FORMS_SOURCES.values() for name in pair)
_ANALYSIS_MEMO_LIMIT = 2048


_FREQUENCY = struct.Struct("!I")


def _encode_deltas(deltas: list[int]) -> bytes:
    # Exactly whoosh.formats.Positions.encode for positions whose deltas these are.
    return bytes(pack_uint(len(deltas))) + pickle.dumps(deltas, 2)


def _whole_value(value: str) -> dict[str, list[int]]:
    """The id field: one term, the value itself."""
    return {value: [0]}


class _Field:
    """What the builder keeps per field: each term's postings in document order (document
    numbers, and for a field with positions their encoded values) and each document's length."""

    __slots__ = ("by_term", "lengths", "memo", "positions_of", "scorable", "with_positions")

    def __init__(self, fieldname: str, field: Any) -> None:
        ana = field.analyzer
        self.positions_of: Callable[..., dict[str, list[int]]] = (
            ana.positions if isinstance(ana, NamedAnalyzer) else _whole_value
        )
        self.with_positions = field.format.fixed_value_size() is None
        self.scorable = bool(field.scorable)
        self.by_term: dict[str, tuple[list[int], list[bytes]]] = {}
        self.lengths: dict[int, int] = {}
        # Titles and names repeat from record to record (one title per source document):
        # their analysis is remembered by value.
        repeats = fieldname == NAMES or fieldname.startswith("title_")
        self.memo: dict[str, dict[str, list[int]]] | None = {} if repeats else None

    def analyze(self, value: str) -> dict[str, list[int]]:
        memo = self.memo
        if memo is None:
            return self.positions_of(value)
        found = memo.get(value)
        if found is None:
            if len(memo) >= _ANALYSIS_MEMO_LIMIT:
                memo.clear()
            found = memo[value] = self.positions_of(value)
        return found


class SegmentBuilder:
    """Adds documents to one open Whoosh ``SegmentWriter`` through the fast path."""

    def __init__(self, writer: SegmentWriter) -> None:
        self.writer = writer
        self.schema = writer.schema
        # Stored fields are compressed a document at a time: the fast compressor too.
        writer.perdocwriter._colwriters["_stored"]._child._compress = fast_compress
        self.fields: dict[str, _Field] = {}
        self.count = 0
        self._words: dict[str, list[str]] = {}  # this document's summaries, broken into words
        self._memo: dict[int, bytes] = {}

    def add_document(self, fields: dict[str, Any]) -> None:
        """What ``SegmentWriter.add_document(**fields)`` does, for this schema's field types."""
        writer = self.writer
        schema = self.schema
        docnum = writer.docnum
        perdoc = writer.perdocwriter
        self._words.clear()
        perdoc.start_doc(docnum)
        try:
            # The forms fields last: they reuse the words of the title and summary.
            for fieldname in sorted(fields, key=lambda name: (name in _FORMS_SOURCES, name)):
                value = fields[fieldname]
                if value is None:
                    continue
                field = schema[fieldname]
                length = 0
                if field.indexed:
                    words = self._source_words(fieldname, value, fields)
                    length = self._index(fieldname, field, value, docnum, words)
                perdoc.add_field(fieldname, field, value if field.stored else None, length)
        except Exception:
            perdoc.cancel_doc()
            raise
        perdoc.finish_doc()
        writer._added = True
        writer.docnum += 1

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

    def _index(
        self, fieldname: str, field: Any, value: str, docnum: int, words: list[str] | None
    ) -> int:
        spec = self.fields.get(fieldname)
        if spec is None:
            spec = self.fields[fieldname] = _Field(fieldname, field)
        by_term = spec.by_term
        if words is not None:
            terms = spec.positions_of(value, words)
        elif fieldname in _WORDS_KEPT and spec.memo is None:
            words = self._words[value] = word_texts(value)
            terms = spec.positions_of(value, words)
        else:
            terms = spec.analyze(value)
        if spec.with_positions:
            memo = self._memo
            for term, positions in terms.items():
                encoded = memo.get(positions[0]) if len(positions) == 1 else None
                if encoded is None:
                    encoded = self._encode_positions(positions)
                entry = by_term.get(term)
                if entry is None:
                    by_term[term] = ([docnum], [encoded])
                else:
                    entry[0].append(docnum)
                    entry[1].append(encoded)
        else:
            for term in terms:
                entry = by_term.get(term)
                if entry is None:
                    by_term[term] = ([docnum], [])
                else:
                    entry[0].append(docnum)
        self.count += len(terms)
        if not spec.scorable:
            return 0
        length = sum(map(len, terms.values()))
        spec.lengths[docnum] = length
        return length

    def _encode_positions(self, positions: list[int]) -> bytes:
        """``whoosh.formats.Positions.encode``, memoized for single positions (most postings)."""
        if len(positions) == 1:
            found = _encode_deltas(positions)
            if len(self._memo) < _POSITIONS_MEMO_LIMIT:
                self._memo[positions[0]] = found
            return found
        return _encode_deltas([b - a for a, b in zip([0, *positions], positions, strict=False)])

    def write_postings(self) -> None:
        """Write every buffered posting into the writer's field writer, in (field, term) order."""
        fieldwriter = self.writer.fieldwriter
        for fieldname in sorted(self.fields):
            spec = self.fields[fieldname]
            field = self.schema[fieldname]
            fieldwriter.start_field(fieldname, field)
            postwriter = fieldwriter._postwriter
            postwriter._write_block = functools.partial(write_block, postwriter)
            blocklimit = postwriter._blocklimit
            values_size = field.format.fixed_value_size()
            key_prefix = pack_ushort(fieldwriter._fieldid)
            lengths = [0] * (max(spec.lengths, default=-1) + 1)
            for docnum, length in spec.lengths.items():
                lengths[docnum] = length
            for term in sorted(spec.by_term):
                ids, values = spec.by_term[term]
                btext = term.encode("utf-8")
                if values:
                    weights = array("f", [_FREQUENCY.unpack_from(v)[0] for v in values])
                else:
                    weights = array("f", [1.0]) * len(ids)
                doc_lengths = [lengths[d] for d in ids] if lengths else [0] * len(ids)
                if len(ids) <= blocklimit:
                    terminfo = write_one_block(
                        postwriter, ids, weights, doc_lengths, values, values_size
                    )
                    fieldwriter._tindex.add(key_prefix + btext, terminfo)
                    continue
                fieldwriter.start_term(btext)
                write_term(postwriter, array("I", ids), weights, doc_lengths, values)
                fieldwriter.finish_term()
            fieldwriter.finish_field()
        self.fields.clear()
        self.count = 0


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
    try:
        for done, item in enumerate(items, 1):
            if builder is None or builder.count >= POSTINGS_PER_SEGMENT:
                if builder is not None:
                    segments.append(_finish(builder))
                builder = SegmentBuilder(SegmentWriter(index, _lk=False))
            builder.add_document(to_document(item))
            if progress is not None and done % 256 == 0:
                progress(done)
        if builder is not None:
            segments.append(_finish(builder))
            builder = None
    finally:
        if builder is not None:  # an error: close the unfinished segment's files
            builder.writer._close_segment()
    return segments


def _finish(builder: SegmentBuilder) -> Any:
    builder.write_postings()
    # (Its temporary folder is the main writer's too, removed when that one finishes.)
    return builder.writer._finalize_segment()


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
