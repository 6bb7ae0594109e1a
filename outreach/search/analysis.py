"""Text analysis per language: folding, stemming, Arabic normalization and Chinese bigrams.

Every analyzer lower-cases and folds accents ("adicción" → "adiccion", "điều trị" → "dieu tri"),
so a resident without the right keyboard still finds the listing. Whoosh's own
``LanguageAnalyzer("ar")`` crashes; Arabic and Persian get the light normalization below instead.
"""
from __future__ import annotations

import re
import unicodedata
from functools import lru_cache

from whoosh.analysis import (
    CharsetFilter,
    Filter,
    LowercaseFilter,
    RegexTokenizer,
    StemFilter,
    StopFilter,
)
from whoosh.support.charset import accent_map

# Languages the directory may hold text in (UI locales and listing languages alike).
CONTENT_LOCALES = ("en", "es", "fr", "ru", "vi", "zh_Hans", "zh_Hant", "ko", "tl", "ht", "ar", "fa")
# Whoosh stemmers (Snowball) by our locale code.
STEMMERS = {"en": "english", "es": "spanish", "fr": "french", "ru": "russian"}

# Combining marks (Arabic harakat, decomposed Vietnamese or Spanish accents) are not \w: keep them
# inside the word so "عِلَاج" and a pasted "adicción" in NFD stay one token, then fold them away.
MARKS = "\u0300-\u036f\u0483-\u0489\u0591-\u05c7\u0610-\u061a\u064b-\u065f\u0670\u06d6-\u06ed\u1ab0-\u1aff\u1dc0-\u1dff\u20d0-\u20ff\ufe20-\ufe2f"
TOKEN_PATTERN = rf"\w[\w{MARKS}]*(?:[.'’]\w[\w{MARKS}]*)*"
CJK = re.compile(r"[\u3040-\u30ff\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff\uac00-\ud7af]")
ARABIC_MARKS = re.compile(r"[\u0610-\u061a\u064b-\u065f\u0670\u06d6-\u06ed\u0640]")
ARABIC_LETTERS = str.maketrans(
    {"أ": "ا", "إ": "ا", "آ": "ا", "ٱ": "ا", "ى": "ي", "ة": "ه", "ی": "ي", "ک": "ك", "ۀ": "ه", "ؤ": "و", "ئ": "ي"}
)
ARABIC_PREFIXES = ("وال", "بال", "كال", "فال", "لل", "ال")
EXTRA_FOLDING = str.maketrans({"đ": "d", "ð": "d", "ø": "o", "ł": "l", "ß": "ss", "æ": "ae", "œ": "oe", "ı": "i"})


def normalize_arabic(word: str) -> str:
    word = ARABIC_MARKS.sub("", word).translate(ARABIC_LETTERS)
    for prefix in ARABIC_PREFIXES:
        if word.startswith(prefix) and len(word) - len(prefix) >= 2:
            return word[len(prefix):]
    return word


class ExtraFoldingFilter(Filter):
    """Letters accent folding leaves alone (đ has no Unicode decomposition)."""

    def __call__(self, tokens):
        for token in tokens:
            # NFKC first: decomposed accents are composed (then folded below), full-width and
            # presentation forms become plain letters.
            token.text = unicodedata.normalize("NFKC", token.text).translate(EXTRA_FOLDING)
            yield token


ARABIC_SCRIPT = re.compile(r"[\u0600-\u06ff]")


class ArabicNormalizeFilter(Filter):
    def __call__(self, tokens):
        for token in tokens:
            if ARABIC_SCRIPT.search(token.text):
                token.text = normalize_arabic(token.text)
                if not token.text:
                    continue
            yield token


class CjkBigramFilter(Filter):
    """Splits runs of Chinese, Japanese or Korean characters into overlapping bigrams."""

    def __call__(self, tokens):
        position = 0
        for token in tokens:
            text = token.text
            if not CJK.search(text):
                token.pos = position
                position += 1
                yield token
                continue
            pieces = [text] if len(text) == 1 else [text[i : i + 2] for i in range(len(text) - 1)]
            for piece in pieces:
                token.text = piece
                token.pos = position
                position += 1
                yield token


@lru_cache(maxsize=None)
def analyzer_for(locale: str, *, stem: bool = True):
    """The analyzer for one language's fields; ``stem=False`` gives the plain folded form."""
    chain = RegexTokenizer(TOKEN_PATTERN) | LowercaseFilter() | ExtraFoldingFilter() | CharsetFilter(accent_map)
    chain = chain | ArabicNormalizeFilter() | CjkBigramFilter()
    language = STEMMERS.get(locale) if stem else None
    if language:
        chain = chain | StopFilter(lang=language, minsize=1) | StemFilter(lang=language)
    return chain


def plain_analyzer():
    return analyzer_for("plain", stem=False)


def tokens(text: str, locale: str = "plain", *, stem: bool = False) -> list[str]:
    analyzer = analyzer_for(locale, stem=stem) if locale != "plain" else plain_analyzer()
    return [token.text for token in analyzer(text)]


def fold(text: str) -> str:
    """Lower-case, accent-folded, normalized words joined by spaces: how the plain field sees text."""
    return " ".join(tokens(text))


@lru_cache(maxsize=None)
def stop_words(locale: str) -> frozenset[str]:
    from whoosh.lang import stopwords_for_language

    words: set[str] = set()
    for code in dict.fromkeys((locale, "en")):
        language = STEMMERS.get(code)
        if language:
            words |= {fold(w) for w in stopwords_for_language(language)}
    return frozenset(words)


def without_stop_words(words: list[str], locale: str) -> list[str]:
    """Drop "and", "de", "the" … from a query, unless nothing else is left."""
    stops = stop_words(locale)
    kept = [w for w in words if w not in stops]
    return kept or words
