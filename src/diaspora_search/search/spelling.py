"""Spelling correction: each unknown query word replaced by the commonest indexed word one typo
away, written as the collection writes it."""

from __future__ import annotations

from collections import Counter
from typing import TYPE_CHECKING

from .._fields import TEXT_FIELDS
from .._language import LANGUAGES, Language
from ..analysis import analyzer, fold_term, normalize, word_texts
from ..query import Leaf, ParsedQuery, QueryPlan, WordMatch, parse

if TYPE_CHECKING:
    from .run import Searcher

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


def correct_word(word: str, searcher: Searcher) -> str | None:
    """The correction of one word, or ``None`` (a known word, a stopword, or no candidate)."""
    vocabulary = searcher.vocabulary
    folded = fold_term(normalize(word))
    if not 3 <= len(folded) <= MAX_CORRECTED_LENGTH or not folded.isalpha() or not folded.isascii():
        return None
    chains = {lang: analyzer(lang.value).chain for lang in LANGUAGES}
    for lang, chain in chains.items():
        term = chain.term(word)
        if term is None or vocabulary.knows(lang, term):
            return None  # a stopword, or a word the index knows
    candidates = edits1(folded)
    frequency: dict[tuple[Language, str], int] = {}
    ordered = sorted(candidates)
    for lang, chain in chains.items():
        # Hundreds of candidates: stemmed together, looked up in the vocabulary in memory.
        known = vocabulary.vocabulary(lang)
        for term in dict.fromkeys(chain.word_terms(ordered)):
            if term in known:
                frequency[(lang, term)] = vocabulary.doc_frequency(lang, term)
    # The index holds stems, not words: read how the commonest stems are written in a few
    # records, and keep a written word that is one typo from the query word.
    for lang, term in sorted(frequency, key=lambda key: (-frequency[key], key))[:_CORRECTION_TERMS]:
        written = _written_forms(searcher, lang, term)
        found = [w for w in written if fold_term(w) in candidates]
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
        stored = searcher.snapshot.stored(docnum)
        for field in TEXT_FIELDS[lang]:
            for word in word_texts(stored.get(field.name, "")):
                if chain.term(word) == term:
                    counts[normalize(word)] += 1
    return counts
