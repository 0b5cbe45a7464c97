"""The supported languages: a closed type with one registry of names and aliases.

>>> Language.parse("español")
<Language.ES: 'es'>
>>> Language.parse("fr")
Traceback (most recent call last):
...
diaspora_search._errors.UnsupportedLanguageError: unsupported language 'fr'; choose one of: en, es
"""

from __future__ import annotations

import enum
import unicodedata

from ._errors import UnsupportedLanguageError


class Language(str, enum.Enum):
    """A language of the collection: English or Spanish."""

    EN = "en"
    ES = "es"

    @property
    def snowball(self) -> str:
        """The name of this language's Snowball stemmer in PyStemmer."""
        return _SNOWBALL[self]

    @property
    def other(self) -> Language:
        """The other language of the pair."""
        return Language.ES if self is Language.EN else Language.EN

    @classmethod
    def parse(cls, name: str | Language) -> Language:
        """The language for a code or alias ("en", "english", "es", "spanish", "español").

        Raises :class:`UnsupportedLanguageError` naming the valid choices otherwise.
        """
        if isinstance(name, Language):
            return name
        if isinstance(name, str):
            found = _ALIASES.get(unicodedata.normalize("NFC", name.strip().casefold()))
            if found is not None:
                return found
        choices = ", ".join(lang.value for lang in cls)
        raise UnsupportedLanguageError(f"unsupported language {name!r}; choose one of: {choices}")


_SNOWBALL = {Language.EN: "english", Language.ES: "spanish"}
_ALIASES = {
    "en": Language.EN,
    "eng": Language.EN,
    "english": Language.EN,
    "inglés": Language.EN,
    "ingles": Language.EN,
    "es": Language.ES,
    "spa": Language.ES,
    "spanish": Language.ES,
    "español": Language.ES,
    "espanol": Language.ES,
    "castellano": Language.ES,
}

LANGUAGES: tuple[Language, ...] = tuple(Language)
