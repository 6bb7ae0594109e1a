"""Awareness campaigns, their events, and the categories they belong with.

Text a resident reads (title, summary, body, image description; an event's title, place and details)
is stored in the source locale on the row and per other locale in ``translated_text``, exactly as
listings are, so ``record.text(field, locale)`` and the "not yet translated" note work the same way.
"""
from __future__ import annotations

from datetime import date, datetime, time

from sqlalchemy import Boolean, Column, Date, DateTime, ForeignKey, Integer, String, Table, Text, Time
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ..accounts import clock
from ..accounts.clock import as_utc
from ..directory.models import TaxonomyTerm
from ..directory.models.base import Translatable, _translations, new_id
from ..extensions import db
from ..i18n.models import TranslatedText

# The fields of each kind that may be stored per locale.
CAMPAIGN_TEXT_FIELDS = ("title", "summary", "body", "image_alt")
EVENT_TEXT_FIELDS = ("title", "place", "details")


def _now() -> datetime:
    return clock.now()


campaign_category = Table(
    "campaign_category",
    db.metadata,
    Column("campaign_id", ForeignKey("campaign.id", ondelete="CASCADE"), primary_key=True),
    Column("taxonomy_term_id", ForeignKey("taxonomy_term.id", ondelete="CASCADE"), primary_key=True, index=True),
)


class Campaign(Translatable, db.Model):
    __tablename__ = "campaign"
    __translation_entity__ = "campaign"

    id: Mapped[str] = mapped_column(String(36), primary_key=True, default=new_id)
    # The readable part of the public address: /<lang>/campaigns/<slug>.
    slug: Mapped[str] = mapped_column(String(120), unique=True)
    # Set for campaigns loaded from content/ (flask outreach content load); staff-made ones have none.
    content_slug: Mapped[str | None] = mapped_column(String(120), unique=True)
    source_locale: Mapped[str] = mapped_column(String(16), default="en")
    title: Mapped[str] = mapped_column(String(200))
    summary: Mapped[str] = mapped_column(String(500))
    body: Mapped[str] = mapped_column(Text, default="")  # Markdown, sanitized when rendered
    # Live only inside [starts_at, ends_at): scheduled publishing needs no job, the pages ask is_live(now).
    starts_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), index=True)
    ends_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), index=True)
    # The IANA zone staff entered the window in (the form shows the window in it again).
    time_zone: Mapped[str] = mapped_column(String(64), default="UTC")
    is_featured: Mapped[bool] = mapped_column(Boolean, default=False)
    # The one image: a random file name under instance/campaign-images/, re-encoded by us.
    image_file: Mapped[str | None] = mapped_column(String(80))
    image_alt: Mapped[str | None] = mapped_column(String(300))
    image_width: Mapped[int | None] = mapped_column(Integer)
    image_height: Mapped[int | None] = mapped_column(Integer)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=_now)
    updated_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=_now)
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("staff_user.id", ondelete="SET NULL"))

    categories: Mapped[list[TaxonomyTerm]] = relationship(secondary=campaign_category, lazy="selectin",
                                                          order_by=TaxonomyTerm.position)
    events: Mapped[list[CampaignEvent]] = relationship(back_populates="campaign", cascade="all, delete-orphan",
                                                       lazy="selectin",
                                                       order_by="(CampaignEvent.starts_on, CampaignEvent.start_time)")
    translations: Mapped[list[TranslatedText]] = _translations("campaign", "campaign")

    def is_live(self, now: datetime) -> bool:
        return as_utc(self.starts_at) <= now < as_utc(self.ends_at)

    def is_scheduled(self, now: datetime) -> bool:
        """Not live yet: publishing happens by itself at ``starts_at``."""
        return now < as_utc(self.starts_at)

    def upcoming_events(self, today: date) -> list[CampaignEvent]:
        return [event for event in self.events if event.starts_on >= today]


class CampaignEvent(Translatable, db.Model):
    """A naloxone training, a take-back day …: one date, local start and end times in an IANA zone."""

    __tablename__ = "campaign_event"
    __translation_entity__ = "campaign_event"

    id: Mapped[str] = mapped_column(String(36), primary_key=True, default=new_id)
    campaign_id: Mapped[str] = mapped_column(ForeignKey("campaign.id", ondelete="CASCADE"), index=True)
    source_locale: Mapped[str] = mapped_column(String(16), default="en")
    title: Mapped[str] = mapped_column(String(200))
    starts_on: Mapped[date] = mapped_column(Date, index=True)
    start_time: Mapped[time] = mapped_column(Time)
    end_time: Mapped[time] = mapped_column(Time)
    time_zone: Mapped[str] = mapped_column(String(64))  # IANA name, e.g. America/Los_Angeles
    is_online: Mapped[bool] = mapped_column(Boolean, default=False)
    place: Mapped[str] = mapped_column(String(300), default="")  # the address, or how to join online
    online_url: Mapped[str | None] = mapped_column(String(500))
    details: Mapped[str] = mapped_column(Text, default="")  # free text, shown as plain paragraphs
    updated_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=_now)

    campaign: Mapped[Campaign] = relationship(back_populates="events")
    translations: Mapped[list[TranslatedText]] = _translations("campaign_event", "campaign_event")
