"""The protocol every per-word stage follows: a pure function of one word.

A stage maps the text of one word to its new text, or to ``None`` to drop it (a stopword).
Because ``apply`` is a pure function of one word, a chain of stages can be cached per distinct
word (:class:`~diaspora_search.analysis.chain.TermChain`). Stages know nothing of Whoosh: the
storage package wraps them into Whoosh filters (``storage/analyzers.py``).
"""

from __future__ import annotations


class Stage:
    """Base of the per-word analysis stages."""

    def apply(self, text: str) -> str | None:
        """The new text of a word whose text is ``text``, or ``None`` to drop it."""
        raise NotImplementedError

    def apply_all(self, texts: list[str | None]) -> list[str | None]:
        """:meth:`apply` over a list of texts, ``None`` staying ``None`` (a dropped word)."""
        apply = self.apply
        return [None if text is None else apply(text) for text in texts]

    def __eq__(self, other: object) -> bool:
        return type(other) is type(self) and vars(other) == vars(self)

    def __hash__(self) -> int:
        return hash((type(self), tuple(sorted(vars(self)))))
