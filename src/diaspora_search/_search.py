"""Running a compiled query: ranking, the language of each hit, snippets, spelling correction."""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable
from typing import Any

from whoosh.searching import Hit as WhooshHit
from whoosh.searching import Searcher

from ._hits import Hit, Results
from ._language import LANGUAGES, Language
from ._query import Lexicon, QueryPlan, compile_query, parse
from ._schema import forms_field, summary_field, title_field
from ._snippets import shorten, snippet
from .analysis import FORM_SEPARATOR, fold_term, normalize

RERANK_DEPTH = 50
"""How many of Whoosh's best hits are rescored for coordination (how many query words)."""
MAX_QUERY_WORDS = 64
"""Longer queries keep their first 64 words (a 10,000-character query must still be quick)."""


def search(
    searcher: Searcher,
    lexicon: Lexicon,
    text: str,
    limit: int,
    lang: Language | None,
    vocab: Callable[[], Vocabulary],
) -> Results:
    """Search, and fall back to the best spelling correction when nothing is found.

    ``vocab`` gives the index vocabulary; it is called only when a correction is needed.
    """
    text = _bounded(text)
    hits = _run(searcher, compile_query(text, lexicon, lang), limit)
    if hits:
        return Results(hits)
    corrected = correct(text, vocab())
    if corrected is None:
        return Results()
    hits = _run(searcher, compile_query(corrected, lexicon, lang), limit)
    return Results(hits, corrected_query=corrected) if hits else Results()


def _bounded(text: str) -> str:
    if len(text) <= 20 * MAX_QUERY_WORDS:
        return text
    return " ".join(text.split()[:MAX_QUERY_WORDS])


def _run(searcher: Searcher, plan: QueryPlan, limit: int) -> list[Hit]:
    if plan.query is None:
        return []
    results = searcher.search(plan.query, limit=max(limit, RERANK_DEPTH), terms=True)
    rescored = [(hit.score * plan.coordination(hit.matched_terms()), hit) for hit in results]
    rescored.sort(key=lambda pair: (-pair[0], pair[1].rank))
    return [_hit(searcher, plan, hit, score) for score, hit in rescored[:limit]]


def _hit(searcher: Searcher, plan: QueryPlan, hit: WhooshHit, score: float) -> Hit:
    fields = hit.fields()
    lang = _matched_language(searcher, plan, hit, fields)
    title = fields.get(title_field(lang)) or fields.get(title_field(lang.other)) or ""
    return Hit(
        id=fields["id"],
        score=float(score),
        lang=lang.value,
        title=title,
        snippet=_snippet(plan, lang, fields),
    )


def _matched_language(
    searcher: Searcher, plan: QueryPlan, hit: WhooshHit, fields: dict[str, Any]
) -> Language:
    """The language whose text matched best: matched terms weighed by idf and language weight."""
    weight = {lang: 0.0 for lang in LANGUAGES}
    names = {title_field(lang): lang for lang in LANGUAGES}
    names.update({summary_field(lang): lang for lang in LANGUAGES})
    for fieldname, term in hit.matched_terms():
        lang = names.get(fieldname)
        if lang is not None:
            weight[lang] += searcher.idf(fieldname, term) * plan.weights.get(lang, 0.0)
    present = [lang for lang in LANGUAGES if fields.get(summary_field(lang))]
    ranked = sorted(
        LANGUAGES,
        key=lambda lang: (weight[lang], lang in present, plan.weights.get(lang, 0.0)),
        reverse=True,
    )
    return ranked[0]


def _snippet(plan: QueryPlan, lang: Language, fields: dict[str, Any]) -> str:
    for fieldname in (summary_field(lang), title_field(lang)):
        text = fields.get(fieldname)
        if text:
            found = snippet(text, lang, plan.field_terms(fieldname))
            if found:
                return found
    return shorten(fields.get(summary_field(lang)) or fields.get(summary_field(lang.other)) or "")


# Spelling correction ------------------------------------------------------------------------

_LETTERS = "abcdefghijklmnopqrstuvwxyz"

Vocabulary = dict[str, tuple[int, str]]
"""Folded word -> (document frequency, its most frequent written form)."""


def vocabulary(reader: Any) -> Vocabulary:
    """The words of the index (both languages), from the ``forms_L`` fields."""
    totals: Counter[str] = Counter()
    best: dict[str, tuple[int, str]] = {}
    for lang in LANGUAGES:
        fieldname = forms_field(lang)
        for term in reader.lexicon(fieldname):
            pair = term.decode("utf-8") if isinstance(term, bytes) else term
            folded, _, surface = pair.partition(FORM_SEPARATOR)
            freq = reader.doc_frequency(fieldname, pair)
            totals[folded] += freq
            if freq > best.get(folded, (0, ""))[0]:
                best[folded] = (freq, surface)
    return {word: (total, best[word][1]) for word, total in totals.items()}


def _edits1(word: str) -> set[str]:
    splits = [(word[:i], word[i:]) for i in range(len(word) + 1)]
    deletes = {a + b[1:] for a, b in splits if b}
    transposes = {a + b[1] + b[0] + b[2:] for a, b in splits if len(b) > 1}
    replaces = {a + c + b[1:] for a, b in splits if b for c in _LETTERS}
    inserts = {a + c + b for a, b in splits for c in _LETTERS}
    return deletes | transposes | replaces | inserts


def correct(text: str, vocab: Vocabulary) -> str | None:
    """The query with each unknown word replaced by the commonest known word one typo away.

    Accents do not count as typos: "educasion" becomes "educación". ``None`` when no word can
    be corrected.
    """
    changed = False
    out: list[str] = []
    last = 0
    words = [w for c in parse(text).groups for cl in c for w in cl.words]
    for word in words:
        start = text.find(word, last)
        if start < 0:
            continue
        out.append(text[last:start])
        last = start + len(word)
        folded = fold_term(normalize(word))
        if folded in vocab or len(folded) < 3 or not folded.isalpha():
            out.append(word)
            continue
        candidates = [(vocab[c][0], c) for c in _edits1(folded) if c in vocab]
        if not candidates:
            out.append(word)
            continue
        _, best = max(candidates)
        out.append(vocab[best][1])
        changed = True
    out.append(text[last:])
    return "".join(out) if changed else None
