"""A vocabulary of our own terms for the query layer's unit tests: the ``TermSource`` protocol
answered from a dict, as a snapshot answers it from an index (real indexes are in the search and
storage tests)."""

from __future__ import annotations

from collections.abc import Iterable

import pytest

from diaspora_search import analyze
from diaspora_search.analysis import FORM_SEPARATOR, fold_term, normalize, word_texts
from diaspora_search.query import Vocabulary


class DictTerms:
    """Terms per field, from texts analyzed as the index would analyze them."""

    def __init__(self, texts: dict[str, str]) -> None:
        self.fields: dict[str, dict[str, int]] = {}
        for fieldname, text in texts.items():
            lang = fieldname[-2:]
            terms = self.fields.setdefault(fieldname, {})
            for term in analyze(text, lang):
                terms[term] = terms.get(term, 0) + 1
            forms = self.fields.setdefault(f"forms_{lang}", {})
            for word in word_texts(text):
                written = normalize(word)
                if fold_term(written) != written:
                    forms[fold_term(written) + FORM_SEPARATOR + written] = 1

    def has_term(self, fieldname: str, term: str) -> bool:
        return term in self.fields.get(fieldname, {})

    def doc_frequency(self, fieldname: str, term: str) -> int:
        return self.fields.get(fieldname, {}).get(term, 0)

    def terms(self, fieldname: str) -> Iterable[str]:
        return sorted(self.fields.get(fieldname, {}))

    def known_terms(self, fieldnames: Iterable[str]) -> frozenset[str]:
        return frozenset().union(*(self.fields.get(name, {}) for name in fieldnames))


@pytest.fixture
def vocabulary() -> Vocabulary:
    return Vocabulary(
        DictTerms(
            {
                "summary_es": "La economía y la educación de los niños; el papá y la papa; "
                "remesas de los migrantes",
                "title_es": "Políticas públicas",
                "summary_en": "Remittances and the education of migrant children; hometown",
                "title_en": "Public policies",
            }
        )
    )
