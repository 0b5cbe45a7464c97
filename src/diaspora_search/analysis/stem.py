"""Stage 4: Snowball stemming with PyStemmer (the official Snowball C stemmers).

Expects a normalized, lowercase word with its accents: Snowball Spanish matches accented
suffixes (``-ación``), so it must run before folding. "english" for en, "spanish" for es.
"""

from __future__ import annotations

import threading
from typing import Any

import Stemmer

from .._language import Language
from .stage import Stage

_local = threading.local()


def stemmer(lang: Language) -> Any:
    """The PyStemmer stemmer of ``lang`` for this thread (stemmers are not thread-safe)."""
    cache: dict[Language, Any] | None = getattr(_local, "stemmers", None)
    if cache is None:
        cache = _local.stemmers = {}
    found = cache.get(lang)
    if found is None:
        found = cache[lang] = Stemmer.Stemmer(lang.snowball)
        # No cache of its own: every caller goes through the analysis chain's per-word cache
        # (chain.TermChain), and PyStemmer's costs more than the stemming (its bookkeeping per
        # word, and sorting the whole cache when it fills): 2.3 us a new word with it, 0.7
        # without.
        found.maxCacheSize = 0
    return found


def stem(word: str, lang: Language) -> str:
    """The Snowball stem of one normalized word.

    >>> stem("integración", Language.ES), stem("communities", Language.EN)
    ('integr', 'communiti')
    """
    return str(stemmer(lang).stemWord(word))


class SnowballFilter(Stage):
    """Whoosh filter form of :func:`stem` for one language."""

    def __init__(self, lang: Language | str) -> None:
        self.lang = Language.parse(lang)

    def apply(self, text: str) -> str | None:
        return stem(text, self.lang)

    def apply_all(self, texts: list[str | None]) -> list[str | None]:
        # One call into the C stemmer for the whole list.
        stems = iter(stemmer(self.lang).stemWords([t for t in texts if t is not None]))
        return [None if text is None else next(stems) for text in texts]
