"""An index's translations: the bundled lexicon, the table learned from its own bilingual
records, and the user's glossary, stored in the index folder as JSON and mixed per lookup.

Learning is an explicit step (:meth:`IndexTranslations.learn`, ``diaspora-search learn``), not
part of every commit: fitting IBM Model 1 to the 51,854 records of the shared corpus takes
longer than indexing them (``benchmarks/RESULTS.md``), a small batch changes the table little,
and an archive loaded in many batches would pay the fit on each.
"""

from __future__ import annotations

import os
from collections.abc import Iterator, Sequence

from ._fields import TEXT_FIELDS
from ._language import Language
from .analysis import analyze
from .storage import IndexStore, Snapshot
from .translation import (
    GLOSSARY_WEIGHT,
    TableMixture,
    TranslationTable,
    bundled_table,
    fit_translation_table,
    read_glossary,
)

LEARNED_FILE = "translations-learned.json"
GLOSSARY_FILE = "translations-glossary.json"


class IndexTranslations:
    """The translation table of one index, kept until its files change."""

    def __init__(self, store: IndexStore) -> None:
        self._store = store
        self._key: object = None
        self._table: TableMixture | None = None

    def table(self) -> TableMixture:
        """The mixture of the bundled lexicon, the learned table and the glossary."""
        key = (self._store.text_version(LEARNED_FILE), self._store.text_version(GLOSSARY_FILE))
        if self._table is None or key != self._key:
            tables: list[tuple[TranslationTable, float]] = [(bundled_table(), 1.0)]
            learned = self._read(LEARNED_FILE)
            if learned is not None:
                tables.append((learned, 1.0))
            glossary = self._read(GLOSSARY_FILE)
            if glossary is not None:
                tables.append((glossary, GLOSSARY_WEIGHT))
            self._table, self._key = TableMixture(tables), key
        return self._table

    def _read(self, name: str) -> TranslationTable | None:
        text = self._store.read_text(name)
        if text is None:
            return None
        try:
            return TranslationTable.from_json(text)
        except ValueError:  # another analysis version, or damaged: ignored until relearned
            return None

    def learn(self, snapshot: Snapshot) -> int:
        """Fit a table to the records holding both languages; the number of source terms."""
        table = fit_translation_table(parallel_terms(snapshot))
        self._store.write_text(LEARNED_FILE, table.to_json())
        return len(table)

    def set_glossary(self, path: str | os.PathLike[str] | None) -> int:
        """Use the glossary file ``path`` (``None``: none); the number of source terms."""
        if path is None:
            self._store.write_text(GLOSSARY_FILE, None)
            return 0
        table = read_glossary(path)
        self._store.write_text(GLOSSARY_FILE, table.to_json())
        return len(table)


def parallel_terms(snapshot: Snapshot) -> Iterator[tuple[Sequence[str], Sequence[str]]]:
    """The English and Spanish index terms of every record holding text in both languages."""
    for fields in snapshot.stored_documents():
        texts = [
            " ".join(fields.get(field.name) or "" for field in TEXT_FIELDS[lang])
            for lang in (Language.EN, Language.ES)
        ]
        if all(text.strip() for text in texts):
            yield analyze(texts[0], Language.EN), analyze(texts[1], Language.ES)
