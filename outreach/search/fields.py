"""What both engines index and how a query weighs it: shared so Whoosh and tantivy agree."""
from __future__ import annotations

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
