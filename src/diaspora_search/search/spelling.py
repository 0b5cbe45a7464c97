"""Spelling correction: each unknown query word replaced by the commonest indexed word one typo
away, written as the collection writes it."""

from __future__ import annotations

from collections import Counter
from typing import Any, Protocol

from .._fields import NAMES, TEXT_FIELDS
from .._language import LANGUAGES, Language
from ..analysis import analyzer, fold_term, normalize, word_texts
from ..query import Leaf, ParsedQuery, QueryPlan, Vocabulary, WordMatch, parse
from ..query.plan import Key


class Searcher(Protocol):
    """What spelling correction reads of an index (a :class:`~.run.Searcher`, or a sharded
    index's): its vocabulary, the best documents of a plan, and stored fields."""

    @property
    def vocabulary(self) -> Vocabulary: ...

    def top(
        self, plan: QueryPlan, depth: int
    ) -> tuple[list[tuple[float, Any]], dict[Any, set[Key]]]: ...

    def stored(self, doc: Any) -> dict[str, Any]: ...

    def documents_with(self, fieldname: str, term: str) -> set[Any]: ...


_LETTERS = "abcdefghijklmnopqrstuvwxyz"
MAX_CORRECTED_LENGTH = 40
"""Longer words are not spell-corrected (a 10,000-letter word would have 500,000 variants)."""
_CORRECTION_TERMS = 3
_CORRECTION_SAMPLE = 5


def edits1(word: str) -> set[str]:
    """Every string one deletion, transposition, substitution or insertion of an ASCII letter
    away from ``word`` (Norvig's ``edits1``).

    >>> sorted(edits1("ab"))[:6]
    ['a', 'aa', 'aab', 'ab', 'aba', 'abb']
    """
    splits = [(word[:i], word[i:]) for i in range(len(word) + 1)]
    deletes = {a + b[1:] for a, b in splits if b}
    transposes = {a + b[1] + b[0] + b[2:] for a, b in splits if len(b) > 1}
    replaces = {a + c + b[1:] for a, b in splits if b for c in _LETTERS}
    inserts = {a + c + b for a, b in splits for c in _LETTERS}
    return deletes | transposes | replaces | inserts


def correct(text: str, searcher: Searcher) -> str | None:
    """The query with each unknown word replaced by the commonest word of the index one typo
    away (a deletion, insertion, substitution or transposition of letters).

    Accents do not count: candidates are compared folded, and the correction is written as the
    collection writes it ("educasion" -> "educación"). ``None`` when no word can be corrected.
    """
    changed = False
    out: list[str] = []
    last = 0
    for word in parse(text).words:
        start = text.find(word, last)
        if start < 0:
            continue
        out.append(text[last:start])
        last = start + len(word)
        replacement = correct_word(word, searcher)
        out.append(replacement or word)
        changed = changed or replacement is not None
    out.append(text[last:])
    return "".join(out) if changed else None


NAMES_SOURCE = "names"
"""Where a candidate correction comes from besides the two languages' text: the authors and
sources (so that "Delanno" finds Delano)."""


def correct_word(word: str, searcher: Searcher) -> str | None:
    """The correction of one word, or ``None`` (a known word or name, a stopword, or no
    candidate)."""
    vocabulary = searcher.vocabulary
    folded = fold_term(normalize(word))
    if not 3 <= len(folded) <= MAX_CORRECTED_LENGTH or not folded.isalpha() or not folded.isascii():
        return None
    chains = {lang: analyzer(lang.value).chain for lang in LANGUAGES}
    for lang, chain in chains.items():
        term = chain.term(word)
        if term is None or vocabulary.knows(lang, term):
            return None  # a stopword, or a word the index knows
    name_chain = analyzer("name").chain
    name = name_chain.term(word)
    if name is not None and vocabulary.knows_name(name):
        return None  # a name the index knows ("Ana" is no typo of "año")
    candidates = edits1(folded)
    frequency: dict[tuple[str, str], int] = {}
    ordered = sorted(candidates)
    # Hundreds of candidates: stemmed together, looked up in the vocabulary in memory all
    # at once. (The order of ``frequency`` does not matter: it is sorted by frequency, then
    # by key.)
    for lang, chain in chains.items():
        for term in vocabulary.vocabulary(lang) & set(chain.candidate_terms(ordered)):
            frequency[(lang.value, term)] = vocabulary.doc_frequency(lang, term)
    for term in vocabulary.names() & set(name_chain.candidate_terms(ordered)):
        frequency[(NAMES_SOURCE, term)] = vocabulary.name_frequency(term)
    # The index holds stems and folded names, not words: read how the commonest are written in
    # a few records, and keep a written word that is one typo from the query word.
    for source, term in sorted(frequency, key=lambda key: (-frequency[key], key))[
        :_CORRECTION_TERMS
    ]:
        if source == NAMES_SOURCE:
            written = _written_names(searcher, term)
        else:
            written = _written_forms(searcher, Language(source), term)
        found = [w for w in written if fold_term(w.lower()) in candidates]
        if found:
            return max(found, key=lambda w: (written[w], w))
    return None


def _written_forms(searcher: Searcher, lang: Language, term: str) -> Counter[str]:
    """How the words with index term ``term`` are written in the few records holding it that
    rank best for it."""
    chain = analyzer(lang.value).chain
    fields = list(reversed(TEXT_FIELDS[lang]))  # (summary, title: the order once tuned)
    plan = QueryPlan({}, ParsedQuery())
    plan.add_group([WordMatch(tuple(Leaf(field.name, term, 1.0) for field in fields))])
    ranked, _ = searcher.top(plan, _CORRECTION_SAMPLE)
    counts: Counter[str] = Counter()
    for _, docnum in ranked:
        stored = searcher.stored(docnum)
        for field in TEXT_FIELDS[lang]:
            for word in word_texts(stored.get(field.name, "")):
                if chain.term(word) == term:
                    counts[normalize(word)] += 1
    return counts


def _written_names(searcher: Searcher, term: str) -> Counter[str]:
    """How the name word ``term`` is written among the authors and sources of a few records."""
    chain = analyzer("name").chain
    counts: Counter[str] = Counter()
    for docnum in sorted(searcher.documents_with(NAMES, term))[:_CORRECTION_SAMPLE]:
        stored = searcher.stored(docnum)
        for name in (*stored.get("authors", ()), stored.get("source", "")):
            for word in word_texts(name):
                if chain.term(word) == term:
                    counts[word] += 1
    return counts
