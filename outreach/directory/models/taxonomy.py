"""Taxonomies, their terms, and attribute links (HSDS ``taxonomy``, ``taxonomy_term``, ``attribute``)."""
from __future__ import annotations

from sqlalchemy import ForeignKey, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ...extensions import db
from ...i18n.models import TranslatedText
from .base import Translatable, _translations, new_id


class Taxonomy(db.Model):
    __tablename__ = "taxonomy"

    id: Mapped[str] = mapped_column(String(36), primary_key=True, default=new_id)
    name: Mapped[str] = mapped_column(String(200))
    description: Mapped[str] = mapped_column(Text, default="")
    uri: Mapped[str | None] = mapped_column(String(500))
    version: Mapped[str | None] = mapped_column(String(50))

    terms: Mapped[list[TaxonomyTerm]] = relationship(back_populates="taxonomy", cascade="all, delete-orphan")


class TaxonomyTerm(Translatable, db.Model):
    __tablename__ = "taxonomy_term"
    __translation_entity__ = "taxonomy_term"

    id: Mapped[str] = mapped_column(String(36), primary_key=True, default=new_id)
    code: Mapped[str] = mapped_column(String(100), unique=True)
    name: Mapped[str] = mapped_column(String(200))
    description: Mapped[str] = mapped_column(Text, default="")
    parent_id: Mapped[str | None] = mapped_column(ForeignKey("taxonomy_term.id"))
    taxonomy_id: Mapped[str] = mapped_column(ForeignKey("taxonomy.id"))
    language: Mapped[str | None] = mapped_column(String(16))
    term_uri: Mapped[str | None] = mapped_column(String(500))
    # Ours: display order among siblings, and the source language of name/description.
    position: Mapped[int] = mapped_column(Integer, default=0)
    source_locale: Mapped[str] = mapped_column(String(16), default="en")

    taxonomy: Mapped[Taxonomy] = relationship(back_populates="terms")
    parent: Mapped[TaxonomyTerm | None] = relationship(remote_side=[id], back_populates="children")
    children: Mapped[list[TaxonomyTerm]] = relationship(
        back_populates="parent", order_by="TaxonomyTerm.position"
    )
    translations: Mapped[list[TranslatedText]] = _translations("taxonomy_term", "taxonomy_term")


class Attribute(db.Model):
    """Links a taxonomy term to a service or location (HSDS ``attribute``): categories and flags."""

    __tablename__ = "attribute"

    id: Mapped[str] = mapped_column(String(36), primary_key=True, default=new_id)
    link_id: Mapped[str] = mapped_column(String(36), index=True)
    link_type: Mapped[str | None] = mapped_column(String(100))
    link_entity: Mapped[str] = mapped_column(String(40))
    taxonomy_term_id: Mapped[str] = mapped_column(ForeignKey("taxonomy_term.id", ondelete="CASCADE"), index=True)
    value: Mapped[str | None] = mapped_column(String(200))

    taxonomy_term: Mapped[TaxonomyTerm] = relationship()  # pages read terms from the taxonomy copy
