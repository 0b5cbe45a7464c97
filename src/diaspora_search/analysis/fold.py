"""Stage 5 (last): fold diacritics to base letters, after stemming.

Order matters: Snowball Spanish matches accented suffixes (``-ación``, ``-ía``), so the stemmer
must see the accents; folding its output makes "educación" and "educacion" meet at ``educ``.

Policy for ñ and ü: both fold (ñ to n, ü to u), because readers typing on English keyboards write
"nino" for "niño" and "pinguino" for "pingüino", and must find them. The cost is that "año" and
"ano" share the term ``ano``; the search ranks the record holding the form the reader typed
first (see the query module), which in practice resolves the clash.

Two functions: :func:`fold` (public, keeps case and everything that is not a diacritic) uses
ICU's transliteration for Latin letters; :func:`fold_term` (index terms) also transliterates
what ICU leaves, other scripts and symbols, with Unidecode, so that terms are ASCII where any
ASCII spelling exists.
"""

from __future__ import annotations

from unidecode import unidecode

from . import _icu
from .stage import Stage


def fold(text: str) -> str:
    """``text`` with diacritics folded to their base letters; case and all else kept.

    >>> fold("Educación Ñandú, pingüino")
    'Educacion Nandu, pinguino'
    """
    if text.isascii():
        return text
    return _icu.fold_latin(text)


def fold_term(term: str) -> str:
    """An index term folded to ASCII where possible (lowercase input expected).

    >>> [fold_term(t) for t in ["educ", "niñ", "москва", "東京"]]
    ['educ', 'nin', 'moskva', 'dongjing']
    """
    if term.isascii():
        return term
    folded = _icu.fold_latin(term)
    if folded.isascii():
        return folded
    out = []
    for ch in folded:
        if ch.isascii():
            out.append(ch)
            continue
        ascii_form = "".join(c for c in unidecode(ch).lower() if c.isalnum())
        out.append(ascii_form or ch)
    return "".join(out)


class FoldFilter(Stage):
    """Whoosh filter form of :func:`fold_term`."""

    def apply(self, text: str) -> str | None:
        return fold_term(text)

    def apply_all(self, texts: list[str | None]) -> list[str | None]:
        # (A plain ASCII term is its own folding: no call for it.)
        return [text if text is None or text.isascii() else fold_term(text) for text in texts]
