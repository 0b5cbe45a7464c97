"""Stage 1: word breaking (ICU word rules, elision, fractions) and its regex fast path."""

from __future__ import annotations

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from diaspora_search import _compiled
from diaspora_search.analysis import _icu, tokenizer, word_texts, words
from diaspora_search.storage.analyzers import WordTokenizer
from tests.fixtures.pure_python import pytest_without_core

# ---------------------------------------------------------------------------------------------
# Golden cases: text -> the words as written.

WORD_CASES = [
    # Inverted marks are punctuation, never part of a word.
    ("¿Dónde está?", ["Dónde", "está"]),
    ("¡Hola, mundo!", ["Hola", "mundo"]),
    ("¿Qué?¡Sí!", ["Qué", "Sí"]),
    ("«Hola» —dijo—", ["Hola", "dijo"]),
    # Apostrophes join letters; a French elision is split off.
    ("O'Brien", ["O'Brien"]),
    ("O’Brien’s", ["O’Brien’s"]),
    ("don't", ["don't"]),
    ("don’t", ["don’t"]),
    ("Government’s", ["Government’s"]),
    ("rock'n'roll", ["rock'n'roll"]),
    ("the dogs' bones", ["the", "dogs", "bones"]),
    ("’90s", ["90s"]),
    ("l'état", ["état"]),
    ("l’été", ["été"]),
    ("L'Équipe", ["Équipe"]),
    ("d'Artagnan", ["Artagnan"]),
    ("qu’il", ["il"]),
    ("D'Souza", ["D'Souza"]),  # no elision before a consonant
    ("²l'été", ["été"]),  # "²" is no word, so a word starts after it
    # Hyphens separate words.
    ("community-based", ["community", "based"]),
    ("U.S.-Mexico", ["U.S", "Mexico"]),
    ("COVID-19", ["COVID", "19"]),
    ("mid-1990s", ["mid", "1990s"]),
    ("e-mail", ["e", "mail"]),
    # Dots join letters (abbreviations); a final dot is punctuation.
    ("e.g. a.b.c", ["e.g", "a.b.c"]),
    # Numbers stay whole and take a vulgar fraction that follows them.
    ("1848", ["1848"]),
    ("3.14", ["3.14"]),
    ("1,000", ["1,000"]),
    ("1.000,50 €", ["1.000,50"]),
    ("6½", ["6½"]),
    ("2¾ miles", ["2¾", "miles"]),
    ("6 ½", ["6", "½"]),
    ("½", ["½"]),
    ("10:30", ["10", "30"]),
    ("$100 50%", ["100", "50"]),
    # Mixed scripts.
    ("Москва2024", ["Москва2024"]),
    ("Tokyo東京", ["Tokyo", "東京"]),
    ("日本語テキスト", ["日本語", "テキスト"]),
    ("2024年", ["2024", "年"]),
    ("Ελλάδα and España", ["Ελλάδα", "and", "España"]),
    ("שלום world", ["שלום", "world"]),
    ("naïve日本", ["naïve", "日本"]),
    # Symbols and emoji are not words (and astral characters do not shift offsets).
    ("😀niño👍🏽x", ["niño", "x"]),
    ("C++ #hashtag", ["C", "hashtag"]),
    # Other characters that matter.
    ("co\u00adoperate", ["co\u00adoperate"]),  # soft hyphen inside a word
    ("a\u00a0b", ["a", "b"]),  # no-break space
    ("a\u2009b\tc\nd", ["a", "b", "c", "d"]),
    ("foo_bar _ __", ["foo_bar", "__"]),  # a lone "_" is no word
    ("col·lecció", ["col·lecció"]),  # Catalan middle dot
    ("e\u0301cole", ["e\u0301cole"]),  # combining accent stays with its letter
    ("Ｈｅｌｌｏ，ｗｏｒｌｄ", ["Ｈｅｌｌｏ", "ｗｏｒｌｄ"]),
    ("ﬁnancial", ["ﬁnancial"]),
    ("", []),
    ("¿¡!?.,;:— …", []),
]


@pytest.mark.parametrize(("text", "expected"), WORD_CASES)
def test_words(text: str, expected: list[str]) -> None:
    spans = words(text)
    assert [text[a:b] for a, b in spans] == expected
    assert word_texts(text) == expected
    assert [t.text for t in WordTokenizer()(text)] == expected


SPAN_CASES = [
    ("¿Dónde está?", [(1, 6), (7, 11)]),
    ("l'état", [(2, 6)]),
    ("qu’il est", [(3, 5), (6, 9)]),
    ("6½ kg", [(0, 2), (3, 5)]),
    ("😀 niño", [(2, 6)]),
    ("👍🏽👍🏽 año 😀", [(5, 8)]),
    ("𝒜𝒷𝒸 x", [(0, 3), (4, 5)]),  # astral letters: Python indexes, not UTF-16 units
]


@pytest.mark.parametrize(("text", "expected"), SPAN_CASES)
def test_word_offsets(text: str, expected: list[tuple[int, int]]) -> None:
    assert words(text) == expected


def test_whoosh_tokenizer_positions_and_offsets() -> None:
    text = "¿Dónde está l'école?"
    tokens = [
        (t.text, t.pos, t.startchar, t.endchar, t.original)
        for t in WordTokenizer()(
            text, positions=True, chars=True, keeporiginal=True, start_pos=10, start_char=100
        )
    ]
    assert tokens == [
        ("Dónde", 10, 101, 106, "Dónde"),
        ("está", 11, 107, 111, "está"),
        ("école", 12, 114, 119, "école"),
    ]


def test_whoosh_tokenizer_untokenized() -> None:
    tokens = [
        (t.text, t.pos, t.startchar, t.endchar)
        for t in WordTokenizer()("¡Hola, mundo!", tokenize=False, positions=True, chars=True)
    ]
    assert tokens == [("¡Hola, mundo!", 0, 0, 13)]


def test_whoosh_tokenizer_equality() -> None:
    assert WordTokenizer() == WordTokenizer()
    assert hash(WordTokenizer()) == hash(WordTokenizer())
    assert WordTokenizer() != object()


# ---------------------------------------------------------------------------------------------
# The regex fast path against ICU.


def icu_spans(text: str) -> list[tuple[int, int]]:
    """Word spans by ICU's rules alone."""
    return [(a, b) for a, b, s in _icu.word_segments(text) if s >= _icu.WORD_STATUS_MIN]


def icu_words(text: str) -> list[tuple[int, int]]:
    """What ``words`` must give: ICU's spans, then the fraction and elision post-processing."""
    segments = _icu.word_segments(text)
    spans = icu_spans(text)
    if tokenizer._FRACTION.search(text) is not None:
        spans = tokenizer._with_fractions(text, segments)
    if "'" in text or "’" in text:
        spans = [tokenizer._without_elision(text, a, b) for a, b in spans]
    return spans


def fast_path_admits(text: str) -> bool:
    return tokenizer._SIMPLE_TEXT.fullmatch(text) is not None


# Every character the fast path admits up to the end of Latin Extended-A, plus the typographic
# punctuation it admits.
ADMITTED = [chr(i) for i in range(0x180) if fast_path_admits(chr(i))] + list("‘’“”–—…")
# The characters where the word rules are subtle: joiners (MidLetter, MidNum, MidNumLet,
# apostrophes), ExtendNumLet "_", spaces, and letters of each kind.
JOINERS = list(".,;:'’‘·")
TRICKY = [*JOINERS, *"_ \u00a0-¿¡09aZéÑſªºµß"]
# Every pairing of letter/digit/underscore around a joiner ("1,2", "a·b", "_'a", ...), so that
# each rule is exercised in nearly every example.
FRAGMENTS = [x + j + y for x in "a1_é" for j in JOINERS for y in "a1_é"]
NOT_ADMITTED = list("@\u00ad½¼¾×÷\u0301\u200b\u2060\ufeff\u2024＇．😀Ж東\u0085")

assert all(fast_path_admits(c) for c in TRICKY + FRAGMENTS)
assert not any(fast_path_admits(c) for c in NOT_ADMITTED)


def _joined(*pieces: st.SearchStrategy[str]) -> st.SearchStrategy[str]:
    return st.lists(st.one_of(*pieces), max_size=16).map("".join)


admitted_text = _joined(
    st.sampled_from(TRICKY), st.sampled_from(FRAGMENTS), st.sampled_from(ADMITTED)
)
any_text = _joined(
    st.sampled_from(TRICKY),
    st.sampled_from(FRAGMENTS),
    st.sampled_from(NOT_ADMITTED),
    st.sampled_from(ADMITTED),
)
FAST = settings(max_examples=1000, deadline=None, suppress_health_check=[HealthCheck.too_slow])


@pytest.mark.parametrize(
    ("text", "admitted"),
    [
        ("Las políticas de integración, 1,000.", True),
        ("¿Dónde está? “Government’s” — O'Brien…", True),
        ("6½", False),
        ("a@b.com", False),
        ("co\u00adoperate", False),
        ("Москва", False),
        ("e\u0301", False),
    ],
)
def test_fast_path_admission(text: str, admitted: bool) -> None:
    assert fast_path_admits(text) is admitted
    assert words(text) == icu_words(text)


@FAST
@given(admitted_text)
def test_fast_path_regex_gives_icu_spans(text: str) -> None:
    """The fast path's word regex gives exactly ICU's spans (before any post-processing)."""
    assert fast_path_admits(text)
    regex = [m.span() for m in tokenizer._SIMPLE_WORD.finditer(text) if m.group() != "_"]
    assert regex == icu_spans(text)


@FAST
@given(admitted_text.filter(lambda t: "'" not in t and "’" not in t))
def test_words_on_fast_path_text_equal_icu(text: str) -> None:
    assert words(text) == icu_spans(text)


@FAST
@given(admitted_text)
def test_words_on_fast_path_text_with_elisions(text: str) -> None:
    assert words(text) == icu_words(text)


@FAST
@given(any_text)
def test_words_on_any_text_equal_icu(text: str) -> None:
    """Text the fast path refuses goes to ICU; text it admits gives ICU's spans anyway."""
    assert words(text) == icu_words(text)
    assert word_texts(text) == [text[a:b] for a, b in words(text)]


@settings(max_examples=300, deadline=None)
@given(st.text())
def test_spans_are_ordered_nonempty_and_inside_text(text: str) -> None:
    spans = words(text)
    end = 0
    for a, b in spans:
        assert end <= a < b <= len(text)
        end = b
    assert word_texts(text) == [text[a:b] for a, b in spans]


@settings(max_examples=400, deadline=None)
@given(st.text(st.sampled_from(list("abcdlqu'’ éÉ_ .,;-½9 Ñd'h²"))))
def test_word_texts_equal_word_spans_with_elisions(text: str) -> None:
    # The string fast path strips elisions from words, the span path from spans: the same.
    assert word_texts(text) == [text[a:b] for a, b in words(text)]


# ---------------------------------------------------------------------------------------------
# The compiled word breaker (``_core.simple_words``, ``simple_word_spans``) against the regex
# fast path.

needs_core = pytest.mark.skipif(_compiled.core is None, reason="the compiled core is not built")

# Letters and digits (ASCII, Latin-1, Latin Extended-A), the joiners, "_", spaces, "@", the
# characters of the elisions, typographic punctuation (UCS2), and characters outside the
# simple set (in UCS1, UCS2 and beyond).
BREAKER_ALPHABET = [
    *"aZ09éÑſªºµßÿĀž",
    *".'’‘·,;:_ \t\n\u00a0-",
    *"cdjlmnstqQuUhHiIİıœŒæÆ",
    *"“”–—…¿¡²³¹",
    *NOT_ADMITTED,
]


def assert_compiled_agrees(text: str) -> None:
    """The core's words and their spans are the regexes' (both ``None`` if not simple)."""
    assert _compiled.core.simple_words(text) == tokenizer._regex_simple_words(text), text
    assert _compiled.core.simple_word_spans(text) == tokenizer._regex_simple_word_spans(text), text


@needs_core
@FAST
@given(st.text(st.sampled_from(BREAKER_ALPHABET), max_size=40))
def test_compiled_breaker_equals_regex_on_random_characters(text: str) -> None:
    assert_compiled_agrees(text)


@needs_core
@FAST
@given(any_text)
def test_compiled_breaker_equals_regex_on_word_fragments(text: str) -> None:
    assert_compiled_agrees(text)


@needs_core
@pytest.mark.parametrize(
    "text",
    [
        "",
        "_",
        "__",
        "_a",
        "a_",
        " _ ",
        ".a.",
        "'a'",
        "’a’",
        "·a·",
        "a.",
        ".1",
        "1,000,000",
        "1,",
        ",1",
        "1,a",
        "a,b",
        "1;2",
        "a;b",
        "a·b",
        "1·2",
        "a‘b",
        "1’2",
        "l'",
        "l'é",
        "qu'",
        "qu'i",
        "Qu’IL",
        "q'a",
        "u'a",
        "ſ’a",
        "l'İ",
        "l‘été",  # ‘ joins but is no elision
        "“Sí” — dijo…",  # UCS2
        "naïve–résumé",
        "año\u0100",
        "hola@",  # outside the set at the end
        "hola mundo\u00ad",
        "hola mundo½",
        "hola Ж",
        "hola 😀",
        "Ā",
        "@",
    ],
)
def test_compiled_breaker_edge_cases(text: str) -> None:
    assert_compiled_agrees(text)


@needs_core
def test_compiled_breaker_elision_letters_and_vowels() -> None:
    # Every character up to the end of Latin Extended-A (and ’) in every place of an elision.
    chars = [chr(i) for i in range(0x180)] + ["’", "‘"]
    for c in chars:
        for text in (f"l'{c}x", f"l’{c}", f"{c}'ex", f"{c}’é", f"qu'{c}", f"{c}u'e", f"q{c}'e"):
            assert_compiled_agrees(text)


@needs_core
def test_compiled_breaker_refuses_what_is_not_a_str() -> None:
    with pytest.raises(TypeError):
        _compiled.core.simple_words(b"hola")
    with pytest.raises(TypeError):
        _compiled.core.simple_word_spans(b"hola")


@pytest.mark.skipif(tokenizer.IMPLEMENTATION != "c", reason="this run already uses the regexes")
def test_the_tokenizer_without_the_compiled_core() -> None:
    output = pytest_without_core(__file__)
    assert " passed" in output and " skipped" in output  # the compiled tests skipped
