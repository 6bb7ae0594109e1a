"""Highlighted snippets on the results page: the words that matched, in <mark>, in their own forms."""
from __future__ import annotations

import re

import pytest

from outreach.search.analysis import tokens
from outreach.search.highlight import SNIPPET_LENGTH, snippet


def marked(html: str) -> list[str]:
    return re.findall(r"<mark>(.*?)</mark>", html)


def terms_of(query: str, locale: str) -> frozenset[str]:
    """What a search for ``query`` matches on: the folded and the stemmed forms of its words."""
    return frozenset(tokens(query) + tokens(query, locale, stem=True))


@pytest.mark.parametrize(("text", "locale", "query", "expected"), [
    ("Weekly meetings for families of people who use drugs.", "en", "meeting", ["meetings"]),
    ("Tratamiento de la adicción para jóvenes.", "es", "adiccion jovenes", ["adicción", "jóvenes"]),
    ("Chương trình điều trị miễn phí.", "vi", "dieu tri", ["điều", "trị"]),
    ("免费的纳洛酮培训", "zh", "纳洛酮", ["免费的纳洛酮培训"]),  # a run of Chinese is one word: marked whole
    ("برنامج العلاج المجاني", "ar", "علاج", ["العلاج"]),  # the article "ال" is not part of the word
    ("Naloxone, naloxone and NALOXONE kits.", "en", "naloxone", ["Naloxone", "naloxone", "NALOXONE"]),
])
def test_matched_words_are_marked_in_the_form_the_text_has(text, locale, query, expected):
    assert marked(snippet(text, locale, terms_of(query, locale))) == expected


def test_words_that_did_not_match_are_not_marked():
    html = snippet("Peer support group meets on Tuesdays.", "en", terms_of("naloxone", "en"))
    assert marked(html) == [] and str(html) == "Peer support group meets on Tuesdays."


def test_listing_text_is_escaped_around_and_inside_the_marks():
    html = str(snippet('<script>alert(1)</script> naloxone & "<b>kits</b>"', "en", terms_of("naloxone kits", "en")))
    assert "<script>" not in html and "<b>" not in html
    assert "&lt;script&gt;" in html and "&amp;" in html
    assert marked(html) == ["naloxone", "kits"]


def test_a_long_text_is_cut_around_the_first_match_at_word_boundaries():
    before = " ".join(f"word{i}" for i in range(80))
    after = " ".join(f"tail{i}" for i in range(80))
    html = str(snippet(f"{before} syringe services {after}", "en", terms_of("syringe", "en")))
    assert html.startswith("…") and html.endswith("…")
    assert marked(html) == ["syringe"]
    visible = html.replace("<mark>", "").replace("</mark>", "").strip("…")
    assert len(visible) <= SNIPPET_LENGTH
    assert all(re.fullmatch(r"(word|tail)\d+|syringe|services", w) for w in visible.split())


def test_the_same_word_is_marked_alike_whatever_text_it_is_in():
    """Words are analyzed once per process and reused: a second text gets the same answer."""
    terms = terms_of("treatments", "en")
    assert marked(snippet("Treatment on site.", "en", terms)) == ["Treatment"]
    assert marked(snippet("Outpatient treatment, treatments and treated.", "en", terms)) == ["treatment", "treatments"]
