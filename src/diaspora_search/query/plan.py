"""A compiled query as plain data: what the scorer reads, and what the storage package lowers
to Whoosh for the parts Whoosh must run (phrases, exclusions).

A plan is a list of positive groups (the typed words or phrases, or OR-ed alternatives); each
group is a list of alternatives, each a :class:`WordMatch` (any of its weighted ``(field,
term)`` leaves) or a :class:`PhraseMatch` (any of its per-field phrases). A record matches a
group when it matches any of its alternatives, and the plan when it matches any group and no
exclusion. Its score is the sum of its leaves' BM25 scores, times :func:`coordination` for the
groups it holds and the exact-form factor (``search/run.py``).
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field

from .. import _ranking as ranking
from .._language import Language
from .parse import ParsedQuery

Key = tuple[str, str]
"""A ``(field, term)`` pair."""


@dataclass(frozen=True)
class Leaf:
    """A term looked up in one field, with the product of every weight on it (field boost,
    language weight, expansion weight)."""

    field: str
    term: str
    boost: float
    translated_from: Language | None = None  # for a translation: the language translated from


@dataclass(frozen=True)
class WordMatch:
    """One query word: a record holding any of the leaves holds the word."""

    leaves: tuple[Leaf, ...]

    def term_keys(self) -> Iterator[Key]:
        return ((leaf.field, leaf.term) for leaf in self.leaves)


@dataclass(frozen=True)
class FieldPhrase:
    """A phrase in one field: its words in order, at most ``slop`` positions apart, each word
    any of its ``(term, weight)`` alternatives (its written forms)."""

    field: str
    words: tuple[tuple[tuple[str, float], ...], ...]
    slop: int
    boost: float

    def term_keys(self) -> Iterator[Key]:
        return ((self.field, term) for word in self.words for term, _ in word)


@dataclass(frozen=True)
class PhraseMatch:
    """A quoted phrase: a record holding it in any of the fields matches."""

    phrases: tuple[FieldPhrase, ...]

    def term_keys(self) -> Iterator[Key]:
        return (key for phrase in self.phrases for key in phrase.term_keys())


Alternative = WordMatch | PhraseMatch


@dataclass
class QueryPlan:
    """A compiled query and what was decided on the way.

    ``term_groups`` maps each ``(field, term)`` of the positive groups to the groups it stands
    for, so that a hit's matched terms tell how many of the groups it holds. ``exact_forms``
    holds, per language, the typed words that other written forms may fold like
    (:func:`~diaspora_search.query.expand.exact_form`), and ``exact_form_terms`` the terms
    of the language's text fields that any written form of them is indexed under
    (:func:`~diaspora_search.query.expand.written_form_terms`; ``None`` where not known), so
    that only the records holding one are read for their forms. ``translated`` maps the ``(field,
    term)`` leaves that only translations of the query's words gave (no word stands for them as
    typed) to the language translated from. Translations count only for records without text in
    that language (:meth:`translated_leaves`), so that translation fills in the language a
    record lacks and never counts a bilingual record's match twice.
    """

    weights: dict[Language, float]
    parsed: ParsedQuery
    groups: list[tuple[Alternative, ...]] = field(default_factory=list)
    excluded: list[Alternative] = field(default_factory=list)
    term_groups: dict[Key, set[int]] = field(default_factory=dict)
    exact_forms: dict[Language, set[str]] = field(default_factory=dict)
    exact_form_terms: dict[Language, frozenset[str] | None] = field(default_factory=dict)
    translated: dict[Key, Language] = field(default_factory=dict)
    _field_terms: dict[str, frozenset[str]] = field(
        default_factory=dict, init=False, repr=False, compare=False
    )

    def add_group(self, alternatives: Iterable[Alternative]) -> None:
        self._field_terms.clear()
        group = tuple(alternatives)
        for alternative in group:
            for key in alternative.term_keys():
                self.term_groups.setdefault(key, set()).add(len(self.groups))
        self.groups.append(group)

    def add_exact_form(self, lang: Language, form: str, terms: frozenset[str] | None) -> None:
        """Record ``form``, typed, as an exact form in ``lang``, its written forms indexed
        under ``terms`` (``None``: not known)."""
        self.exact_forms.setdefault(lang, set()).add(form)
        known = self.exact_form_terms.get(lang, frozenset())
        self.exact_form_terms[lang] = None if known is None or terms is None else known | terms

    @property
    def group_count(self) -> int:
        return len(self.groups)

    @property
    def is_empty(self) -> bool:
        return not self.groups

    def word_leaves(self, *, translated: bool) -> Iterator[tuple[Key, Leaf]]:
        """Every leaf of the words (not phrases) of the positive groups that is, or is not, a
        translation, in the order of the query."""
        for group in self.groups:
            for alternative in group:
                if isinstance(alternative, WordMatch):
                    for leaf in alternative.leaves:
                        if (leaf.translated_from is not None) == translated:
                            yield (leaf.field, leaf.term), leaf

    def union_leaves(self) -> dict[Key, float] | None:
        """For a plan whose positive groups are words only (no phrase; exclusions are applied
        apart: :attr:`excluded`), every ``(field, term)`` a word stands for as typed (its own
        terms and written forms) with its boost, added up where a leaf appears twice, in the
        order of the query; else ``None``. Translations are apart: :meth:`translated_leaves`."""
        if not all(
            isinstance(alternative, WordMatch) for group in self.groups for alternative in group
        ):
            return None
        leaves: dict[Key, float] = {}
        for key, leaf in self.word_leaves(translated=False):
            leaves[key] = leaves.get(key, 0.0) + leaf.boost
        return leaves

    def translated_leaves(self) -> dict[Key, float]:
        """Every ``(field, term)`` the words' translations stand for, with its boost (added
        up): they count only for records without text in the language translated from (the
        other language of the field's)."""
        leaves: dict[Key, float] = {}
        for key, leaf in self.word_leaves(translated=True):
            leaves[key] = leaves.get(key, 0.0) + leaf.boost
        return leaves

    def only_translated(self, matched: Iterable[Key]) -> bool:
        """Whether a hit holding the ``matched`` terms matched only through translations."""
        found = set(matched)
        return bool(found) and found <= self.translated.keys()

    def field_terms(self, fieldname: str) -> frozenset[str]:
        """The terms the query looks up in ``fieldname`` (kept: each hit's snippet asks)."""
        found = self._field_terms.get(fieldname)
        if found is None:
            found = frozenset(term for f, term in self.term_groups if f == fieldname)
            self._field_terms[fieldname] = found
        return found

    def coordination(self, matched: Iterable[Key]) -> float:
        """The coordination factor of a hit holding the ``matched`` terms."""
        return self.coordinations([matched])[0]

    def coordinations(self, matched: Iterable[Iterable[Key]]) -> list[float]:
        """The :meth:`coordination` of each hit of a list, each holding the terms of its own
        item of ``matched``: the groups of each term as the bits of an int, made once for the
        list (a head's fifty candidates), and a hit's groups the OR of its terms' bits."""
        count = self.group_count
        if count <= 1:
            return [1.0 for _ in matched]
        bits = {key: sum(1 << g for g in groups) for key, groups in self.term_groups.items()}
        factor = [ranking.coordination(held, count) for held in range(count + 1)]
        out: list[float] = []
        for keys in matched:
            held = 0
            for key in keys:
                held |= bits.get(key, 0)
            out.append(factor[held.bit_count()])
        return out
