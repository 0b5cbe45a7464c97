"""The bundled English-Spanish lexicon, read once per process into a translation table.

The file ``diaspora_search/data/lexicon-en-es.tsv.gz`` (built by ``scripts/build_lexicon.py``
from Princeton WordNet 3.0 and the Spanish wordnets of the Open Multilingual Wordnet; licences in
``data/NOTICE-lexicon``) holds words, never stems: a header line, then
``english<TAB>spanish<TAB>count`` lines, the count being the number of synsets naming the pair.
Stemming at load keeps the table in step with the running analysis.

Stemming and pruning 150,000 pairs takes more than a second, which every process would pay on
its first translated search (each command-line search among them). So the package also ships
that table stemmed, ``data/lexicon-en-es.table.tsv.gz`` (``scripts/build_table.py``): its
first line names what it was made with (:func:`_table_header`: the analysis and stemmer
versions, the table format and pruning, the lexicon's digest), and it is used only when every
one is the running code's and the bundled lexicon's, else the lexicon is stemmed at load as
before.

>>> table = bundled_table()
>>> table.translations(Language.EN, "educ")[0]  # "education" -> "educación"
('educ', 0.5769230769230769)
"""

from __future__ import annotations

import functools
import gzip
import hashlib
import zlib
from collections.abc import Iterator
from importlib import resources

import Stemmer

from .._language import Language
from ..analysis import ANALYSIS_VERSION
from .table import MIN_PROBABILITY, TOP_K, TSV_FORMAT, TranslationTable

LEXICON_FILE = "lexicon-en-es.tsv.gz"
LEXICON_FORMAT = 1
_HEADER = "# diaspora_search lexicon-en-es format "
TABLE_FILE = "lexicon-en-es.table.tsv.gz"

__all__ = [
    "LEXICON_FILE",
    "TABLE_FILE",
    "Language",
    "bundled_table",
    "lexicon_pairs",
    "stemmed_table_text",
    "table_of",
]


@functools.cache
def bundled_table() -> TranslationTable:
    """The translation table of the bundled lexicon, loaded on first use, once per process:
    the shipped stemmed table where it was made by the running analysis from this lexicon,
    else the lexicon stemmed now."""
    return table_of(_lexicon(), _data(TABLE_FILE))


def table_of(lexicon: bytes, stemmed: bytes | None) -> TranslationTable:
    """The table of a lexicon file's bytes: ``stemmed`` (a :data:`TABLE_FILE`'s bytes) where
    its first line says it was made from this lexicon by the running code, else the lexicon
    stemmed now (also when ``stemmed`` is damaged: a search must not fail for want of a
    cache)."""
    if stemmed is not None:
        try:
            header, _, body = gzip.decompress(stemmed).decode("utf-8").partition("\n")
            if header == _table_header(lexicon):
                return TranslationTable.from_tsv(body)
        except (OSError, EOFError, zlib.error, UnicodeDecodeError, ValueError):
            pass
    return _stemmed_now(lexicon)


def stemmed_table_text() -> str:
    """The bundled lexicon's table stemmed by the running analysis, as the text of
    :data:`TABLE_FILE` (``scripts/build_table.py`` writes it gzipped)."""
    lexicon = _lexicon()
    return _table_header(lexicon) + "\n" + _stemmed_now(lexicon).to_tsv()


def _stemmed_now(lexicon: bytes) -> TranslationTable:
    return TranslationTable.from_pairs(lexicon_pairs(gzip.decompress(lexicon).decode("utf-8")))


def _table_header(lexicon: bytes) -> str:
    """The first line of a stemmed table made from ``lexicon`` by the running code: what the
    table's terms and probabilities depend on. That is the analysis (its version), the
    Snowball stemmers (PyStemmer's version), how a table is built from pairs (the TSV format
    and the pruning) and the lexicon itself. ICU's version is left out: it would cost importing
    ICU, and only 4 of the lexicon's 104,662 words (botanical hybrids, "mentha × piperita") are
    text the tokenizer hands to ICU."""
    digest = hashlib.sha256(lexicon).hexdigest()
    return (
        f"{TSV_FORMAT}; analysis {ANALYSIS_VERSION}; stemmer {Stemmer.version()}; "
        f"top {TOP_K} at least {MIN_PROBABILITY!r}; lexicon {digest}"
    )


def _lexicon() -> bytes:
    found = _data(LEXICON_FILE)
    if found is None:
        raise FileNotFoundError(f"the package's data/{LEXICON_FILE} is missing")
    return found


def _data(name: str) -> bytes | None:
    try:
        return resources.files("diaspora_search").joinpath("data", name).read_bytes()
    except FileNotFoundError:
        return None


def lexicon_pairs(text: str) -> Iterator[tuple[str, str, float]]:
    """The ``(english, spanish, count)`` rows of a lexicon file's text.

    Raises:
        ValueError: for another format version or a malformed line.

    >>> list(lexicon_pairs("# diaspora_search lexicon-en-es format 1; x\\nschool\\tescuela\\t3\\n"))
    [('school', 'escuela', 3)]
    """
    lines = text.splitlines()
    if not lines or not lines[0].startswith(_HEADER):
        raise ValueError(f"not a diaspora_search lexicon: first line {lines[:1]!r}")
    version = lines[0][len(_HEADER) :].partition(";")[0]
    if version != str(LEXICON_FORMAT):
        raise ValueError(f"lexicon format {version!r}; this code reads {LEXICON_FORMAT}")
    for number, line in enumerate(lines[1:], start=2):
        try:
            english, spanish, count = line.split("\t")
            weight = int(count)
        except ValueError:
            weight = 0
        if not (weight > 0 and english and spanish):
            raise ValueError(f"lexicon line {number}: expected english<TAB>spanish<TAB>count")
        yield (english, spanish, weight)
