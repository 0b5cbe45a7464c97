"""Snippets: the window holding most matched words, marked, on word boundaries."""

from __future__ import annotations

import pytest

from diaspora_search import Language
from diaspora_search.search.snippets import SNIPPET_CHARS, shorten, snippet

ES = Language.ES


def test_short_text_is_marked_whole() -> None:
    assert snippet("La educación de los niños.", ES, {"educ"}) == "La **educación** de los niños."


def test_no_match_gives_nothing() -> None:
    assert snippet("La educación de los niños.", ES, {"salud"}) == ""


def test_the_window_holds_the_most_matches_and_cuts_on_words() -> None:
    filler = "palabra " * 60
    text = f"{filler}remesas y más remesas para la salud {filler}"
    found = snippet(text, ES, {"remes", "salud"})
    assert found.startswith("… ") and found.endswith(" …")
    assert found.count("**remesas**") == 2 and "**salud**" in found
    inner = found.removeprefix("… ").removesuffix(" …").replace("**", "")
    assert len(inner) <= SNIPPET_CHARS
    assert inner in text and inner.split()[0] == "palabra"


def test_matches_are_found_without_accents_typed() -> None:
    # The terms are the analyzed terms, so "educacion" typed marks "educación" written.
    assert "**Educación**" in snippet("Educación pública", ES, {"educ"})


@pytest.mark.parametrize("width", [10, 50, 200])
def test_shorten_cuts_at_a_word(width: int) -> None:
    text = "uno dos tres cuatro cinco seis siete ocho nueve diez " * 10
    short = shorten(text, width)
    assert short.endswith(" …")
    assert text.startswith(short.removesuffix(" …"))
    assert len(short) <= width + 2
