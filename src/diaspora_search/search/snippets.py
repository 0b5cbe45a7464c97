"""Snippets: a passage of a record's text with the matched words marked.

The words are found with the very analysis the index used (the field's registered analyzer),
so "educación" is marked for the query "educacion", and only words whose terms the query looked
up in that field are marked.

>>> from diaspora_search._language import Language
>>> snippet("La educación de los niños migrantes.", Language.ES, {"educ", "migrant"})
'La **educación** de los niños **migrantes**.'
"""

from __future__ import annotations

from collections.abc import Set

from .._hits import MARK_CLOSE, MARK_OPEN, Passage, render
from .._language import Language
from ..analysis import analyzer, words

SNIPPET_CHARS = 200
_LEAD = 50
_ELLIPSIS = "…"


def snippet(text: str, lang: Language, terms: Set[str], width: int = SNIPPET_CHARS) -> str:
    """The window of about ``width`` characters of ``text`` holding the most matched words,
    with each marked ``**word**``; an empty string when no word matches."""
    return render(passage(text, lang, terms, width), MARK_OPEN, MARK_CLOSE, None)


def passage(text: str, lang: Language, terms: Set[str], width: int = SNIPPET_CHARS) -> Passage:
    """The :func:`snippet` as pieces of text, each with whether it is a matched word (so that
    it can be rendered with any marks, its text escaped: ``Hit.snippet_html``); empty when no
    word matches."""
    spans = words(text)
    # (The words' terms in one batch: the words not analyzed before go through each stage
    # together, one call into the stemmer.)
    found = analyzer(lang.value).chain.word_terms([text[a:b] for a, b in spans])
    matched = [span for span, term in zip(spans, found, strict=True) if term and term in terms]
    if not matched:
        return ()
    start, end = _best_window(text, spans, matched, width)
    out: list[tuple[str, bool]] = []
    pos = start
    for a, b in matched:
        if a < start or b > end:
            continue
        out += [(text[pos:a], False), (text[a:b], True)]
        pos = b
    out.append((text[pos:end], False))
    # Stripped as the joined text would be, the ellipses outside.
    while out and not out[0][1] and not out[0][0].strip():
        out.pop(0)
    while out and not out[-1][1] and not out[-1][0].strip():
        out.pop()
    if out and not out[0][1]:
        out[0] = (out[0][0].lstrip(), False)
    if out and not out[-1][1]:
        out[-1] = (out[-1][0].rstrip(), False)
    if start > 0:
        out.insert(0, (_ELLIPSIS + " ", False))
    if end < len(text):
        out.append((" " + _ELLIPSIS, False))
    return tuple(piece for piece in out if piece[0])


def _best_window(
    text: str, spans: list[tuple[int, int]], matched: list[tuple[int, int]], width: int
) -> tuple[int, int]:
    """Start and end offsets of the window, on word boundaries, holding most matches."""
    if len(text) <= width:
        return 0, len(text)
    best_first, best_count = 0, 0
    last = 0
    for first in range(len(matched)):
        while last < len(matched) and matched[last][1] - matched[first][0] <= width - _LEAD:
            last += 1
        if last - first > best_count:
            best_first, best_count = first, last - first
    anchor = matched[best_first][0]
    start = max(0, anchor - _LEAD)
    start = next((a for a, _ in spans if a >= start), anchor) if start > 0 else 0
    end = min(len(text), start + width)
    if end < len(text):
        end = max((b for _, b in spans if b <= end), default=end)
    return start, end


def shorten(text: str, width: int = SNIPPET_CHARS) -> str:
    """The start of ``text``, cut at a word boundary, for a hit with no marked word."""
    if len(text) <= width:
        return text
    cut = text.rfind(" ", 0, width)
    return text[: cut if cut > 0 else width] + " " + _ELLIPSIS


def marked_names(names: list[str], terms: Set[str]) -> str:
    """The names (authors, then source) joined by ``"; "``, each word whose term (by the names
    analyzer) is in ``terms`` marked; an empty string when none is.

    >>> marked_names(["Gustavo Cano", "Alejandro Delano"], {"delano"})
    'Gustavo Cano; Alejandro **Delano**'
    """
    term = analyzer("name").chain.term
    out: list[str] = []
    marked = False
    for name in names:
        pieces: list[str] = []
        pos = 0
        for a, b in words(name):
            if term(name[a:b]) in terms:
                pieces += [name[pos:a], f"{MARK_OPEN}{name[a:b]}{MARK_CLOSE}"]
                pos = b
                marked = True
        out.append("".join(pieces) + name[pos:])
    return "; ".join(out) if marked else ""
