"""Text from records made safe to print on a terminal, one field per line.

Ids and titles come from corpus files, which anyone may have written: an ``ESC`` in a title
can move the cursor, recolour or clear the screen, set the window title, or (through some
terminals' escape sequences) write to the clipboard; a bidi override (U+202E) makes an id
read backwards; a newline inside a field breaks line-oriented output. :func:`printable` shows
such characters as escapes instead.

>>> printable("Informe \\x1b[2Jfinal")
'Informe \\\\x1b[2Jfinal'
>>> printable("Educación")
'Educación'
"""

from __future__ import annotations

import unicodedata

_SHORT = {"\t": "\\t", "\n": "\\n", "\r": "\\r"}

# The Unicode categories str.isprintable() refuses that are kept anyway: spaces other than
# U+0020 (no-break, thin, ideographic: they print as blank space, and Spanish and French
# typography uses them).
_KEPT_CATEGORIES = frozenset({"Zs"})

# Format characters (category Cf) that ordinary text needs: the zero-width joiner and
# non-joiner shape Persian, Indic scripts and emoji sequences, and cannot move the cursor.
_KEPT_CHARACTERS = frozenset({"\u200c", "\u200d"})


def printable(text: str) -> str:
    """``text`` with every character that is not safe to print shown as a Python-style escape.

    Escaped: the C0 and C1 control characters (``ESC`` is ``\\x1b``), including tab, newline
    and carriage return (``\\t``, ``\\n``, ``\\r``: output is one field per line); DEL; the
    bidirectional controls such as ``\\u202e``; other invisible format characters (zero-width
    space, ``\\ufeff``); the line and paragraph separators; lone surrogates, private-use and
    unassigned code points. Kept: every printable character, spaces of any width, and the
    zero-width joiner and non-joiner.

    A backslash is not escaped, so the result reads naturally but is not reversible: the
    text ``\\x1b`` (four characters) and the control character ESC print alike. Where exact
    values matter, use JSON output.

    >>> printable("a\\tb\\nc")
    'a\\\\tb\\\\nc'
    >>> printable("evil\\u202etxt.exe")
    'evil\\\\u202etxt.exe'
    """
    if text.isprintable():  # the common case, checked in C
        return text
    return "".join(_escape(ch) for ch in text)


def json_printable(document: str) -> str:
    """A JSON ``document`` with every character :func:`printable` would escape written as a
    JSON ``\\u`` escape instead: the same JSON value, safe to print on a terminal.

    Outside strings a JSON document holds only printable ASCII (and the whitespace
    ``json.dumps`` puts there: none without ``indent``), so every such character is inside a
    string, where an escape means the same character.

    >>> json_printable('{"title": "Informe \x1b[2J", "lang": "es"}')
    '{"title": "Informe \\\\u001b[2J", "lang": "es"}'
    """
    if document.isprintable():
        return document
    return "".join(ch if _escape(ch) == ch else _json_escape(ch) for ch in document)


def _json_escape(ch: str) -> str:
    code = ord(ch)
    if code < 0x10000:
        return f"\\u{code:04x}"
    code -= 0x10000  # (a UTF-16 surrogate pair, as JSON spells characters past U+FFFF)
    return f"\\u{0xD800 + (code >> 10):04x}\\u{0xDC00 + (code & 0x3FF):04x}"


def _escape(ch: str) -> str:
    if ch.isprintable() or ch in _KEPT_CHARACTERS:
        return ch
    if unicodedata.category(ch) in _KEPT_CATEGORIES:
        return ch
    if short := _SHORT.get(ch):
        return short
    code = ord(ch)
    if code < 0x100:
        return f"\\x{code:02x}"
    if code < 0x10000:
        return f"\\u{code:04x}"
    return f"\\U{code:08x}"
