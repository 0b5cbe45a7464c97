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
from hypothesis import given, settings
from hypothesis import strategies as st

import diaspora_search as ds
from diaspora_search._compiled import core
from diaspora_search.analysis import fold_term, normalize, word_texts
from diaspora_search.search import rerank

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


# ---------------------------------------------------------------------------------------------
# The head's texts that hold no accented form typed are left unread (rerank._may_hold): exact
# only if a word's folded form is its characters' folded one by one (rerank._fold_table).

FOLDED = [chr(c) for c, f in enumerate(rerank._fold_table()) if f is not None]
IN_WORDS = [c for c in FOLDED if c.isalnum() or c in "_.'·,;\u00ad"]  # (what a word may hold)
WORD_ALPHABET = [*IN_WORDS, *"’‘½"]


def _as_the_words_fold(word: str) -> bool:
    by_chars = rerank._fold_chars(word, rerank._fold_table())
    if by_chars is None:  # (a character the table does not know: the words are read)
        return True
    folded = fold_term(normalize(word))
    return folded in (by_chars, by_chars.replace(".", ""))


def test_every_pair_of_characters_folds_as_its_characters() -> None:
    bad = [a + b for a in IN_WORDS for b in IN_WORDS if not _as_the_words_fold(a + b)]
    assert bad == []


@settings(max_examples=3000, deadline=None)
@given(st.text(st.sampled_from(WORD_ALPHABET), min_size=1, max_size=10))
def test_a_word_folds_as_its_characters(word: str) -> None:
    assert _as_the_words_fold(word)


@settings(max_examples=500, deadline=None)
@given(st.text(st.sampled_from([*WORD_ALPHABET, *" +-¿?", "Ж", "“", "@"]), max_size=60), st.data())
def test_a_text_left_unread_holds_no_form_typed(text: str, data: st.DataObject) -> None:
    words = word_texts(text)
    own = [rerank._written_and_folded(w)[1] for w in words]
    wanted = set(data.draw(st.lists(st.sampled_from(own), max_size=2))) if own else set()
    wanted |= set(data.draw(st.lists(st.sampled_from(["ano", "us", "papa", "ss", "x"]))))
    if not rerank._may_hold(text, wanted):
        assert [f for f, _ in rerank._candidate_forms(text, wanted) if f in wanted] == []


@pytest.mark.skipif(core is None, reason="the compiled core is not built or is off")
@settings(max_examples=500, deadline=None)
@given(st.text(st.sampled_from([*WORD_ALPHABET, " ", "Ж", "😀", "\u0180", "\u017f"]), max_size=40))
def test_compiled_folding_of_texts_equals_pythons(text: str) -> None:
    table = rerank._fold_table()
    assert core.fold_chars(text, table) == rerank._python_fold_chars(text, table)


PIECES = [" ", ".", "'", "U.S", "u.s.", "e.g", "año", "AÑO", "l'", "d’", "qu'", "papá", "ß", "x"]
"""Pieces of texts with abbreviations, elisions and accents, which characters drawn one by one
seldom make."""


def _forms_read_in_python(text: str, wanted: set[str]) -> list[tuple[str, str]]:
    """The wanted ``(folded, written)`` forms of ``text`` as the pure-Python path reads them."""
    if not rerank._may_hold(text, wanted):
        return []
    return sorted((f, w) for f, w in rerank._candidate_forms(text, wanted) if f in wanted)


@pytest.mark.skipif(core is None, reason="the compiled core is not built or is off")
@settings(max_examples=1000, deadline=None)
@given(
    st.text(st.sampled_from([*WORD_ALPHABET, *" \n+-¿?", "Ж", "“", "@", "😀"]), max_size=60)
    | st.lists(st.sampled_from(PIECES), max_size=12).map("".join),
    st.data(),
)
def test_the_cores_words_held_are_pythons(text: str, data: st.DataObject) -> None:
    """The compiled core's words of a text folding to a wanted form (held_words) are those
    the pure-Python path finds: it fails if a word's dots, its elision or a character of it
    were folded otherwise, or a word were left out."""
    own = [rerank._written_and_folded(w)[1] for w in word_texts(text)]
    wanted = set(data.draw(st.lists(st.sampled_from(own), max_size=3))) if own else set()
    wanted |= set(data.draw(st.lists(st.sampled_from(["ano", "us", "papa", "ss", "eg", "x"]))))
    found = {(f, w) for f, w in rerank._typed_forms_in(text, wanted) if f in wanted}
    # (As sets: a word found twice counts once, and the Python path of a plain ASCII text
    # gives each once, "0-0" one "0".)
    assert found == set(_forms_read_in_python(text, wanted))


@pytest.mark.skipif(core is None, reason="the compiled core is not built or is off")
def test_the_cores_words_held() -> None:
    table = rerank._fold_table()
    assert core.held_words("Los U.S y el Año, AÑO: anos", table, {"us", "ano"}) == [
        "U.S",
        "Año",
        "AÑO",
    ]
    assert core.held_words("don’t año", table, {"ano"}) is None  # (’: past the table)
    assert core.held_words("l'año d’año", table, {"ano", "año", 3}) == ["año", "año"]
    assert core.held_words("año", table, frozenset()) == []
    assert core.held_words("año", table, {"a" * 256}) is None  # (too long to look for)
    assert core.held_words("año", table, {"a" * 255, "ano"}) == ["año"]
    with pytest.raises(TypeError):
        core.held_words("año", table, ["ano"])


# ---------------------------------------------------------------------------------------------
# Only the head's candidates whose titles or summaries are indexed under a term of a written
# form of an exact form typed are read for their forms (rerank._written_form_keys): the others
# hold none.


def _rescore_reading(index: ds.SearchIndex, query: str) -> tuple[list[tuple[float, str]], set[str]]:
    """The head of ``query`` rescored, and the ids of the candidates whose text it read."""
    searcher = index._current_searcher()
    plan = searcher.plan(query, None)
    matches = searcher.matches(plan)
    ranked = searcher.head_candidates(plan, matches)
    matched = matches.matched([d for _, d in ranked])
    read: set[str] = set()

    def stored_of(docnum: int) -> dict[str, object]:
        fields = searcher.stored(docnum)
        read.add(str(fields["id"]))
        return fields

    order = searcher.reranker.rescore(plan, ranked, matched, stored_of)
    return [(score, searcher.snapshot.record_id(d)) for score, d in order], read


def test_candidates_holding_no_written_form_are_not_read(tmp_path: Path) -> None:
    with ds.SearchIndex.create(tmp_path / "index") as index:
        index.add(
            [
                {"id": "accented", "summary_es": "El papá de la familia."},
                {"id": "plain-title", "title_es": "La papa", "summary_es": "Una familia."},
                {"id": "other-word", "summary_es": "La familia migrante."},
                {"id": "full-text-only", "summary_es": "Familia.", "text_es": "Una papa."},
            ]
        )
        order, read = _rescore_reading(index, "papá familia")
        assert read == {"accented", "plain-title"}
        assert order[0][1] == "accented"
        assert {record for _, record in order} == {
            "accented",
            "plain-title",
            "other-word",
            "full-text-only",
        }


WORDS = ["papá", "papa", "Papá", "año", "ano", "más", "mas", "público", "publicó", "publico"]
WORDS += ["economía", "economia", "secretaría", "secretaria"]  # (forms that stem apart)
OTHER = ["familia", "ciudad", "trabajo", "migrantes"]
OTHER_EN = ["family", "city", "work", "migrants"]


@pytest.fixture(scope="module")
def forms_index(tmp_path_factory: pytest.TempPathFactory):
    """Records holding written forms that fold alike, in their titles, summaries or full texts
    only, in Spanish and in English (whose text may hold them too: names, loanwords), with and
    without other words."""
    import random

    rng = random.Random(7)
    records = []
    for i in range(160):
        record: dict[str, str] = {"id": f"r{i}"}
        for field in ("title_es", "summary_es", "text_es", "title_en", "summary_en"):
            if field == "summary_es" or rng.random() < 0.6:
                other = OTHER_EN if field.endswith("_en") else OTHER
                words = rng.sample(WORDS, rng.randint(0, 2)) + rng.sample(other, rng.randint(0, 3))
                record[field] = " ".join(words) or "nada"
        records.append(record)
    index = ds.SearchIndex.create(Path(tmp_path_factory.mktemp("forms")) / "index")
    index.add(records)
    yield index
    index.close()


@settings(max_examples=150, deadline=None)
@given(st.lists(st.sampled_from([*WORDS, *OTHER, *OTHER_EN, "guitarra"]), min_size=1, max_size=3))
def test_reading_only_the_holders_ranks_as_reading_every_candidate(
    forms_index: ds.SearchIndex, words: list[str]
) -> None:
    query = " ".join(words)
    found = [(h.id, h.score) for h in forms_index.search(query, limit=200)]
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(rerank, "_written_form_keys", lambda plan: None)  # every candidate read
        assert [(h.id, h.score) for h in forms_index.search(query, limit=200)] == found
