"""The shipped lexicon file: its size bound, header and notice."""

from __future__ import annotations

import gzip
from pathlib import Path

DATA = Path(__file__).resolve().parents[2] / "src" / "diaspora_search" / "data"
LEXICON = DATA / "lexicon-en-es.tsv.gz"
MAX_BYTES = 2_000_000


def test_lexicon_is_small() -> None:
    assert 100_000 < LEXICON.stat().st_size <= MAX_BYTES


def test_lexicon_header_names_format_and_sources() -> None:
    with gzip.open(LEXICON, "rt", encoding="utf-8") as lines:
        header = next(lines)
        first = next(lines)
    assert header.startswith("# diaspora_search lexicon-en-es format 1;")
    for source in ("WordNet 3.0", "Wiktionary", "CC BY-SA 3.0", "CC BY 3.0"):
        assert source in header
    english, spanish, count = first.rstrip("\n").split("\t")
    assert english and spanish and int(count) >= 1


def test_notice_ships_beside_the_lexicon() -> None:
    notice = (DATA / "NOTICE-lexicon").read_text(encoding="utf-8")
    for name in ("Princeton University", "Wiktionary", "Multilingual Central Repository"):
        assert name in notice
