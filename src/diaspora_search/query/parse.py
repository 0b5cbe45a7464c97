"""The query syntax, parsed: plain words, ``"quoted phrases"``, ``-exclusion`` (of a word or a
phrase) and ``OR`` between alternatives.

Nothing is ever a syntax error: unbalanced quotes make the quotes plain characters, and Whoosh
syntax (``title:``, ``[a TO z]``, ``*``) is only words to us.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from ..analysis import word_texts


@dataclass(frozen=True)
class Clause:
    """One positive or negative unit of a query: a word or a phrase (several words)."""

    words: tuple[str, ...]
    negated: bool = False


@dataclass
class ParsedQuery:
    """A query as typed: groups of alternatives (joined by OR) and excluded clauses."""

    groups: list[list[Clause]] = field(default_factory=list)
    excluded: list[Clause] = field(default_factory=list)

    @property
    def words(self) -> list[str]:
        """Every positive word, in order."""
        return [w for group in self.groups for clause in group for w in clause.words]


_CHUNK = re.compile(r'(-?)"([^"]*)"|(\S+)')


def parse(text: str) -> ParsedQuery:
    """Parse the query syntax. Never raises.

    >>> p = parse('"Estados Unidos" educación OR salud -politica')
    >>> [[c.words for c in g] for g in p.groups], [c.words for c in p.excluded]
    ([[('Estados', 'Unidos')], [('educación',), ('salud',)]], [('politica',)])
    """
    if text.count('"') % 2:
        text = text.replace('"', " ")
    parsed = ParsedQuery()
    join_next = False
    for m in _CHUNK.finditer(text):
        if m.group(3) is not None:
            raw = m.group(3)
            if raw == "OR" and parsed.groups and not join_next:
                join_next = True
                continue
            negated = raw.startswith("-") and len(raw) > 1
            found = word_texts(raw[1:] if negated else raw)
            clauses = [Clause(tuple(found), True)] if negated else [Clause((w,)) for w in found]
        else:
            negated = m.group(1) == "-"
            found = word_texts(m.group(2))
            clauses = [Clause(tuple(found), negated)]
        for clause in clauses:
            if not clause.words:
                continue
            if clause.negated:
                parsed.excluded.append(clause)
            elif join_next:
                parsed.groups[-1].append(clause)
                join_next = False
            else:
                parsed.groups.append([clause])
    return parsed
