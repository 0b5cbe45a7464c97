"""Stage 1: word breaking with ICU's BreakIterator (Unicode word rules, UAX #29).

Words keep the exact text and character offsets of the original string, so snippets can mark
the words as they were written. Expected input: any ``str``; later stages normalize.

What the word rules give, and what this stage adds to them:

- ``¿Dónde está?`` gives ``Dónde``, ``está``: inverted marks are punctuation, never words.
- ``O'Brien``, ``don't`` and ``Government’s`` stay one word (the apostrophe joins letters).
- A French or Catalan elision is split off: ``l'état`` gives ``état``, ``d'Artagnan`` gives
  ``Artagnan`` (only the articles and pronouns ``c d j l m n s t qu`` before a vowel or h).
- ``community-based`` gives ``community``, ``based``; ``U.S.-Mexico`` gives ``U.S``, ``Mexico``.
- Numbers stay whole (``1848``, ``3.14``, ``1,000``) and take a vulgar fraction that follows
  them (``6½``).
- Each script run is a word (``Москва2024``, ``東京タワー``); symbols and emoji are not words.
"""

from __future__ import annotations

import re
from collections.abc import Callable

from .._compiled import core as _core
from . import _icu

_FRACTION = re.compile("[¼½¾⅐⅑⅒⅓⅔⅕⅖⅗⅘⅙⅚⅛⅜⅝⅞↉]")

# A fast path, exact for the characters it admits: text made only of ASCII (but "@", which ICU
# joins to words in e-mail-like ways), Latin-1 and Latin Extended-A letters and the common
# punctuation of English and Spanish prose is broken by this regex instead of ICU. For these
# characters the word rules (UAX #29 as ICU 72 implements them) reduce to: letters, digits and
# "_" form words; "." and apostrophes join two letters or two digits; "," and ";" join two
# digits; "·" joins two letters; a lone "_" is no word. tests/analysis/test_tokenizer.py checks
# this against ICU on random text; anything else (soft hyphens, other scripts, fractions) goes
# to ICU.
_LETTER = "A-Za-z\xaa\xb5\xba\xc0-\xd6\xd8-\xf6\xf8-\u017f"
_SIMPLE_TEXT = re.compile(
    f"[\\x00-\\x3f\\x41-\\x7f{_LETTER[6:]}\u00a0-\u00ac\u00ae-\u00bb\u00bf"
    "\u2018\u2019\u201c\u201d\u2013\u2014\u2026]*"
)
_SIMPLE_WORD = re.compile(  # (a lone "_" is no word: a one-character word is a letter or digit)
    f"(?:[{_LETTER}0-9_]{{2,}}|[{_LETTER}0-9])(?:(?:(?<=[{_LETTER}])[.'\u2018\u2019\u00b7](?=[{_LETTER}])"
    f"|(?<=[0-9])[.,;'\u2018\u2019](?=[0-9]))[{_LETTER}0-9_]+)*"
)
_ELISION = re.compile(r"(?:[cdjlmnst]|qu)['’](?=[aeiouhàâäéèêëíìîïóòôöúùûüœæ])", re.IGNORECASE)
# Where an elision could start a word: only texts holding one pay for the check per word. (No
# look-behind for a word start: after "²", which is \w but not in a word, a word can start.)
_ANY_ELISION = re.compile(r"(?:[cdjlmnst]|qu)['’](?=[aeiouhàâäéèêëíìîïóòôöúùûüœæ])", re.IGNORECASE)


def words(text: str) -> list[tuple[int, int]]:
    """The ``(start, end)`` character offsets of every word of ``text``, in order.

    >>> text = "¿Cuántos? 6½ sacks, l'état"
    >>> [text[a:b] for a, b in words(text)]
    ['Cuántos', '6½', 'sacks', 'état']
    """
    spans = _simple_word_spans(text)
    if spans is not None:
        return spans
    segments = _icu.word_segments(text)
    word_min = _icu.WORD_STATUS_MIN
    spans = [(a, b) for a, b, status in segments if status >= word_min]
    if _FRACTION.search(text) is not None:
        spans = _with_fractions(text, segments)
    if "'" in text or "’" in text:
        spans = [_without_elision(text, a, b) for a, b in spans]
    return spans


def word_texts(text: str) -> list[str]:
    """The words of ``text`` as strings: :func:`words` without offsets, and faster.

    >>> word_texts("¡Hola, mundo! l'état")
    ['Hola', 'mundo', 'état']
    """
    found = _simple_words(text)
    if found is None:
        return [text[a:b] for a, b in words(text)]
    return found


def _regex_simple_words(text: str) -> list[str] | None:
    """The words of ``text`` if the fast path admits it (elisions split off), else ``None``."""
    simple = ("@" not in text) if text.isascii() else _SIMPLE_TEXT.fullmatch(text) is not None
    if not simple:
        return None
    found: list[str] = _SIMPLE_WORD.findall(text)
    if ("'" in text or "’" in text) and _ANY_ELISION.search(text) is not None:
        found = [_strip_elision(w) if "'" in w or "’" in w else w for w in found]
    return found


def _regex_simple_word_spans(text: str) -> list[tuple[int, int]] | None:
    """Where the words of ``text`` are if the fast path admits it (elisions split off), else
    ``None``."""
    if _SIMPLE_TEXT.fullmatch(text) is None:
        return None
    spans = [m.span() for m in _SIMPLE_WORD.finditer(text)]
    if "'" in text or "’" in text:
        spans = [_without_elision(text, a, b) for a, b in spans]
    return spans


# The compiled core's simple_words and simple_word_spans (``_core.c``) do what the regexes
# do, about 5 times faster; tests/analysis/test_tokenizer.py compares them.
_simple_words: Callable[[str], list[str] | None] = (
    _regex_simple_words if _core is None else _core.simple_words
)
_simple_word_spans: Callable[[str], list[tuple[int, int]] | None] = (
    _regex_simple_word_spans if _core is None else _core.simple_word_spans
)
IMPLEMENTATION = "python" if _core is None else "c"
"""Which implementation breaks the words of simple text: ``"c"`` or ``"python"``."""


def _strip_elision(word: str) -> str:
    m = _ELISION.match(word)
    return word[m.end() :] if m is not None else word


def _with_fractions(text: str, segments: list[tuple[int, int, int]]) -> list[tuple[int, int]]:
    """Word spans where a vulgar fraction is a word and joins the number just before it."""
    spans: list[tuple[int, int]] = []
    last_status = 0
    for start, end, status in segments:
        if status < _icu.WORD_STATUS_MIN and _FRACTION.fullmatch(text, start, end) is None:
            last_status = status
            continue
        if (
            status < _icu.WORD_STATUS_MIN
            and spans
            and spans[-1][1] == start
            and (_icu.WORD_STATUS_MIN <= last_status <= _icu.NUMBER_STATUS_MAX)
        ):
            spans[-1] = (spans[-1][0], end)
        else:
            spans.append((start, end))
        last_status = status
    return spans


def _without_elision(text: str, start: int, end: int) -> tuple[int, int]:
    m = _ELISION.match(text, start, end)
    return (m.end(), end) if m is not None else (start, end)
