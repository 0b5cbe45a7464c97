"""The Whoosh adapters of the analysis: a tokenizer, per-word filters and named analyzers.

The analysis package is pure Python; this module wraps it in Whoosh's ``Tokenizer`` / ``Filter``
protocol so that Whoosh's own machinery (``add_document``, phrase matching, the stock writer the
tests compare the fast path with) runs the very same analysis. A :class:`NamedAnalyzer` pickles
as its registry name, so the schema Whoosh writes into the index never holds code or ICU
objects, only a name the running version resolves.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

from whoosh.analysis import CompositeAnalyzer, Filter, Token, Tokenizer

from ..analysis import Analyzer, TermChain, analyzer, words
from ..analysis.stage import Stage


class WordTokenizer(Tokenizer):  # type: ignore[misc]
    """A Whoosh tokenizer over :func:`diaspora_search.analysis.words` (ICU word rules).

    >>> [t.text for t in WordTokenizer()("¡Hola, mundo!")]
    ['Hola', 'mundo']
    """

    def __eq__(self, other: object) -> bool:
        return type(other) is type(self)

    def __hash__(self) -> int:
        return hash(type(self))

    def __call__(
        self,
        value: str,
        positions: bool = False,
        chars: bool = False,
        keeporiginal: bool = False,
        removestops: bool = True,
        start_pos: int = 0,
        start_char: int = 0,
        tokenize: bool = True,
        mode: str = "",
        **kwargs: Any,
    ) -> Iterator[Token]:
        token = Token(positions, chars, removestops=removestops, mode=mode, **kwargs)
        if not tokenize:
            token.original = token.text = value
            token.boost = 1.0
            if positions:
                token.pos = start_pos
            if chars:
                token.startchar = start_char
                token.endchar = start_char + len(value)
            yield token
            return
        for pos, (start, end) in enumerate(words(value), start_pos):
            token.text = value[start:end]
            token.boost = 1.0
            token.stopped = False
            if keeporiginal:
                token.original = token.text
            if positions:
                token.pos = pos
            if chars:
                token.startchar = start_char + start
                token.endchar = start_char + end
            yield token


class StageFilter(Filter):  # type: ignore[misc]
    """A Whoosh filter running one per-word function (a :class:`Stage`'s ``apply``, or a
    chain's cached ``term``) over the tokens, honouring ``removestops``."""

    def __init__(self, stage: Stage | Callable[[str], str | None]) -> None:
        self.stage = stage
        self._apply = stage.apply if isinstance(stage, Stage) else stage

    def __eq__(self, other: object) -> bool:
        return isinstance(other, StageFilter) and other.stage == self.stage

    def __hash__(self) -> int:
        return hash(self.stage)

    def __call__(self, tokens: Iterator[Token]) -> Iterator[Token]:
        apply = self._apply
        for token in tokens:
            text = apply(token.text)
            if text is None:
                if token.removestops:
                    continue
                token.stopped = True
            else:
                token.text = text
            yield token


class NamedAnalyzer(CompositeAnalyzer):  # type: ignore[misc]
    """The Whoosh analyzer of a registered analysis; pickles as its registry name."""

    def __init__(self, name: str) -> None:
        self.analysis: Analyzer = analyzer(name)
        super().__init__(WordTokenizer(), StageFilter(self.analysis.chain.term))
        self.name = name

    @property
    def chain(self) -> TermChain:
        """The term chain of the analysis (its per-word cache is shared with ``analyze``)."""
        return self.analysis.chain

    def __reduce__(self) -> tuple[Callable[[str], NamedAnalyzer], tuple[str]]:
        return (whoosh_analyzer, (self.name,))

    def __eq__(self, other: object) -> bool:
        return isinstance(other, NamedAnalyzer) and other.name == self.name

    def __hash__(self) -> int:
        return hash(self.name)


_REGISTRY: dict[str, NamedAnalyzer] = {}


def whoosh_analyzer(name: str) -> NamedAnalyzer:
    """The Whoosh analyzer of the registered analysis ``name``, shared by the process."""
    found = _REGISTRY.get(name)
    if found is None:
        found = _REGISTRY[name] = NamedAnalyzer(name)
    return found
