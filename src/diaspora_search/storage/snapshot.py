"""One committed state of an index, read through an interface of our own.

A :class:`Snapshot` wraps a Whoosh searcher of one generation and gives what the rest of the
library reads: collection statistics (document count, document frequencies, average field
lengths), terms (each looked up once: ``lookup.py``), a term's postings a block at a time per
segment, document lengths, stored fields, and the Whoosh run of the plans that need it
(phrases, exclusions).
Nothing of Whoosh leaves this module, and no raw error of a damaged file either: every read is
``guarded`` (``damage.py``), so it raises :class:`~diaspora_search.IndexCorruptError`.
"""

from __future__ import annotations

import bisect
from collections.abc import Callable, Iterable, Iterator
from collections.abc import Set as AbstractSet
from pathlib import Path
from typing import TYPE_CHECKING, Any, NamedTuple

from .._fields import ID
from ..query.plan import Key, PhraseMatch, QueryPlan
from .codec import (
    extent_in,
    field_length_bytes,
    postings_buffer,
    stored_fields_reader,
    term_blocks,
)
from .damage import guarded, guarded_iter
from .lookup import TermLookup, read_field_holders
from .lowering import lower, lower_alternative
from .weighting import BM25, Statistics

if TYPE_CHECKING:  # (Whoosh's search modules are loaded by the first search, never by indexing)
    from whoosh.searching import Searcher

STORED_MEMO = 2_000
"""Documents whose stored fields a snapshot keeps (then forgets all at once)."""


class SegmentPostings(NamedTuple):
    """One segment's postings of a term: where its document numbers start in the snapshot,
    its document frequency there (deleted documents included), the documents deleted since,
    the postings, a block at a time, and where they are for the core to score them without
    reading the blocks into lists (:func:`~.codec.postings_extent`; ``None``: it cannot).
    (A named tuple: made for every term of every query.)"""

    segment: int
    offset: int
    doc_frequency: int
    deleted: frozenset[int]
    blocks: Iterable[tuple[list[int], list[float] | None]]
    extent: tuple[Any, int, int] | None = None


class _Blocks:
    """A term's postings in a segment a block at a time (:func:`~.codec.term_blocks`), read
    when iterated: made for every term of every query, and most are scored by the core from
    the postings' extent instead."""

    __slots__ = ("_fmt", "_info", "_path", "_term", "_terms")

    def __init__(
        self, path: Path | None, terms: Any, info: Any, fmt: Any, term: tuple[str, bytes]
    ) -> None:
        self._path, self._terms, self._info, self._fmt, self._term = path, terms, info, fmt, term

    def __iter__(self) -> Iterator[tuple[list[int], list[float] | None]]:
        blocks = term_blocks(self._terms, self._info, self._fmt, self._term)
        return guarded_iter(self._path, blocks)


def _text(term: Any) -> str:
    return term.decode("utf-8") if isinstance(term, bytes) else str(term)


class Snapshot:
    """The index as of one commit. Cheap to keep; closed with :meth:`close`."""

    def __init__(self, searcher: Searcher, path: Path | None = None) -> None:
        self.path = path
        self._searcher = searcher
        self._reader = searcher.reader()
        self._schema = searcher.schema
        self.generation: int = self._reader.generation()
        self._segments = [(sub.reader(), offset) for sub, offset in searcher.leaf_searchers()]
        self._scorable = frozenset(n for n in self._schema.names() if self._schema[n].scorable)
        self._fields = {n: self._schema[n] for n in self._schema.names()}
        self._record_ids: dict[int, str] = {}
        self._offsets = [offset for _, offset in self._segments]
        self._segment_ids: dict[int, dict[int, bytes]] = {}
        self._stored: dict[int, dict[str, Any]] = {}
        self._stored_readers: dict[int, Callable[[int], dict[str, Any] | None] | None] = {}
        self._names = frozenset(self._fields)
        self._lookup = TermLookup([reader for reader, _ in self._segments], self._fields)
        # Whoosh's own (W3) segments can be read a block at a time; anything else is scored
        # by Whoosh.
        self.blocks_readable = all(
            hasattr(reader, "_terms") for reader, _ in self._segments if reader.doc_count_all()
        )
        # What reading a term's postings in each segment needs: its terms reader, where its
        # document numbers start, its deleted documents, and its postings file's buffer for
        # the core (None: not a W3 segment).
        self._block_reading: list[tuple[Any, int, frozenset[int], Any] | None] = [
            (
                reader._terms,
                offset,
                getattr(reader, "deleted_docs_set", frozenset()),
                postings_buffer(reader._terms),
            )
            if hasattr(reader, "_terms")
            else None
            for reader, offset in self._segments
        ]

    # Statistics (the collection statistics BM25 reads) -----------------------------------------

    @property
    @guarded
    def doc_count(self) -> int:
        """Documents in the index, deleted ones included until their segment is merged (as
        BM25's N counts them, like Lucene's maxDoc)."""
        return int(self._searcher.doc_count_all())

    @guarded
    def doc_frequency(self, fieldname: str, term: str) -> int:
        """How many documents hold ``term`` in ``fieldname`` (deleted ones included)."""
        return self._lookup.doc_frequency(fieldname, term)

    @guarded
    def avg_field_length(self, fieldname: str) -> float:
        """The average length of ``fieldname`` over all documents (1.0 when unknown)."""
        return float(self._searcher.avg_field_length(fieldname) or 1.0)

    @guarded
    def field_length_total(self, fieldname: str) -> int:
        """The total length of ``fieldname`` over all documents."""
        return int(self._reader.field_length(fieldname))

    # Records --------------------------------------------------------------------------------

    @guarded
    def live_count(self) -> int:
        """Documents in the index, deleted ones left out."""
        return int(self._searcher.doc_count())

    @guarded
    def stored(self, docnum: int) -> dict[str, Any]:
        """The stored fields of a document (a copy of its own)."""
        return dict(self._stored_fields(docnum))

    @guarded
    def record_id(self, docnum: int) -> str:
        """The id of the record a document holds (kept: ties in ranking are broken by it).

        Read from the id field's terms file (each segment's, once: the document holding each
        id is in its term info), not the stored record: a search breaks ties among its best
        documents by id, and reading a stored record decompresses and unpickles all of it."""
        return self._record_ids.get(docnum) or self._read_record_id(docnum)

    @guarded
    def record_ids(self, docnums: Iterable[int]) -> list[str]:
        """:meth:`record_id` of each of ``docnums`` (a run of tied documents, read at once)."""
        known = self._record_ids
        return [known.get(d) or self._read_record_id(d) for d in docnums]

    def _read_record_id(self, docnum: int) -> str:
        segment = bisect.bisect_right(self._offsets, docnum) - 1
        term = self._ids_of(segment).get(docnum - self._offsets[segment])
        # (None: an id held by more than two documents of a segment; its stored record says)
        found = term.decode("utf-8") if term is not None else str(self._stored_fields(docnum)["id"])
        self._record_ids[docnum] = found
        return found

    def _ids_of(self, segment: int) -> dict[int, bytes]:
        """The record id (its term) of each document of a W3 segment, by the segment's own
        numbers, from the id field's term infos (:func:`~.lookup.read_field_holders`); empty
        for another codec's."""
        found = self._segment_ids.get(segment)
        if found is None:
            reader = self._segments[segment][0]
            found = read_field_holders(reader, ID) if hasattr(reader, "_terms") else {}
            self._segment_ids[segment] = found
        return found

    def _stored_fields(self, docnum: int) -> dict[str, Any]:
        """A document's stored fields, kept for the last few thousand documents read: a search
        reads the same records to break ties by id, to rank exact forms and to make its hits
        (each read decompresses and unpickles the whole record). Never to be changed."""
        found = self._stored.get(docnum)
        if found is None:
            if len(self._stored) >= STORED_MEMO:
                self._stored.clear()
            found = self._stored[docnum] = self._read_stored(docnum)
        return found

    def _read_stored(self, docnum: int) -> dict[str, Any]:
        """A document's stored fields as Whoosh's reader gives them (the fields the schema
        has), read by the core where it can (``codec.stored_fields_reader``)."""
        segment = bisect.bisect_right(self._offsets, docnum) - 1
        if segment not in self._stored_readers:
            self._stored_readers[segment] = stored_fields_reader(self._segments[segment][0])
        read = self._stored_readers[segment]
        found = read(docnum - self._offsets[segment]) if read is not None else None
        if found is None:
            return dict(self._searcher.stored_fields(docnum))
        if self._names.issuperset(found):
            return found
        return {name: value for name, value in found.items() if name in self._schema}

    @guarded
    def stored_documents(self) -> Iterator[dict[str, Any]]:
        """The stored fields of every live document, in document order."""
        return guarded_iter(
            self.path, (dict(fields) for fields in self._reader.all_stored_fields())
        )

    @guarded
    def stored_by_number(self) -> Iterator[tuple[int, dict[str, Any]]]:
        """Each live document's number and stored fields, in document order."""
        return guarded_iter(
            self.path, ((int(d), dict(fields)) for d, fields in self._reader.iter_docs())
        )

    @guarded
    def document_number(self, fieldname: str, term: str) -> int | None:
        """The document holding a unique key (such as an id), or ``None``."""
        found = self._searcher.document_number(**{fieldname: term})
        return None if found is None else int(found)

    # Terms ----------------------------------------------------------------------------------

    @guarded
    def has_term(self, fieldname: str, term: str) -> bool:
        return bool(self._lookup.segments(fieldname, term))

    @guarded
    def terms(self, fieldname: str) -> Iterator[str]:
        """Every term of ``fieldname``, in order."""
        return guarded_iter(self.path, map(_text, self._reader.lexicon(fieldname)))

    @guarded
    def known_terms(self, fieldnames: Iterable[str]) -> AbstractSet[str]:
        """Every term of any of ``fieldnames``, as a set (read from each segment's terms file
        in one pass: much faster than :meth:`terms`, which merges the segments' terms in
        order)."""
        return self._lookup.known_terms(fieldnames)

    def term_frequencies(self, fieldname: str) -> Iterator[tuple[str, int]]:
        """Every term of ``fieldname`` with its document frequency (deleted documents
        included), in order: what a sharded index sums into its global statistics."""
        for term, info in self._reader.iter_field(fieldname):
            yield _text(term), int(info.doc_frequency())

    # Postings -------------------------------------------------------------------------------

    def scorable(self, fieldname: str) -> bool:
        return fieldname in self._scorable

    @guarded
    def postings(self, fieldname: str, term: str) -> list[SegmentPostings]:
        """The postings of a term in every segment that holds it (none for an unknown field or
        a term the field cannot hold)."""
        found = self._lookup.segments(fieldname, term)
        if not found:
            return []
        btext = self._lookup.to_bytes(fieldname, term)
        if btext is None:  # (never: a term found is one the field can hold)
            return []
        fmt = self._fields[fieldname].format
        out = []
        for segment, info in found:
            reading = self._block_reading[segment]
            if reading is None:  # (not a W3 segment: not read a block at a time)
                continue
            terms, offset, deleted, buffer = reading
            blocks = _Blocks(self.path, terms, info, fmt, (fieldname, btext))
            extent = extent_in(buffer, info)
            out.append(SegmentPostings(segment, offset, info._df, deleted, blocks, extent))
        return out

    @guarded
    def documents_with(self, fieldname: str, term: str) -> set[int]:
        """The live documents holding ``term`` in ``fieldname``."""
        found: set[int] = set()
        for postings in self.postings(fieldname, term):
            offset, deleted = postings.offset, postings.deleted
            for ids, _ in postings.blocks:
                found.update(d + offset for d in ids if d not in deleted)
        return found

    @guarded
    def segment_size(self, segment: int) -> int:
        """How many documents segment ``segment`` holds, deleted ones included."""
        return int(self._segments[segment][0].doc_count_all())

    @guarded
    def length_bytes(self, segment: int, fieldname: str) -> bytes:
        """Each document's length in ``fieldname`` in one segment (by its own numbers) as a
        byte (``codec.LENGTH_OF_BYTE`` gives the length)."""
        return field_length_bytes(self._segments[segment][0], fieldname)

    @guarded
    def holders(self, keys: Iterable[Key], docnums: Iterable[int]) -> dict[int, set[Key]]:
        """Which of ``keys`` each of a few documents holds: asked of the postings for these
        documents only (Whoosh's own ``terms=True`` records the matched terms of every
        matching document, which costs more than the search)."""
        matched: dict[int, set[Key]] = {docnum: set() for docnum in docnums}
        if not matched:
            return matched
        wanted = sorted(matched)
        for key in keys:
            if not self._lookup.segments(*key):
                continue
            postings = self._reader.postings(*key)
            for docnum in wanted:
                if postings.is_active() and postings.id() < docnum:
                    postings.skip_to(docnum)
                if not postings.is_active():
                    break
                if postings.id() == docnum:
                    matched[docnum].add(key)
        return matched

    @guarded
    def run_whoosh(
        self,
        plan: QueryPlan,
        limit: int,
        excluded: set[int] | None = None,
        check: Callable[[], None] | None = None,
        statistics: Statistics | None = None,
    ) -> list[tuple[float, int]]:
        """The ``limit`` best ``(score, docnum)`` of ``plan`` as Whoosh scores it (for the plans
        the block scorer does not take: phrases), leaving out the ``excluded`` documents;
        ``check`` is called every few hundred matches (it raises to end the search). With the
        snapshot's statistics, or the ``statistics`` given (a shard scored as part of a larger
        collection)."""
        query = lower(plan)
        if query is None:
            return []
        from .whoosh_scoring import top_documents

        if statistics is None:
            return top_documents(self._searcher, query, limit, excluded, check)
        # (closereader: the reader stays this snapshot's)
        searcher = type(self._searcher)(
            self._reader, weighting=BM25(statistics=statistics), closereader=False
        )
        return top_documents(searcher, query, limit, excluded, check)

    @guarded
    def excluded_documents(
        self, plan: QueryPlan, check: Callable[[], None] | None = None
    ) -> set[int]:
        """The live documents matching any of ``plan``'s exclusions: those holding any term of
        an excluded word (its written forms and translations too), or an excluded phrase;
        ``check`` is called before each."""
        found: set[int] = set()
        for alternative in plan.excluded:
            if check is not None:
                check()
            if isinstance(alternative, PhraseMatch):
                query = lower_alternative(alternative)
                found.update(int(d) for d in self._searcher.docs_for_query(query))
            else:
                for key in alternative.term_keys():
                    found |= self.documents_with(*key)
        return found

    def close(self) -> None:
        self._searcher.close()
