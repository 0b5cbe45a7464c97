"""Searching one snapshot: the block scorer (:mod:`.scorer`), the run of a plan (:mod:`.run`),
the head's reranking, hit languages and snippets (:mod:`.rerank`), filters, facets and sorting
by year (:mod:`.facets`), and spelling help (:mod:`.spelling`)."""

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
