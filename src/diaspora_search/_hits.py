"""The values a search returns: :class:`Hit` and :class:`Results`."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import asdict, dataclass
from typing import Any, Literal

MARK_OPEN = "**"
MARK_CLOSE = "**"
"""How a snippet marks the matched words: ``**educación**``."""


@dataclass(frozen=True)
class Hit:
    """One ranked record.

    Attributes:
        id: the record's id.
        score: its relevance score (higher is better; comparable within one result list).
        lang: ``"en"`` or ``"es"``, the language of the text that matched best.
        title: the record's title in that language where it has one, else its other title.
        snippet: a passage of that language's text with the matched words between ``**``.
        names: when the hit matched on its authors or source, those names with the matched
            words between ``**`` ("Gustavo Cano; Alejandro **Delano**"); else ``""``.
        translated: True when the hit matched only through the translation of the query's
            words (a Spanish query finding an English-only record).
    """

    id: str
    score: float
    lang: Literal["en", "es"]
    title: str
    snippet: str
    names: str = ""
    translated: bool = False

    def to_dict(self) -> dict[str, Any]:
        """The hit as a JSON-ready dict."""
        return asdict(self)


class Results(list[Hit]):
    """A list of :class:`Hit`, best first, with the spelling correction used, if any.

    ``corrected_query`` is set when the query as typed found nothing and the hits are those of
    the best spelling correction. ``suggestion`` is set when the query found very little and a
    spelling correction finds more ("did you mean ...?"); the hits are still the query's own.
    """

    def __init__(
        self,
        hits: Iterable[Hit] = (),
        corrected_query: str | None = None,
        suggestion: str | None = None,
    ) -> None:
        super().__init__(hits)
        self.corrected_query = corrected_query
        self.suggestion = suggestion

    def __repr__(self) -> str:
        return (
            f"Results({list.__repr__(self)}, corrected_query={self.corrected_query!r}, "
            f"suggestion={self.suggestion!r})"
        )
