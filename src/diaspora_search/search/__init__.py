"""Searching one snapshot: the block scorer (:mod:`.scorer`), the run of a plan with its
reranking, hit languages and snippets (:mod:`.run`), and spelling help (:mod:`.spelling`)."""

from __future__ import annotations

from .run import Searcher
from .scorer import LengthNorms, Statistics, top_documents

__all__ = ["LengthNorms", "Searcher", "Statistics", "top_documents"]
