"""The analyzers: one tokenizer and a cached chain of per-word stages, registered by name.

The order of stages, and why::

    words (tokenizer)    words and their offsets in the original text (ICU word rules)
    NormalizeFilter      NFKC + case folding; accents kept (the stemmer needs them)
    StopwordFilter(lang) the language's own list, matched without accents
    SnowballFilter(lang) Snowball sees "integración" and strips "-ación"
    FoldFilter           diacritics folded last: "integr", "educ", "nin"

English swaps the last two: its Snowball stemmer knows no accented suffix and takes "é" for a
consonant, so a folded word stems better ("résumé" and "resume" both give "resum").

Every analyzer is registered under a name ("en", "es", "name", "forms-en", "forms-es"); a field
of the index names its analyzer (``_fields.py``), and the storage package wraps the analyzer of
that name into a Whoosh analyzer, so indexing, querying and snippets can never disagree. Nothing
here knows Whoosh. :data:`ANALYSIS_VERSION` changes whenever a change here changes any term; the
index records it.
"""

from __future__ import annotations

from collections.abc import Sequence
from itertools import filterfalse, takewhile
from typing import Any

from .._language import Language
from .fold import FoldFilter, fold_term
from .normalize import NormalizeFilter
from .stage import Stage
from .stem import SnowballFilter
from .stopwords import StopwordFilter
from .tokenizer import word_texts

ANALYSIS_VERSION = 3
FORM_SEPARATOR = "\x1f"
_CACHE_LIMIT = 500_000
_STOPPED = ""


class TermChain:
    """Runs per-word stages in order, computing each distinct word once (a per-term cache)."""

    def __init__(self, *stages: Stage) -> None:
        self.stages = stages
        self._cache: dict[str, str] = {}

    def __eq__(self, other: object) -> bool:
        return isinstance(other, TermChain) and other.stages == self.stages

    def __hash__(self) -> int:
        return hash(self.stages)

    def __getstate__(self) -> dict[str, Any]:
        return {"stages": self.stages}

    def __setstate__(self, state: dict[str, Any]) -> None:
        self.stages = state["stages"]
        self._cache = {}

    def term(self, word: str) -> str | None:
        """The index term of one word as the tokenizer wrote it, or ``None`` for a stopword."""
        found = self._cache.get(word)
        if found is None:
            found = self._compute_all([word])[word]
        return found or None

    def terms(self, words: list[str]) -> list[str]:
        """The index terms of a list of words, stopwords left out."""
        return list(filter(None, self.word_terms(words)))  # stopwords are ""

    def word_terms(self, words: list[str]) -> list[str]:
        """The index term of each word, ``""`` for a stopword (so positions are kept)."""
        found: list[str | None] = list(map(self._cache.get, words))
        if None in found:  # words not seen before: computed together, stage by stage
            new = list({w for w, t in zip(words, found, strict=True) if t is None})
            computed = self._compute_all(new)
            return [computed[w] if t is None else t for w, t in zip(words, found, strict=True)]
        return found  # type: ignore[return-value]  # (no None left)

    def accent_variant_terms(self, base: str, variants: list[str]) -> list[str]:
        """The index term of each of ``variants`` of ``base``, ``""`` for a stopword: each
        variant is ``base`` with one letter given an accent, ñ or ü (the Spanish variants of a
        query word, :mod:`diaspora_search.query.expand`).

        Where the normalizing and stopword stages leave ``base`` as it is (a normalized word,
        no stopword), they leave each variant as it is too: its one new letter is lowercase and
        stays so, and it folds back to ``base``. Then only the later stages run, a third of
        the cost (a Spanish query word has five or six variants); else every stage. Not
        cached: a query word is expanded once per index generation anyway."""
        head = list(takewhile(_keeps_plain_words, self.stages))
        texts: list[str | None] = [base]
        for stage in head:
            texts = stage.apply_all(texts)
        # (A leading "+" stays on a plain ASCII word but goes from an accented one: normalize
        # strips the one it puts before a fraction.)
        if texts != [base] or base.startswith("+"):
            return self.word_terms(variants)
        texts = list(variants)
        for stage in self.stages[len(head) :]:
            texts = stage.apply_all(texts)
        return [t or _STOPPED for t in texts]

    def candidate_terms(self, words: list[str]) -> list[str]:
        """The index term of each of ``words``, ``""`` for a stopword, not cached: for the
        hundreds of candidates of a spelling correction, nearly all of them nonsense.

        Words made of lowercase ASCII letters only (the candidates are) are their own
        normalization and folding: only the other stages run, the stopword lists and the
        stemmer. Any other list runs every stage."""
        joined = "".join(words)
        if not (joined.isascii() and joined.isalpha() and joined.islower()) or "" in words:
            return self.word_terms(words)
        texts: list[str | None] = list(words)
        for stage in self.stages:
            if not isinstance(stage, (NormalizeFilter, FoldFilter)):
                texts = stage.apply_all(texts)
        return [t or _STOPPED for t in texts]

    def learn(self, words: list[str]) -> None:
        """Compute and remember the terms of ``words``, not yet known (repeats allowed)."""
        self._compute_all(list(dict.fromkeys(words)))

    def _compute_all(self, words: list[str]) -> dict[str, str]:
        """Run the stages over distinct new words, each stage over the whole list; cache them."""
        texts: list[str | None] = list(words)
        for stage in self.stages:
            texts = stage.apply_all(texts)
        computed = {w: t or _STOPPED for w, t in zip(words, texts, strict=True)}
        if len(self._cache) + len(computed) > _CACHE_LIMIT:
            self._cache.clear()
        self._cache.update(computed)
        return computed


def _keeps_plain_words(stage: Stage) -> bool:
    """Whether ``stage`` is one that leaves a normalized word that is no stopword as it is."""
    return isinstance(stage, (NormalizeFilter, StopwordFilter))


class FormPair(Stage):
    """Turns an accented word into the term ``folded<US>written``: "economía" gives
    ``economia␟economía``; a word without diacritics gives nothing.

    Indexed per language, these terms tell an unaccented query word which accented words of the
    collection it may stand for ("economia" -> "economía"), and a spelling correction how to
    write the word it suggests ("educacion" -> "educación").
    """

    def apply(self, text: str) -> str | None:
        folded = fold_term(text)
        return None if folded == text else folded + FORM_SEPARATOR + text


def group_positions(word_terms: list[str]) -> dict[str, list[int]]:
    """Each term of a list of word terms (``""`` for a stopword, whose position is kept) with
    its positions in the list, terms in order of first appearance.

    >>> group_positions(["", "educ", "", "", "educ"])
    {'educ': [1, 4]}
    """
    out: dict[str, list[int]] = {}
    get = out.get
    for pos, term in enumerate(word_terms):
        if term:
            found = get(term)
            if found is None:
                out[term] = [pos]
            else:
                found.append(pos)
    return out


class Analyzer:
    """A registered analysis: ICU word breaking, then a :class:`TermChain` of per-word stages.

    >>> analyzer("es").positions("La educación y la educación")
    {'educ': [1, 4]}
    """

    def __init__(self, name: str, chain: TermChain) -> None:
        self.name = name
        self.chain = chain
        # The forms analyzers give terms for accented words only: ASCII text gives none.
        self.accented_only = isinstance(chain.stages[-1], FormPair)

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Analyzer) and other.name == self.name

    def __hash__(self) -> int:
        return hash(self.name)

    def __repr__(self) -> str:
        return f"analyzer({self.name!r})"

    def positions(self, text: str, words: list[str] | None = None) -> dict[str, list[int]]:
        """Each term of ``text`` with its word positions (what a field with positions indexes).
        ``words``, when given, must be ``word_texts(text)``, already computed."""
        return group_positions(self.word_terms(text, words))

    def word_terms(self, text: str, words: list[str] | None = None) -> list[str]:
        """The index term of each word of ``text`` in order, ``""`` for a stopword (the
        positions of :meth:`positions`, ungrouped); ``words`` as in :meth:`positions`.

        >>> analyzer("es").word_terms("La educación y la educación")
        ['', 'educ', '', '', 'educ']
        """
        if self.accented_only and text.isascii():
            return []
        if words is None:
            words = word_texts(text)
        return self.chain.word_terms(words)

    def known_terms(self) -> dict[str, str] | None:
        """The term of every word analyzed so far (``""`` for a stopword), which
        :meth:`word_terms` gives for words all in it, as a dict to look words up in (never to
        change); ``None`` for an analyzer whose terms are not the words' alone (a forms
        analyzer skips ASCII text)."""
        return None if self.accented_only else self.chain._cache

    def learn(self, words: list[str]) -> None:
        """Analyze ``words`` not in :meth:`known_terms`, which then holds them (unless it was
        full and started again)."""
        self.chain.learn(words)

    def term_set(self, text: str, words: list[str] | None = None) -> set[str]:
        """The distinct terms of ``text`` (for a field without positions); ``words`` as in
        :meth:`positions`."""
        if self.accented_only and text.isascii():
            return set()
        if words is None:
            words = word_texts(text)
        if self.accented_only:  # an ASCII word has no accented form
            words = list(filterfalse(str.isascii, words))
        return set(self.chain.terms(words))


def _language_chain(lang: Language) -> TermChain:
    if lang is Language.EN:
        # English Snowball has no accented suffixes and treats "é" as a consonant: folding first
        # makes "résumé" and "resume", "división" and "division" stem alike.
        return TermChain(
            NormalizeFilter(), StopwordFilter(lang), FoldFilter(), SnowballFilter(lang)
        )
    return TermChain(NormalizeFilter(), StopwordFilter(lang), SnowballFilter(lang), FoldFilter())


def _build(name: str) -> Analyzer:
    if name in ("en", "es"):
        return Analyzer(name, _language_chain(Language(name)))
    if name == "name":
        # Authors and publishers: no stemming; function words of either language dropped.
        chain = TermChain(
            NormalizeFilter(),
            StopwordFilter(Language.EN),
            StopwordFilter(Language.ES),
            FoldFilter(),
        )
        return Analyzer(name, chain)
    if name.startswith("forms-") and name[6:] in ("en", "es"):
        lang = Language(name[6:])
        chain = TermChain(NormalizeFilter(), StopwordFilter(lang), FormPair())
        return Analyzer(name, chain)
    raise KeyError(f"no analyzer named {name!r}")


_REGISTRY: dict[str, Analyzer] = {}
ANALYZER_NAMES: Sequence[str] = ("en", "es", "name", "forms-en", "forms-es")


def analyzer(name: str) -> Analyzer:
    """The registered analyzer ``name``, shared by the whole process (and its cache)."""
    found = _REGISTRY.get(name)
    if found is None:
        found = _REGISTRY[name] = _build(name)
    return found
