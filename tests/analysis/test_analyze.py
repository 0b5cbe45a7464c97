"""The public analysis API: ``ds.analyze``, ``ds.fold``, language parsing, and its properties."""

from __future__ import annotations

import unicodedata
from concurrent.futures import ThreadPoolExecutor

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import diaspora_search as ds
from diaspora_search import analysis
from diaspora_search.analysis import word_texts
from diaspora_search.storage.analyzers import whoosh_analyzer

LANGS = ["en", "es"]

# Any Unicode text, and Latin prose weighted to the characters analysis treats specially.
LATIN = list("aeinosEÑáéíóúüñçÁÉßøłœæ ﬁＦ'’‘.,;:-_¿¡!?·½\u00a0\u00ad\u0301\u0303\u0308019")
texts = st.one_of(st.text(), st.text(st.sampled_from(LATIN)))
PROPERTY = settings(max_examples=400, deadline=None, suppress_health_check=[HealthCheck.too_slow])


# ---------------------------------------------------------------------------------------------
# The contract


def test_facade_exports() -> None:
    assert ds.analyze is analysis.analyze
    assert ds.fold is analysis.fold
    assert issubclass(ds.UnsupportedLanguageError, ds.DiasporaSearchError)


def test_contract_examples() -> None:
    assert ds.analyze("Las políticas de integración", "es") == ["polit", "integr"]
    assert ds.fold("Educación") == "Educacion"


@pytest.mark.parametrize("lang", LANGS)
@pytest.mark.parametrize("text", ["", " ", "¿¡!?", "— … —", "😀👍🏽"])
def test_no_words_no_terms(text: str, lang: str) -> None:
    assert ds.analyze(text, lang) == []


def test_terms_keep_word_order() -> None:
    assert ds.analyze("niños, educación y política", "es") == ["nin", "educ", "polit"]
    assert ds.analyze("política y educación, niños", "es") == ["polit", "educ", "nin"]
    assert ds.analyze("policies policies policy", "en") == ["polici", "polici", "polici"]


def test_returns_a_fresh_list_of_str() -> None:
    first = ds.analyze("las políticas", "es")
    first.append("mutated")
    assert ds.analyze("las políticas", "es") == ["polit"]
    assert all(type(t) is str for t in first)


# ---------------------------------------------------------------------------------------------
# Languages


@pytest.mark.parametrize(
    ("name", "expected"),
    [
        ("en", ds.Language.EN),
        ("es", ds.Language.ES),
        ("english", ds.Language.EN),
        ("spanish", ds.Language.ES),
        ("español", ds.Language.ES),
        ("EN", ds.Language.EN),
        ("Es", ds.Language.ES),
        ("English", ds.Language.EN),
        ("SPANISH", ds.Language.ES),
        ("Español", ds.Language.ES),
        ("ESPAÑOL", ds.Language.ES),
        (ds.Language.EN, ds.Language.EN),
        (ds.Language.ES, ds.Language.ES),
    ],
)
def test_language_aliases(name: str, expected: ds.Language) -> None:
    assert ds.Language.parse(name) is expected
    text = "The políticas of integración"
    assert ds.analyze(text, name) == ds.analyze(text, expected.value)


def test_the_language_changes_the_analysis() -> None:
    assert ds.analyze("políticas de migración", "en") == ["politica", "de", "migracion"]
    assert ds.analyze("políticas de migración", "spanish") == ["polit", "migracion"]


def test_language_alias_written_decomposed() -> None:
    assert ds.Language.parse("espan\u0303ol") is ds.Language.ES


@pytest.mark.parametrize(
    "name", ["fr", "de", "", "e", "en-US", "es_ES", "englsh", "ES ES", "fr-español", None, 3]
)
def test_unsupported_language(name: object) -> None:
    with pytest.raises(ds.DiasporaSearchError) as caught:
        ds.analyze("texto", name)  # type: ignore[arg-type]
    assert isinstance(caught.value, ds.UnsupportedLanguageError)
    assert isinstance(caught.value, ValueError)
    message = str(caught.value)
    assert "choose one of: en, es" in message
    assert repr(name) in message


# ---------------------------------------------------------------------------------------------
# Properties


def has_diacritics(term: str) -> bool:
    return any(
        unicodedata.combining(c) or unicodedata.category(c) == "Mn"
        for c in unicodedata.normalize("NFD", term)
    )


@PROPERTY
@given(texts)
def test_analyze_never_raises_and_gives_folded_terms(text: str) -> None:
    for lang in LANGS:
        terms = ds.analyze(text, lang)
        assert isinstance(terms, list)
        assert len(terms) <= len(word_texts(text))
        for term in terms:
            assert term
            assert not has_diacritics(term), term
            assert not any(c.isupper() for c in term), term


@PROPERTY
@given(texts)
def test_fold_is_idempotent(text: str) -> None:
    once = ds.fold(text)
    assert ds.fold(once) == once


@PROPERTY
@given(st.text(st.characters(max_codepoint=0x24F)))
def test_fold_of_latin_text_has_no_diacritics_and_keeps_ascii(text: str) -> None:
    folded = ds.fold(text)
    assert not has_diacritics(folded)
    if text.isascii():
        assert folded == text


@PROPERTY
@given(texts)
def test_query_analysis_equals_index_analysis(text: str) -> None:
    for lang in LANGS:
        expected = ds.analyze(text, lang)
        indexed = [t.text for t in whoosh_analyzer(lang)(text, positions=True, chars=True)]
        queried = [t.text for t in whoosh_analyzer(lang)(text, mode="query")]
        assert indexed == expected
        assert queried == expected


@PROPERTY
@given(texts)
def test_offsets_point_at_the_original_words(text: str) -> None:
    for lang in LANGS:
        # Whoosh reuses one Token object: copy what matters while iterating.
        tokens = [
            (t.original, t.startchar, t.endchar, t.pos)
            for t in whoosh_analyzer(lang)(
                text, chars=True, keeporiginal=True, positions=True, removestops=False
            )
        ]
        assert [original for original, *_ in tokens] == word_texts(text)
        for i, (original, start, end, pos) in enumerate(tokens):
            assert 0 <= start < end <= len(text)
            assert text[start:end] == original
            assert pos == i


def test_offsets_for_highlighting() -> None:
    text = "¿Cuántos niños? 😀 Las políticas de l'éducation"
    tokens = [
        (t.text, t.pos, t.startchar, text[t.startchar : t.endchar])
        for t in whoosh_analyzer("es")(text, chars=True, positions=True)
    ]
    # Stopwords leave gaps in the positions (for phrase queries); offsets are Python indexes.
    assert tokens == [
        ("cuant", 0, 1, "Cuántos"),
        ("nin", 1, 9, "niños"),
        ("polit", 3, 22, "políticas"),
        ("education", 5, 37, "éducation"),
    ]


def test_analysis_is_thread_safe() -> None:
    docs = [f"{i} niños y políticas; the communities’ {i}th policies" * 20 for i in range(200)]
    expected = [(ds.analyze(d, "es"), ds.analyze(d, "en")) for d in docs]
    with ThreadPoolExecutor(max_workers=8) as pool:
        got = list(pool.map(lambda d: (ds.analyze(d, "es"), ds.analyze(d, "en")), docs))
    assert got == expected
