"""Stage 2: NFKC with case folding; accents kept for the stemmer."""

from __future__ import annotations

import unicodedata
from collections.abc import Callable

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from diaspora_search import analyze
from diaspora_search.analysis import normalize, word_texts
from diaspora_search.analysis.normalize import NormalizeFilter
from diaspora_search.storage.analyzers import StageFilter, WordTokenizer


@pytest.mark.parametrize(
    ("word", "expected"),
    [
        ("Educación", "educación"),
        ("EDUCACIÓN", "educación"),
        ("educacio\u0301n", "educación"),  # e + combining accent -> precomposed
        ("ﬁle", "file"),  # ligature
        ("ﬂow", "flow"),
        ("ＦＵＬＬ", "full"),  # full-width
        ("Ｅｄｕｃａｃｉóｎ", "educación"),
        ("Straße", "strasse"),  # case folding, not lowercasing
        ("ẞ", "ss"),
        ("Government’s", "government's"),  # typographic apostrophe
        ("Government＇s", "government's"),  # full-width apostrophe
        ("U.S", "us"),  # abbreviation of single letters loses its dots
        ("U.S.A", "usa"),
        ("e.g", "eg"),
        ("Ph.D", "ph.d"),  # not single letters: kept
        ("3.14", "3.14"),
        ("6½", "6+1/2"),  # NFKC alone would give "61⁄2"
        ("½", "1/2"),
        ("Ⅻ", "xii"),
        ("ÑANDÚ", "ñandú"),  # accents kept
        ("pingüino", "pingüino"),
        ("Москва", "москва"),
    ],
)
def test_normalize(word: str, expected: str) -> None:
    assert normalize(word) == expected


@pytest.mark.parametrize(
    ("a", "b"),
    [
        ("educación", "educacio\u0301n"),
        ("Niño", "Nin\u0303o"),
        ("ÉCOLE", "E\u0301COLE"),
        ("pingüino", "pingu\u0308ino"),
        ("file", "ﬁle"),
        ("full", "ＦＵＬＬ"),
        ("Política", "ＰＯＬÍＴＩＣＡ"),
    ],
)
@pytest.mark.parametrize("lang", ["en", "es"])
def test_equivalent_spellings_give_the_same_term(a: str, b: str, lang: str) -> None:
    assert normalize(a) == normalize(b)
    assert analyze(a, lang) == analyze(b, lang)
    assert len(analyze(a, lang)) == 1


@pytest.mark.parametrize(
    ("text", "lang", "expected"),
    [
        ("educacio\u0301n", "es", ["educ"]),
        ("EDUCACIÓN", "es", ["educ"]),
        ("Ｅｄｕｃａｃｉóｎ", "es", ["educ"]),
        ("ﬁnancial", "en", ["financi"]),
        ("ＦＵＬＬ", "en", ["full"]),
        ("ﬂows", "en", ["flow"]),
        ("cafe\u0301", "en", ["cafe"]),
        ("Nin\u0303os", "es", ["nin"]),
    ],
)
def test_normalized_terms(
    assert_terms: Callable[..., None], text: str, lang: str, expected: list[str]
) -> None:
    assert_terms(text, lang, expected)


def test_normalize_filter_in_a_whoosh_pipeline() -> None:
    pipeline = WordTokenizer() | StageFilter(NormalizeFilter())
    assert [t.text for t in pipeline("¿La Educación? ﬁle ＦＵＬＬ")] == [
        "la",
        "educación",
        "file",
        "full",
    ]


@settings(max_examples=300, deadline=None)
@given(st.text())
def test_normalize_is_idempotent_and_nfc(text: str) -> None:
    for word in word_texts(text):
        once = normalize(word)
        assert normalize(once) == once
        assert unicodedata.is_normalized("NFC", once)


# The Latin table of ``_icu.nfkc_casefold`` against ICU's normalizer, which it stands in for
# below U+0180.
LATIN = [chr(c) for c in range(0x180)]


def test_latin_casefold_table_is_icus_for_every_character() -> None:
    from diaspora_search.analysis import _icu

    assert [ch for ch in LATIN if _icu.nfkc_casefold(ch) != _icu.icu_nfkc_casefold(ch)] == []


def test_latin_casefold_table_is_icus_for_every_pair_of_characters() -> None:
    # (a composition across two characters, were there one, would show in a pair)
    from diaspora_search.analysis import _icu

    texts = [a + b for a in LATIN[0x20:] for b in LATIN[0x20:]]
    assert [_icu.nfkc_casefold(t) for t in texts] == [_icu.icu_nfkc_casefold(t) for t in texts]


@given(st.text(alphabet=st.sampled_from([*LATIN, "\u0301", "\u0308", "ẞ", "ﬁ", "Ｅ"]), max_size=30))
@settings(max_examples=300, deadline=None)
def test_nfkc_casefold_is_icus_on_any_text(text: str) -> None:
    from diaspora_search.analysis import _icu

    assert _icu.nfkc_casefold(text) == _icu.icu_nfkc_casefold(text)


def test_latin_text_is_analyzed_without_loading_icu() -> None:
    import subprocess
    import sys

    code = (
        "import sys, diaspora_search as ds; "
        "print(ds.analyze('Las políticas de integración, Straße', 'es'), 'icu' in sys.modules)"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert done.stdout.split() == ["['polit',", "'integr',", "'strass']", "False"]
