"""The query syntax: words, phrases, exclusions, OR; nothing is a syntax error."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from diaspora_search.query import parse


def shape(text: str) -> tuple[list[list[tuple[str, ...]]], list[tuple[str, ...]]]:
    parsed = parse(text)
    return [[c.words for c in g] for g in parsed.groups], [c.words for c in parsed.excluded]


@pytest.mark.parametrize(
    ("text", "groups", "excluded"),
    [
        ("educación salud", [[("educación",)], [("salud",)]], []),
        ('"Estados Unidos" migrantes', [[("Estados", "Unidos")], [("migrantes",)]], []),
        ("salud OR educación", [[("salud",), ("educación",)]], []),
        ("a OR b OR c", [[("a",), ("b",), ("c",)]], []),
        ("remesas -consejo", [[("remesas",)]], [("consejo",)]),
        ('remesas -"Consejo Consultivo"', [[("remesas",)]], [("Consejo", "Consultivo")]),
        ('"unbalanced quote', [[("unbalanced",)], [("quote",)]], []),
        ("OR salud", [[("OR",)], [("salud",)]], []),  # OR first is a word
        ("salud OR", [[("salud",)]], []),  # OR last joins nothing
        ("-", [], []),
        ("title:educación", [[("title",)], [("educación",)]], []),
        ("¿Dónde están?", [[("Dónde",)], [("están",)]], []),
        ('""', [], []),
    ],
)
def test_parse(text: str, groups: list[list[tuple[str, ...]]], excluded: list[tuple[str, ...]]):
    assert shape(text) == (groups, excluded)


def test_words_are_the_positive_words_in_order() -> None:
    assert parse('"a b" c OR d -e').words == ["a", "b", "c", "d"]


@given(st.text())
def test_parse_never_raises(text: str) -> None:
    parsed = parse(text)
    assert all(c.words for g in parsed.groups for c in g)
    assert all(c.negated for c in parsed.excluded)
