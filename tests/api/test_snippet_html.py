"""HTML-safe snippets: the text of a record escaped, the matched words marked, and markup
injected through a record coming out as text."""

from __future__ import annotations

import html

import pytest

import diaspora_search as ds

HOSTILE = [
    {
        "id": "script",
        "title_en": "<script>alert('title')</script>",
        "summary_en": "<script>alert(1)</script> migrants & <b>families</b> \"quoted\" 'single'",
    },
    {
        "id": "attr",
        "summary_en": 'Migrants <img src=x onerror="alert(2)"> and <a href="javascript:x">link</a>',
    },
    {"id": "marks", "summary_en": "Stars **not a mark** and <mark>fake</mark> migrants"},
    {
        "id": "fulltext",
        "summary_en": "Nothing to see here.",
        "text_en": "Deep inside: <iframe src=evil></iframe> refugees &amp; more",
    },
]


@pytest.fixture
def hostile(tmp_index: ds.SearchIndex) -> ds.SearchIndex:
    tmp_index.add(HOSTILE)
    return tmp_index


def hit_of(index: ds.SearchIndex, query: str, rid: str) -> ds.Hit:
    return next(hit for hit in index.search(query, translate=False, limit=10) if hit.id == rid)


@pytest.mark.parametrize(
    ("query", "rid"),
    [("migrants", "script"), ("migrants", "attr"), ("migrants", "marks"), ("refugees", "fulltext")],
)
def test_markup_in_a_record_comes_out_escaped(
    hostile: ds.SearchIndex, query: str, rid: str
) -> None:
    hit = hit_of(hostile, query, rid)
    shown = hit.snippet_html()
    # Taking the <mark> tags out, what is left is the record's text escaped: no tag of its own.
    unmarked = shown.replace("<mark>", "").replace("</mark>", "")
    assert "<" not in unmarked and ">" not in unmarked and '"' not in unmarked
    assert html.unescape(unmarked) == hit.highlight("", "")
    assert shown.count("<mark>") == shown.count("</mark>") >= 1


def test_the_matched_words_are_marked_and_the_rest_escaped(hostile: ds.SearchIndex) -> None:
    hit = hit_of(hostile, "migrants families", "script")
    assert hit.snippet_html() == (
        "&lt;script&gt;alert(1)&lt;/script&gt; <mark>migrants</mark> &amp; "
        "&lt;b&gt;<mark>families</mark>&lt;/b&gt; &quot;quoted&quot; &#x27;single&#x27;"
    )
    assert hit.snippet == (
        "<script>alert(1)</script> **migrants** & <b>**families**</b> \"quoted\" 'single'"
    )


def test_custom_marks(hostile: ds.SearchIndex) -> None:
    hit = hit_of(hostile, "migrants", "marks")
    assert hit.highlight("[", "]") == "Stars **not a mark** and <mark>fake</mark> [migrants]"
    assert hit.snippet_html('<em class="hit">', "</em>") == (
        'Stars **not a mark** and &lt;mark&gt;fake&lt;/mark&gt; <em class="hit">migrants</em>'
    )
    escaped = hit.highlight("<b>", "</b>", escape=html.escape)
    assert escaped == hit.snippet_html("<b>", "</b>")


def test_the_full_text_gives_the_snippet_when_it_matched_there(hostile: ds.SearchIndex) -> None:
    hit = hit_of(hostile, "refugees", "fulltext")
    assert hit.snippet_html() == (
        "Deep inside: &lt;iframe src=evil&gt;&lt;/iframe&gt; <mark>refugees</mark> &amp;amp; more"
    )


def test_a_hit_without_a_matched_word_in_its_text_is_escaped_too(tmp_index: ds.SearchIndex) -> None:
    tmp_index.add([{"id": "n", "summary_en": "<b>Bold</b> claims", "authors": ["Delano"]}])
    hit = hit_of(tmp_index, "Delano", "n")
    assert hit.snippet == "<b>Bold</b> claims"
    assert hit.snippet_html() == "&lt;b&gt;Bold&lt;/b&gt; claims"
