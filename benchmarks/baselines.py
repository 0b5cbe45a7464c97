"""Peer search engines for the benchmarks, behind one small interface.

Each engine indexes records in the CONTRACT.md format (only the four text fields ``title_en``,
``title_es``, ``summary_en``, ``summary_es`` are searched; ``id`` is kept to report hits) and
answers a natural-language query with ranked record ids:

- ``whoosh``: stock Whoosh, ``StemmingAnalyzer()`` on the English fields and
  ``LanguageAnalyzer("es")`` on the Spanish ones, ``MultifieldParser`` over the four fields with
  ``OrGroup`` (a question AND-ed finds nothing).
- ``whoosh-accent``: the same plus ``| CharsetFilter(accent_map)`` on every text field.
- ``fts5``: SQLite FTS5 (stdlib ``sqlite3``), ``porter unicode61 remove_diacritics 2``; the
  query's words, each quoted, joined with ``OR``; ranked by ``bm25()``.
- ``tantivy``: tantivy-py when installed; simple tokenizer, lowercase, ascii_fold and the Snowball
  stemmer (english / spanish); the query's words, each quoted, OR-ed across the four fields.
- ``ours``: diaspora_search, ``SearchIndex.create(path)`` / ``.search(q, limit=...)``.
- results pages (issue 12): ``fts5-total`` also counts every match (``SELECT count(*)``), as a
  results page showing "N results" must; ``ours-facets`` counts the five facets over every
  match, ``ours-filter`` filters on a year range and a tag, ``ours-sort`` sorts by year, newest
  first, ``ours-page3`` asks for hits 21 to 30. These four add a year and tags to each record
  (derived from its id, so every run indexes the same values; the shared corpus has neither).
- snippets: ``ours-snippets`` reads each hit's snippet (a search makes one only when it is
  read), ``fts5-snippets`` selects FTS5's ``snippet()`` of each hit.
- full text (issue 12): ``ours-fulltext`` and ``whoosh-fulltext`` index each summary again as
  the record's full text (``text_en``, ``text_es``; Whoosh: two more ``TEXT`` fields, stored).

Not a benchmark by itself: imported by ``quality.py`` and ``bench_index.py``.
"""

from __future__ import annotations

import re
import sqlite3
from collections.abc import Callable, Iterable, Mapping
from pathlib import Path
from typing import Any, ClassVar, Protocol

TEXT_FIELDS: tuple[str, ...] = ("title_en", "title_es", "summary_en", "summary_es")
EN_FIELDS: tuple[str, ...] = ("title_en", "summary_en")
_WORD = re.compile(r"[^\W_]+")

Record = Mapping[str, Any]


class Engine(Protocol):
    """What the benchmarks need from a search engine."""

    name: str

    def add(self, records: Iterable[Record]) -> None: ...

    def search(self, query: str, limit: int = 10) -> list[str]: ...

    def close(self) -> None: ...


def query_words(query: str) -> list[str]:
    """The alphanumeric words of ``query`` (punctuation, ``¿`` and ``_`` split words)."""
    return _WORD.findall(query)


def text_fields(record: Record) -> dict[str, str]:
    """The non-empty text fields of ``record``, a title equal in both languages kept once.

    A record's title is one title: indexing ``title_es`` when it repeats ``title_en`` (as in every
    XQuAD record) would count its words twice. This is also what reproduces the peer numbers of
    ``../shared/xquad/README.md``.
    """
    fields = {f: record[f] for f in TEXT_FIELDS if record.get(f)}
    if fields.get("title_es") is not None and fields.get("title_es") == fields.get("title_en"):
        del fields["title_es"]
    return fields


# --------------------------------------------------------------------------- whoosh


class WhooshEngine:
    """Stock Whoosh with per-language analyzers; optionally accent-folded."""

    def __init__(self, path: Path, *, accent_fold: bool = False, full_text: bool = False) -> None:
        from whoosh import index
        from whoosh.analysis import CharsetFilter, LanguageAnalyzer, StemmingAnalyzer
        from whoosh.fields import ID, TEXT, Schema
        from whoosh.qparser import MultifieldParser, OrGroup
        from whoosh.support.charset import accent_map

        en, es = StemmingAnalyzer(), LanguageAnalyzer("es")
        if accent_fold:
            en, es = en | CharsetFilter(accent_map), es | CharsetFilter(accent_map)
        fields: dict[str, Any] = {"id": ID(stored=True, unique=True)}
        for name in TEXT_FIELDS:
            fields[name] = TEXT(analyzer=en if name in EN_FIELDS else es)
        self._full_text = full_text
        if full_text:  # (the full-text indexing comparison: stored, as ours stores it)
            fields["text_en"] = TEXT(analyzer=en, stored=True)
            fields["text_es"] = TEXT(analyzer=es, stored=True)
        schema = Schema(**fields)
        path.mkdir(parents=True, exist_ok=True)
        self.name = "whoosh-accent" if accent_fold else "whoosh"
        self._index = index.create_in(str(path), schema)
        self._parser = MultifieldParser(list(TEXT_FIELDS), schema, group=OrGroup)
        self._searcher: Any = None

    def add(self, records: Iterable[Record]) -> None:
        writer = self._index.writer()
        for rec in records:
            extra = {k: rec[k] for k in ("text_en", "text_es") if self._full_text and rec.get(k)}
            writer.add_document(id=rec["id"], **text_fields(rec), **extra)
        writer.commit()
        self._searcher = None

    def search(self, query: str, limit: int = 10) -> list[str]:
        if self._searcher is None:
            self._searcher = self._index.searcher()
        # Words only: Whoosh's syntax would read "surrender?" as an unanalyzed wildcard, and
        # lower case so that a word such as "OR" or "NOT" is never an operator.
        text = " ".join(w.lower() for w in query_words(query))
        hits = self._searcher.search(self._parser.parse(text), limit=limit)
        return [hit["id"] for hit in hits]

    def close(self) -> None:
        if self._searcher is not None:
            self._searcher.close()
        self._index.close()


# --------------------------------------------------------------------------- sqlite fts5


def fts5_match(query: str) -> str:
    """The FTS5 MATCH expression for ``query``: each word double-quoted, joined with OR."""
    return " OR ".join('"' + w.replace('"', '""') + '"' for w in query_words(query))


class Fts5Engine:
    """SQLite FTS5 with the porter stemmer over unicode61 with diacritics removed."""

    name = "fts5"

    def __init__(self, path: Path) -> None:
        path.mkdir(parents=True, exist_ok=True)
        self._db = sqlite3.connect(str(path / "fts5.db"))
        cols = ", ".join(TEXT_FIELDS)
        self._db.execute(
            f"CREATE VIRTUAL TABLE docs USING fts5(id UNINDEXED, {cols}, "
            "tokenize = 'porter unicode61 remove_diacritics 2')"
        )

    def add(self, records: Iterable[Record]) -> None:
        rows = ((r["id"], *(text_fields(r).get(f, "") for f in TEXT_FIELDS)) for r in records)
        with self._db:
            self._db.executemany("INSERT INTO docs VALUES (?, ?, ?, ?, ?)", rows)

    def search(self, query: str, limit: int = 10) -> list[str]:
        match = fts5_match(query)
        if not match:
            return []
        sql = "SELECT id FROM docs WHERE docs MATCH ? ORDER BY bm25(docs) LIMIT ?"
        return [row[0] for row in self._db.execute(sql, (match, limit))]

    def close(self) -> None:
        self._db.close()


# --------------------------------------------------------------------------- tantivy


def tantivy_available() -> bool:
    try:
        import tantivy  # noqa: F401
    except ImportError:
        return False
    return True


class TantivyEngine:
    """tantivy-py with lowercase + ascii_fold + Snowball analyzers registered per language."""

    name = "tantivy"

    def __init__(self, path: Path) -> None:
        import tantivy as tv

        builder = tv.SchemaBuilder()
        builder.add_text_field("id", stored=True, tokenizer_name="raw")
        for name in TEXT_FIELDS:
            lang = "en" if name in EN_FIELDS else "es"
            builder.add_text_field(name, tokenizer_name=f"stem_{lang}")
        path.mkdir(parents=True, exist_ok=True)
        self._index = tv.Index(builder.build(), path=str(path), reuse=False)
        for lang, stemmer in (("en", "english"), ("es", "spanish")):
            analyzer = (
                tv.TextAnalyzerBuilder(tv.Tokenizer.simple())
                .filter(tv.Filter.remove_long(40))
                .filter(tv.Filter.lowercase())
                .filter(tv.Filter.ascii_fold())
                .filter(tv.Filter.stemmer(stemmer))
                .build()
            )
            self._index.register_tokenizer(f"stem_{lang}", analyzer)
        self._tv = tv

    def add(self, records: Iterable[Record]) -> None:
        writer = self._index.writer()
        for rec in records:
            doc = self._tv.Document(id=rec["id"])
            for name, text in text_fields(rec).items():
                doc.add_text(name, text)
            writer.add_document(doc)
        writer.commit()
        writer.wait_merging_threads()
        self._index.reload()

    def search(self, query: str, limit: int = 10) -> list[str]:
        words = query_words(query)
        if not words:
            return []
        text = " ".join(f'"{w}"' for w in words)  # quoted: no operator or field syntax left
        parsed = self._index.parse_query(text, list(TEXT_FIELDS))
        searcher = self._index.searcher()
        hits = searcher.search(parsed, limit=limit).hits
        return [searcher.doc(addr)["id"][0] for _score, addr in hits]

    def close(self) -> None:
        pass


# --------------------------------------------------------------------------- ours


class OursEngine:
    """diaspora_search through its public API only."""

    name = "ours"

    def __init__(self, path: Path) -> None:
        import diaspora_search as ds

        self._path = path
        self._index = ds.SearchIndex.create(path)

    def add(self, records: Iterable[Record]) -> None:
        self._index.add(records)

    def search(self, query: str, limit: int = 10) -> list[str]:
        return [hit.id for hit in self._index.search(query, limit=limit)]

    def close(self) -> None:
        close = getattr(self._index, "close", None)
        if callable(close):
            close()


class OursBeforeFastPath(OursEngine):
    """diaspora_search writing through Whoosh's own ``add_document`` (its state before the fast
    indexing path): the same analysis, the same index, for a before/after ratio in one run."""

    name = "ours-whoosh-writer"

    def add(self, records: Iterable[Record]) -> None:
        from diaspora_search._records import validate_batch
        from diaspora_search.storage import IndexStore

        store = IndexStore.open(self._path)
        with store.writer(fast=False) as writer:
            writer.add(validate_batch(records))
        store.close()


class OursWithoutTranslation(OursEngine):
    """diaspora_search with query translation off (``translate=False``)."""

    name = "ours-notranslate"

    def search(self, query: str, limit: int = 10) -> list[str]:
        return [hit.id for hit in self._index.search(query, limit=limit, translate=False)]


FACET_TAGS = ("tutorial", "reference", "howto", "library", "language", "faq", "glossary")


def with_page_values(records: Iterable[Record]) -> list[dict[str, Any]]:
    """``records`` with a year (1990-2024) and one or two tags each, derived from the id."""
    import zlib

    out = []
    for record in records:
        h = zlib.crc32(str(record["id"]).encode("utf-8"))
        tags = sorted({FACET_TAGS[h % 7], FACET_TAGS[(h >> 8) % 7]})
        out.append({**record, "year": 1990 + (h >> 16) % 35, "tags": tags})
    return out


class OursWithFacets(OursEngine):
    """diaspora_search counting every facet over all matches (and the total)."""

    name = "ours-facets"
    options: ClassVar[dict[str, Any]] = {"facets": ("year", "source", "authors", "tags", "lang")}

    def add(self, records: Iterable[Record]) -> None:
        self._index.add(with_page_values(records))

    def search(self, query: str, limit: int = 10) -> list[str]:
        return [hit.id for hit in self._index.search(query, limit=limit, **self.options)]


class OursFiltered(OursWithFacets):
    """diaspora_search with a filter on a year range and a tag."""

    name = "ours-filter"
    options: ClassVar[dict[str, Any]] = {
        "filters": {"year": (2000, 2015), "tags": ["tutorial", "howto"]}
    }


class OursSortedByYear(OursWithFacets):
    """diaspora_search sorted by year, newest first."""

    name = "ours-sort"
    options: ClassVar[dict[str, Any]] = {"sort": "-year"}


class OursThirdPage(OursWithFacets):
    """diaspora_search's third page of ten hits."""

    name = "ours-page3"
    options: ClassVar[dict[str, Any]] = {"offset": 20}


def with_full_text(records: Iterable[Record]) -> list[dict[str, Any]]:
    """``records`` with each summary also given as the record's full text (``text_en``,
    ``text_es``): the indexing cost of full text fields, on the shared corpus."""
    out = []
    for record in records:
        extra = {f"text_{lang}": record[f"summary_{lang}"] for lang in ("en", "es")}
        out.append({**record, **{k: v for k, v in extra.items() if v}})
    return out


class OursFullText(OursEngine):
    """diaspora_search indexing each summary again as full text."""

    name = "ours-fulltext"

    def add(self, records: Iterable[Record]) -> None:
        self._index.add(with_full_text(records))


class WhooshFullText(WhooshEngine):
    """Stock Whoosh indexing each summary again as full text (``text_en``, ``text_es``)."""

    def __init__(self, path: Path) -> None:
        super().__init__(path, full_text=True)
        self.name = "whoosh-fulltext"

    def add(self, records: Iterable[Record]) -> None:
        super().add(with_full_text(records))


class Fts5WithTotal(Fts5Engine):
    """SQLite FTS5, also counting every match (the total a results page shows)."""

    name = "fts5-total"

    def search(self, query: str, limit: int = 10) -> list[str]:
        match = fts5_match(query)
        if not match:
            return []
        self.total = self._db.execute(
            "SELECT count(*) FROM docs WHERE docs MATCH ?", (match,)
        ).fetchone()[0]
        return super().search(query, limit)


class Fts5WithSnippets(Fts5Engine):
    """SQLite FTS5, also making each hit's snippet (``snippet()``, the best column, matched
    words marked, about 32 tokens: ours are up to 200 characters)."""

    name = "fts5-snippets"

    def search(self, query: str, limit: int = 10) -> list[str]:
        match = fts5_match(query)
        if not match:
            return []
        sql = (
            "SELECT id, snippet(docs, -1, '**', '**', '…', 32) FROM docs WHERE docs MATCH ? "
            "ORDER BY bm25(docs) LIMIT ?"
        )
        rows = self._db.execute(sql, (match, limit)).fetchall()
        self.snippets = [row[1] for row in rows]
        return [row[0] for row in rows]


class OursWithSnippets(OursEngine):
    """diaspora_search, each hit's snippet read (a search makes a snippet only when it is
    read: ``ours`` reads ids only, as ``fts5`` gives them)."""

    name = "ours-snippets"

    def search(self, query: str, limit: int = 10) -> list[str]:
        hits = self._index.search(query, limit=limit)
        self.snippets = [hit.snippet for hit in hits]
        return [hit.id for hit in hits]


def ours_available() -> bool:
    try:
        import diaspora_search  # noqa: F401
    except ImportError:
        return False
    return True


ENGINES: dict[str, Callable[[Path], Engine]] = {
    "ours": OursEngine,
    "ours-whoosh-writer": OursBeforeFastPath,
    "ours-notranslate": OursWithoutTranslation,
    "ours-facets": OursWithFacets,
    "ours-filter": OursFiltered,
    "ours-sort": OursSortedByYear,
    "ours-page3": OursThirdPage,
    "fts5-total": Fts5WithTotal,
    "ours-snippets": OursWithSnippets,
    "fts5-snippets": Fts5WithSnippets,
    "ours-fulltext": OursFullText,
    "whoosh-fulltext": WhooshFullText,
    "whoosh": WhooshEngine,
    "whoosh-accent": lambda path: WhooshEngine(path, accent_fold=True),
    "fts5": Fts5Engine,
    "tantivy": TantivyEngine,
}


def available(name: str) -> bool:
    """Whether engine ``name`` can run in this environment."""
    if name.startswith("ours"):
        return ours_available()
    if name == "tantivy":
        return tantivy_available()
    return name in ENGINES


def make_engine(name: str, path: Path) -> Engine:
    """A new, empty index of engine ``name`` in the folder ``path``."""
    if name not in ENGINES:
        raise ValueError(f"unknown engine {name!r}; choose one of: {', '.join(ENGINES)}")
    return ENGINES[name](path)
