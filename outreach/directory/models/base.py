"""Shared pieces of the directory models: ids, per-locale text, HSDS attribute links."""
from __future__ import annotations

import uuid
from dataclasses import dataclass

from markupsafe import Markup
from sqlalchemy import and_
from sqlalchemy.orm import Mapped, foreign, relationship

from ...extensions import db
from ...i18n.models import TranslatedText

# UUIDv5 namespace for ids derived from stable content slugs.
CONTENT_NAMESPACE = uuid.UUID("6b0b6d3e-9a0f-4d2f-9c53-3f1f0d7e2a41")

SERVICE_STATUSES = ("active", "inactive", "defunct", "temporarily closed")
PHONE_TYPES = ("voice", "text", "fax", "cell", "video", "pager", "textphone")
LOCATION_TYPES = ("physical", "postal", "virtual")
WEEKDAYS = ("MO", "TU", "WE", "TH", "FR", "SA", "SU")


def new_id() -> str:
    return str(uuid.uuid4())


def id_for_slug(kind: str, slug: str) -> str:
    """The stable database id of a seed-content record."""
    return str(uuid.uuid5(CONTENT_NAMESPACE, f"{kind}:{slug}"))


@dataclass(frozen=True)
class LocalText:
    """A piece of listing text and the language it is actually in."""

    value: str
    lang: str
    is_fallback: bool  # True when shown in the source language because no translation exists

    def __str__(self) -> str:
        return self.value

    def as_label(self) -> Markup:
        """For a form choice's label: the text, in a ``lang``-marked span when it is a fallback."""
        if self.is_fallback:
            return Markup('<span lang="{}" dir="auto">{}</span>').format(self.lang, self.value)
        return Markup.escape(self.value)

    def __bool__(self) -> bool:
        return bool(self.value)


class Translatable:
    """Mixin for models whose text fields may be stored per locale."""

    __translation_entity__: str
    source_locale: Mapped[str]
    translations: Mapped[list[TranslatedText]]

    def text(self, field: str, locale: str) -> LocalText:
        translated = None
        if locale != self.source_locale:
            translated = next((item.value for item in self.translations
                               if item.field == field and item.locale == locale and not item.is_stale), None)
        return local_text(getattr(self, field), self.source_locale, locale, translated)


class ReadTexts:
    """The ``text()`` of :class:`Translatable` for plain records read without the ORM: ``translated``
    maps (field, locale) to a current translation."""

    source_locale: str
    translated: dict[tuple[str, str], str]

    def text(self, field: str, locale: str) -> LocalText:
        return local_text(getattr(self, field), self.source_locale, locale, self.translated.get((field, locale)))


def local_text(source: str | None, source_locale: str, locale: str, translated: str | None) -> LocalText:
    """A text field in ``locale``: its current translation when there is one, else the source text,
    marked as shown untranslated when the page is in another language."""
    if locale != source_locale and translated is not None:
        return LocalText(translated, locale, False)
    source = source or ""
    return LocalText(source, source_locale, bool(source) and locale != source_locale)


def _translations(entity: str, owner: str):
    return relationship(
        TranslatedText,
        primaryjoin=lambda: and_(
            foreign(TranslatedText.link_id) == db.metadata.tables[owner].c.id,
            TranslatedText.link_entity == entity,
        ),
        cascade="all, delete-orphan",
        lazy="selectin",
        overlaps="translations",
    )


def _attributes(entity: str, owner: str):
    return relationship(
        "Attribute",
        primaryjoin=lambda: and_(
            foreign(db.metadata.tables["attribute"].c.link_id) == db.metadata.tables[owner].c.id,
            db.metadata.tables["attribute"].c.link_entity == entity,
        ),
        cascade="all, delete-orphan",
        lazy="selectin",
        overlaps="attributes",
    )
