"""One committed state of an index, read through an interface of our own.

A :class:`Snapshot` wraps a Whoosh searcher of one generation and gives what the rest of the
library reads: collection statistics (document count, document frequencies, average field
lengths), terms and prefixes, a term's postings a block at a time per segment, document
lengths, stored fields, and the Whoosh run of the plans that need it (phrases, exclusions).
Nothing of Whoosh leaves this module.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from typing import Any, NamedTuple

from whoosh.searching import Searcher

from ..query.plan import Key, QueryPlan
from .codec import field_lengths, read_blocks, term_postings
from .lowering import lower_parts


class SegmentPostings(NamedTuple):
    """One segment's postings of a term: where its document numbers start in the snapshot,
    its document frequency there (deleted documents included), the documents deleted since,
    and the postings, a block at a time. (A named tuple: made for every term of every query.)"""

    segment: int
    offset: int
    doc_frequency: int
    deleted: frozenset[int]
    blocks: Iterator[tuple[list[int], list[float] | None]]


def _text(term: Any) -> str:
    return term.decode("utf-8") if isinstance(term, bytes) else str(term)


class Snapshot:
    """The index as of one commit. Cheap to keep; closed with :meth:`close`."""

    def __init__(self, searcher: Searcher) -> None:
        self._searcher = searcher
        self._reader = searcher.reader()
        self._schema = searcher.schema
        self.generation: int = self._reader.generation()
        self._segments = [(sub.reader(), offset) for sub, offset in searcher.leaf_searchers()]
        self._scorable = frozenset(n for n in self._schema.names() if self._schema[n].scorable)
        self._fields = {n: self._schema[n] for n in self._schema.names()}
        # Whoosh's own (W3) segments can be read a block at a time; anything else is scored
        # by Whoosh.
        self.blocks_readable = all(
            hasattr(reader, "_terms") for reader, _ in self._segments if reader.doc_count_all()
        )

    # Statistics (the collection statistics BM25 reads) -----------------------------------------

    @property
    def doc_count(self) -> int:
        """Documents in the index, deleted ones included until their segment is merged (as
        BM25's N counts them, like Lucene's maxDoc)."""
        return int(self._searcher.doc_count_all())

    def doc_frequency(self, fieldname: str, term: str) -> int:
        """How many documents hold ``term`` in ``fieldname`` (deleted ones included)."""
        return int(self._reader.doc_frequency(fieldname, term))

    def avg_field_length(self, fieldname: str) -> float:
        """The average length of ``fieldname`` over all documents (1.0 when unknown)."""
        return float(self._searcher.avg_field_length(fieldname) or 1.0)

    def field_length_total(self, fieldname: str) -> int:
        """The total length of ``fieldname`` over all documents."""
        return int(self._reader.field_length(fieldname))

    # Records --------------------------------------------------------------------------------

    def live_count(self) -> int:
        """Documents in the index, deleted ones left out."""
        return int(self._searcher.doc_count())

    def stored(self, docnum: int) -> dict[str, Any]:
        """The stored fields of a document."""
        return dict(self._searcher.stored_fields(docnum))

    def stored_documents(self) -> Iterator[dict[str, Any]]:
        """The stored fields of every live document, in document order."""
        return (dict(fields) for fields in self._reader.all_stored_fields())

    def stored_by_number(self) -> Iterator[tuple[int, dict[str, Any]]]:
        """Each live document's number and stored fields, in document order."""
        return ((int(docnum), dict(fields)) for docnum, fields in self._reader.iter_docs())

    def document_number(self, fieldname: str, term: str) -> int | None:
        """The document holding a unique key (such as an id), or ``None``."""
        found = self._searcher.document_number(**{fieldname: term})
        return None if found is None else int(found)

    # Terms ----------------------------------------------------------------------------------

    def has_term(self, fieldname: str, term: str) -> bool:
        return (fieldname, term) in self._reader

    def terms(self, fieldname: str) -> Iterator[str]:
        """Every term of ``fieldname``, in order."""
        return map(_text, self._reader.lexicon(fieldname))

    def terms_with_prefix(self, fieldname: str, prefix: str) -> list[str]:
        return [_text(t) for t in self._reader.expand_prefix(fieldname, prefix)]

    # Postings -------------------------------------------------------------------------------

    def scorable(self, fieldname: str) -> bool:
        return fieldname in self._scorable

    def postings(self, fieldname: str, term: str) -> list[SegmentPostings]:
        """The postings of a term in every segment that holds it (none for an unknown field or
        a term the field cannot hold)."""
        field = self._fields.get(fieldname)
        if field is None:
            return []
        try:
            btext = field.to_bytes(term)
        except ValueError:  # (Whoosh matches nothing)
            return []
        out = []
        for segment, (reader, offset) in enumerate(self._segments):
            found = term_postings(reader, fieldname, btext, field.format)
            if found is not None:
                matcher, doc_frequency = found
                deleted: frozenset[int] = getattr(reader, "deleted_docs_set", frozenset())
                out.append(
                    SegmentPostings(segment, offset, doc_frequency, deleted, read_blocks(matcher))
                )
        return out

    def documents_with(self, fieldname: str, term: str) -> set[int]:
        """The live documents holding ``term`` in ``fieldname``."""
        found: set[int] = set()
        for postings in self.postings(fieldname, term):
            offset, deleted = postings.offset, postings.deleted
            for ids, _ in postings.blocks:
                found.update(d + offset for d in ids if d not in deleted)
        return found

    def segment_size(self, segment: int) -> int:
        """How many documents segment ``segment`` holds, deleted ones included."""
        return int(self._segments[segment][0].doc_count_all())

    def lengths(self, segment: int, fieldname: str) -> list[int]:
        """Each document's length in ``fieldname`` in one segment (by its own numbers)."""
        return field_lengths(self._segments[segment][0], fieldname)

    def holders(self, keys: Iterable[Key], docnums: Iterable[int]) -> dict[int, set[Key]]:
        """Which of ``keys`` each of a few documents holds: asked of the postings for these
        documents only (Whoosh's own ``terms=True`` records the matched terms of every
        matching document, which costs more than the search)."""
        matched: dict[int, set[Key]] = {docnum: set() for docnum in docnums}
        if not matched:
            return matched
        wanted = sorted(matched)
        for key in keys:
            if key not in self._reader:
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

    def run_whoosh(self, plan: QueryPlan, limit: int | None) -> list[tuple[float, int]]:
        """The ``limit`` best ``(score, docnum)`` of ``plan`` as Whoosh scores it (for the plans
        the block scorer does not take: phrases, exclusions); ``None``: every match."""
        positive, excluded = lower_parts(plan)
        if positive is None:
            return []
        if excluded is None:
            return [(hit.score, hit.docnum) for hit in self._searcher.search(positive, limit=limit)]
        # The exclusions are taken out here (Whoosh's AndNot is not reliable: lower_parts); an
        # AndNot scores as its positive part.
        dropped = set(self._searcher.docs_for_query(excluded))
        ranked = self._searcher.search(positive, limit=None)
        kept = [(hit.score, hit.docnum) for hit in ranked if hit.docnum not in dropped]
        return kept if limit is None else kept[:limit]

    def close(self) -> None:
        self._searcher.close()
