"""Learn a translation table from a collection's bilingual records (parallel text).

A record holding both an English and a Spanish summary is a pair of parallel "sentences". IBM
Model 1 (Brown et al. 1993, "The Mathematics of Statistical Machine Translation") estimates
``t(f | e)`` by EM over such pairs, in both directions here, which finds domain words no
dictionary has ("oriundos" -> "hometown").

Bounded in time and memory, in pure Python:

1. Each side of a record is its distinct terms, the first :data:`MAX_TERMS` only; terms seen in
   fewer than ``min_count`` records are dropped.
2. Candidates (Dice first, as in Melamed 2000): for each Spanish term, the co-occurrence counts
   with English terms over at most :data:`SAMPLE` of its records (frequent terms are estimated
   from a sample, which caps the quadratic counting); pairs seen ``min_count`` times are scored
   by Dice, ``2 c(e,s) / (df(e) + df(s))``, and each term keeps its ``candidates`` best partners,
   from either side. EM runs over candidate links only.
3. EM works on sufficient statistics: the links of one target word in one record form a group;
   identical groups across records are counted once with their multiplicity, and a group of
   one link (most) is a constant. There is no NULL source: the Dice candidates already leave
   out the words without a good partner.
4. The result keeps the table's pruning: top-k targets and a minimum probability.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Sequence
from itertools import chain, islice

from .._language import Language
from .table import MIN_PROBABILITY, TOP_K, Phrase, TranslationTable

MAX_TERMS = 64
"""Distinct terms used per side of a record: longer records cost quadratic time for little."""
SAMPLE = 400
"""Records per term over which co-occurrences are counted (estimated beyond that)."""


def fit_translation_table(
    pairs: Iterable[tuple[Sequence[str], Sequence[str]]],
    *,
    iterations: int = 3,
    min_count: int = 3,
    candidates: int = 5,
    min_dice: float = 0.05,
    top_k: int = TOP_K,
    min_probability: float = MIN_PROBABILITY,
) -> TranslationTable:
    """A translation table fitted with IBM Model 1 to parallel records, both directions.

    Args:
        pairs: per record, (its English index terms, its Spanish index terms).
        iterations: EM iterations.
        min_count: least number of records a term, and a pair, must appear in.
        candidates: Dice candidates kept per term, on each side.
        min_dice: least Dice coefficient of a candidate pair.
        top_k, min_probability: the table's pruning.

    >>> pairs = [(["hometown", "associ"], ["asociacion", "oriund"])] * 3
    >>> pairs += [(["associ", "profession"], ["asociacion", "profesional"])] * 3
    >>> table = fit_translation_table(pairs, min_count=2)
    >>> table.translations(Language.ES, "oriund")[0][0]
    'hometown'
    """
    if iterations < 0 or min_count < 1 or candidates < 1:
        raise ValueError(
            f"iterations >= 0, min_count >= 1 and candidates >= 1 expected; got "
            f"{iterations}, {min_count}, {candidates}"
        )
    english: list[list[str]] = []
    spanish: list[list[str]] = []
    for en, es in pairs:
        english.append(list(islice(dict.fromkeys(en), MAX_TERMS)))
        spanish.append(list(islice(dict.fromkeys(es), MAX_TERMS)))
    english = _frequent(english, min_count)
    spanish = _frequent(spanish, min_count)
    links = _candidates(english, spanish, min_count, candidates, min_dice)
    probabilities = {
        Language.EN: _model1(english, spanish, _flip(links), iterations),
        Language.ES: _model1(spanish, english, links, iterations),
    }
    return TranslationTable.from_probabilities(
        probabilities, top_k=top_k, min_probability=min_probability
    )


def _frequent(records: list[list[str]], min_count: int) -> list[list[str]]:
    """The records with terms of fewer than ``min_count`` records left out."""
    df = Counter(chain.from_iterable(records))
    rare = {t for t, n in df.items() if n < min_count}
    if not rare:
        return records
    return [[t for t in terms if t not in rare] for terms in records]


def _candidates(
    english: list[list[str]],
    spanish: list[list[str]],
    min_count: int,
    candidates: int,
    min_dice: float,
) -> dict[str, set[str]]:
    """For each Spanish term, the English terms it may align with (Dice candidates)."""
    df_en = Counter(chain.from_iterable(english))
    postings: dict[str, list[int]] = {}
    for r, terms in enumerate(spanish):
        for s in terms:
            postings.setdefault(s, []).append(r)
    scored: list[tuple[float, str, str]] = []
    for s, records in postings.items():
        df_s = len(records)
        scale = df_s / SAMPLE if df_s > SAMPLE else 1.0
        sample = records[:: -(-df_s // SAMPLE)] if df_s > SAMPLE else records
        counts = Counter(chain.from_iterable(map(english.__getitem__, sample)))
        least = max(min_count, min_dice * (df_s + 1) / 2) / scale
        scored += [
            (2 * n * scale / (df_s + df_en[e]), s, e) for e, n in counts.items() if n >= least
        ]
    scored.sort(reverse=True)
    kept_s: Counter[str] = Counter()
    kept_e: Counter[str] = Counter()
    links: dict[str, set[str]] = {}
    for dice, s, e in scored:
        if dice < min_dice:
            break
        if kept_s[s] < candidates or kept_e[e] < candidates:
            kept_s[s] += 1
            kept_e[e] += 1
            links.setdefault(s, set()).add(e)
    return links


def _flip(links: dict[str, set[str]]) -> dict[str, set[str]]:
    flipped: dict[str, set[str]] = {}
    for s, targets in links.items():
        for e in targets:
            flipped.setdefault(e, set()).add(s)
    return flipped


def _model1(
    sources: list[list[str]],
    targets: list[list[str]],
    links: dict[str, set[str]],
    iterations: int,
) -> dict[Phrase, list[tuple[Phrase, float]]]:
    """IBM Model 1 ``t(target | source)`` over candidate links, by EM.

    ``links[source]`` are the targets a source term may generate.
    """
    # Groups: for one target word of one record, the candidate sources present in that record.
    by_target: dict[str, set[str]] = _flip(links)
    groups: Counter[tuple[str, tuple[str, ...]]] = Counter()
    for source_terms, target_terms in zip(sources, targets, strict=True):
        present = set(source_terms)
        for t in target_terms:
            possible = by_target.get(t)
            if possible is not None:
                found = possible.intersection(present)
                if found:
                    groups[(t, tuple(sorted(found)))] += 1
    # Pairs by index; a group of one link gives that link its whole count at every iteration.
    index: dict[tuple[str, str], int] = {}
    fixed: list[float] = []
    multi: list[tuple[int, list[int]]] = []
    for (t, sources_present), count in groups.items():
        ids = [index.setdefault((s, t), len(index)) for s in sources_present]
        fixed.extend([0.0] * (len(index) - len(fixed)))
        if len(ids) == 1:
            fixed[ids[0]] += count
        else:
            multi.append((count, ids))
    pairs = list(index)
    source_of = [s for s, _ in pairs]
    # A uniform start over each source's candidates.
    prob = [1.0 / len(links[s]) for s in source_of]
    for _ in range(iterations):
        expected = fixed.copy()
        for count, ids in multi:
            values = [prob[i] for i in ids]
            scale = count / sum(values)
            for i, v in zip(ids, values, strict=True):
                expected[i] += v * scale
        totals: dict[str, float] = {}
        for s, c in zip(source_of, expected, strict=True):
            totals[s] = totals.get(s, 0.0) + c
        prob = [c / totals[s] for s, c in zip(source_of, expected, strict=True)]
    out: dict[Phrase, list[tuple[Phrase, float]]] = {}
    for (s, t), p in zip(pairs, prob, strict=True):
        if p > 0:
            out.setdefault((s,), []).append(((t,), p))
    return out
