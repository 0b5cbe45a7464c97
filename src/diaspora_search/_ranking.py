"""Ranking: every scoring formula and tunable parameter, each a small pure function or constant.

The scorer (``search/scorer.py``), the Whoosh weighting used for phrases
(``storage/weighting.py``), the query compiler and the reranking all call these; nothing else
writes a formula out. Parameters were tuned on the XQuAD dev questions only
(``benchmarks/quality.py``); the held-out questions check that they generalize.
"""

from __future__ import annotations

import math

# Field weights --------------------------------------------------------------------------------

TITLE_BOOST = 2.0
"""A title word weighs twice a summary word (XQuAD is indifferent between 1 and 3; on the IME
articles a title is the best summary of the record)."""
FULL_TEXT_BOOST = 0.5
"""A word of a record's full text (``text_en``, ``text_es``) weighs half a summary word: full
text is long and says more besides its subject, so it ranks below the title and summary.
Records without full text score exactly as without the field (``benchmarks/RESULTS.md``,
issue 12)."""
NAME_BOOST = 1.0
"""An author or source name weighs as a summary word."""

# Query expansion ------------------------------------------------------------------------------

ACCENT_VARIANT_WEIGHT = 0.9
"""Weight of the other stems a word stands for (economia -> the stem of economía)."""
TRANSLATION_WEIGHT = 1.0
"""A query word's likeliest translation weighs this much (see :func:`translation_weight`)."""

# Reranking ------------------------------------------------------------------------------------

EXACT_FORM_BONUS = 0.25
"""A hit holding exactly the written forms typed (papá, not papa) scores up to 25% more."""
COORDINATION = 1.0
"""A hit holding k of n query groups has its score multiplied by (k / n) ** COORDINATION."""

# Language weights -----------------------------------------------------------------------------

LANGUAGE_FLOOR = 0.3
"""The weight of the less likely language of a query."""
INVERTED_MARK_EVIDENCE = 2.0
"""Evidence for Spanish from ¿ ¡ ñ anywhere in the query."""
ACCENT_EVIDENCE = 1.0
"""Evidence for Spanish from each word written with a diacritic."""
STOPWORD_EVIDENCE = 1.0
"""Evidence from each stopword of one language only ("de": Spanish, "the": English)."""
VOCABULARY_EVIDENCE = 0.7
"""Evidence from each word that only one language's vocabulary of the index knows."""

# BM25 -----------------------------------------------------------------------------------------

BM25_K1 = 1.2
BM25_B = 0.75


def bm25_idf(doc_count: int, doc_frequency: int) -> float:
    """Robertson-Spärck Jones idf as BM25 uses it, kept positive as in Lucene:
    ``log(1 + (N - df + 0.5) / (df + 0.5))`` (Robertson & Zaragoza, "The Probabilistic
    Relevance Framework: BM25 and Beyond", 2009, eq. 3.3).

    >>> round(bm25_idf(1000, 1), 3), round(bm25_idf(1000, 999), 3)
    (6.503, 0.001)
    """
    return math.log(1.0 + (doc_count - doc_frequency + 0.5) / (doc_frequency + 0.5))


def bm25_length_norm(length: float, avg_length: float, k1: float, b: float) -> float:
    """BM25's length normalization of one document's field: ``k1 * (1 - b + b * dl / avgdl)``
    (ibid., eq. 3.13, the denominator's second term).

    >>> bm25_length_norm(10, 10, 1.2, 0.75)
    1.2
    """
    return k1 * (1.0 - b + b * length / avg_length)


def bm25_saturate(freq: float, length_norm: float, k1: float) -> float:
    """BM25's saturating term frequency, given the document's :func:`bm25_length_norm`:
    ``tf * (k1 + 1) / (tf + norm)`` (ibid., eq. 3.13).

    >>> bm25_saturate(1.0, 1.2, 1.2)
    1.0
    """
    return freq * (k1 + 1.0) / (freq + length_norm)


def bm25_tf(freq: float, length: float, avg_length: float, k1: float, b: float) -> float:
    """BM25's term frequency with length normalization (ibid., eq. 3.13).

    >>> bm25_tf(1, 10, 10, 1.2, 0.75)
    1.0
    """
    return bm25_saturate(freq, bm25_length_norm(length, avg_length, k1, b), k1)


def hit_language_idf(doc_count: int, doc_frequency: int) -> float:
    """The idf that weighs a hit's matched terms when choosing the language it is shown in:
    ``log(N / (df + 1)) + 1``, the classic smoothed idf (Whoosh's default).

    >>> round(hit_language_idf(1000, 9), 3)
    5.605
    """
    return math.log(doc_count / (doc_frequency + 1)) + 1


def translation_weight(probability: float, likeliest: float) -> float:
    """The weight of a query word's translation, from its probability and that of the word's
    likeliest translation (among those the index holds): ``P / max P``, so the likeliest stands
    for the word itself and the others weigh in proportion.

    Tuned on the XQuAD dev questions: against weighting by ``P`` itself it gains 0.06-0.10 MRR@10
    on a collection mixing English-only and Spanish-only records, where translated evidence must
    compete with matches in the query's own language, for 0.01-0.02 on records all in the other
    language (``benchmarks/RESULTS.md``).

    >>> translation_weight(0.25, 0.5)
    0.5
    """
    return probability / likeliest


def coordination(held: int, groups: int) -> float:
    """The factor for a hit holding ``held`` of the query's ``groups`` (its words, phrases or
    OR-ed alternatives): ``(held / groups) ** COORDINATION``, 1 for a one-group query
    (the coordination factor of Salton's vector model as Lucene's classic similarity used it).

    >>> coordination(1, 2), coordination(0, 1)
    (0.5, 1.0)
    """
    if groups <= 1:
        return 1.0
    return float((max(held, 1) / groups) ** COORDINATION)


def spanish_likelihood(evidence: float) -> float:
    """The probability that a query is Spanish, from its summed evidence (the constants
    above, positive for Spanish): a logistic function.

    >>> spanish_likelihood(0.0)
    0.5
    """
    return 1.0 / (1.0 + math.exp(-evidence))


def language_weight(likelihood: float) -> float:
    """A language's weight in [LANGUAGE_FLOOR, 1] from the probability that the query is in
    it: 1 from even odds up, down to the floor for a query surely in the other language.

    >>> language_weight(0.5), language_weight(0.0)
    (1.0, 0.3)
    """
    return LANGUAGE_FLOOR + (1.0 - LANGUAGE_FLOOR) * min(1.0, 2 * likelihood)


def exact_form_factor(held: int, ambiguous: int) -> float:
    """The factor for a hit holding exactly the typed form of ``held`` of the query's
    ``ambiguous`` words (those the hits write in several ways differing only by accents).

    >>> exact_form_factor(1, 2)
    1.125
    """
    return 1.0 + EXACT_FORM_BONUS * held / ambiguous
