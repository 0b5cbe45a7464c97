"""Exact accents rank first, always: when hits differ only by accents, the record holding the
accented form typed ranks above those holding only another form, whatever the lengths and
frequencies. A form typed without accents ranks as before (a mild preference, BM25 decides):
readers leave accents out without meaning the unaccented word.

Each pair is tried with the exact record long (one mention in a long text) against a short
record holding the other form three times, and the reverse; pairs of two accented forms are
tried both ways round.
"""

from __future__ import annotations

from pathlib import Path

import pytest

import diaspora_search as ds

PAIRS = [
    ("papá", "papa"),
    ("médico", "medicó"),
    ("título", "tituló"),
    ("círculo", "circuló"),
    ("fábrica", "fabrica"),
    ("público", "publicó"),
    ("año", "ano"),
    ("secretaría", "secretaria"),
    ("tráfico", "trafico"),
    ("sábana", "sabana"),
    ("práctica", "practica"),
    ("número", "numero"),
    ("depósito", "deposito"),
    ("límite", "limite"),
    ("continúo", "continuo"),
]
FILLER = (
    "El informe de la comunidad describe la vida de las familias migrantes en la ciudad "
    "durante varios años de trabajo y organización en los barrios del norte. "
) * 4


def long_text(word: str) -> str:
    return f"{FILLER} Allí aparece {word} una sola vez. {FILLER}"


def short_text(word: str) -> str:
    return f"{word} {word} {word}."


@pytest.fixture(scope="module")
def index(tmp_path_factory: pytest.TempPathFactory):
    records = []
    for i, (a, b) in enumerate(PAIRS):
        records += [
            {"id": f"{i}-a-long", "summary_es": long_text(a)},
            {"id": f"{i}-b-short", "summary_es": short_text(b)},
        ]
    for i, (a, b) in enumerate(PAIRS):  # the reverse lengths, in a second collection's ids
        records += [
            {"id": f"{i}-a-short", "summary_es": short_text(a)},
            {"id": f"{i}-b-long", "summary_es": long_text(b)},
        ]
    index = ds.SearchIndex.create(Path(tmp_path_factory.mktemp("exact")) / "index")
    index.add(records)
    yield index
    index.close()


def rank(results: ds.Results, record_id: str) -> int:
    return [h.id for h in results].index(record_id)


def accented(word: str) -> bool:
    return ds.fold(word) != word


@pytest.mark.parametrize(("a", "b"), PAIRS, ids=[f"{a}-{b}" for a, b in PAIRS])
def test_the_form_typed_ranks_first_whatever_the_lengths(index: ds.SearchIndex, a: str, b: str):
    i = PAIRS.index((a, b))
    for typed, other in ((a, "b"), (b, "a")):
        if not accented(typed):
            continue
        own = "a" if other == "b" else "b"
        results = index.search(typed, limit=50)
        for length in ("long", "short"):
            mine = f"{i}-{own}-{length}"
            theirs = [f"{i}-{other}-long", f"{i}-{other}-short"]
            for their in theirs:
                assert rank(results, mine) < rank(results, their), (typed, mine, their)


def test_pairs_of_two_accented_forms_are_checked_both_ways() -> None:
    assert sum(accented(a) and accented(b) for a, b in PAIRS) >= 4


@pytest.mark.parametrize(("a", "b"), PAIRS, ids=[f"{a}-{b}" for a, b in PAIRS])
def test_both_forms_are_still_found(index: ds.SearchIndex, a: str, b: str) -> None:
    i = PAIRS.index((a, b))
    for typed in (a, b):
        found = {h.id for h in index.search(typed, limit=50)}
        assert {f"{i}-a-long", f"{i}-a-short", f"{i}-b-long", f"{i}-b-short"} <= found


def test_the_exact_form_wins_among_many_other_forms(tmp_path: Path) -> None:
    """One long record holding "papá" against sixty short ones holding "papa": the reranked
    depth alone would not reach it; the forms field finds it."""
    with ds.SearchIndex.create(tmp_path / "index") as index:
        index.add(
            [
                {"id": f"papa-{i}", "summary_es": f"La papa número {i}. Papa papa."}
                for i in range(60)
            ]
            + [{"id": "papá", "summary_es": long_text("papá")}]
        )
        assert index.search("papá")[0].id == "papá"
        assert index.search("papa")[0].id != "papá"
