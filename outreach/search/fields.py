"""What both engines index and how a query weighs it: shared so Whoosh and tantivy agree."""
from __future__ import annotations

from typing import Callable

from .analysis import CONTENT_LOCALES
from .backend import SearchDocument

# Per locale: "name" (the service's name, boosted) and "text" (name, organization, category and
# attribute labels, description). Two fields per language keep the number of posting lists a
# query reads small; the name field only adds score. "plain" holds every locale's text unstemmed.
TEXT_FIELDS = ("name", "text")
FIELD_BOOSTS = {"name": 3.0, "text": 1.0, "plain": 0.5}
FEW_RESULTS = 3  # below this many hits, loosen the query, then try typo tolerance
MAX_WORDS = 12
NO_AGE_MIN, NO_AGE_MAX = 0, 150  # stored for services that set no age limit


def field_name(field: str, locale: str) -> str:
    return f"{field}_{locale}"


def age_bounds(document: SearchDocument) -> tuple[int, int]:
    minimum = document.minimum_age if document.minimum_age is not None else NO_AGE_MIN
    maximum = document.maximum_age if document.maximum_age is not None else NO_AGE_MAX
    return minimum, maximum


def text_fields(document: SearchDocument) -> dict[str, tuple[str, str]]:
    """Field name → (the locale whose analyzer reads it, or "plain"; the raw text)."""
    fields: dict[str, tuple[str, str]] = {}
    plain = []
    for locale, texts in document.texts.items():
        parts = [texts.get(key) for key in ("name", "organization", "categories", "description")]
        text = "\n".join(p for p in parts if p)
        plain.append(text)
        if locale in CONTENT_LOCALES:
            if texts.get("name"):
                fields[field_name("name", locale)] = (locale, texts["name"])
            fields[field_name("text", locale)] = (locale, text)
    fields["plain"] = ("plain", "\n".join(dict.fromkeys(plain)))
    return fields


def complete_last_word(
    words: list[str],
    frequency: Callable[[str], int],
    completions: Callable[[str], list[tuple[str, int]]],
    local_frequency: Callable[[str], int],
) -> list[str]:
    """Search as you type: a last word the index does not know ("nalox") is read as its most common
    completion ("naloxone"), so it gets the same synonyms and ranking as the full word. Words used
    in the page's own language win over others ("naloxone" on an English page, "naloxona" in Spanish)."""
    if not words or len(words[-1]) < 3 or frequency(words[-1]) > 0:
        return words
    candidates = [(word, count) for word, count in completions(words[-1]) if word != words[-1]]
    if not candidates:
        return words
    best, _count = max(candidates, key=lambda pair: (local_frequency(pair[0]), pair[1], -len(pair[0]), pair[0]))
    return [*words[:-1], best]


def local_field_term(word: str, locale: str) -> tuple[str, str] | None:
    """The (field, term) under which ``word`` would be found in the locale's own text field."""
    from .analysis import analyzer_for

    if locale not in CONTENT_LOCALES:
        return None
    analyzed = [token.text for token in analyzer_for(locale)(word)]
    return (field_name("text", locale), analyzed[0]) if len(analyzed) == 1 else None
