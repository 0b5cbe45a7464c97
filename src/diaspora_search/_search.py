"""Running a compiled query: ranking, the language of each hit, snippets, spelling correction."""

from __future__ import annotations

from collections import Counter
from typing import Any

from whoosh import query as wq
from whoosh.searching import Searcher

from . import _ranking as ranking
from ._hits import Hit, Results
from ._language import LANGUAGES, Language
from ._query import Lexicon, QueryPlan, compile_query, parse
from ._schema import summary_field, title_field
from ._scoring import FieldNorms, top_documents, union_leaves
from ._snippets import shorten, snippet
from .analysis import analyzer, fold_term, normalize, word_texts

RERANK_DEPTH = 50
"""How many of Whoosh's best hits are rescored for coordination (how many query words)."""
FEW_HITS = 3
"""Fewer hits than this (and than the limit) make the search look for a spelling suggestion."""
MAX_QUERY_WORDS = 64
"""Longer queries keep their first 64 words (a 10,000-character query must still be quick)."""


def search(
    searcher: Searcher,
    lexicon: Lexicon,
    text: str,
    limit: int,
    lang: Language | None,
    norms: FieldNorms | None = None,
) -> Results:
    """Search; when nothing is found, search the best spelling correction instead, and when
    very little is found, suggest it if it finds more. ``norms``: the searcher's length factors,
    kept between searches (made for this search when not given)."""
    if norms is None:
        norms = FieldNorms(searcher, ranking.BM25_K1, ranking.BM25_B)
    text = _bounded(text)
    hits = _run(searcher, compile_query(text, lexicon, lang), limit, norms)
    if len(hits) >= min(limit, FEW_HITS):
        return Results(hits)
    corrected = correct(text, lexicon, searcher)
    if corrected is None:
        return Results(hits)
    better = _run(searcher, compile_query(corrected, lexicon, lang), limit, norms)
    if not hits:
        return Results(better, corrected_query=corrected) if better else Results()
    return Results(hits, suggestion=corrected if len(better) > len(hits) else None)


def _bounded(text: str) -> str:
    if len(text) <= 20 * MAX_QUERY_WORDS:
        return text
    return " ".join(text.split()[:MAX_QUERY_WORDS])


def _run(searcher: Searcher, plan: QueryPlan, limit: int, norms: FieldNorms) -> list[Hit]:
    if plan.query is None:
        return []
    depth = max(limit, RERANK_DEPTH)
    leaves = union_leaves(plan.query)
    found = top_documents(searcher, leaves, depth, norms) if leaves is not None else None
    if found is not None:  # a union of terms: scored here
        ranked, matched = found
    else:  # phrases, exclusions: scored by Whoosh
        ranked = [(hit.score, hit.docnum) for hit in searcher.search(plan.query, limit=depth)]
        matched = _matched_terms(searcher, plan, [docnum for _, docnum in ranked])
    # The stored text of every hit reranked only when the exact-form bonus reads it.
    stored: dict[int, dict[str, Any]] = {}
    if plan.exact_forms:
        stored = {docnum: searcher.stored_fields(docnum) for _, docnum in ranked}
    bonus = _exact_form_bonus(plan, [stored.get(docnum, {}) for _, docnum in ranked])
    rescored = [
        (score * plan.coordination(matched[docnum]) * factor, rank, docnum)
        for rank, ((score, docnum), factor) in enumerate(zip(ranked, bonus, strict=True))
    ]
    rescored.sort(key=lambda item: (-item[0], item[1]))
    return [
        _hit(
            searcher,
            plan,
            stored.get(docnum) or searcher.stored_fields(docnum),
            score,
            matched[docnum],
        )
        for score, _, docnum in rescored[:limit]
    ]


def _matched_terms(
    searcher: Searcher, plan: QueryPlan, docnums: list[int]
) -> dict[int, set[tuple[str, str]]]:
    """Which of the query's terms each of the top documents holds.

    Asked of the postings for these few documents only: Whoosh's own ``terms=True`` records
    the matched terms of every matching document, which costs more than the search.
    """
    matched: dict[int, set[tuple[str, str]]] = {docnum: set() for docnum in docnums}
    if not docnums:
        return matched
    reader = searcher.reader()
    wanted = sorted(docnums)
    for key in plan.term_groups:
        if key not in reader:
            continue
        postings = reader.postings(*key)
        for docnum in wanted:
            if postings.is_active() and postings.id() < docnum:
                postings.skip_to(docnum)
            if not postings.is_active():
                break
            if postings.id() == docnum:
                matched[docnum].add(key)
    return matched


def _exact_form_bonus(plan: QueryPlan, hits: list[dict[str, Any]]) -> list[float]:
    """Accent-aware ranking: a factor per hit, above 1 for the hits that hold exactly the typed
    form of a word that the hits write in several ways differing only by accents (papá and
    papa). Words the hits write one way only change nothing, so a query typed without accents
    ranks exactly as the accented one wherever the collection is unambiguous."""
    if not plan.exact_forms:
        return [1.0] * len(hits)
    wanted = {
        (lang, fold_term(form)): form for lang, forms in plan.exact_forms.items() for form in forms
    }
    folded_wanted = {folded for _, folded in wanted}
    held: list[dict[tuple[Language, str], set[str]]] = []
    seen: dict[tuple[Language, str], set[str]] = {key: set() for key in wanted}
    for fields in hits:
        forms: dict[tuple[Language, str], set[str]] = {}
        for lang in plan.exact_forms:
            text = f"{fields.get(title_field(lang), '')}\n{fields.get(summary_field(lang), '')}"
            for word in word_texts(text):
                if word.isascii() and "." not in word:  # normalized, folded: just lowercase
                    written = word.lower()
                    if written not in folded_wanted:
                        continue
                    key = (lang, written)
                else:
                    written = normalize(word)
                    key = (lang, fold_term(written))
                if key in wanted:
                    forms.setdefault(key, set()).add(written)
                    seen[key].add(written)
        held.append(forms)
    ambiguous = [key for key, written in seen.items() if len(written) > 1]
    if not ambiguous:
        return [1.0] * len(hits)
    return [
        1.0
        + ranking.EXACT_FORM_BONUS
        * sum(wanted[key] in forms.get(key, ()) for key in ambiguous)
        / len(ambiguous)
        for forms in held
    ]


def _hit(
    searcher: Searcher,
    plan: QueryPlan,
    fields: dict[str, Any],
    score: float,
    matched: set[tuple[str, str]],
) -> Hit:
    lang = _matched_language(searcher, plan, matched, fields)
    title = fields.get(title_field(lang)) or fields.get(title_field(lang.other)) or ""
    return Hit(
        id=fields["id"],
        score=float(score),
        lang=lang.value,
        title=title,
        snippet=_snippet(plan, lang, fields),
    )


def _matched_language(
    searcher: Searcher,
    plan: QueryPlan,
    matched: set[tuple[str, str]],
    fields: dict[str, Any],
) -> Language:
    """The language whose text matched best: matched terms weighed by idf and language weight."""
    weight = {lang: 0.0 for lang in LANGUAGES}
    names = {title_field(lang): lang for lang in LANGUAGES}
    names.update({summary_field(lang): lang for lang in LANGUAGES})
    for fieldname, term in matched:
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


def _edits1(word: str) -> set[str]:
    splits = [(word[:i], word[i:]) for i in range(len(word) + 1)]
    deletes = {a + b[1:] for a, b in splits if b}
    transposes = {a + b[1] + b[0] + b[2:] for a, b in splits if len(b) > 1}
    replaces = {a + c + b[1:] for a, b in splits if b for c in _LETTERS}
    inserts = {a + c + b for a, b in splits for c in _LETTERS}
    return deletes | transposes | replaces | inserts


def correct(text: str, lexicon: Lexicon, searcher: Searcher) -> str | None:
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
        replacement = _correct_word(word, lexicon, searcher)
        out.append(replacement or word)
        changed = changed or replacement is not None
    out.append(text[last:])
    return "".join(out) if changed else None


MAX_CORRECTED_LENGTH = 40
"""Longer words are not spell-corrected (a 10,000-letter word would have 500,000 variants)."""
_CORRECTION_TERMS = 3
_CORRECTION_SAMPLE = 5


def _correct_word(word: str, lexicon: Lexicon, searcher: Searcher) -> str | None:
    folded = fold_term(normalize(word))
    if not 3 <= len(folded) <= MAX_CORRECTED_LENGTH or not folded.isalpha() or not folded.isascii():
        return None
    chains = {lang: analyzer(lang.value).chain for lang in LANGUAGES}
    for lang, chain in chains.items():
        term = chain.term(word)
        if term is None or lexicon.knows(lang, term):
            return None  # a stopword, or a word the index knows
    candidates = _edits1(folded)
    frequency: dict[tuple[Language, str], int] = {}
    ordered = sorted(candidates)
    for lang, chain in chains.items():
        # Hundreds of candidates: stemmed together, looked up in the vocabulary in memory.
        vocabulary = lexicon.vocabulary(lang)
        for term in dict.fromkeys(chain.word_terms(ordered)):
            if term in vocabulary:
                frequency[(lang, term)] = lexicon.doc_frequency(lang, term)
    # The index holds stems, not words: read how the commonest stems are written in a few
    # records, and keep a written word that is one typo from the query word.
    for lang, term in sorted(frequency, key=lambda key: (-frequency[key], key))[:_CORRECTION_TERMS]:
        written = _written_forms(searcher, lang, term)
        found = [w for w in written if fold_term(w) in candidates]
        if found:
            return max(found, key=lambda w: (written[w], w))
    return None


def _written_forms(searcher: Searcher, lang: Language, term: str) -> Counter[str]:
    """How the words with index term ``term`` are written in a few records that hold it."""
    chain = analyzer(lang.value).chain
    counts: Counter[str] = Counter()
    query = wq.Or([wq.Term(summary_field(lang), term), wq.Term(title_field(lang), term)])
    for hit in searcher.search(query, limit=_CORRECTION_SAMPLE):
        fields = hit.fields()
        for fieldname in (title_field(lang), summary_field(lang)):
            for word in word_texts(fields.get(fieldname, "")):
                if chain.term(word) == term:
                    counts[normalize(word)] += 1
    return counts
