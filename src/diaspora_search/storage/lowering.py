"""A query plan lowered to a Whoosh query, for the plans Whoosh runs (those with phrases).

The tree is the one the scores of such queries were tuned with: each word an ``Or`` of its
terms and translations, each phrase an ``Or`` of per-field ``SpanNear2`` (each word a
``SpanOr`` of its forms), groups ``Or``-ed.
"""

from __future__ import annotations

from typing import Any

from whoosh import query as wq
from whoosh.query import spans

from ..query.plan import Alternative, FieldPhrase, PhraseMatch, QueryPlan, WordMatch


class UnionOr(wq.Or):  # type: ignore[misc]
    """Whoosh's ``Or``, always matched as a tree of unions: on a segment of 5,000 documents or
    fewer Whoosh otherwise preloads every match into arrays, three times slower here."""

    matcher_type = wq.Or.DEFAULT_MATCHER


class SizedSpanOr(spans.SpanOr):  # type: ignore[misc]
    """Whoosh's ``SpanOr`` with the size estimate it lacks: without one, a phrase whose word
    stands for several terms (written forms) raised ``NotImplementedError`` when an ``Or`` or
    ``And`` above it ordered its children by size."""

    def estimate_size(self, ixreader: Any) -> int:
        return sum(int(q.estimate_size(ixreader)) for q in self.subqs)


def lower(plan: QueryPlan) -> wq.Query | None:
    """The Whoosh query of ``plan``'s positive groups (``None`` for an empty plan). Its
    exclusions are not in it: the records they match are left out by the caller
    (:meth:`~diaspora_search.storage.Snapshot.excluded_documents`), since Whoosh's ``AndNot``
    let excluded records through on indexes of several segments."""
    groups = [_one_or_union([_alternative(a) for a in group]) for group in plan.groups]
    if not groups:
        return None
    return _one_or_union(groups)


def lower_alternative(alternative: Alternative) -> wq.Query:
    """The Whoosh query of one word or phrase of a plan."""
    return _alternative(alternative)


def _one_or_union(queries: list[wq.Query]) -> wq.Query:
    return queries[0] if len(queries) == 1 else UnionOr(queries)


def _alternative(alternative: Alternative) -> wq.Query:
    if isinstance(alternative, WordMatch):
        return _one_or_union([wq.Term(f, t, boost=b) for f, t, b in _leaves(alternative)])
    assert isinstance(alternative, PhraseMatch)
    return UnionOr([_phrase(phrase) for phrase in alternative.phrases])


def _leaves(word: WordMatch) -> list[tuple[str, str, float]]:
    # (Translations included: Whoosh cannot ask cheaply which records lack the word's language,
    # so in the plans it runs, phrases and exclusions, a bilingual record may be credited twice.)
    return [(leaf.field, leaf.term, leaf.boost) for leaf in word.leaves]


def _phrase(phrase: FieldPhrase) -> wq.Query:
    parts = [_forms(phrase.field, forms) for forms in phrase.words]
    if len(parts) == 1:
        near: wq.Query = parts[0]
    else:
        near = spans.SpanNear2(parts, slop=phrase.slop, ordered=True)
    return UnionOr([near], boost=phrase.boost)


def _forms(fieldname: str, forms: tuple[tuple[str, float], ...]) -> wq.Query:
    subs = [wq.Term(fieldname, term, boost=weight) for term, weight in forms]
    return subs[0] if len(subs) == 1 else SizedSpanOr(subs)
