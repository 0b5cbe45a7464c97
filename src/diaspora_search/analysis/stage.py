"""The protocol every per-word stage follows: a Whoosh ``Filter`` with a pure ``apply``.

A stage maps the text of one token to its new text, or to ``None`` to drop the token (a
stopword). Because ``apply`` is a pure function of one word, a chain of stages can be cached per
distinct word (:class:`~diaspora_search.analysis.chain.TermChain`); used alone in a Whoosh
pipeline, a stage is an ordinary filter.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator

from whoosh.analysis import Filter, Token


class Stage(Filter):  # type: ignore[misc]
    """Base of the per-word analysis stages."""

    def apply(self, text: str) -> str | None:
        """The new text of a token whose text is ``text``, or ``None`` to drop it."""
        raise NotImplementedError

    def apply_all(self, texts: list[str | None]) -> list[str | None]:
        """:meth:`apply` over a list of texts, ``None`` staying ``None`` (a dropped word)."""
        apply = self.apply
        return [None if text is None else apply(text) for text in texts]

    def __eq__(self, other: object) -> bool:
        return type(other) is type(self) and vars(other) == vars(self)

    def __hash__(self) -> int:
        return hash((type(self), tuple(sorted(vars(self)))))

    def __call__(self, tokens: Iterator[Token]) -> Iterator[Token]:
        return apply_each(self.apply, tokens)


def apply_each(apply: Callable[[str], str | None], tokens: Iterator[Token]) -> Iterator[Token]:
    """Run a per-word function over Whoosh tokens, honouring ``removestops``."""
    for token in tokens:
        text = apply(token.text)
        if text is None:
            if token.removestops:
                continue
            token.stopped = True
        else:
            token.text = text
        yield token
