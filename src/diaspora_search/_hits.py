"""The values a search returns: :class:`Hit` and :class:`Results`."""

from __future__ import annotations

import html
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Generic, Literal, TypeVar, overload

if TYPE_CHECKING:
    from ._records import Record

MARK_OPEN = "**"
MARK_CLOSE = "**"
"""How a snippet marks the matched words: ``**educación**``."""

Passage = tuple[tuple[str, bool], ...]
"""A snippet as pieces of the record's text, each with whether it is a matched word."""


def render(passage: Passage, before: str, after: str, escape: Callable[[str], str] | None) -> str:
    """A passage's text with each matched word between ``before`` and ``after``, every piece
    of text passed through ``escape`` first (the marks are not)."""
    out: list[str] = []
    for text, marked in passage:
        shown = escape(text) if escape is not None else text
        out.append(f"{before}{shown}{after}" if marked else shown)
    return "".join(out)


T = TypeVar("T")


class Later(Generic[T]):
    """A value made the first time it is read (then kept): what a search gives a hit's snippet,
    so that a hit whose snippet is never read costs no snippet, as Whoosh's, Lucene's and
    Elasticsearch's highlights are made only when asked for."""

    __slots__ = ("_make", "_value")

    def __init__(self, make: Callable[[], T]) -> None:
        self._make: Callable[[], T] | None = make
        self._value: T | None = None

    def value(self) -> T:
        if self._make is not None:
            self._value, self._make = self._make(), None
        return self._value  # type: ignore[return-value]  # (made above)


class _MadeWhenRead(Generic[T]):
    """A field of a frozen dataclass that may be given a :class:`Later` instead of its value:
    reading the field gives the value (made then). A data descriptor: the dataclass's
    ``__init__`` sets the field through it, and equality, ``repr`` and copies read it."""

    def __init__(self, default: T) -> None:
        self._default = default

    def __set_name__(self, owner: type, name: str) -> None:
        self._slot = "_" + name

    @overload
    def __get__(self, instance: None, owner: type) -> T: ...
    @overload
    def __get__(self, instance: object, owner: type | None = None) -> T: ...
    def __get__(self, instance: object | None, owner: type | None = None) -> T:
        if instance is None:  # (the dataclass asks the class for the default)
            return self._default
        value = instance.__dict__[self._slot]
        if isinstance(value, Later):
            value = instance.__dict__[self._slot] = value.value()
        return value  # type: ignore[no-any-return]  # (a T, or a Later of one, was set)

    def __set__(self, instance: object, value: T | Later[T]) -> None:
        instance.__dict__[self._slot] = value


@dataclass(frozen=True)
class Hit:
    """One ranked record.

    Attributes:
        id: the record's id.
        score: its relevance score (higher is better; comparable within one result list).
        lang: ``"en"`` or ``"es"``, the language of the text that matched best.
        title: the record's title in that language where it has one, else its other title.
        snippet: a passage of that language's text (the summary, or the full text when the
            words matched there only) with the matched words between ``**``. The text is as
            the record wrote it: use :meth:`snippet_html` to put it into a page.
        names: when the hit matched on its authors or source, those names with the matched
            words between ``**`` ("Gustavo Cano; Alejandro **Delano**"); else ``""``.
        translated: True when the hit matched only through the translation of the query's
            words (a Spanish query finding an English-only record).
        record: the stored record, every key it was given (set on every hit a search returns).
        passage: the snippet as pieces of text, each with whether it is a matched word (what
            :meth:`highlight` renders).

    A search makes a hit's ``snippet`` and ``passage`` the first time either is read
    (:class:`Later`): ids, scores and records cost no snippet.
    """

    id: str
    score: float
    lang: Literal["en", "es"]
    title: str
    snippet: _MadeWhenRead[str] = _MadeWhenRead("")
    names: str = ""
    translated: bool = False
    record: Record | None = None
    passage: _MadeWhenRead[Passage] = _MadeWhenRead(())

    def __getstate__(self) -> dict[str, Any]:
        """The fields' values (a snippet not yet made is made: a :class:`Later` holds a
        function, not data)."""
        return {**self.__dict__, "_snippet": self.snippet, "_passage": self.passage}

    def highlight(
        self, before: str, after: str, *, escape: Callable[[str], str] | None = None
    ) -> str:
        """The snippet with each matched word between ``before`` and ``after``, the text
        passed through ``escape`` (such as :func:`html.escape`) and the marks left as given.

        >>> hit = Hit("a", 1.0, "en", "", "", passage=(("a ", False), ("<b>", True)))
        >>> hit.highlight("[", "]")
        'a [<b>]'
        >>> hit.highlight("<em>", "</em>", escape=html.escape)
        'a <em>&lt;b&gt;</em>'
        """
        if not self.passage:
            return escape(self.snippet) if escape is not None else self.snippet
        return render(self.passage, before, after, escape)

    def snippet_html(self, before: str = "<mark>", after: str = "</mark>") -> str:
        """The snippet as HTML: the record's text escaped (markup in a record comes out as
        text), each matched word in ``<mark>`` (or between the ``before`` and ``after`` given).

        >>> Hit("a", 1.0, "en", "", "", passage=(("<i>", False), ("x&y", True))).snippet_html()
        '&lt;i&gt;<mark>x&amp;y</mark>'
        """
        return self.highlight(before, after, escape=html.escape)

    def to_dict(self) -> dict[str, Any]:
        """The hit as a JSON-ready dict: id, score, lang, title, snippet, names, translated,
        and the record (without its empty keys)."""
        return {
            "id": self.id,
            "score": self.score,
            "lang": self.lang,
            "title": self.title,
            "snippet": self.snippet,
            "names": self.names,
            "translated": self.translated,
            "record": self.record.to_dict() if self.record is not None else None,
        }


class Results(list[Hit]):
    """A list of :class:`Hit`, best first (one page), with the spelling correction used, if
    any, how many records match in all, and the facets asked for.

    ``corrected_query`` is set when the query as typed found nothing and the hits are those of
    the best spelling correction. ``suggestion`` is set when the query found very little and a
    spelling correction finds more ("did you mean ...?"); the hits are still the query's own.
    ``total`` counts the records that match (the filters applied) on every page; ``facets``
    maps each facet asked for to its values and how many of those records have each.
    """

    def __init__(
        self,
        hits: Iterable[Hit] = (),
        corrected_query: str | None = None,
        suggestion: str | None = None,
        *,
        total: int | None = None,
        facets: dict[str, dict[str, int]] | None = None,
    ) -> None:
        super().__init__(hits)
        self.corrected_query = corrected_query
        self.suggestion = suggestion
        self.total: int = len(self) if total is None else total
        self.facets: dict[str, dict[str, int]] = facets if facets is not None else {}

    def __repr__(self) -> str:
        return (
            f"Results({list.__repr__(self)}, corrected_query={self.corrected_query!r}, "
            f"suggestion={self.suggestion!r}, total={self.total!r}, facets={self.facets!r})"
        )
