"""Bounded queries (issue 11, finding 7): a clause limit applied to every query whatever its
length in characters, a time budget per search that ends with a clear error, and searches from
several threads of one ``SearchIndex`` that neither wait for each other nor for an ``add``.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator
from pathlib import Path

import pytest

import diaspora_search as ds
from diaspora_search._language import Language
from diaspora_search.query.expand import MAX_WORD_TERMS, Expansion, expansions
from diaspora_search.query.vocabulary import Vocabulary
from diaspora_search.search.run import MAX_QUERY_WORDS

from ._helpers import MARKER, bundled_records, synthetic_records


@pytest.fixture(scope="module")
def index(tmp_path_factory: pytest.TempPathFactory) -> Iterator[ds.SearchIndex]:
    with ds.SearchIndex.create(tmp_path_factory.mktemp("bounds") / "index") as index:
        index.add([*bundled_records(), *synthetic_records("b", 300)])
        yield index


def ids(results: ds.Results) -> list[tuple[str, float]]:
    return [(hit.id, hit.score) for hit in results]


# The clause limit -----------------------------------------------------------------------------


def test_a_short_query_of_many_clauses_keeps_its_first_64(index: ds.SearchIndex) -> None:
    """195 exclusions in 1,278 characters took 34 s: the 64-word cap only applied past 1,280
    characters. Now every query keeps its first 64 words, phrases' words and exclusions."""
    kept = ["migrantes", "educación", *[f"-w{i}" for i in range(MAX_QUERY_WORDS - 2)]]
    query = " ".join([*kept, *[f"-x{i}" for i in range(195)]])
    assert len(query) < 20 * MAX_QUERY_WORDS * 2
    assert ids(index.search(query)) == ids(index.search(" ".join(kept)))
    assert index.search(query)  # the words kept still find records


def test_every_word_stands_for_a_bounded_number_of_terms(index: ds.SearchIndex) -> None:
    """An expander (the seam lets applications add their own) that offers a thousand terms
    for a word: the word stands for at most MAX_WORD_TERMS."""

    class Flood:
        def expand(
            self, word: str, lang: Language, own: str, vocabulary: Vocabulary
        ) -> Iterator[Expansion]:
            for i in range(1000):
                yield Expansion(lang, f"{own}{i}", 0.5)

    vocabulary = index._current_searcher().vocabulary
    found = expansions("migrantes", Language.ES, vocabulary, [Flood()])
    assert len(found) == MAX_WORD_TERMS
    assert found[0].weight == 1.0  # the word's own term is always kept


# The time budget ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "query",
    ["migrantes educación", '"Estados Unidos"', "migrantes -educación", 'IME -"Estados Unidos"'],
)
def test_a_search_past_its_time_limit_raises_a_clear_error(
    index: ds.SearchIndex, query: str
) -> None:
    """Words (scored here), phrases (scored by Whoosh) and exclusions all check the budget."""
    assert index.search(query, time_limit=None)
    with pytest.raises(ds.QueryTimeoutError, match="longer than its time limit of 1e-09 s"):
        index.search(query, time_limit=1e-9)
    assert issubclass(ds.QueryTimeoutError, ds.QueryError)


def test_the_default_time_limit_lets_ordinary_queries_run(index: ds.SearchIndex) -> None:
    assert ids(index.search("migrantes educación")) == ids(
        index.search("migrantes educación", time_limit=None)
    )


@pytest.mark.parametrize("bad", [0, -1, "5", True, float("nan")])
def test_a_bad_time_limit_is_refused(index: ds.SearchIndex, bad: object) -> None:
    with pytest.raises(ds.QueryError, match="time_limit must be a positive number"):
        index.search("migrantes", time_limit=bad)  # type: ignore[arg-type]


# Threads --------------------------------------------------------------------------------------

QUERIES = ["migrantes", "education policy", '"Estados Unidos"', "consulado -remesas", MARKER]


def test_threads_searching_at_once_get_what_one_thread_gets(index: ds.SearchIndex) -> None:
    expected = {q: ids(index.search(q)) for q in QUERIES}
    failures: list[BaseException] = []
    got: dict[tuple[int, str], list[tuple[str, float]]] = {}

    def run(worker: int) -> None:
        try:
            for _ in range(5):
                for q in QUERIES:
                    got[(worker, q)] = ids(index.search(q))
        except BaseException as error:  # (reported by the main thread)
            failures.append(error)

    threads = [threading.Thread(target=run, args=(n,)) for n in range(6)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    assert not failures
    assert all(got[(n, q)] == expected[q] for n in range(6) for q in QUERIES)


def test_a_search_does_not_wait_for_an_add_on_the_same_object(tmp_path: Path) -> None:
    """An ``add`` held in the middle of its write (its progress callback waits) while another
    thread searches the same ``SearchIndex``: the search returns, and sees the last commit."""
    with ds.SearchIndex.create(tmp_path / "index") as index:
        index.add(synthetic_records("a", 20))
        inside_add, release = threading.Event(), threading.Event()

        def hold(done: int, total: int) -> None:
            inside_add.set()
            assert release.wait(timeout=120)

        writer = threading.Thread(
            target=index.add, args=(synthetic_records("b", 20),), kwargs={"progress": hold}
        )
        writer.start()
        try:
            assert inside_add.wait(timeout=120)
            found: list[int] = []
            searcher = threading.Thread(
                target=lambda: found.append(len(index.search(MARKER, limit=100)))
            )
            searcher.start()
            searcher.join(timeout=60)
            assert not searcher.is_alive(), "the search waited for the add"
            assert found == [20]  # the state of the last commit
        finally:
            release.set()
            writer.join(timeout=120)
        assert len(index.search(MARKER, limit=100)) == 40
