"""Queries: the user's syntax, parsed; then one Whoosh query across both languages.

Syntax: plain words, ``"quoted phrases"``, ``-exclusion`` (of a word or a phrase) and ``OR``
between alternatives. Nothing is ever a syntax error: unbalanced quotes make the quotes plain
characters, and Whoosh syntax (``title:``, ``[a TO z]``, ``*``) is only words to us.

Every word is analyzed as English and as Spanish (the analyzers of the index, by name) and looked
up in each language's title and summary fields; the words are OR-ed with a coordination bonus,
so records that hold more of them rank first. Each language is weighted by how likely the query
is to be in it (:func:`language_weights`).

An unaccented word also stands for its accented forms: the accented words of the index that
fold to it (``forms_L``) and, in Spanish, the word with one accent (or ñ, ü) added where the
stem that gives is in the index ("economia" also looks for the stem of "economía").
"""

from __future__ import annotations

import math
import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from whoosh import query as wq
from whoosh.query import spans

from . import _ranking as ranking
from ._language import LANGUAGES, Language
from ._schema import NAMES, forms_field, summary_field, title_field
from .analysis import FORM_SEPARATOR, analyzer, fold_term, normalize, word_texts
from .analysis.stopwords import is_stopword


class _Or(wq.Or):  # type: ignore[misc]
    """Whoosh's ``Or``, always matched as a tree of unions: on a segment of 5,000 documents or
    fewer Whoosh otherwise preloads every match into arrays, three times slower here."""

    matcher_type = wq.Or.DEFAULT_MATCHER


class _SpanOr(spans.SpanOr):  # type: ignore[misc]
    """Whoosh's ``SpanOr`` with the size estimate it lacks: without one, a phrase whose word
    stands for several terms (written forms) raised ``NotImplementedError`` when an ``Or`` or
    ``And`` above it ordered its children by size."""

    def estimate_size(self, ixreader: Any) -> int:
        return sum(int(q.estimate_size(ixreader)) for q in self.subqs)


@dataclass(frozen=True)
class Clause:
    """One positive or negative unit of a query: a word or a phrase (several words)."""

    words: tuple[str, ...]
    negated: bool = False


@dataclass
class ParsedQuery:
    """A query as typed: groups of alternatives (joined by OR) and excluded clauses."""

    groups: list[list[Clause]] = field(default_factory=list)
    excluded: list[Clause] = field(default_factory=list)

    @property
    def words(self) -> list[str]:
        """Every positive word, in order."""
        return [w for group in self.groups for clause in group for w in clause.words]


_CHUNK = re.compile(r'(-?)"([^"]*)"|(\S+)')


def parse(text: str) -> ParsedQuery:
    """Parse the query syntax. Never raises.

    >>> p = parse('"Estados Unidos" educación OR salud -politica')
    >>> [[c.words for c in g] for g in p.groups], [c.words for c in p.excluded]
    ([[('Estados', 'Unidos')], [('educación',), ('salud',)]], [('politica',)])
    """
    if text.count('"') % 2:
        text = text.replace('"', " ")
    parsed = ParsedQuery()
    join_next = False
    for m in _CHUNK.finditer(text):
        if m.group(3) is not None:
            raw = m.group(3)
            if raw == "OR" and parsed.groups and not join_next:
                join_next = True
                continue
            negated = raw.startswith("-") and len(raw) > 1
            found = word_texts(raw[1:] if negated else raw)
            clauses = [Clause(tuple(found), True)] if negated else [Clause((w,)) for w in found]
        else:
            negated = m.group(1) == "-"
            found = word_texts(m.group(2))
            clauses = [Clause(tuple(found), negated)]
        for clause in clauses:
            if not clause.words:
                continue
            if clause.negated:
                parsed.excluded.append(clause)
            elif join_next:
                parsed.groups[-1].append(clause)
                join_next = False
            else:
                parsed.groups.append([clause])
    return parsed


class Lexicon:
    """What the query builder asks of the index: term existence and written forms.

    Answers are memoized: make one per reader (index generation) and reuse it across queries.
    """

    _MEMO_LIMIT = 100_000

    def __init__(self, reader: object) -> None:
        self._reader = reader
        self._has: dict[tuple[str, str], bool] = {}
        self._surfaces: dict[tuple[Language, str], list[str]] = {}
        self._vocabulary: dict[Language, frozenset[str]] = {}

    def has(self, fieldname: str, term: str) -> bool:
        key = (fieldname, term)
        found = self._has.get(key)
        if found is None:
            if len(self._has) > self._MEMO_LIMIT:
                self._has.clear()
            found = self._has[key] = key in self._reader  # type: ignore[operator]
        return found

    def surfaces(self, lang: Language, folded: str) -> list[str]:
        """The accented words of the index (normalized, as written) that fold to ``folded``."""
        key = (lang, folded)
        found = self._surfaces.get(key)
        if found is None:
            if len(self._surfaces) > self._MEMO_LIMIT:
                self._surfaces.clear()
            prefix = folded + FORM_SEPARATOR
            terms = self._reader.expand_prefix(forms_field(lang), prefix)  # type: ignore[attr-defined]
            found = self._surfaces[key] = [
                (t.decode("utf-8") if isinstance(t, bytes) else t)[len(prefix) :] for t in terms
            ]
        return found

    def vocabulary(self, lang: Language) -> frozenset[str]:
        """Every term of the titles and summaries of ``lang``: read from the index the first
        time it is asked for (a few hundred milliseconds for 50,000 records), then kept."""
        found = self._vocabulary.get(lang)
        if found is None:
            reader: Any = self._reader
            found = self._vocabulary[lang] = frozenset(
                term.decode("utf-8") if isinstance(term, bytes) else term
                for fieldname in (summary_field(lang), title_field(lang))
                for term in reader.lexicon(fieldname)
            )
        return found

    def knows(self, lang: Language, term: str) -> bool:
        return self.has(summary_field(lang), term) or self.has(title_field(lang), term)

    def doc_frequency(self, lang: Language, term: str) -> int:
        """How many records hold ``term`` in their title or summary of ``lang`` (an upper
        bound: a record holding it in both counts twice)."""
        reader: Any = self._reader
        return int(
            reader.doc_frequency(summary_field(lang), term)
            + reader.doc_frequency(title_field(lang), term)
        )


MAX_VARIANT_LENGTH = 40
"""Longer words get no accent variants (the longest Spanish words have about 25 letters)."""
_SPANISH_ACCENTS = {"a": "á", "e": "é", "i": "í", "o": "ó", "u": "úü", "n": "ñ"}


def spanish_variants(word: str) -> Iterable[str]:
    """``word`` (unaccented, lowercase) with one accent, ñ or ü added.

    >>> sorted(spanish_variants("ano"))
    ['anó', 'año', 'áno']
    """
    for i, ch in enumerate(word):
        for accented in _SPANISH_ACCENTS.get(ch, ""):
            yield word[:i] + accented + word[i + 1 :]


def word_terms(word: str, lang: Language, lexicon: Lexicon) -> dict[str, float]:
    """The terms one query word stands for in ``lang``, each with a weight.

    A word stands for every written form that folds like it, so that a query with or without
    accents finds the same records: its own term weighs 1, and the terms of the other forms
    (those in the index, and in Spanish the word with one accent, ñ or ü added, where that stem
    is in the index) weigh :data:`~._ranking.ACCENT_VARIANT_WEIGHT`. Empty for a stopword.
    """
    chain = analyzer(lang.value).chain
    own = chain.term(word)
    if own is None:
        return {}
    terms = {own: 1.0}
    folded = fold_term(normalize(word))
    candidates = [folded, *lexicon.surfaces(lang, folded)]
    if lang is Language.ES and folded.isascii() and len(folded) <= MAX_VARIANT_LENGTH:
        candidates.extend(spanish_variants(folded))
    for surface in candidates:
        term = chain.term(surface)
        if term is not None and term not in terms and lexicon.knows(lang, term):
            terms[term] = ranking.ACCENT_VARIANT_WEIGHT
    return terms


def exact_form(word: str, lang: Language, lexicon: Lexicon) -> str | None:
    """``word`` as typed (normalized) when other written forms may fold like it (papá and papa,
    público and publicó): a typed word with accents, or one whose accented forms the index has.
    Where the hits really hold several such forms, those holding the typed one rank first."""
    norm = normalize(word)
    if fold_term(norm) != norm or lexicon.surfaces(lang, norm):
        return norm
    return None


def language_weights(text: str, words: list[str], lexicon: Lexicon) -> dict[Language, float]:
    """How likely the query is English or Spanish, as weights in [LANGUAGE_FLOOR, 1].

    Evidence for Spanish: ¿ ¡ ñ, accented letters, Spanish-only stopwords, words only the
    Spanish vocabulary of the index knows; and the same for English.
    """
    score = 0.0
    if any(ch in text for ch in "¿¡ñÑ"):
        score += 2.0
    for word in words:
        norm = normalize(word)
        folded = fold_term(norm)
        if folded != norm:
            score += 1.0
        stop_en, stop_es = is_stopword(norm, Language.EN), is_stopword(norm, Language.ES)
        if stop_es != stop_en:
            score += 1.0 if stop_es else -1.0
            continue
        if stop_en:
            continue
        known = {}
        for lang in LANGUAGES:
            term = analyzer(lang.value).chain.term(word)
            known[lang] = term is not None and lexicon.knows(lang, term)
        if known[Language.ES] != known[Language.EN]:
            score += 0.7 if known[Language.ES] else -0.7
    p_es = 1.0 / (1.0 + math.exp(-score))
    span = 1.0 - ranking.LANGUAGE_FLOOR
    return {
        Language.ES: ranking.LANGUAGE_FLOOR + span * min(1.0, 2 * p_es),
        Language.EN: ranking.LANGUAGE_FLOOR + span * min(1.0, 2 * (1.0 - p_es)),
    }


def _searched_languages(word: str, weights: dict[Language, float]) -> dict[Language, float]:
    """The languages to look ``word`` up in: a stopword of the language the query is more
    likely in ("de", "los" in a Spanish query) is not looked up in the other one either."""
    if len(weights) < 2:
        return weights
    norm = normalize(word)
    for lang in weights:
        if is_stopword(norm, lang) and weights[lang] >= weights[lang.other]:
            return {}
    return weights


def _word_query(
    word: str, weights: dict[Language, float], lexicon: Lexicon, plan: QueryPlan | None
) -> wq.Query | None:
    clauses: list[wq.Query] = []
    for lang, weight in _searched_languages(word, weights).items():
        terms = word_terms(word, lang, lexicon)
        if plan is not None and terms and (exact := exact_form(word, lang, lexicon)):
            plan.exact_forms.setdefault(lang, set()).add(exact)
        for term, tw in terms.items():
            boost = weight * tw
            clauses.append(wq.Term(title_field(lang), term, boost=ranking.TITLE_BOOST * boost))
            clauses.append(wq.Term(summary_field(lang), term, boost=boost))
    name = analyzer("name").chain.term(word)
    if name is not None:
        clauses.append(wq.Term(NAMES, name, boost=ranking.NAME_BOOST))
    if not clauses:
        return None
    return clauses[0] if len(clauses) == 1 else _Or(clauses)


def _phrase_query(
    words: tuple[str, ...],
    weights: dict[Language, float],
    lexicon: Lexicon,
    plan: QueryPlan | None,
) -> wq.Query | None:
    if len(words) == 1:
        return _word_query(words[0], weights, lexicon, plan)
    clauses: list[wq.Query] = []
    for lang, weight in weights.items():
        per_word = [
            word_terms(w, lang, lexicon) if lang in _searched_languages(w, weights) else {}
            for w in words
        ]
        kept = [terms for terms in per_word if terms]
        if not kept:
            continue
        gap = _largest_gap(per_word)
        for fieldname, boost in (
            (title_field(lang), ranking.TITLE_BOOST),
            (summary_field(lang), 1.0),
        ):
            parts = [_alternatives(fieldname, terms) for terms in kept]
            if len(parts) == 1:
                near: wq.Query = parts[0]
            else:
                near = spans.SpanNear2(parts, slop=gap, ordered=True)
            clauses.append(_Or([near], boost=boost * weight))
    name_chain = analyzer("name").chain
    per_name = [{t: 1.0} if (t := name_chain.term(w)) else {} for w in words]
    name_terms = [wq.Term(NAMES, t) for terms in per_name for t in terms]
    if len(name_terms) > 1:
        near = spans.SpanNear2(name_terms, slop=_largest_gap(per_name), ordered=True)
        clauses.append(_Or([near], boost=ranking.NAME_BOOST))
    if not clauses:
        return None
    return _Or(clauses)


def _alternatives(fieldname: str, terms: dict[str, float]) -> wq.Query:
    subs = [wq.Term(fieldname, t, boost=w) for t, w in terms.items()]
    return subs[0] if len(subs) == 1 else _SpanOr(subs)


def _largest_gap(per_word: list[dict[str, float]]) -> int:
    """The slop a phrase needs: 1, plus the longest run of stopwords inside it."""
    gap = run = 0
    for terms in per_word:
        run = 0 if terms else run + 1
        gap = max(gap, run)
    return gap + 1


@dataclass
class QueryPlan:
    """A compiled query: the Whoosh query and what was decided on the way.

    ``term_groups`` maps each ``(field, term)`` of the query to the positive groups (the typed
    words or phrases, or OR-ed alternatives) it stands for, so that a hit's matched terms tell
    how many of the groups it holds (:func:`coordination`). ``exact_forms`` holds, per language,
    the typed words that other written forms may fold like (:func:`exact_form`).
    """

    query: wq.Query | None
    weights: dict[Language, float]
    parsed: ParsedQuery
    term_groups: dict[tuple[str, str], set[int]] = field(default_factory=dict)
    group_count: int = 0
    exact_forms: dict[Language, set[str]] = field(default_factory=dict)

    def field_terms(self, fieldname: str) -> set[str]:
        """The terms the query looks up in ``fieldname``."""
        return {term for f, term in self.term_groups if f == fieldname}

    def coordination(self, matched: Iterable[tuple[str, str]]) -> float:
        """The factor for a hit holding ``matched`` terms: 1 when it holds every group, less
        the fewer it holds (``(held / groups) ** COORDINATION``)."""
        if self.group_count <= 1:
            return 1.0
        held: set[int] = set()
        for key in matched:
            held |= self.term_groups.get(key, set())
        return float((max(len(held), 1) / self.group_count) ** ranking.COORDINATION)


def compile_query(text: str, lexicon: Lexicon, lang: Language | None = None) -> QueryPlan:
    """Parse ``text`` and build the Whoosh query; ``lang`` restricts it to one language."""
    parsed = parse(text)
    weights = {lang: 1.0} if lang is not None else language_weights(text, parsed.words, lexicon)
    plan = QueryPlan(None, weights, parsed)
    groups: list[wq.Query] = []
    for group in parsed.groups:
        alternatives = [q for c in group if (q := _phrase_query(c.words, weights, lexicon, plan))]
        if not alternatives:
            continue
        group_query = alternatives[0] if len(alternatives) == 1 else _Or(alternatives)
        for term in group_query.iter_all_terms():
            plan.term_groups.setdefault(term, set()).add(len(groups))
        groups.append(group_query)
    if not groups:
        return plan
    plan.group_count = len(groups)
    positive: wq.Query = groups[0] if len(groups) == 1 else _Or(groups)
    all_langs = {language: 1.0 for language in LANGUAGES}
    excluded = [
        q for c in parsed.excluded if (q := _phrase_query(c.words, all_langs, lexicon, None))
    ]
    if excluded:
        positive = wq.AndNot(positive, _Or(excluded))
    plan.query = positive
    return plan
