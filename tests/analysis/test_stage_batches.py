"""Each stage's batch form (``Stage.apply_all``, what the chains run over every new word of a
query, snippet or spelling correction) gives what its one-word form gives, word by word."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from diaspora_search import Language
from diaspora_search.analysis.chain import ANALYZER_NAMES, TermChain, analyzer
from diaspora_search.analysis.fold import FoldFilter
from diaspora_search.analysis.normalize import NormalizeFilter
from diaspora_search.analysis.stage import Stage
from diaspora_search.analysis.stem import SnowballFilter
from diaspora_search.analysis.stopwords import StopwordFilter

STAGES: list[Stage] = [
    NormalizeFilter(),
    FoldFilter(),
    *(StopwordFilter(lang) for lang in Language),
    *(SnowballFilter(lang) for lang in Language),
]

# Words as the tokenizer gives them: plain ASCII (the batch forms' shortcut), abbreviations
# with dots, accents and capitals, typographic apostrophes, fractions, other scripts.
WORDS = [
    "Educación",
    "educacion",
    "U.S",
    "e.g.",
    "Government’s",
    "6½",
    "ﬁle",
    "ＦＵＬＬ",
    "the",
    "THE",
    "También",
    "tambien",
    "más",
    "año",
    "niños",
    "москва",
    "東京",
    "",
    "a.b.c",
    "3.14",
]


@pytest.mark.parametrize("stage", STAGES, ids=lambda s: f"{type(s).__name__}")
def test_batch_is_each_word_alone_on_chosen_words(stage: Stage) -> None:
    texts: list[str | None] = [*WORDS, None, *(w.lower() for w in WORDS)]
    expected = [None if t is None else stage.apply(t) for t in texts]
    assert stage.apply_all(texts) == expected


@settings(max_examples=300, deadline=None)
@given(
    st.lists(
        st.none()
        | st.text(alphabet=st.characters(max_codepoint=0x24F), max_size=12)
        | st.text(alphabet="abcdefghijklmnopqrstuvwxyzABC.'’áéíñü", max_size=12)
    )
)
def test_batch_is_each_word_alone(texts: list[str | None]) -> None:
    for stage in STAGES:
        expected = [None if t is None else stage.apply(t) for t in texts]
        assert stage.apply_all(texts) == expected, type(stage).__name__


CANDIDATES = ["the", "los", "educacion", "running", "happy", "naciones", "a", "y", "zzq", "ies"]


@pytest.mark.parametrize("name", ANALYZER_NAMES)
def test_candidate_terms_are_the_chains_terms(name: str) -> None:
    """``TermChain.candidate_terms`` (a spelling correction's candidates, uncached, skipping
    the stages that leave lowercase ASCII letters as they are) gives what the cached chain
    gives, stopwords ("the", "los", "y") included; a list with other characters too."""
    chain = analyzer(name).chain
    for words in (CANDIDATES, [*CANDIDATES, "Educación", "U.S"], [*CANDIDATES, ""]):
        fresh = TermChain(*chain.stages)
        assert chain.candidate_terms(words) == fresh.word_terms(words)


@settings(max_examples=200, deadline=None)
@given(st.lists(st.text(alphabet="abcdefghijklmnopqrstuvwxyzñ", min_size=1, max_size=10)))
def test_candidate_terms_are_the_chains_terms_on_any_letters(words: list[str]) -> None:
    for name in ANALYZER_NAMES:
        chain = analyzer(name).chain
        assert chain.candidate_terms(words) == TermChain(*chain.stages).word_terms(words), name
