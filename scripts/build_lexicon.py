"""Build the bundled English-Spanish lexicon from WordNet 3.0 and the Open Multilingual Wordnet.

Usage::

    python scripts/build_lexicon.py [--lexicon DIR] [--out PATH]

``DIR`` (default ``../shared/lexicon`` beside the repository) holds ``wordnet-3.0/data.*``,
``omw-wikt-spa/wn-wikt-spa.tab`` and ``omw-mcr-spa/wn-data-spa.tab`` (see its README). The output
(default ``src/diaspora_search/data/lexicon-en-es.tsv.gz``) is a gzipped UTF-8 TSV::

    # diaspora_search lexicon-en-es format 1; ...     (one header line)
    english<TAB>spanish<TAB>count

Words and phrases, never stems: the table is stemmed when it is loaded, by the analysis of the
running code, so a change of the Snowball algorithms cannot leave the file stale.

How the pairs are made:

- A Spanish lemma and an English lemma are a pair when they name the same synset (offset and
  part of speech; adjective satellites ``s`` live in ``data.adj`` and join as ``a``). Only
  ``lemma`` lines of the ``.tab`` files count (MCR's ``def`` and ``exe`` lines are glosses).
- ``count`` is the number of synsets, per source, in which the pair recurs: a pair that names
  several senses, or that both Spanish wordnets give, is a more likely translation than one
  that appears once (measured on XQuAD: weighted beats uniform weights by 0.03-0.05 MRR).
- Lemmas are lowercased, ``_`` becomes a space, WordNet's syntactic markers (``(a)``, ``(p)``,
  ``(ip)``) go. Identical pairs ("radio"/"radio") are real translations and stay.
- Pruning: a pair stays when it is among the :data:`TOP_K` best of its English word or of its
  Spanish word (count first, then the shorter, then alphabetical, so the output is stable).

The gzip stream carries no time stamp or file name: the same input gives the same bytes.
"""

from __future__ import annotations

import argparse
import gzip
import re
import sys
from collections import Counter, defaultdict
from collections.abc import Iterable, Iterator
from pathlib import Path

FORMAT_VERSION = 1
TOP_K = 8
REPO = Path(__file__).resolve().parents[1]
DEFAULT_LEXICON = REPO.parent / "shared" / "lexicon"
DEFAULT_OUT = REPO / "src" / "diaspora_search" / "data" / "lexicon-en-es.tsv.gz"
WORDNET_FILES = {"n": "data.noun", "v": "data.verb", "a": "data.adj", "r": "data.adv"}
SPANISH_FILES = ("omw-wikt-spa/wn-wikt-spa.tab", "omw-mcr-spa/wn-data-spa.tab")
HEADER = (
    f"# diaspora_search lexicon-en-es format {FORMAT_VERSION}; columns: english, spanish, "
    "count (synsets per source naming both); sources: Princeton WordNet 3.0 (WordNet 3.0 "
    "licence), Open Multilingual Wordnet Spanish from Wiktionary (CC BY-SA 3.0), Multilingual "
    "Central Repository 3.0 Spanish (CC BY 3.0); see NOTICE-lexicon"
)
_MARKER = re.compile(r"\([a-z]+\)$")

Synset = tuple[str, str]  # (offset, part of speech with "s" as "a")


def clean_lemma(lemma: str) -> str:
    """A lemma as the lexicon writes it: lowercase, spaces for ``_``, no marker, one space."""
    return " ".join(_MARKER.sub("", lemma.strip()).replace("_", " ").lower().split())


def read_wordnet(folder: Path) -> dict[Synset, list[str]]:
    """The English lemmas of every synset of WordNet's ``data.*`` files."""
    synsets: dict[Synset, list[str]] = {}
    for pos, name in WORDNET_FILES.items():
        with open(folder / name, encoding="utf-8") as lines:
            for line in lines:
                if line.startswith(" "):  # the licence header
                    continue
                fields = line.split(" ", 4 + 2 * 255)
                count = int(fields[3], 16)
                lemmas = [clean_lemma(fields[4 + 2 * i]) for i in range(count)]
                synsets[(fields[0], pos)] = list(dict.fromkeys(w for w in lemmas if w))
    return synsets


def read_omw(path: Path) -> Iterator[tuple[Synset, str]]:
    """``(synset, Spanish lemma)`` for every distinct lemma line of an OMW ``.tab`` file."""
    seen: set[tuple[Synset, str]] = set()
    with open(path, encoding="utf-8") as lines:
        for line in lines:
            if line.startswith("#") or not line.strip():
                continue
            fields = line.rstrip("\n").split("\t")
            if len(fields) < 3 or not fields[1].endswith("lemma"):
                continue  # "def" and "exe" lines are glosses and examples
            offset, _, pos = fields[0].partition("-")
            lemma = clean_lemma(fields[2])
            item = ((offset, "a" if pos == "s" else pos), lemma)
            if lemma and item not in seen:
                seen.add(item)
                yield item


def count_pairs(
    english: dict[Synset, list[str]], spanish: Iterable[tuple[Synset, str]]
) -> Counter[tuple[str, str]]:
    """How many synsets name each (English, Spanish) pair."""
    counts: Counter[tuple[str, str]] = Counter()
    for synset, es in spanish:
        for en in english.get(synset, ()):
            counts[(en, es)] += 1
    return counts


def prune(counts: Counter[tuple[str, str]], top_k: int = TOP_K) -> list[tuple[str, str, int]]:
    """The pairs among the ``top_k`` best of their English or of their Spanish side, sorted."""
    by_en: dict[str, list[tuple[str, str]]] = defaultdict(list)
    by_es: dict[str, list[tuple[str, str]]] = defaultdict(list)
    for pair in counts:
        by_en[pair[0]].append(pair)
        by_es[pair[1]].append(pair)
    kept: set[tuple[str, str]] = set()
    for groups, other in ((by_en, 1), (by_es, 0)):
        for pairs in groups.values():
            pairs.sort(key=lambda p: (-counts[p], len(p[other].split()), p[other]))
            kept.update(pairs[:top_k])
    return sorted((en, es, counts[(en, es)]) for en, es in kept)


def build(lexicon: Path, out: Path) -> int:
    """Write the lexicon built from the folder ``lexicon`` to ``out``; the number of pairs."""
    english = read_wordnet(lexicon / "wordnet-3.0")
    counts: Counter[tuple[str, str]] = Counter()
    for name in SPANISH_FILES:
        counts.update(count_pairs(english, read_omw(lexicon / name)))
    rows = prune(counts)
    out.parent.mkdir(parents=True, exist_ok=True)
    with open(out, "wb") as raw, gzip.GzipFile("", "wb", 9, raw, mtime=0) as gz:
        body = "".join(f"{en}\t{es}\t{n}\n" for en, es, n in rows)
        gz.write((HEADER + "\n" + body).encode("utf-8"))
    return len(rows)


def main(argv: list[str] | None = None) -> int:
    """Command line entry point."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--lexicon", type=Path, default=DEFAULT_LEXICON, help="raw data folder")
    parser.add_argument("--out", type=Path, default=DEFAULT_OUT, help="output .tsv.gz")
    args = parser.parse_args(argv)
    try:
        n = build(args.lexicon, args.out)
    except (OSError, ValueError, IndexError) as error:
        print(f"build_lexicon: {error}", file=sys.stderr)
        return 1
    print(f"{args.out}: {n} pairs, {args.out.stat().st_size} bytes")
    return 0


if __name__ == "__main__":
    sys.exit(main())
