"""Several translation tables read as one, mixed per lookup.

The index's translations are the bundled lexicon, the table learned from the collection's own
bilingual records and the user's glossary. Mixing them word by word, when a query asks, costs a
few dictionary lookups; building one combined table (:func:`~.table.combine`) would cost seconds
for the 150,000 words of the lexicon, on every change of the learned table or glossary.
"""

from __future__ import annotations

from collections.abc import Sequence

from .._language import Language
from .table import MIN_PROBABILITY, TOP_K, TranslationTable

GLOSSARY_WEIGHT = 3.0
"""The user's glossary weighs three times each of the other tables: it is what the user meant."""


class TableMixture:
    """``P(t|s) = Σ_i λ_i P_i(t|s) / Σ_{i knows s} λ_i`` over the tables, best :data:`TOP_K`.

    >>> a = TranslationTable.from_pairs([("school", "escuela", 1)])
    >>> b = TranslationTable.from_pairs([("school", "colegio", 1)])
    >>> TableMixture([(a, 3.0), (b, 1.0)]).translations(Language.EN, "school")
    (('escuel', 0.75), ('colegi', 0.25))
    """

    def __init__(self, tables_with_weights: Sequence[tuple[TranslationTable, float]]) -> None:
        self.tables = list(tables_with_weights)
        self._memo: dict[tuple[Language, str], tuple[tuple[str, float], ...]] = {}

    def translations(self, lang: Language, term: str) -> Sequence[tuple[str, float]]:
        key = (lang, term)
        found = self._memo.get(key)
        if found is None:
            found = self._memo[key] = self._mix(lang, term)
        return found

    def _mix(self, lang: Language, term: str) -> tuple[tuple[str, float], ...]:
        if len(self.tables) == 1:
            return tuple(self.tables[0][0].translations(lang, term))
        mixed: dict[str, float] = {}
        known = 0.0
        for table, weight in self.tables:
            found = table.translations(lang, term)
            if found:
                known += weight
                for target, p in found:
                    mixed[target] = mixed.get(target, 0.0) + weight * p
        ranked = sorted(((t, p / known) for t, p in mixed.items()), key=lambda i: (-i[1], i[0]))
        return tuple((t, p) for t, p in ranked[:TOP_K] if p >= MIN_PROBABILITY)
