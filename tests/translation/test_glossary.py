"""read_glossary: the format, and one-line errors naming the file and the line."""

from __future__ import annotations

from pathlib import Path

import pytest

from diaspora_search import Language, RecordError
from diaspora_search.translation.glossary import read_glossary


def write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "glossary.tsv"
    path.write_text(text, encoding="utf-8")
    return path


def test_pairs_comments_blank_lines_and_weights(tmp_path: Path) -> None:
    path = write(
        tmp_path,
        "# our words\n\nhometown\toriundo\t3\nhometown\tpaisano\n  # indented comment\n",
    )
    table = read_glossary(path)
    assert table.translations(Language.EN, "hometown") == (("oriund", 0.75), ("paisan", 0.25))
    assert table.translations(Language.ES, "oriund") == (("hometown", 1.0),)


def test_phrases(tmp_path: Path) -> None:
    table = read_glossary(write(tmp_path, "hometown association\tasociación de oriundos\n"))
    assert table.targets(Language.EN, ["hometown", "associ"]) == ((("asoci", "oriund"), 1.0),)


@pytest.mark.parametrize(
    ("text", "line", "reason"),
    [
        ("school\tescuela\nschool\n", 2, "expected english<TAB>spanish"),
        ("school\tescuela\t1\textra\n", 1, "expected english<TAB>spanish"),
        ("\tescuela\n", 1, "expected english<TAB>spanish"),
        ("# c\nschool\tescuela\tmany\n", 2, "weight must be a positive number"),
        ("school\tescuela\t-1\n", 1, "weight must be a positive number"),
    ],
)
def test_bad_lines_name_file_and_line(tmp_path: Path, text: str, line: int, reason: str) -> None:
    path = write(tmp_path, text)
    with pytest.raises(RecordError) as caught:
        read_glossary(path)
    assert caught.value.line == line and caught.value.source == str(path)
    assert str(caught.value).startswith(f"{path}:{line}: ") and reason in str(caught.value)
    assert "\n" not in str(caught.value)


def test_not_utf8(tmp_path: Path) -> None:
    path = tmp_path / "g.tsv"
    path.write_bytes(b"escuela\tescuela\xff\n")
    with pytest.raises(RecordError, match="not UTF-8"):
        read_glossary(path)
