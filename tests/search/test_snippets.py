"""Snippets: the window holding most matched words, marked, on word boundaries."""

from __future__ import annotations

import dataclasses
import pickle
from pathlib import Path

import pytest

import diaspora_search as ds
from diaspora_search import Language
from diaspora_search._hits import Later
from diaspora_search.search import rerank
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


# ---------------------------------------------------------------------------------------------
# A hit's snippet is made the first time it (or its passage) is read, once.


def test_a_hits_snippet_is_made_when_first_read(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    made: list[str] = []
    passage_of = rerank._passage

    def counted(plan, lang, fields):  # type: ignore[no-untyped-def]
        made.append(fields["id"])
        return passage_of(plan, lang, fields)

    monkeypatch.setattr(rerank, "_passage", counted)
    with ds.SearchIndex.create(tmp_path / "index") as index:
        index.add(
            [
                {"id": "a", "summary_es": "La educación de los niños migrantes."},
                {"id": "b", "summary_es": "La educación en la ciudad."},
            ]
        )
        results = index.search("educacion", limit=10)
        assert [h.id for h in results] and made == []  # ids, scores: no snippet made
        first = results[0]
        assert "**educación**" in first.snippet
        assert made == [first.id]
        assert any(marked for _, marked in first.passage)  # the same passage, not made again
        assert first.highlight("<", ">").count("<educación>") == 1
        assert made == [first.id]
        copy = pickle.loads(pickle.dumps(results[1]))  # (a pickled hit holds its snippet)
        assert made == [first.id, results[1].id]
        assert copy == results[1] and copy.snippet == results[1].snippet


def test_a_hit_given_its_snippet_later_equals_one_given_it_now() -> None:
    now = ds.Hit("a", 1.0, "es", "t", "la **papa**", passage=(("la ", False), ("papa", True)))
    later = ds.Hit(
        "a",
        1.0,
        "es",
        "t",
        Later(lambda: "la **papa**"),
        passage=Later(lambda: (("la ", False), ("papa", True))),
    )
    assert later == now and hash(later) == hash(now) and repr(later) == repr(now)
    assert dataclasses.replace(later, score=2.0).snippet == "la **papa**"
    with pytest.raises(dataclasses.FrozenInstanceError):
        later.snippet = "x"  # type: ignore[misc]
    assert ds.Hit("a", 1.0, "es", "t").snippet == ""  # (made of nothing: empty)
