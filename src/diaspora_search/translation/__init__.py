"""Query translation between English and Spanish: translation tables, bundled and learned.

Pure Python over the analysis chain (no Whoosh name is used here); the query engine consumes
:meth:`TranslationTable.translations`.

>>> from diaspora_search import Language
>>> bundled_table().translations(Language.ES, "pagin")[0][0]
'page'
"""

from __future__ import annotations

from .glossary import read_glossary
from .learn import fit_translation_table
from .lexicon import bundled_table
from .mixture import GLOSSARY_WEIGHT, TableMixture
from .table import MIN_PROBABILITY, TOP_K, Phrase, TranslationTable, combine

__all__ = [
    "GLOSSARY_WEIGHT",
    "MIN_PROBABILITY",
    "TOP_K",
    "Phrase",
    "TableMixture",
    "TranslationTable",
    "bundled_table",
    "combine",
    "fit_translation_table",
    "read_glossary",
]
