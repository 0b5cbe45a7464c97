"""The one adapter between diaspora_search and PyICU (which ships no type hints).

ICU objects are created lazily, once per process and thread, and never pickled: Whoosh pickles
the schema (and so the analyzers) into the index, and ICU objects cannot be pickled.
"""

from __future__ import annotations

import re
import threading
from typing import Any

import icu

# ICU word-break rule statuses (UWordBreak): a segment whose status is below 100 is not a word
# (spaces, punctuation); 100-199 are numbers, 200-299 letters, 300-399 kana, 400-499 ideographs.
WORD_STATUS_MIN = 100
NUMBER_STATUS_MAX = 199

_local = threading.local()
_ASTRAL = re.compile("[\U00010000-\U0010ffff]")

# Diacritics removed, then the Latin letters that have no decomposition (ø, ł, đ, ß, æ) mapped to
# their ASCII base. Case is kept.
_FOLD_RULES = "NFD; [:Nonspacing Mark:] Remove; NFC; [:Latin:] Latin-ASCII"

# What those rules give for every letter of Latin-1 and Latin Extended-A that they change, one
# character at a time: for text made only of characters below U+0180 (nearly all English and
# Spanish words), folding is this table, with no transliterator to create (30 ms) or call.
# Exact because the rules are context-free there: tests/analysis/test_stem_fold.py checks every
# entry, and every pair of characters of the range, against ICU's transliterator.
_LATIN_FOLDS = str.maketrans(
    {
        **dict(
            zip(
                "ÀÁÂÃÄÅÇÈÉÊËÌÍÎÏÐÑÒÓÔÕÖØÙÚÛÜÝàáâãäåçèéêëìíîïðñòóôõöøùúûüýÿĀāĂăĄąĆćĈĉĊċČčĎďĐđĒēĔĕ"
                "ĖėĘęĚěĜĝĞğĠġĢģĤĥĦħĨĩĪīĬĭĮįİıĴĵĶķĸĹĺĻļĽľĿŀŁłŃńŅņŇňŊŋŌōŎŏŐőŔŕŖŗŘřŚśŜŝŞşŠšŢţŤťŦŧ"
                "ŨũŪūŬŭŮůŰűŲųŴŵŶŷŸŹźŻżŽžſ",
                "AAAAAACEEEEIIIIDNOOOOOOUUUUYaaaaaaceeeeiiiidnoooooouuuuyyAaAaAaCcCcCcCcDdDdEeEe"
                "EeEeEeGgGgGgGgHhHhIiIiIiIiIiJjKkqLlLlLlLlLlNnNnNnNnOoOoOoRrRrRrSsSsSsSsTtTtTt"
                "UuUuUuUuUuUuWwYyYZzZzZzs",
                strict=True,
            )
        ),
        **{"Æ": "AE", "Þ": "TH", "ß": "ss", "æ": "ae", "þ": "th"},
        **{"Ĳ": "IJ", "ĳ": "ij", "ŉ": "'n", "Œ": "OE", "œ": "oe"},
    }
)
_LATIN_END = "\u0180"  # the first character past Latin Extended-A


def _get(name: str) -> Any:
    obj = getattr(_local, name, None)
    if obj is None:
        if name == "breaker":
            obj = icu.BreakIterator.createWordInstance(icu.Locale.getRoot())
        elif name == "normalizer":
            obj = icu.Normalizer2.getNFKCCasefoldInstance()
        elif name == "folder":
            obj = icu.Transliterator.createInstance(_FOLD_RULES)
        else:  # pragma: no cover - internal misuse
            raise KeyError(name)
        setattr(_local, name, obj)
    return obj


def word_segments(text: str) -> list[tuple[int, int, int]]:
    """``(start, end, status)`` for every segment of ``text`` by ICU's word rules.

    Offsets are Python string indexes into ``text``. ICU counts UTF-16 code units, so text with
    characters outside the Basic Multilingual Plane (emoji) is mapped back to Python indexes.
    """
    breaker = _get("breaker")
    breaker.setText(text)
    status = breaker.getRuleStatus
    segments = []
    start = 0
    for end in breaker:
        segments.append((start, end, status()))
        start = end
    if _ASTRAL.search(text) is not None:
        index = _utf16_to_index(text)
        segments = [(index[a], index[b], st) for a, b, st in segments]
    return segments


def _utf16_to_index(text: str) -> list[int]:
    """Map each UTF-16 offset of ``text`` to its Python string index."""
    index: list[int] = []
    for i, ch in enumerate(text):
        index.append(i)
        if ord(ch) > 0xFFFF:
            index.append(i)
    index.append(len(text))
    return index


def nfkc_casefold(text: str) -> str:
    """``text`` in Unicode NFKC with case folding (NFKC_Casefold)."""
    return str(_get("normalizer").normalize(text))


def fold_latin(text: str) -> str:
    """``text`` with diacritics removed and special Latin letters mapped to ASCII; case kept."""
    if not text or max(text) < _LATIN_END:
        return text.translate(_LATIN_FOLDS)
    return icu_fold_latin(text)


def icu_fold_latin(text: str) -> str:
    """:func:`fold_latin` by ICU's transliterator alone (what its table is checked against)."""
    return str(_get("folder").transliterate(text))
