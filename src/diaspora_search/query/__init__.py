"""Queries: the syntax parsed (:mod:`.parse`), expanded (:mod:`.expand`), weighted by language
(:mod:`.languages`) and compiled into a plain-data plan (:mod:`.plan`, :mod:`.compile`).

Nothing here knows Whoosh: the plan is read by the scorer (``search/``), and the storage package
lowers what Whoosh must run (phrases, exclusions) at its wall.
"""

from __future__ import annotations

from .compile import compile_query
from .expand import AccentVariants, Expander, Expansion
from .parse import Clause, ParsedQuery, parse
from .plan import FieldPhrase, Key, Leaf, PhraseMatch, QueryPlan, WordMatch
from .vocabulary import TermSource, Vocabulary

__all__ = [
    "AccentVariants",
    "Clause",
    "Expander",
    "Expansion",
    "FieldPhrase",
    "Key",
    "Leaf",
    "ParsedQuery",
    "PhraseMatch",
    "QueryPlan",
    "TermSource",
    "Vocabulary",
    "WordMatch",
    "compile_query",
    "parse",
]
