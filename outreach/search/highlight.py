"""Highlighted snippets: the part of a description around the words that matched, with <mark>."""
from __future__ import annotations

import re
from functools import lru_cache

from markupsafe import Markup, escape

from .analysis import TOKEN_PATTERN, analyzer_for, plain_analyzer

SNIPPET_LENGTH = 180


_WORD = re.compile(TOKEN_PATTERN)


@lru_cache(maxsize=100_000)
def _forms(word: str, locale: str) -> frozenset[str]:
    """Every indexed form of one word (folded, and stemmed for ``locale``): the analyzers work per
    word, so a description is split once and each distinct word analyzed once per process."""
    return frozenset(token.text for analyzer in (plain_analyzer(), analyzer_for(locale)) for token in analyzer(word))


def snippet(text: str, locale: str, terms: frozenset[str], length: int = SNIPPET_LENGTH) -> Markup:
    """Up to ``length`` characters of ``text`` around the first match, matches wrapped in <mark>.

    The words are read only as far as the end of what is shown (a page draws twenty snippets)."""
    if not text:
        return Markup("")
    words = _WORD.finditer(text) if terms else iter(())
    first = next((match for match in words if not terms.isdisjoint(_forms(match.group(), locale))), None)
    start = 0
    if first is not None and first.start() > length // 3:
        start = text.rfind(" ", 0, first.start() - length // 3) + 1
    end = min(len(text), start + length)
    if end < len(text):
        cut = text.rfind(" ", start, end)
        end = cut if cut > start else end
    spans = [first.span()] if first is not None else []
    if first is not None and first.end() < end:
        for match in words:
            if match.start() >= end:
                break
            if not terms.isdisjoint(_forms(match.group(), locale)):
                spans.append(match.span())
    out, cursor = ["…" if start > 0 else ""], start
    for span_start, span_end in spans:
        if span_end <= start or span_start >= end:
            continue
        span_start, span_end = max(span_start, start), min(span_end, end)
        out.append(escape(text[cursor:span_start]))
        out.append(f"<mark>{escape(text[span_start:span_end])}</mark>")
        cursor = span_end
    out.append(escape(text[cursor:end]))
    if end < len(text):
        out.append("…")
    return Markup("".join(out))
