"""printable(): record text made safe for a terminal, one field per line."""

from __future__ import annotations

import unicodedata

import pytest
from hypothesis import given
from hypothesis import strategies as st

from diaspora_search._display import printable


@pytest.mark.parametrize(
    ("text", "shown"),
    [
        ("\x1b[2J\x1b[H", "\\x1b[2J\\x1b[H"),  # clear the screen, cursor home
        ("\x1b]0;pwned\x07", "\\x1b]0;pwned\\x07"),  # set the window title (OSC ... BEL)
        ("\x1b]52;c;aGk=\x07", "\\x1b]52;c;aGk=\\x07"),  # write the clipboard (OSC 52)
        ("a\x00b\x7f", "a\\x00b\\x7f"),  # NUL, DEL
        ("\x9b31m", "\\x9b31m"),  # C1 CSI: an escape sequence in one character
        ("\x85", "\\x85"),  # C1 NEL, a line break to some terminals
        ("one\ttwo\nthree\rfour", "one\\ttwo\\nthree\\rfour"),
        ("evil\u202etxt.exe", "evil\\u202etxt.exe"),  # right-to-left override
        ("\u2066x\u2069 \u200e\u200f\u061c", "\\u2066x\\u2069 \\u200e\\u200f\\u061c"),
        ("a\u200bb\ufeff", "a\\u200bb\\ufeff"),  # zero-width space, BOM
        ("line\u2028para\u2029", "line\\u2028para\\u2029"),
        ("\ud800", "\\ud800"),  # a lone surrogate
        ("\ue000", "\\ue000"),  # private use
        ("\U000e0001", "\\U000e0001"),  # language tag (format character, astral)
        ("\U0010fffe", "\\U0010fffe"),  # a noncharacter
    ],
)
def test_unsafe_characters_are_escaped(text: str, shown: str) -> None:
    assert printable(text) == shown


@pytest.mark.parametrize(
    "text",
    [
        "",
        "Educación y ciudadanía — ¿Qué? ¡Sí!",
        "Política\u00a0exterior",  # no-break space
        "10\u202f000 \u3000",  # narrow no-break space, ideographic space
        "Müller, Øster, Ñuñoa, Ærø",
        "移民と教育",
        "مهاجرت\u200cها",  # Persian with a zero-width non-joiner
        "👨\u200d👩\u200d👧 🇲🇽 ✊🏽",  # joiner sequences, flags, skin-tone modifiers
        "C:\\data\\x1b",  # a backslash is text, not an escape
        "e\u0301",  # a combining accent
    ],
)
def test_ordinary_text_is_unchanged(text: str) -> None:
    assert printable(text) == text


@given(st.text())
def test_result_is_one_safe_line(text: str) -> None:
    shown = printable(text)
    kept = {"\u200c", "\u200d"}
    assert all(ch.isprintable() or ch in kept or unicodedata.category(ch) == "Zs" for ch in shown)
    assert not any(ch in shown for ch in "\n\r\x1b\x85\u2028\u2029\u202e")
    assert len(shown.splitlines()) <= 1
    shown.encode("utf-8")  # no lone surrogate left: it prints on any UTF-8 terminal


@given(st.text(st.characters(blacklist_categories=["Cc", "Cf", "Cs", "Co", "Cn", "Zl", "Zp"])))
def test_printable_text_is_unchanged(text: str) -> None:
    assert printable(text) == text


def test_every_c0_and_c1_control_is_escaped() -> None:
    for code in [*range(0x20), *range(0x7F, 0xA0)]:
        shown = printable(chr(code))
        assert shown.startswith("\\") and shown.isascii() and shown.isprintable(), hex(code)


def test_is_fast_on_ordinary_text() -> None:
    # The CLI may print thousands of titles: ordinary text costs one C-level check.
    text = "Remesas y desarrollo en Oaxaca " * 1000
    assert printable(text) is text
