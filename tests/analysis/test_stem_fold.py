"""Stages 4 and 5: Snowball stems (with accents), then diacritics folded.

Golden single-term cases in the style of Lucene's ``checkOneTerm``, and a folding table in the
spirit of Lucene's ``ASCIIFoldingFilter`` test.
"""

from __future__ import annotations

import unicodedata
from collections.abc import Callable

import pytest
import Stemmer
from hypothesis import given, settings
from hypothesis import strategies as st

from diaspora_search import Language, analyze, fold
from diaspora_search.analysis import fold_term
from diaspora_search.analysis.fold import FoldFilter
from diaspora_search.analysis.stem import SnowballFilter, stem
from diaspora_search.storage.analyzers import StageFilter, WordTokenizer

AssertTerms = Callable[[str, str, list[str]], None]

ENGLISH_TERMS = [
    # plurals and inflections
    ("policy", "polici"),
    ("policies", "polici"),
    ("community", "communiti"),
    ("communities", "communiti"),
    ("migrants", "migrant"),
    ("migration", "migrat"),
    ("immigrants", "immigr"),
    ("governments", "govern"),
    ("organizations", "organiz"),
    ("organization", "organiz"),
    ("studies", "studi"),
    ("studying", "studi"),
    ("studied", "studi"),
    ("running", "run"),
    ("runs", "run"),
    ("generously", "generous"),
    ("happiness", "happi"),
    ("nationalism", "nation"),
    ("remittances", "remitt"),
    ("diasporas", "diaspora"),
    ("Mexicans", "mexican"),
    ("women", "women"),
    # possessives, with either apostrophe
    ("Government's", "govern"),
    ("Government’s", "govern"),
    ("Government＇s", "govern"),
    ("Mexico’s", "mexico"),
    ("O'Brien", "o'brien"),
    # abbreviations, ligatures, full width, accents
    ("U.S.", "us"),
    ("U.S.A.", "usa"),
    ("e.g.", "eg"),
    ("ﬁnancial", "financi"),
    ("ﬂows", "flow"),
    ("ＦＵＬＬ", "full"),
    ("café", "cafe"),
    ("cafe\u0301", "cafe"),
    ("naïve", "naiv"),
    ("Naïve", "naiv"),
    # numbers
    ("1848", "1848"),
    ("1,000", "1,000"),
    ("3.14", "3.14"),
    ("6½", "6+1/2"),
    ("19th", "19th"),
    # English content words that are Spanish stopwords
    ("son", "son"),
    ("era", "era"),
]

SPANISH_TERMS = [
    # plurals, -ción / -ciones
    ("política", "polit"),
    ("políticas", "polit"),
    ("politica", "polit"),
    ("Política", "polit"),
    ("POLÍTICA", "polit"),
    ("educación", "educ"),
    ("educacion", "educ"),
    ("educaciones", "educ"),
    ("Educación", "educ"),
    ("EDUCACIÓN", "educ"),
    ("educacio\u0301n", "educ"),
    ("integración", "integr"),
    ("organización", "organiz"),
    ("organizaciones", "organiz"),
    ("nación", "nacion"),
    ("naciones", "nacion"),
    ("nacion", "nacion"),
    ("canción", "cancion"),
    ("canciones", "cancion"),
    ("corazón", "corazon"),
    ("corazones", "corazon"),
    # -mente
    ("rápidamente", "rapid"),
    ("rapidamente", "rapid"),
    ("lentamente", "lent"),
    ("claramente", "clar"),
    # verbs
    ("cantar", "cant"),
    ("cantaban", "cant"),
    ("cantando", "cant"),
    ("cantó", "cant"),
    ("cantaré", "cant"),
    ("trabajador", "trabaj"),
    ("trabajadores", "trabaj"),
    ("trabajando", "trabaj"),
    ("trabajó", "trabaj"),
    ("trabajaba", "trabaj"),
    # nouns and adjectives
    ("comunidad", "comun"),
    ("comunidades", "comun"),
    ("identidad", "ident"),
    ("familia", "famili"),
    ("familias", "famili"),
    ("económica", "econom"),
    ("economía", "econom"),
    ("remesas", "remes"),
    ("inmigrantes", "inmigr"),
    ("latinoamericanos", "latinoamerican"),
    # ñ and ü fold
    ("niño", "nin"),
    ("nino", "nin"),
    ("niños", "nin"),
    ("niña", "nin"),
    ("NIÑO", "nin"),
    ("Nin\u0303o", "nin"),
    ("año", "ano"),
    ("ano", "ano"),
    ("español", "espanol"),
    ("españoles", "espanol"),
    ("pingüino", "pinguin"),
    ("pinguino", "pinguin"),
    ("sólo", "sol"),
    ("solo", "sol"),
    # full width, ligatures
    ("Ｅｄｕｃａｃｉóｎ", "educ"),
    ("ﬁesta", "fiest"),
]


@pytest.mark.parametrize(("word", "term"), ENGLISH_TERMS)
def test_english_term(assert_terms: AssertTerms, word: str, term: str) -> None:
    assert_terms(word, "en", [term])


@pytest.mark.parametrize(("word", "term"), SPANISH_TERMS)
def test_spanish_term(assert_terms: AssertTerms, word: str, term: str) -> None:
    assert_terms(word, "es", [term])


@pytest.mark.parametrize(
    ("a", "b"),
    [
        ("educación", "educacion"),
        ("política", "politica"),
        ("niño", "nino"),
        ("año", "ano"),
        ("rápidamente", "rapidamente"),
        ("pingüino", "pinguino"),
        ("migración", "migracion"),
        ("canción", "cancion"),
    ],
)
def test_spanish_accented_and_unaccented_share_a_term(a: str, b: str) -> None:
    assert analyze(a, "es") == analyze(b, "es")


def test_contract_example() -> None:
    assert analyze("Las políticas de integración", "es") == ["polit", "integr"]
    assert analyze("The communities' integration policies", "en") == [
        "communiti",
        "integr",
        "polici",
    ]


# ---------------------------------------------------------------------------------------------
# Stemming


def test_snowball_algorithm_names() -> None:
    assert Language.EN.snowball == "english"
    assert Language.ES.snowball == "spanish"


@pytest.mark.parametrize(
    ("word", "lang"),
    [
        ("integración", Language.ES),
        ("mayoría", Language.ES),
        ("geografías", Language.ES),
        ("communities", Language.EN),
        ("running", Language.EN),
    ],
)
def test_stem_is_pystemmer_snowball(word: str, lang: Language) -> None:
    assert stem(word, lang) == Stemmer.Stemmer(lang.snowball).stemWord(word)


@pytest.mark.parametrize(
    ("accented", "term", "unaccented_stem"),
    [
        # Snowball Spanish strips "-ía" but not "-ia": the term shows it saw the accent.
        ("mayoría", "mayor", "mayori"),
        ("geografías", "geograf", "geografi"),
    ],
)
def test_stemmer_sees_the_accents(accented: str, term: str, unaccented_stem: str) -> None:
    assert stem(fold(accented), Language.ES) == unaccented_stem
    assert analyze(accented, "es") == [term]


def test_snowball_filter_accepts_aliases() -> None:
    assert SnowballFilter("spanish") == SnowballFilter(Language.ES)
    assert SnowballFilter("en") != SnowballFilter("es")
    pipeline = WordTokenizer() | StageFilter(SnowballFilter("es"))
    assert [t.text for t in pipeline("canciones cantaban")] == ["cancion", "cant"]


# ---------------------------------------------------------------------------------------------
# Folding

LOWER_FOLDS = [
    ("á", "a"),
    ("à", "a"),
    ("â", "a"),
    ("ä", "a"),
    ("ã", "a"),
    ("å", "a"),
    ("ā", "a"),
    ("ă", "a"),
    ("ą", "a"),
    ("ç", "c"),
    ("ć", "c"),
    ("č", "c"),
    ("ď", "d"),
    ("đ", "d"),
    ("é", "e"),
    ("è", "e"),
    ("ê", "e"),
    ("ë", "e"),
    ("ē", "e"),
    ("ě", "e"),
    ("ę", "e"),
    ("í", "i"),
    ("ì", "i"),
    ("î", "i"),
    ("ï", "i"),
    ("ñ", "n"),
    ("ń", "n"),
    ("ň", "n"),
    ("ó", "o"),
    ("ò", "o"),
    ("ô", "o"),
    ("ö", "o"),
    ("õ", "o"),
    ("ø", "o"),
    ("ő", "o"),
    ("ú", "u"),
    ("ù", "u"),
    ("û", "u"),
    ("ü", "u"),
    ("ů", "u"),
    ("ű", "u"),
    ("ý", "y"),
    ("ÿ", "y"),
    ("ž", "z"),
    ("ź", "z"),
    ("ż", "z"),
    ("ł", "l"),
    ("ß", "ss"),
    ("æ", "ae"),
    ("œ", "oe"),
    ("ș", "s"),
    ("ț", "t"),
    ("ǖ", "u"),
    ("ẽ", "e"),
]

UPPER_FOLDS = [
    ("Á", "A"),
    ("À", "A"),
    ("Â", "A"),
    ("Ä", "A"),
    ("Ã", "A"),
    ("Å", "A"),
    ("Ā", "A"),
    ("Ă", "A"),
    ("Ą", "A"),
    ("Ç", "C"),
    ("Ć", "C"),
    ("Č", "C"),
    ("Ď", "D"),
    ("Đ", "D"),
    ("É", "E"),
    ("È", "E"),
    ("Ê", "E"),
    ("Ë", "E"),
    ("Ē", "E"),
    ("Ě", "E"),
    ("Ę", "E"),
    ("Í", "I"),
    ("Ì", "I"),
    ("Î", "I"),
    ("Ï", "I"),
    ("Ñ", "N"),
    ("Ń", "N"),
    ("Ň", "N"),
    ("Ó", "O"),
    ("Ò", "O"),
    ("Ô", "O"),
    ("Ö", "O"),
    ("Õ", "O"),
    ("Ø", "O"),
    ("Ő", "O"),
    ("Ú", "U"),
    ("Ù", "U"),
    ("Û", "U"),
    ("Ü", "U"),
    ("Ů", "U"),
    ("Ű", "U"),
    ("Ý", "Y"),
    ("Ÿ", "Y"),
    ("Ž", "Z"),
    ("Ź", "Z"),
    ("Ż", "Z"),
    ("Ł", "L"),
    ("ẞ", "SS"),
    ("Æ", "AE"),
    ("Œ", "OE"),
]


@pytest.mark.parametrize(("letter", "expected"), LOWER_FOLDS + UPPER_FOLDS)
def test_fold_table(letter: str, expected: str) -> None:
    assert fold(letter) == expected
    # The same letter written decomposed, and inside a word, folds the same way.
    assert fold("x" + letter + "x") == "x" + expected + "x"
    assert fold(unicodedata.normalize("NFD", letter)) == expected


@pytest.mark.parametrize(("letter", "expected"), LOWER_FOLDS)
def test_fold_term_table(letter: str, expected: str) -> None:
    assert fold_term(letter) == expected


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("Educación, 2024!", "Educacion, 2024!"),
        ("Educación", "Educacion"),
        ("¿Qué pasó?", "¿Que paso?"),
        ("¡NIÑO!", "¡NINO!"),
        ("Ñandú, pingüino", "Nandu, pinguino"),
        ("São Paulo—Bogotá", "Sao Paulo—Bogota"),
        ("“½ × 3 €” 6½", "“½ × 3 €” 6½"),  # not letters: kept
        ("l’été", "l’ete"),
        ("e\u0301cole", "ecole"),
        ("Ångström Øresund Łódź", "Angstrom Oresund Lodz"),
        ("Straße", "Strasse"),
        ("plain ASCII, kept: {}[]\t\n", "plain ASCII, kept: {}[]\t\n"),
        ("", ""),
    ],
)
def test_fold_keeps_case_and_non_letters(text: str, expected: str) -> None:
    assert fold(text) == expected


@pytest.mark.parametrize(
    ("term", "expected"),
    [
        ("educ", "educ"),
        ("niñ", "nin"),
        ("москва", "moskva"),
        ("東京", "dongjing"),
        ("ελλαδα", "ellada"),
    ],
)
def test_fold_term(term: str, expected: str) -> None:
    assert fold_term(term) == expected


def test_fold_filter_in_a_whoosh_pipeline() -> None:
    pipeline = WordTokenizer() | StageFilter(FoldFilter())
    assert [t.text for t in pipeline("niñ educación")] == ["nin", "educacion"]


# The Latin table of ``_icu.fold_latin`` against ICU's transliterator, which it stands in for
# below U+0180.
LATIN = [chr(c) for c in range(0x180)]


def test_latin_fold_table_is_icus_for_every_character() -> None:
    from diaspora_search.analysis import _icu

    differ = [ch for ch in LATIN if _icu.fold_latin(ch) != _icu.icu_fold_latin(ch)]
    assert differ == []


def test_latin_fold_table_is_icus_for_every_pair_of_letters() -> None:
    # (context rules of the transliterator, were there any, would show in pairs)
    from diaspora_search.analysis import _icu

    letters = [ch for ch in LATIN if ch.isalpha() or ch in " '-."]
    texts = [a + b for a in letters for b in letters]
    joined = "\n".join(texts)
    assert _icu.fold_latin(joined) == _icu.icu_fold_latin(joined)
    assert [_icu.fold_latin(t) for t in texts] == _icu.icu_fold_latin(joined).split("\n")


@given(st.text(alphabet=st.sampled_from([*LATIN[0x20:], "\u0301", "ơ", "ș", "ø"]), max_size=30))
@settings(max_examples=300, deadline=None)
def test_fold_latin_is_icus_on_any_text(text: str) -> None:
    from diaspora_search.analysis import _icu

    assert _icu.fold_latin(text) == _icu.icu_fold_latin(text)
