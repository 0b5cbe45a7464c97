"""Spelling correction on a real index: one typo away, written as the collection writes it."""

from __future__ import annotations

from typing import Any

import pytest

import diaspora_search as ds
from diaspora_search.search import Searcher
from diaspora_search.search.spelling import correct, correct_word, edits1
from diaspora_search.storage import IndexStore


@pytest.fixture(scope="module")
def searcher(tmp_path_factory: pytest.TempPathFactory) -> Any:
    path = tmp_path_factory.mktemp("spelling") / "index"
    with ds.SearchIndex.create(path) as index:
        index.add(ds.read_corpus(ds.bundled_corpus()).records)
        index.add(
            [
                {"id": "e1", "summary_es": "La educación de los migrantes."},
                {"id": "e2", "summary_es": "Educación y salud; educación bilingüe."},
                {"id": "r1", "summary_en": "Remittances sent home."},
            ]
        )
    store = IndexStore.open(path)
    yield Searcher(store.snapshot())
    store.close()


def test_edits1_is_every_single_edit() -> None:
    found = edits1("ab")
    assert {"b", "a", "ba", "aab", "abc", "xb", "ax"} <= found
    assert len(edits1("abc")) == len(set(edits1("abc")))
    assert "abcd"[:2] + "x" not in edits1("abcd")


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ("educasion", "educación"),  # written as the collection writes it
        ("remitances", "remittances"),
        ("educasion migrantes", "educación migrantes"),
    ],
)
def test_corrections(searcher: Searcher, query: str, expected: str) -> None:
    assert correct(query, searcher) == expected


@pytest.mark.parametrize("word", ["educación", "migrantes", "de", "zq", "x" * 50, "1848"])
def test_known_words_stopwords_and_odd_words_are_left_alone(searcher: Searcher, word: str) -> None:
    assert correct_word(word, searcher) is None


def test_nothing_to_correct_is_none(searcher: Searcher) -> None:
    assert correct("educación migrantes", searcher) is None
