"""Query plans: leaves, groups, coordination, and what goes to Whoosh."""

from __future__ import annotations

import pytest

from diaspora_search import Language
from diaspora_search import _ranking as ranking
from diaspora_search.query import Vocabulary, compile_query

ES = Language.ES


def test_words_compile_to_a_union_of_leaves(vocabulary: Vocabulary) -> None:
    plan = compile_query("remesas migrantes", vocabulary, ES)
    assert plan.group_count == 2
    leaves = plan.union_leaves()
    assert leaves == {
        ("title_es", "remes"): ranking.TITLE_BOOST,
        ("summary_es", "remes"): 1.0,
        ("text_es", "remes"): ranking.FULL_TEXT_BOOST,
        ("names", "remesas"): ranking.NAME_BOOST,
        ("title_es", "migrant"): ranking.TITLE_BOOST,
        ("summary_es", "migrant"): 1.0,
        ("text_es", "migrant"): ranking.FULL_TEXT_BOOST,
        ("names", "migrantes"): ranking.NAME_BOOST,
    }


@pytest.mark.parametrize(
    ("text", "is_union"),
    [
        ('"la economía" remesas', False),
        ("remesas -migrantes", True),
        ('remesas -"la economía"', True),
    ],
)
def test_a_phrase_among_the_words_is_no_union(
    vocabulary: Vocabulary, text: str, is_union: bool
) -> None:
    """Exclusions are applied apart (the documents they match are left out), so only a phrase
    among the positive groups takes a plan to Whoosh."""
    plan = compile_query(text, vocabulary, ES)
    assert not plan.is_empty and (plan.union_leaves() is not None) == is_union
    assert bool(plan.excluded) == ("-" in text)


def test_an_exclusion_alone_is_an_empty_plan(vocabulary: Vocabulary) -> None:
    assert compile_query("-remesas", vocabulary).is_empty


def test_coordination_counts_groups(vocabulary: Vocabulary) -> None:
    plan = compile_query("remesas OR migrantes educación", vocabulary, ES)
    assert plan.group_count == 2
    assert plan.coordination([("summary_es", "remes")]) == 0.5
    assert plan.coordination([("summary_es", "remes"), ("summary_es", "migrant")]) == 0.5
    assert plan.coordination([("summary_es", "remes"), ("summary_es", "educ")]) == 1.0
    # A list at once (the head's candidates), an unknown term holding no group.
    matched = [
        [("summary_es", "remes")],
        [],
        [("summary_es", "educ"), ("summary_es", "nothing")],
        [("summary_es", "migrant"), ("summary_es", "educ")],
    ]
    assert plan.coordinations(matched) == [0.5, 0.5, 0.5, 1.0]


def test_coordination_of_many_groups(vocabulary: Vocabulary) -> None:
    """Four groups: each hit's factor is that of the number of distinct groups its terms
    stand for (Salton's coordination), however the terms overlap."""
    plan = compile_query("remesas migrantes educación economía", vocabulary, ES)
    assert plan.group_count == 4
    keys = sorted(plan.term_groups)
    matched = [keys[:n] for n in range(len(keys) + 1)] + [keys[::2], keys[1::3]]
    expected = [
        ranking.coordination(len(set().union(*(plan.term_groups[k] for k in m))), 4)
        for m in matched
    ]
    assert plan.coordinations(matched) == expected
    assert [plan.coordination(m) for m in matched] == expected
    assert len(set(expected)) >= 3


def test_phrase_terms_count_for_their_group(vocabulary: Vocabulary) -> None:
    plan = compile_query('"políticas públicas"', vocabulary, ES)
    assert plan.term_groups[("title_es", "polit")] == {0}
    assert plan.field_terms("title_es") >= {"polit", "public"}


def test_exact_forms_are_recorded_per_language(vocabulary: Vocabulary) -> None:
    plan = compile_query("papá", vocabulary, ES)
    assert plan.exact_forms == {ES: {"papá"}}
