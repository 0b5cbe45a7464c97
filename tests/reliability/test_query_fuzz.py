"""A query fuzz over a real index's own text (issue 11): phrases of 2 to 4 words taken from the
records, with and without accents, OR chains, exclusions, prefixes and typos, on an index of
several segments with deletions. Nothing is raised but ``DiasporaSearchError``, and what the
results promise holds: no hit holds an excluded word, a page is the start of a longer one.
"""

from __future__ import annotations

import random
import re
from collections.abc import Iterator
from pathlib import Path

import pytest

import diaspora_search as ds
from tests.fixtures.synthetic import synthetic_records

from ._helpers import bundled_records

QUERIES = 600
WORD = re.compile(r"\w+")


@pytest.fixture(scope="module")
def index(tmp_path_factory: pytest.TempPathFactory) -> Iterator[ds.SearchIndex]:
    records = [*bundled_records(), *synthetic_records(1500, seed=11)]
    with ds.SearchIndex.create(tmp_path_factory.mktemp("fuzz") / "index") as index:
        index.add(records[:900])
        index.add(records[900:])
        index.delete([r.id if isinstance(r, ds.Record) else r["id"] for r in records[850:950]])
        yield index


def texts(index: ds.SearchIndex) -> list[tuple[str, list[str]]]:
    """Per record and language with text: the language and its words, in order."""
    out = []
    for fields in index._current_searcher().snapshot.stored_documents():
        for lang in ("en", "es"):
            words = WORD.findall(
                f"{fields.get(f'title_{lang}', '')} {fields.get(f'summary_{lang}', '')}"
            )
            if len(words) >= 4:
                out.append((lang, words))
    return out


def typo(rng: random.Random, word: str) -> str:
    if len(word) < 3:
        return word
    i = rng.randrange(len(word) - 1)
    kind = rng.randrange(3)
    if kind == 0:
        return word[:i] + word[i + 1 :]  # a letter left out
    if kind == 1:
        return word[:i] + word[i + 1] + word[i] + word[i + 2 :]  # two swapped
    return word[:i] + rng.choice("aeiouns") + word[i + 1 :]  # one replaced


def fuzz_queries(index: ds.SearchIndex, n: int, seed: int) -> list[tuple[str, list[str]]]:
    """``n`` queries, each with the words it excludes."""
    rng = random.Random(seed)
    pool = texts(index)
    out: list[tuple[str, list[str]]] = []
    while len(out) < n:
        _, words = rng.choice(pool)
        start = rng.randrange(len(words) - 3)
        span = words[start : start + rng.randint(2, 4)]
        other = rng.choice(pool)[1]
        kind = rng.randrange(6)
        if kind == 0:  # a phrase as written
            query, excluded = f'"{" ".join(span)}"', []
        elif kind == 1:  # a phrase typed without accents
            query, excluded = f'"{ds.fold(" ".join(span))}"', []
        elif kind == 2:  # an OR chain
            query, excluded = " OR ".join(span + rng.sample(other, 2)), []
        elif kind == 3:  # words and exclusions
            excluded = rng.sample(other, 2)
            query = " ".join(span + [f"-{w}" for w in excluded])
        elif kind == 4:  # prefixes (syntax we do not have: only words to us)
            query, excluded = " ".join(w[: max(2, len(w) // 2)] + "*" for w in span), []
        else:  # typos, and a phrase excluded
            excluded = []
            query = " ".join(typo(rng, w) for w in span) + f' -"{" ".join(rng.sample(other, 2))}"'
        out.append((query, excluded))
    return out


def holds(fields: dict[str, object], word: str) -> bool:
    """Whether a record's text holds ``word``'s own index term in either language."""
    for lang in ("en", "es"):
        terms = set(
            ds.analyze(
                f"{fields.get(f'title_{lang}', '')} {fields.get(f'summary_{lang}', '')}", lang
            )
        )
        if terms & set(ds.analyze(word, lang)):
            return True
    return False


@pytest.mark.parametrize("seed", [1, 2])
def test_fuzzed_queries_raise_nothing_but_our_errors(index: ds.SearchIndex, seed: int) -> None:
    snapshot = index._current_searcher().snapshot
    found_some = 0
    for query, excluded in fuzz_queries(index, QUERIES // 2, seed):
        for translate in (True, False):
            try:
                page = index.search(query, limit=5, translate=translate)
                longer = index.search(query, limit=20, translate=translate)
            except ds.DiasporaSearchError:
                continue
            assert [h.id for h in page] == [h.id for h in longer][: len(page)], query
            for hit in longer:
                docnum = snapshot.document_number("id", hit.id)
                assert docnum is not None
                stored = snapshot.stored(docnum)
                for word in excluded:
                    # (A stopword of the query's likelier language is not looked up in the
                    # other either, in exclusions as in words: "-en" in a Spanish query.)
                    if ds.analyze(word, "en") and ds.analyze(word, "es"):
                        assert not holds(stored, word), (query, hit.id, word)
            found_some += bool(page)
    assert found_some > QUERIES // 2


def test_a_stopword_of_the_other_language_still_excludes(tmp_path: Path) -> None:
    """ "-los" in an English query excludes "Los Angeles" (los is a Spanish stopword only);
    exclusions were looked up as if the query were equally likely in both languages, so the
    Spanish stopword rule dropped it."""
    with ds.SearchIndex.create(tmp_path / "index") as index:
        index.add(
            [
                {"id": "la", "summary_en": "Mexican consulates in Los Angeles and their work"},
                {"id": "sf", "summary_en": "Mexican consulates in San Francisco and their work"},
            ]
        )
        assert {h.id for h in index.search("mexican consulates")} == {"la", "sf"}
        assert [h.id for h in index.search("mexican consulates -los")] == ["sf"]
