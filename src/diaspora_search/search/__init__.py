"""Searching one snapshot: the block scorer (:mod:`.scorer`), the run of a plan with its
reranking, hit languages and snippets (:mod:`.run`), filters, facets and sorting by year
(:mod:`.facets`), and spelling help (:mod:`.spelling`)."""

from __future__ import annotations

from .facets import Filters
from .run import Page, Searcher
from .scorer import LengthNorms, Statistics, score_documents, top_documents

__all__ = [
    "Filters",
    "LengthNorms",
    "Page",
    "Searcher",
    "Statistics",
    "score_documents",
    "top_documents",
]
