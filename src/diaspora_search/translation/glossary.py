"""User glossaries: a collection's own translations, read from a small text file.

The format is modelled on Elasticsearch's synonym files and Meilisearch's synonyms, one entry
per line, in UTF-8::

    # comments and blank lines are ignored
    hometown<TAB>oriundo
    hometown association<TAB>asociación de oriundos<TAB>2

Columns: the English word or phrase, the Spanish word or phrase, and an optional positive weight
(default 1). An entry counts in both directions, like an Elasticsearch equivalence
(``a, b``). Words are analyzed when the file is read, so a glossary never goes stale.

>>> import tempfile, pathlib
>>> path = pathlib.Path(tempfile.mkdtemp()) / "glossary.tsv"
>>> _ = path.write_text("# ours\\nhometown\\toriundo\\n", encoding="utf-8")
>>> read_glossary(path).translations(Language.ES, "oriund")
(('hometown', 1.0),)
"""

from __future__ import annotations

import math
import os

from .._errors import RecordError
from .._language import Language
from .table import TranslationTable

__all__ = ["Language", "read_glossary"]


def read_glossary(path: str | os.PathLike[str]) -> TranslationTable:
    """The translation table of a glossary file (see the module docstring for the format).

    Raises:
        RecordError: for a line that is not ``english<TAB>spanish[<TAB>weight]``, naming the
            file and the line; or for a file that is not UTF-8.
        OSError: when the file cannot be read.
    """
    source = os.fspath(path)
    try:
        with open(source, encoding="utf-8") as file:
            lines = file.read().splitlines()
    except UnicodeDecodeError as error:
        raise RecordError(f"not UTF-8 ({error.reason})", source=source) from None
    pairs: list[tuple[str, str, float]] = []
    for number, line in enumerate(lines, start=1):
        text = line.strip()
        if not text or text.startswith("#"):
            continue
        fields = [field.strip() for field in line.split("\t")]
        if len(fields) not in (2, 3) or not fields[0] or not fields[1]:
            raise RecordError(
                f"expected english<TAB>spanish[<TAB>weight]; got {line!r}",
                source=source,
                line=number,
            )
        weight = 1.0
        if len(fields) == 3:
            try:
                weight = float(fields[2])
            except ValueError:
                weight = math.nan
            if not 0 < weight < math.inf:
                raise RecordError(
                    f"weight must be a positive number; got {fields[2]!r}",
                    source=source,
                    line=number,
                )
        pairs.append((fields[0], fields[1], weight))
    return TranslationTable.from_pairs(pairs)
