"""Translation tables: for a source-language index term, the target-language index terms and
their probabilities P(target | source).

A table is built from word pairs (``from_pairs``), from a collection's bilingual records
(:func:`~diaspora_search.translation.learn.fit_translation_table`), from a glossary
(:func:`~diaspora_search.translation.glossary.read_glossary`), or from a mixture of tables
(:func:`combine`). Words are analyzed when the table is built, by the registered analyzers of the
running code, so its keys are always index terms of the current analysis.

Phrases. Every source and target is a *phrase*: the tuple of the index terms of a word or a
multi-word lemma, stopwords left out ("ciudad de origen" is ``("ciudad", "orig")``). A single word
is a one-term phrase. :meth:`TranslationTable.translations` is the single-word view the query
engine needs most: one-term targets of a one-term source, as ``(term, probability)``;
:meth:`TranslationTable.targets` gives every target, phrases included, of any source phrase, so
that an integrator can match a multi-term target as a phrase or as an AND of its terms. A
multi-word source never answers a single-word lookup. The mass of phrase targets counts in the
normalization, so a word's single-term translations sum to at most 1.

Probability and pruning. ``P(t|s) = w(s,t) / Σ_t' w(s,t')`` over phrases, after the words of the
pairs are analyzed: lemmas sharing a stem merge their weights ("organize", "organization"). Then
each source keeps its :data:`TOP_K` best targets with ``P >= MIN_PROBABILITY``; the mass of what
is pruned is dropped, not redistributed, so an ambiguous word's translations weigh less than a
clear one's.

>>> table = TranslationTable.from_pairs([("school", "escuela", 3), ("school", "colegio", 1)])
>>> table.translations(Language.EN, "school")
(('escuel', 0.75), ('colegi', 0.25))
>>> table.translations(Language.ES, "escuel")
(('school', 1.0),)
"""

from __future__ import annotations

import json
import math
import sys
from collections import defaultdict
from collections.abc import Iterable, Iterator, Mapping, Sequence
from typing import Any

from .._language import Language
from ..analysis import ANALYSIS_VERSION, analyzer, word_texts

TOP_K = 8
"""Targets kept per source: a WordNet word rarely has more than eight plausible translations."""
MIN_PROBABILITY = 0.02
"""Targets below this probability are dropped: one sense in fifty is noise for a query."""
JSON_FORMAT = "diaspora_search.translation-table"
JSON_VERSION = 1
TSV_FORMAT = "# diaspora_search translation-table tsv 1"
"""What names the lines of :meth:`TranslationTable.to_tsv` (and of their build) in a file's
first line, such as the bundled lexicon's stemmed table (:mod:`.lexicon`)."""

Phrase = tuple[str, ...]
"""The index terms of a word or phrase, stopwords left out."""
Targets = tuple[tuple[Phrase, float], ...]


class TranslationTable(Mapping[tuple[Language, Phrase], Targets]):
    """An immutable mapping ``(source language, source phrase) -> ((target phrase, P), ...)``.

    Targets are best first; their probabilities sum to at most 1.
    """

    __slots__ = ("_entries", "_singles")

    def __init__(self, entries: Mapping[Language, Mapping[Phrase, Targets]]) -> None:
        """A table from already normalized entries; use the ``from_*`` builders instead."""
        self._entries: dict[Language, Mapping[Phrase, Targets]] = {
            lang: dict(entries.get(lang, {})) for lang in Language
        }
        self._singles: dict[Language, dict[str, tuple[tuple[str, float], ...]]] = {
            lang: {} for lang in Language
        }

    # -- lookups -------------------------------------------------------------------------------

    def translations(self, lang: Language, term: str) -> Sequence[tuple[str, float]]:
        """The one-term translations of one index term of ``lang``, best first.

        Args:
            lang: the language of ``term``.
            term: an index term, ``analyzer(lang.value).chain.term(word)``.

        Returns:
            ``(target term, P(target | term))`` pairs in the other language; empty when the
            term is unknown.
        """
        singles = self._singles[lang]
        found = singles.get(term)
        if found is None:  # computed on first use: most terms are never looked up
            found = tuple(
                (target[0], p)
                for target, p in self._entries[lang].get((term,), ())
                if len(target) == 1
            )
            singles[term] = found
        return found

    def targets(self, lang: Language, source: str | Sequence[str]) -> Targets:
        """Every target phrase of a source term or phrase of ``lang``, best first."""
        key = (source,) if isinstance(source, str) else tuple(source)
        return self._entries[lang].get(key, ())

    def sources(self, lang: Language) -> Iterator[Phrase]:
        """The source phrases of ``lang`` that have translations."""
        return iter(self._entries[lang])

    def __getitem__(self, key: tuple[Language, Phrase]) -> Targets:
        lang, phrase = key
        return self._entries[lang][phrase]

    def __iter__(self) -> Iterator[tuple[Language, Phrase]]:
        for lang, entries in self._entries.items():
            for phrase in entries:
                yield (lang, phrase)

    def __len__(self) -> int:
        return sum(map(len, self._entries.values()))

    def __repr__(self) -> str:
        sizes = ", ".join(f"{lang.value}: {len(e)}" for lang, e in self._entries.items())
        return f"<TranslationTable {sizes} sources>"

    # -- builders ------------------------------------------------------------------------------

    @classmethod
    def from_pairs(
        cls,
        pairs: Iterable[tuple[str, str, float]],
        *,
        top_k: int = TOP_K,
        min_probability: float = MIN_PROBABILITY,
    ) -> TranslationTable:
        """A table from ``(English word or phrase, Spanish word or phrase, weight)`` pairs.

        Both sides are analyzed with the registered ``en`` and ``es`` analyzers; a pair whose
        side is all stopwords is left out. Each pair counts in both directions.

        >>> t = TranslationTable.from_pairs([("radio", "radio", 1), ("the", "el", 1)])
        >>> t.translations(Language.ES, "radi"), len(t)
        ((('radio', 1.0),), 2)
        """
        rows = pairs if isinstance(pairs, list) else list(pairs)
        en_terms = analyze_phrases({row[0] for row in rows}, Language.EN)
        es_terms = analyze_phrases({row[1] for row in rows}, Language.ES)
        summed: dict[tuple[Phrase, Phrase], float] = {}  # lemmas sharing stems merge here
        get = summed.get
        for en, es, weight in rows:
            if not 0 < weight < math.inf:
                raise ValueError(f"weight of ({en!r}, {es!r}) must be positive; got {weight!r}")
            key = (en_terms[en], es_terms[es])
            summed[key] = get(key, 0.0) + weight
        del rows, en_terms, es_terms
        forward: dict[Phrase, list[tuple[Phrase, float]]] = {}
        backward: dict[Phrase, list[tuple[Phrase, float]]] = {}
        for (en_phrase, es_phrase), weight in summed.items():
            if en_phrase and es_phrase:  # a side of stopwords only translates nothing
                forward.setdefault(en_phrase, []).append((es_phrase, weight))
                backward.setdefault(es_phrase, []).append((en_phrase, weight))
        return cls(
            {
                Language.EN: _pruned(forward, top_k, min_probability, normalize=True),
                Language.ES: _pruned(backward, top_k, min_probability, normalize=True),
            }
        )

    @classmethod
    def from_probabilities(
        cls,
        probabilities: Mapping[Language, Mapping[Phrase, Iterable[tuple[Phrase, float]]]],
        *,
        top_k: int = TOP_K,
        min_probability: float = MIN_PROBABILITY,
    ) -> TranslationTable:
        """A table from ``probabilities[source language][source phrase]``: ``(target phrase,
        P)`` pairs of analyzed phrases whose ``P`` sum to at most 1; pruned, not renormalized.

        >>> p = {Language.EN: {("school",): [(("escuel",), 0.6), (("colegi",), 0.01)]}}
        >>> TranslationTable.from_probabilities(p).targets(Language.EN, "school")
        ((('escuel',), 0.6),)
        """
        return cls(
            {
                lang: _pruned(
                    {s: list(ts) for s, ts in by_source.items()},
                    top_k,
                    min_probability,
                    normalize=False,
                )
                for lang, by_source in probabilities.items()
            }
        )

    # -- serialization -------------------------------------------------------------------------

    def to_json(self) -> str:
        """The table as a JSON document (plain data: lists, strings, numbers).

        It records :data:`~diaspora_search.ANALYSIS_VERSION`, since its terms are stems.

        >>> t = TranslationTable.from_pairs([("school", "escuela", 1)])
        >>> TranslationTable.from_json(t.to_json()) == t
        True
        """
        data = {
            "format": JSON_FORMAT,
            "version": JSON_VERSION,
            "analysis_version": ANALYSIS_VERSION,
            "entries": {
                lang.value: [
                    [list(source), [[list(t), p] for t, p in targets]]
                    for source, targets in sorted(entries.items())
                ]
                for lang, entries in self._entries.items()
            },
        }
        return json.dumps(data, ensure_ascii=False, separators=(",", ":"))

    def to_tsv(self) -> str:
        """The table as lines of text, one per source, sorted:
        ``lang<TAB>source<TAB>target<TAB>P<TAB>target<TAB>P...``, a phrase's terms joined by
        spaces, each ``P`` as Python writes a float (read back to the bit). What
        :meth:`from_tsv` reads without decoding an entry before it is looked up.

        Raises:
            ValueError: for a term holding a space, a tab or a line break (no analyzer writes
                one), which the lines could not tell apart.

        >>> t = TranslationTable.from_pairs([("school", "escuela", 3), ("school", "colegio", 1)])
        >>> t.to_tsv().splitlines()[0].split(chr(9))  # (tabs)
        ['en', 'school', 'escuel', '0.75', 'colegi', '0.25']
        """
        lines = []
        for lang, entries in self._entries.items():
            for source, targets in sorted(entries.items()):
                fields = [lang.value, _tsv_phrase(source)]
                for target, p in targets:
                    fields += [_tsv_phrase(target), repr(p)]
                lines.append("\t".join(fields) + "\n")
        return "".join(lines)

    @classmethod
    def from_tsv(cls, text: str) -> TranslationTable:
        """The table of :meth:`to_tsv`'s lines, over them as they are: each entry is decoded
        when it is read (looked up or iterated), so that loading a table of 95,000 sources is
        one pass splitting lines (under 0.1 s, where decoding them all takes more than a
        second), and its lines are strings the garbage collector never traverses.

        Raises:
            ValueError: for a line without a language, a source and targets.

        >>> t = TranslationTable.from_pairs([("school", "escuela", 3), ("school", "colegio", 1)])
        >>> u = TranslationTable.from_tsv(t.to_tsv())
        >>> u.translations(Language.EN, "school"), u == t
        ((('escuel', 0.75), ('colegi', 0.25)), True)
        """
        rows: dict[Language, dict[str, str]] = {lang: {} for lang in Language}
        by_code = {lang.value: rows[lang] for lang in Language}
        lines = text.split("\n")  # (only "\n" ends a line: str.splitlines knows eight more)
        if lines and not lines[-1]:
            lines.pop()
        line = ""
        try:
            for line in lines:
                code, source, targets = line.split("\t", 2)
                # (Targets and probabilities alternate: an odd count of tabs between them.)
                if not source or not targets.count("\t") % 2:
                    raise ValueError(line)
                by_code[code][source] = targets
        except (ValueError, KeyError):
            raise ValueError(
                f"translation table line {lines.index(line) + 1}: expected lang, source, then "
                "targets each with its probability"
            ) from None
        table = cls({})
        table._entries = {lang: _TsvEntries(rows[lang]) for lang in Language}
        return table

    @classmethod
    def from_json(cls, text: str | bytes) -> TranslationTable:
        """The table that :meth:`to_json` wrote.

        Raises:
            ValueError: for a document that is not such a table, of another format version, or
                written under another analysis version (its stems would be stale).
        """
        try:
            data = json.loads(text)
            return cls(_entries_from_json(data))
        except (ValueError, TypeError, KeyError, IndexError) as error:
            raise ValueError(f"not a translation table: {error}") from None


def combine(
    tables_with_weights: Iterable[tuple[TranslationTable, float]],
    *,
    top_k: int = TOP_K,
    min_probability: float = MIN_PROBABILITY,
) -> TranslationTable:
    """The mixture of tables: ``P(t|s) = Σ_i λ_i P_i(t|s) / Σ_{i knows s} λ_i``, then pruned.

    A source that only some tables know keeps its distribution from those (renormalized over
    their weights), so a learned table can add words the dictionary lacks.

    >>> a = TranslationTable.from_pairs([("school", "escuela", 1)])
    >>> b = TranslationTable.from_pairs([("school", "colegio", 1)])
    >>> combine([(a, 3), (b, 1)]).translations(Language.EN, "school")
    (('escuel', 0.75), ('colegi', 0.25))
    """
    pairs = list(tables_with_weights)
    if any(not (weight > 0 and math.isfinite(weight)) for _, weight in pairs):
        raise ValueError(f"mixture weights must be positive; got {[w for _, w in pairs]}")
    mixed: dict[tuple[Language, Phrase], dict[Phrase, float]] = defaultdict(dict)
    known: dict[tuple[Language, Phrase], float] = defaultdict(float)  # Σ λ of tables knowing s
    for table, weight in pairs:
        for key, targets in table.items():
            known[key] += weight
            by_target = mixed[key]
            for target, p in targets:
                by_target[target] = by_target.get(target, 0.0) + weight * p
    probabilities: dict[Language, dict[Phrase, list[tuple[Phrase, float]]]] = {
        lang: {} for lang in Language
    }
    for (lang, source), by_target in mixed.items():
        scale = known[(lang, source)]
        probabilities[lang][source] = [(t, p / scale) for t, p in by_target.items()]
    return TranslationTable.from_probabilities(
        probabilities, top_k=top_k, min_probability=min_probability
    )


def analyze_phrases(texts: Iterable[str], lang: Language) -> dict[str, Phrase]:
    """The phrase (index terms, stopwords left out) of each text, all stemmed in one call.

    >>> analyze_phrases(["ciudad de origen", "el"], Language.ES)
    {'ciudad de origen': ('ciud', 'orig'), 'el': ()}
    """
    texts = list(texts)
    # A text of ASCII letters is one word (the tokenizer's rules); most lemmas are.
    words_of = [[t] if t.isalpha() and t.isascii() else word_texts(t) for t in texts]
    words: list[str | None] = list({w: None for ws in words_of for w in ws})
    # The chain's stages in order, over the whole list, bypassing its per-word cache: that cache
    # serves indexing and queries, and 100,000 lexicon words would only crowd it.
    terms = words
    for stage in analyzer(lang.value).chain.stages:
        terms = stage.apply_all(terms)
    term_of: dict[str | None, Phrase] = {
        word: (sys.intern(term),) if term else () for word, term in zip(words, terms, strict=True)
    }
    out: dict[str, Phrase] = {}
    for text, text_words in zip(texts, words_of, strict=True):
        if len(text_words) == 1:
            out[text] = term_of[text_words[0]]
        else:
            out[text] = tuple(t for w in text_words for t in term_of[w])
    return out


def _pruned(
    by_source: dict[Phrase, list[tuple[Phrase, float]]],
    top_k: int,
    min_probability: float,
    *,
    normalize: bool,
) -> dict[Phrase, Targets]:
    """Per source, the ``top_k`` best targets with ``P >= min_probability``, best first.

    With ``normalize``, ``P`` is a weight over the sum of the source's weights; otherwise the
    weights already are probabilities. Pruned mass is not redistributed.
    """
    if top_k < 1 or not 0 <= min_probability <= 1:
        raise ValueError(
            f"top_k must be >= 1 and min_probability in [0, 1]; got {top_k}, {min_probability}"
        )
    out: dict[Phrase, Targets] = {}
    for source, items in by_source.items():
        if len(items) == 1:  # most sources: no sort, no sum
            target, weight = items[0]
            p = 1.0 if normalize else weight
            if weight > 0 and p >= min_probability:
                out[source] = ((target, p),)
            continue
        total = math.fsum([w for _, w in items]) if normalize else 1.0
        if not total > 0:
            continue
        items.sort()  # by phrase, so that equal weights keep a stable order
        items.sort(key=_weight, reverse=True)
        kept = tuple((t, w / total) for t, w in items[:top_k] if w / total >= min_probability)
        if kept:
            out[source] = kept
    return out


def _weight(item: tuple[Phrase, float]) -> float:
    return item[1]


def _tsv_phrase(phrase: Phrase) -> str:
    if not phrase or any(not t or " " in t or "\t" in t or "\n" in t for t in phrase):
        raise ValueError(f"a phrase to write as text needs terms without blanks; got {phrase!r}")
    return " ".join(phrase)


class _TsvEntries(Mapping[Phrase, Targets]):
    """One language's entries as :meth:`TranslationTable.to_tsv` writes them: each source
    phrase (its terms joined by spaces) with the text of its targets, decoded when read."""

    __slots__ = ("_rows",)

    def __init__(self, rows: dict[str, str]) -> None:
        self._rows = rows

    def __getitem__(self, phrase: Phrase) -> Targets:
        found = self._targets(phrase)
        if found is None:
            raise KeyError(phrase)
        return found

    def get(self, phrase: Phrase, default: Any = None) -> Any:
        # (Without the KeyError that Mapping.get would catch: most query words have no entry.)
        found = self._targets(phrase)
        return default if found is None else found

    def _targets(self, phrase: Phrase) -> Targets | None:
        # (A phrase is a tuple of terms, none with a space: see _tsv_phrase. Anything else, a
        # bare string among them, is no key, as in a table's own dicts.)
        if type(phrase) is not tuple or any(" " in term for term in phrase):
            return None
        row = self._rows.get(" ".join(phrase))
        if row is None:
            return None
        fields = row.split("\t")
        return tuple(
            (tuple(fields[i].split(" ")), float(fields[i + 1])) for i in range(0, len(fields), 2)
        )

    def __iter__(self) -> Iterator[Phrase]:
        return (tuple(source.split(" ")) for source in self._rows)

    def __len__(self) -> int:
        return len(self._rows)


def _entries_from_json(data: Any) -> dict[Language, dict[Phrase, Targets]]:
    if not isinstance(data, dict) or data.get("format") != JSON_FORMAT:
        raise ValueError(f"expected format {JSON_FORMAT!r}")
    if data.get("version") != JSON_VERSION:
        raise ValueError(f"format version {data.get('version')!r}; this code reads {JSON_VERSION}")
    if data.get("analysis_version") != ANALYSIS_VERSION:
        raise ValueError(
            f"analysis version {data.get('analysis_version')!r}; the running analysis is "
            f"{ANALYSIS_VERSION} (learn the table again)"
        )
    entries: dict[Language, dict[Phrase, Targets]] = {}
    for code, rows in data["entries"].items():
        entries[Language(code)] = {
            _phrase(source): tuple((_phrase(t), _probability(p)) for t, p in targets)
            for source, targets in rows
        }
    return entries


def _phrase(value: Any) -> Phrase:
    if not isinstance(value, list) or not value or not all(isinstance(t, str) for t in value):
        raise ValueError(f"a phrase must be a non-empty list of strings; got {value!r}")
    return tuple(value)


def _probability(value: Any) -> float:
    if isinstance(value, bool) or not isinstance(value, (int, float)) or not 0 < value <= 1:
        raise ValueError(f"a probability must be a number in (0, 1]; got {value!r}")
    return float(value)
