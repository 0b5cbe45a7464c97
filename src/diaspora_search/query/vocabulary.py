"""What the query compiler and spelling correction ask of an index: which terms exist, how
often, and how the collection writes its accented words. Memoized per index generation.
"""

from __future__ import annotations

from collections.abc import Callable, Hashable, Iterable
from collections.abc import Set as AbstractSet
from typing import Protocol, TypeVar

from .._fields import NAMES, TEXT_FIELDS, forms_field
from .._language import Language
from ..analysis import FORM_SEPARATOR

T = TypeVar("T")


class TermSource(Protocol):
    """The read side of an index that a :class:`Vocabulary` needs (a storage snapshot)."""

    def has_term(self, fieldname: str, term: str) -> bool: ...

    def doc_frequency(self, fieldname: str, term: str) -> int: ...

    def terms(self, fieldname: str) -> Iterable[str]: ...

    def known_terms(self, fieldnames: Iterable[str]) -> AbstractSet[str]:
        """Every term of any of ``fieldnames``."""
        ...


class Vocabulary:
    """Term existence, frequencies and written forms of one index generation.

    Term lookups are the source's (a snapshot memoizes them); the written forms are read
    whole, once: make one vocabulary per generation and reuse it across queries.
    """

    _MEMO_LIMIT = 100_000

    def __init__(self, source: TermSource) -> None:
        self._source = source
        self._memo: dict[Hashable, object] = {}
        self._forms: dict[Language, dict[str, list[str]]] = {}
        self._vocabulary: dict[Language, AbstractSet[str]] = {}
        self._names: AbstractSet[str] | None = None

    def memoized(self, key: Hashable, compute: Callable[[], T]) -> T:
        """``compute()``, kept under ``key`` for this generation: what the compiler derives
        from the index and the query's words alone (a word's expansions), so that a word is
        expanded once however many queries hold it."""
        if key in self._memo:
            return self._memo[key]  # type: ignore[return-value]  # (stored by this method)
        if len(self._memo) >= self._MEMO_LIMIT:
            self._memo.clear()
        found = self._memo[key] = compute()
        return found

    def has(self, fieldname: str, term: str) -> bool:
        return self._source.has_term(fieldname, term)

    def surfaces(self, lang: Language, folded: str) -> list[str]:
        """The accented words of the index (normalized, as written) that fold to ``folded``,
        in the order of the index's terms."""
        forms = self._forms.get(lang)
        if forms is None:
            forms = self._forms[lang] = _forms_by_folded(self._source.terms(forms_field(lang)))
        return forms.get(folded, [])

    def vocabulary(self, lang: Language) -> AbstractSet[str]:
        """Every term of the text fields of ``lang``: read from the index the first time it is
        asked for (a few milliseconds for 50,000 records), then kept."""
        found = self._vocabulary.get(lang)
        if found is None:
            found = self._vocabulary[lang] = self._source.known_terms(
                field.name for field in TEXT_FIELDS[lang]
            )
        return found

    def names(self) -> AbstractSet[str]:
        """Every term of the authors and sources (folded words, not stemmed), read once."""
        if self._names is None:
            self._names = self._source.known_terms([NAMES])
        return self._names

    def knows_name(self, term: str) -> bool:
        return self.has(NAMES, term)

    def name_frequency(self, term: str) -> int:
        """How many records name ``term`` among their authors or source."""
        return self._source.doc_frequency(NAMES, term)

    def knows(self, lang: Language, term: str) -> bool:
        """Whether any text field of ``lang`` holds ``term``: one lookup in the
        :meth:`vocabulary` of ``lang``, read the first time (a few milliseconds)."""
        return term in self.vocabulary(lang)

    def doc_frequency(self, lang: Language, term: str) -> int:
        """How many records hold ``term`` in a text field of ``lang`` (an upper bound: a record
        holding it in two fields counts twice)."""
        return sum(self._source.doc_frequency(field.name, term) for field in TEXT_FIELDS[lang])


def _forms_by_folded(terms: Iterable[str]) -> dict[str, list[str]]:
    """A forms field's terms (``folded<US>written``, in order) as folded -> written forms: read
    once per generation (the accented words only, a few thousand for 50,000 records), instead of
    a prefix search of the terms file for every query word."""
    forms: dict[str, list[str]] = {}
    for term in terms:
        folded, _, written = term.partition(FORM_SEPARATOR)
        forms.setdefault(folded, []).append(written)
    return forms
