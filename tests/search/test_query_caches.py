"""What a search keeps between searches (term lookups and written forms, per snapshot) changes
no result.

Many queries on a real index of several segments: each searched by one index reused for all
of them (its caches warm) and by an index opened afresh for it alone; every hit, score,
snippet, total and facet must be the same. A commit must make a reused index see the new
records (its caches are per commit).
"""

from __future__ import annotations

import random
from pathlib import Path
from typing import Any

import pytest

import diaspora_search as ds
from diaspora_search.analysis import word_texts
from tests.fixtures import synthetic

FACETS = ("year", "source", "authors", "tags", "lang")
PAIRS = [("papá", "papa"), ("médico", "medicó"), ("año", "ano"), ("público", "publicó")]
"""Words written two ways that differ only by accents (what the exact-form ranking is for)."""


def _pair_records() -> list[dict[str, Any]]:
    """Records holding one form of a pair, or both, some many times, among other words."""
    rng = random.Random(2)
    out = []
    for i in range(60):
        accented, plain = PAIRS[i % len(PAIRS)]
        words = [accented] * (i % 3) + [plain] * ((i // 3) % 3) or [plain]
        filler = ["el", "informe", "de", "la", "comunidad", "sobre", "las", "familias", "migrantes"]
        rng.shuffle(filler)
        out.append({"id": f"pair-{i:02d}", "summary_es": " ".join(words + filler[: i % 7])})
    return out


def _digest(results: ds.Results) -> Any:
    hits = [
        (h.id, h.score, h.lang, h.title, h.snippet, h.names, h.translated, h.passage)
        for h in results
    ]
    return hits, results.total, results.facets, results.corrected_query, results.suggestion


def _queries(records: list[dict[str, Any]], n: int, seed: int) -> list[str]:
    """Words of the records, some with accents folded away, one to three a query; a few
    phrases and exclusions."""
    words = sorted(
        {
            w
            for r in records
            for key in ("summary_en", "summary_es", "title_es")
            for w in word_texts(r.get(key) or "")
            if w.isalpha()
        }
    )
    rng = random.Random(seed)
    out = []
    for i in range(n):
        chosen = [rng.choice(words) for _ in range(1 + i % 3)]
        if i % 2:
            chosen = [ds.fold(w) for w in chosen]
        text = " ".join(chosen)
        if i % 11 == 0:
            text = f'"{text}"'
        elif i % 13 == 0:
            text += f" -{rng.choice(words)}"
        out.append(text)
    return out


@pytest.fixture(scope="module")
def built(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, list[dict[str, Any]]]:
    records = synthetic.synthetic_records(600, seed=11) + _pair_records()
    path = tmp_path_factory.mktemp("caches") / "index"
    with ds.SearchIndex.create(path) as index:
        index.add(records[:300])  # (several segments)
        index.add(records[300:])  # (the pairs in the second)
        index.delete([records[5]["id"]])
    return path, records


def test_reused_index_finds_what_a_fresh_one_finds(built: tuple[Path, list[dict[str, Any]]]):
    path, records = built
    queries = _queries(records, 80, seed=3) + [
        f"{word} migrantes" if i % 2 else word for i, word in enumerate(w for p in PAIRS for w in p)
    ]
    with ds.SearchIndex.open(path) as reused:
        warm = [_digest(reused.search(q, facets=FACETS)) for q in queries]
        again = [_digest(reused.search(q, facets=FACETS)) for q in queries]
    fresh = []
    for q in queries:
        with ds.SearchIndex.open(path) as opened:
            fresh.append(_digest(opened.search(q, facets=FACETS)))
    assert warm == fresh
    assert again == fresh
    assert sum(1 for hits, *_ in fresh if hits) > len(queries) // 2  # (the queries find things)


def test_a_commit_changes_what_a_reused_index_finds(tmp_path: Path):
    with ds.SearchIndex.create(tmp_path / "index") as index:
        index.add([{"id": "a", "summary_es": "La cafeteria del barrio y los migrantes"}])
        assert [h.id for h in index.search("migrantes")] == ["a"]
        assert [h.id for h in index.search("cafe")] == []
        assert index.search("zumbido").total == 0
        index.add(
            [
                {"id": "b", "summary_es": "Los migrantes y el café de la mañana"},
                {"id": "c", "summary_es": "Un zumbido"},
            ]
        )
        # The term looked up before (migrantes), a written form new to the index (café) and
        # a word it did not hold (zumbido): all as the new commit has them.
        assert sorted(h.id for h in index.search("migrantes")) == ["a", "b"]
        assert [h.id for h in index.search("cafe")] == ["b"]
        assert [h.id for h in index.search("zumbido")] == ["c"]
        index.delete(["b"])
        assert [h.id for h in index.search("migrantes")] == ["a"]


def test_a_new_glossary_changes_what_a_reused_index_finds(tmp_path: Path):
    glossary = tmp_path / "glossary.tsv"
    glossary.write_text("zorblax\tflorbito\n", encoding="utf-8")
    with ds.SearchIndex.create(tmp_path / "index") as index:
        index.add(
            [
                {"id": "en", "summary_en": "A zorblax"},
                {"id": "es", "summary_es": "El pueblo y sus fiestas"},
            ]
        )
        assert [h.id for h in index.search("florbito pueblo")] == ["es"]
        index.set_glossary(glossary)  # (no commit: the same snapshot, a new table)
        assert sorted(h.id for h in index.search("florbito pueblo")) == ["en", "es"]
        index.set_glossary(None)
        assert [h.id for h in index.search("florbito pueblo")] == ["es"]


def test_a_vocabulary_knows_what_the_lookups_know(
    built: tuple[Path, list[dict[str, Any]]],
) -> None:
    # Vocabulary.knows answers from the language's vocabulary, read whole: the same answer
    # as a lookup in each of the language's text fields, for every term of every field (a
    # deleted record's terms too, as Whoosh's lexicon keeps them), the other language's, the
    # forms fields', and terms the index does not hold.
    from diaspora_search import Language
    from diaspora_search._fields import TEXT_FIELDS, forms_field
    from diaspora_search.query import Vocabulary

    path, _ = built
    with ds.SearchIndex.open(path) as opened:
        snapshot = opened._store.new_snapshot()
        terms = {
            t for fields in TEXT_FIELDS.values() for f in fields for t in snapshot.terms(f.name)
        }
        terms |= set(snapshot.terms(forms_field(Language.ES)))
        terms |= {"zzzunheld", "", "migrant", "famili"}
        assert len(terms) > 300
        vocabulary = Vocabulary(snapshot)
        for lang in Language:
            known = {t for t in terms if vocabulary.knows(lang, t)}
            looked_up = {
                t for t in terms if any(snapshot.has_term(f.name, t) for f in TEXT_FIELDS[lang])
            }
            assert known == looked_up
            assert 0 < len(known) < len(terms)
