"""The bundled English-Spanish lexicon, read once per process into a translation table.

The file ``diaspora_search/data/lexicon-en-es.tsv.gz`` (built by ``scripts/build_lexicon.py``
from Princeton WordNet 3.0 and the Spanish wordnets of the Open Multilingual Wordnet; licences in
``data/NOTICE-lexicon``) holds words, never stems: a header line, then
``english<TAB>spanish<TAB>count`` lines, the count being the number of synsets naming the pair.
Stemming at load keeps the table in step with the running analysis.

>>> table = bundled_table()
>>> table.translations(Language.EN, "educ")[0]  # "education" -> "educación"
('educ', 0.5769230769230769)
"""

from __future__ import annotations

import functools
import gzip
from collections.abc import Iterator
from importlib import resources

from .._language import Language
from .table import TranslationTable

LEXICON_FILE = "lexicon-en-es.tsv.gz"
LEXICON_FORMAT = 1
_HEADER = "# diaspora_search lexicon-en-es format "

__all__ = ["LEXICON_FILE", "Language", "bundled_table", "lexicon_pairs"]


@functools.cache
def bundled_table() -> TranslationTable:
    """The translation table of the bundled lexicon, loaded on first use, once per process."""
    data = resources.files("diaspora_search").joinpath("data", LEXICON_FILE).read_bytes()
    return TranslationTable.from_pairs(lexicon_pairs(gzip.decompress(data).decode("utf-8")))


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
