"""Stage 2: Unicode normalization and case folding (ICU NFKC_Casefold).

Expects one word as the tokenizer wrote it. After this stage, "ﬁ" is "fi", full-width letters
are ASCII, and "é" is the same precomposed character whether it was written as one character or
as "e" plus a combining accent. Accents are kept: the Spanish stemmer needs them.

Also: the typographic apostrophes (’ and ‘) become ``'``; the dots of an abbreviation made of single
letters go (``U.S`` is ``us``, ``e.g`` is ``eg``); a number with a vulgar fraction keeps the two
apart (``6½`` is ``6+1/2``). Pure-ASCII words skip ICU entirely.
"""

from __future__ import annotations

import re

from . import _icu
from .stage import Stage

_ABBREVIATION = re.compile(r"^[^\W\d_](?:\.[^\W\d_])+\.?$")
_FRACTION = re.compile("[¼½¾⅐⅑⅒⅓⅔⅕⅖⅗⅘⅙⅚⅛⅜⅝⅞↉]")


def normalize(word: str) -> str:
    """One word in NFKC with case folding.

    >>> [normalize(w) for w in ["Educación", "ﬁle", "ＦＵＬＬ", "Government’s", "U.S", "6½"]]
    ['educación', 'file', 'full', "government's", 'us', '6+1/2']
    """
    if word.isascii():
        text = word.lower()
    else:
        # NFKC alone turns "6½" into "61⁄2": keep the whole number and the fraction apart.
        text = _FRACTION.sub(
            lambda m: "+" + m.group(), word.replace("’", "'").replace("‘", "'")
        ).lstrip("+")
        text = _icu.nfkc_casefold(text).replace("⁄", "/")
    if "." in text and _ABBREVIATION.match(text):
        text = text.replace(".", "")
    return text


class NormalizeFilter(Stage):
    """Whoosh filter form of :func:`normalize`."""

    def apply(self, text: str) -> str | None:
        return normalize(text)

    def apply_all(self, texts: list[str | None]) -> list[str | None]:
        # (A plain ASCII word without a dot is :func:`normalize`'s lowercase, inline: a query
        # analyzes hundreds of new words at a time, a spelling correction thousands.)
        return [
            None
            if text is None
            else text.lower()
            if text.isascii() and "." not in text
            else normalize(text)
            for text in texts
        ]
