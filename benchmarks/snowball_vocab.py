"""Check the analyzer against the Snowball project's published stemmer vocabularies.

The data is ``english/diffs.txt`` and ``spanish/diffs.txt`` from the snowballstem/snowball-data
repository (one ``word  stem`` pair a line). It is not bundled: save the two files as
``english_diffs.txt`` and ``spanish_diffs.txt`` in a directory and pass it with ``--data``.

For each language this reports how often PyStemmer alone reproduces the published stem, and
how often ``ds.analyze(word, lang) == [ds.fold(stem)]`` (stopwords, which analyze to ``[]``,
are counted apart), then lists the first mismatches by cause.

    python benchmarks/snowball_vocab.py --data /tmp/snowball
"""

from __future__ import annotations

import argparse
import sys
import unicodedata
from collections import Counter
from collections.abc import Callable
from pathlib import Path

import Stemmer

import diaspora_search as ds

FILES = {"en": ("english", "english_diffs.txt"), "es": ("spanish", "spanish_diffs.txt")}
SHOWN = 40


def read_pairs(path: Path) -> list[tuple[str, str]]:
    """The (word, expected stem) pairs of one diffs file; blank lines are skipped."""
    pairs = []
    for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
        fields = line.split()
        if not fields:
            continue
        if len(fields) != 2:
            raise ValueError(f"{path}:{number}: expected 'word stem', got {line!r}")
        pairs.append((fields[0], fields[1]))
    return pairs


def _normalizer() -> Callable[[str], str]:
    """The library's own word normalization when reachable, else NFKC + lowercase."""
    try:
        from diaspora_search.analysis.normalize import normalize

        return normalize
    except ImportError:
        return lambda word: unicodedata.normalize("NFKC", word).lower()


def categorize(word: str, got: list[str], stemmer: Stemmer.Stemmer) -> str:
    """Why ``got`` (the analyzer's terms for ``word``) differs from the published stem."""
    if len(got) > 1:
        return f"tokenization split the word into {len(got)} terms"
    if got == [ds.fold(stemmer.stemWord(word))]:
        return "PyStemmer itself differs from the published stem"
    normalized = _normalizer()(word)
    if normalized != word and got == [ds.fold(stemmer.stemWord(normalized))]:
        return "normalization changed the word before stemming"
    if got == [ds.fold(stemmer.stemWord(ds.fold(word)))]:
        return "accents folded before stemming"
    return "stem differs (other)"


def check(lang: str, pairs: list[tuple[str, str]]) -> None:
    """Print PyStemmer and analyzer agreement for one language, and its first mismatches."""
    stemmer = Stemmer.Stemmer(FILES[lang][0])
    reference = sum(stemmer.stemWord(word) == stem for word, stem in pairs)
    stopwords = agree = 0
    causes: Counter[str] = Counter()
    shown: list[str] = []
    for word, stem in pairs:
        got = ds.analyze(word, lang)
        if got == []:
            stopwords += 1
        elif got == [ds.fold(stem)]:
            agree += 1
        else:
            cause = categorize(word, got, stemmer)
            causes[cause] += 1
            if len(shown) < SHOWN:
                shown.append(f"    {word!r}: expected {ds.fold(stem)!r}, got {got}  [{cause}]")
    checked = len(pairs) - stopwords
    print(f"== {lang}: {len(pairs)} words")
    print(
        f"  PyStemmer('{FILES[lang][0]}') == published stem: {reference}/{len(pairs)}"
        f" ({100 * reference / len(pairs):.2f}%)"
    )
    print(f"  stopwords (analyze == []): {stopwords}")
    print(f"  analyze == [fold(stem)]: {agree}/{checked} ({100 * agree / max(checked, 1):.2f}%)")
    for cause, count in causes.most_common():
        print(f"    {count:6d}  {cause}")
    if shown:
        print(f"  first {len(shown)} mismatches:")
        print("\n".join(shown))


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--data",
        type=Path,
        default=Path("/tmp/snowball"),
        help="directory holding english_diffs.txt and spanish_diffs.txt",
    )
    args = parser.parse_args(argv)
    found = {
        lang: args.data / name for lang, (_, name) in FILES.items() if (args.data / name).is_file()
    }
    if not found:
        names = ", ".join(name for _, name in FILES.values())
        print(
            f"skipped: none of {names} in {args.data} (the Snowball vocabularies are"
            " not bundled; fetch them from snowballstem/snowball-data)"
        )
        return 0
    for lang, path in found.items():
        check(lang, read_pairs(path))
    return 0


if __name__ == "__main__":
    sys.exit(main())
