"""The Whoosh adapters of the analysis: composition, registry, pickling, the per-term cache, and
Whoosh itself."""

from __future__ import annotations

import pickle
import subprocess
import sys
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from whoosh import fields, highlight, index
from whoosh.filedb.filestore import RamStorage
from whoosh.qparser import QueryParser

import diaspora_search as ds
from diaspora_search import Language
from diaspora_search.analysis import ANALYZER_NAMES, FORM_SEPARATOR, word_texts
from diaspora_search.analysis.chain import TermChain
from diaspora_search.analysis.fold import FoldFilter
from diaspora_search.analysis.normalize import NormalizeFilter
from diaspora_search.analysis.stage import Stage
from diaspora_search.analysis.stem import SnowballFilter
from diaspora_search.analysis.stopwords import StopwordFilter
from diaspora_search.storage.analyzers import (
    NamedAnalyzer,
    StageFilter,
    WordTokenizer,
    whoosh_analyzer,
)
from diaspora_search.storage.schema import build_schema

SAMPLE = "¿Dónde están las políticas de integración? The Government’s policies, niños"


def texts_of(name: str, text: str = SAMPLE) -> list[str]:
    return [t.text for t in whoosh_analyzer(name)(text)]


# ---------------------------------------------------------------------------------------------
# Registry and composition


def test_registry_names() -> None:
    assert tuple(ANALYZER_NAMES) == ("en", "es", "name", "forms-en", "forms-es")
    for name in ANALYZER_NAMES:
        found = whoosh_analyzer(name)
        assert isinstance(found, NamedAnalyzer)
        assert found.name == name
        assert whoosh_analyzer(name) is found  # one per process, and so one cache


def test_unknown_analyzer() -> None:
    with pytest.raises(KeyError, match="fr"):
        whoosh_analyzer("fr")


@pytest.mark.parametrize("lang", list(Language))
def test_language_analyzer_stages_in_order(lang: Language) -> None:
    found = whoosh_analyzer(lang.value)
    tokenizer, stage = found.items
    assert tokenizer == WordTokenizer()
    assert isinstance(stage, StageFilter)
    assert isinstance(found.chain, TermChain)
    assert found.chain.stages == stages(lang)


def stages(lang: Language | str) -> tuple[Stage, ...]:
    """The documented order: Spanish stems before folding (accented suffixes); English folds
    first (its stemmer knows no accents)."""
    lang = Language.parse(lang)
    if lang is Language.EN:
        return (NormalizeFilter(), StopwordFilter(lang), FoldFilter(), SnowballFilter(lang))
    return (NormalizeFilter(), StopwordFilter(lang), SnowballFilter(lang), FoldFilter())


def _pipeline(lang: str) -> object:
    pipeline = WordTokenizer()
    for stage in stages(lang):
        pipeline = pipeline | StageFilter(stage)
    return pipeline


whoosh_pipelines = {lang: _pipeline(lang) for lang in ("en", "es")}


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.one_of(st.text(), st.text(st.sampled_from(list("añé ÑÉ'’.-_½ﬁ\u0301los de the")))))
def test_cached_chain_equals_plain_whoosh_pipeline(text: str) -> None:
    """The same stages composed with Whoosh's ``|`` (no cache) give the same terms."""
    for lang, pipeline in whoosh_pipelines.items():
        assert [t.text for t in pipeline(text)] == ds.analyze(text, lang)


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(st.one_of(st.text(min_size=1), st.sampled_from(["Él", "the", "niños", "U.S"]))))
def test_words_computed_together_equal_words_computed_one_by_one(words: list[str]) -> None:
    """The fast path computes a text's new words stage by stage over the list
    (``Stage.apply_all``, one Snowball call); the query side computes one word at a time."""
    for name in ANALYZER_NAMES:
        together = whoosh_analyzer(name).chain
        alone = TermChain(*together.stages)
        together._cache.clear()
        assert together.word_terms(words) == [alone.term(w) or "" for w in words]
        assert together.word_terms(words) == [alone.term(w) or "" for w in words]  # cached


def test_name_analyzer() -> None:
    # No stemming; function words of either language dropped; folded.
    assert texts_of("name", "Juan de la Cruz and the Smiths, Peña") == [
        "juan",
        "cruz",
        "smiths",
        "pena",
    ]


@pytest.mark.parametrize(
    ("name", "expected"),
    [
        ("forms-es", [("politicas", "políticas"), ("nino", "niño")]),
        ("forms-en", [("politicas", "políticas"), ("nino", "niño")]),
    ],
)
def test_forms_analyzers(name: str, expected: list[tuple[str, str]]) -> None:
    # Each accented word that is not a stopword of the language, as "folded<US>written"
    # (normalized, unstemmed); words without diacritics ("las", "policy") give nothing.
    text = "las Políticas policy niño"
    assert texts_of(name, text) == [a + FORM_SEPARATOR + b for a, b in expected]


# ---------------------------------------------------------------------------------------------
# Pickling


@pytest.mark.parametrize("name", ANALYZER_NAMES)
@pytest.mark.parametrize("protocol", range(pickle.HIGHEST_PROTOCOL + 1))
def test_analyzer_pickles_by_name(name: str, protocol: int) -> None:
    original = whoosh_analyzer(name)
    before = texts_of(name)
    data = pickle.dumps(original, protocol=protocol)
    assert b"icu" not in data.lower()  # a name, never ICU objects or stale stages
    restored = pickle.loads(data)
    assert restored is original
    assert texts_of(name) == before


def test_term_chain_pickles_without_its_cache() -> None:
    chain = whoosh_analyzer("es").chain
    chain.terms(["niños", "de"])
    restored = pickle.loads(pickle.dumps(chain))
    assert restored is not chain
    assert restored == chain
    assert restored._cache == {}
    assert restored.terms(["niños", "de", "políticas"]) == ["nin", "polit"]


def test_schema_pickle_round_trip() -> None:
    schema = build_schema()
    restored = pickle.loads(pickle.dumps(schema))
    assert restored == schema
    assert restored.names() == schema.names()
    ours = [
        n for n in schema.names() if isinstance(getattr(schema[n], "analyzer", None), NamedAnalyzer)
    ]
    assert len(ours) == 9  # names, then title, summary, full text and forms per language
    for name in ours:
        assert restored[name].analyzer is schema[name].analyzer
    assert [t.text for t in restored["summary_es"].analyzer(SAMPLE)] == texts_of("es")


def test_pickles_load_in_a_fresh_process() -> None:
    """A pickle made here loads where the registry is still empty (as when opening an index)."""
    payload = pickle.dumps([build_schema(), *(whoosh_analyzer(n) for n in ANALYZER_NAMES)])
    script = (
        "import pickle, sys\n"
        "schema, *analyzers = pickle.loads(sys.stdin.buffer.read())\n"
        f"text = {SAMPLE!r}\n"
        "out = [[t.text for t in a(text)] for a in analyzers]\n"
        "out.append([t.text for t in schema['title_en'].analyzer(text)])\n"
        "sys.stdout.write(repr(out))\n"
    )
    done = subprocess.run(
        [sys.executable, "-c", script], input=payload, capture_output=True, check=True
    )
    expected = [texts_of(n) for n in ANALYZER_NAMES] + [texts_of("en")]
    assert done.stdout.decode() == repr(expected)


def test_index_on_disk_reopens_with_the_registered_analyzers(tmp_path: Path) -> None:
    index.create_in(str(tmp_path), build_schema())
    schema = index.open_dir(str(tmp_path)).schema
    assert schema["summary_es"].analyzer is whoosh_analyzer("es")
    assert schema["title_en"].analyzer is whoosh_analyzer("en")
    assert schema["names"].analyzer is whoosh_analyzer("name")


# ---------------------------------------------------------------------------------------------
# The per-term cache


def test_cache_holds_each_distinct_word_once() -> None:
    chain = whoosh_analyzer("es").chain
    assert ds.analyze("Zanahorias y ZANAHORIAS; zanahorias", "es") == ["zanahori"] * 3
    assert chain._cache["Zanahorias"] == "zanahori"
    assert chain._cache["ZANAHORIAS"] == "zanahori"
    assert chain._cache["y"] == ""  # a stopword is cached as such
    assert chain.term("y") is None
    assert chain.term("zanahorias") == "zanahori"


def test_cache_is_shared_by_analyze_and_the_whoosh_analyzer() -> None:
    chain = whoosh_analyzer("en").chain
    word = "Xylophonists"
    chain._cache.pop(word, None)
    assert [t.text for t in whoosh_analyzer("en")(word)] == ["xylophonist"]
    assert chain._cache[word] == "xylophonist"
    assert ds.analyze(word, "en") == ["xylophonist"]


@settings(max_examples=200, deadline=None)
@given(st.text())
def test_cached_terms_equal_fresh_terms(text: str) -> None:
    for lang in Language:
        fresh = TermChain(*stages(lang))
        words = word_texts(text)
        assert fresh.terms(words) == ds.analyze(text, lang)
        assert fresh.terms(words) == ds.analyze(text, lang)  # second time from the caches


def test_stopped_tokens_are_marked_when_stops_are_kept() -> None:
    tokens = [(t.text, t.stopped) for t in whoosh_analyzer("es")("de las niñas", removestops=False)]
    assert tokens == [("de", True), ("las", True), ("nin", False)]


# ---------------------------------------------------------------------------------------------
# Whoosh end to end: the query parser and highlighter use the very same analysis


def test_query_parser_uses_the_same_analysis() -> None:
    schema = build_schema()
    query = QueryParser("summary_es", schema).parse("Las POLÍTICAS de integracion niños")
    assert list(query.iter_all_terms()) == [
        ("summary_es", "polit"),
        ("summary_es", "integr"),
        ("summary_es", "nin"),
    ]
    query = QueryParser("summary_en", schema).parse("The Government’s policies")
    assert list(query.iter_all_terms()) == [("summary_en", "govern"), ("summary_en", "polici")]


def test_search_and_highlight_with_and_without_accents() -> None:
    schema = fields.Schema(
        id=fields.ID(stored=True), body=fields.TEXT(analyzer=whoosh_analyzer("es"), stored=True)
    )
    storage = RamStorage()
    ix = storage.create_index(schema)
    with ix.writer() as writer:
        writer.add_document(id="1", body="¿Dónde están las políticas de los niños?")
        writer.add_document(id="2", body="El año de la economía")
    reopened = storage.open_index()
    with reopened.searcher() as searcher:
        for query_text in ["politica NINO", "políticas niños", "Politicas ninos"]:
            query = QueryParser("body", reopened.schema).parse(query_text)
            results = searcher.search(query)
            results.formatter = highlight.UppercaseFormatter()
            assert [(hit["id"], hit.highlights("body")) for hit in results] == [
                ("1", "Dónde están las POLÍTICAS de los NIÑOS")
            ]
