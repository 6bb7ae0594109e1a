"""Campaign use cases: what residents may see (live campaigns only) and what staff change (audited).

Every staff change is one commit with its audit entry; a removed image file is deleted after the
commit succeeds, a new one written before it (an orphaned file is harmless, a missing one is not).
"""
from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass, field
from datetime import date, datetime, time, timezone
from typing import Iterable, Sequence
from zoneinfo import ZoneInfo

from sqlalchemy import select

from ..accounts import clock
from ..audit import services as audit
from ..directory.models import TaxonomyTerm
from ..directory.models.base import ReadTexts
from ..domain import NotFound
from ..extensions import db
from ..i18n.models import TranslatedText
from . import images
from .models import CAMPAIGN_TEXT_FIELDS, EVENT_TEXT_FIELDS, Campaign, CampaignEvent

_UUID = re.compile(r"^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$")


def now() -> datetime:
    return clock.now()


# -- what residents see ---------------------------------------------------------------------------


def _live(at: datetime):
    return select(Campaign).where(Campaign.starts_at <= at, Campaign.ends_at > at)


def live_campaigns(at: datetime | None = None) -> list[Campaign]:
    """Campaigns inside their window, featured first, newest first."""
    statement = _live(at or now()).order_by(Campaign.is_featured.desc(), Campaign.starts_at.desc(), Campaign.title)
    return list(db.session.scalars(statement))


@dataclass(eq=False)
class CampaignCard(ReadTexts):
    """What a campaign card shows and when the campaign is live and what it is about: kept per process
    until any listing or campaign changes, so the home, category and search pages choose and show
    their campaigns without a query."""

    id: str
    slug: str
    title: str
    summary: str
    source_locale: str
    time_zone: str
    starts_at: datetime
    ends_at: datetime
    is_featured: bool
    term_ids: frozenset[str]
    translated: dict[tuple[str, str], str]


def _windows() -> tuple[CampaignCard, ...]:
    """Every campaign not yet ended when read (one that ends later is dropped by the time test)."""
    from ..caching import LISTINGS, cached

    def read() -> tuple[CampaignCard, ...]:
        from .models import campaign_category

        terms: dict[str, set[str]] = {}
        for campaign_id, term_id in db.session.execute(select(campaign_category.c.campaign_id, campaign_category.c.taxonomy_term_id)):
            terms.setdefault(campaign_id, set()).add(term_id)
        rows = list(db.session.execute(
            select(Campaign.id, Campaign.slug, Campaign.title, Campaign.summary, Campaign.source_locale, Campaign.time_zone,
                   Campaign.starts_at, Campaign.ends_at, Campaign.is_featured).where(Campaign.ends_at > now())))
        translated: dict[str, dict[tuple[str, str], str]] = {row.id: {} for row in rows}
        for link_id, text_field, locale, value in db.session.execute(
            select(TranslatedText.link_id, TranslatedText.field, TranslatedText.locale, TranslatedText.value).where(
                TranslatedText.link_entity == "campaign", TranslatedText.link_id.in_(list(translated)),
                TranslatedText.field.in_(("title", "summary")), TranslatedText.is_stale.is_(False))
        ):
            translated[link_id].setdefault((text_field, locale), value)
        return tuple(CampaignCard(row.id, row.slug, row.title, row.summary, row.source_locale, row.time_zone,
                                  clock.as_utc(row.starts_at), clock.as_utc(row.ends_at), bool(row.is_featured),
                                  frozenset(terms.get(row.id, ())), translated[row.id])
                     for row in rows)

    return cached("campaign-windows", read, version_of=LISTINGS)


def _chosen(windows: Iterable[CampaignCard], at: datetime, limit: int) -> list[CampaignCard]:
    """The live ones among ``windows``, featured first, then the latest started."""
    at = clock.as_utc(at)
    live = sorted((w for w in windows if w.starts_at <= at < w.ends_at), key=lambda w: (not w.is_featured, -w.starts_at.timestamp()))
    return live[:limit]


def featured_campaigns(at: datetime | None = None, limit: int = 3) -> list[CampaignCard]:
    return _chosen((w for w in _windows() if w.is_featured), at or now(), limit)


def next_start(at: datetime | None = None) -> datetime | None:
    """When the next campaign that has not started yet starts."""
    at = clock.as_utc(at or now())
    return min((w.starts_at for w in _windows() if w.starts_at > at), default=None)


def _related_term_ids(codes: Iterable[str]) -> set[str]:
    """Terms with these codes, their parents and their children: a campaign about naloxone (a kind of
    harm reduction) belongs on the harm-reduction page, and one about harm reduction on naloxone's."""
    from ..directory.taxonomy import snapshot

    wanted = set(codes)
    ids: set[str] = set()
    for term in (term for term in snapshot().terms if term.code in wanted):
        current = term
        while current is not None:
            ids.add(current.id)
            current = current.parent
        stack = list(term.children)
        while stack:
            child = stack.pop()
            ids.add(child.id)
            stack.extend(child.children)
    return ids


def campaigns_for_categories(codes: Iterable[str], at: datetime | None = None, limit: int = 3) -> list[CampaignCard]:
    codes = [code for code in codes if code]
    if not codes:
        return []
    term_ids = _related_term_ids(codes)
    if not term_ids:
        return []
    return _chosen((w for w in _windows() if not w.term_ids.isdisjoint(term_ids)), at or now(), limit)


def _by_reference(reference: str) -> Campaign | None:
    if _UUID.match(reference):
        return db.session.get(Campaign, reference)
    return db.session.scalar(select(Campaign).where(Campaign.slug == reference))


def get_live_campaign(reference: str, at: datetime | None = None) -> Campaign:
    """A campaign by id or slug, only while live (anything else is NotFound: a 404 for residents)."""
    campaign = _by_reference(reference)
    if campaign is None or not campaign.is_live(at or now()):
        raise NotFound(reference)
    return campaign


def get_live_event(reference: str, event_id: str, at: datetime | None = None) -> CampaignEvent:
    campaign = get_live_campaign(reference, at)
    for event in campaign.events:
        if event.id == event_id:
            return event
    raise NotFound(event_id)


def upcoming_events(at: datetime | None = None) -> list[CampaignEvent]:
    """Events of live campaigns from today on (in each event's own zone), soonest first."""
    at = at or now()
    events = []
    for campaign in live_campaigns(at):
        for event in campaign.events:
            if event.starts_on >= at.astimezone(ZoneInfo(event.time_zone)).date():
                events.append(event)
    return sorted(events, key=lambda e: (event_start(e), e.id))


def image_of_live_campaign(file_name: str, at: datetime | None = None) -> Campaign:
    campaign = db.session.scalar(select(Campaign).where(Campaign.image_file == file_name))
    if campaign is None or not campaign.is_live(at or now()):
        raise NotFound(file_name)
    return campaign


def event_start(event: CampaignEvent) -> datetime:
    return datetime.combine(event.starts_on, event.start_time, tzinfo=ZoneInfo(event.time_zone))


def event_end(event: CampaignEvent) -> datetime:
    return datetime.combine(event.starts_on, event.end_time, tzinfo=ZoneInfo(event.time_zone))


# -- what staff change ----------------------------------------------------------------------------


@dataclass
class CampaignInput:
    title: str
    summary: str
    body: str
    starts_at: datetime  # aware
    ends_at: datetime  # aware
    time_zone: str
    is_featured: bool = False
    category_ids: Sequence[str] = ()
    source_locale: str = "en"


@dataclass
class EventInput:
    title: str
    starts_on: date
    start_time: time
    end_time: time
    time_zone: str
    is_online: bool
    place: str
    online_url: str | None = None
    details: str = ""


@dataclass
class TranslationInput:
    values: dict[str, str] = field(default_factory=dict)  # field → text; empty removes that translation


def all_campaigns() -> list[Campaign]:
    return list(db.session.scalars(select(Campaign).order_by(Campaign.starts_at.desc(), Campaign.title)))


def get_campaign(campaign_id: str) -> Campaign:
    campaign = db.session.get(Campaign, campaign_id) if _UUID.match(campaign_id or "") else None
    if campaign is None:
        raise NotFound(campaign_id)
    return campaign


def get_event(campaign: Campaign, event_id: str) -> CampaignEvent:
    for event in campaign.events:
        if event.id == event_id:
            return event
    raise NotFound(event_id)


def category_terms() -> list[TaxonomyTerm]:
    """Every category a campaign may be linked to, parents before their children."""
    from ..directory.services import category_tree

    ordered: list[TaxonomyTerm] = []

    def walk(terms):
        for term in terms:
            ordered.append(term)
            walk(term.children)

    walk(category_tree())
    return ordered


def slug_for(title: str, taken: Iterable[str] = ()) -> str:
    """An ASCII address part from the title ("Naloxone saves lives" → "naloxone-saves-lives")."""
    ascii_title = unicodedata.normalize("NFKD", title).encode("ascii", "ignore").decode()
    base = re.sub(r"[^a-z0-9]+", "-", ascii_title.lower()).strip("-")[:80].strip("-") or "campaign"
    taken = set(taken)
    slug, number = base, 2
    while slug in taken or _UUID.match(slug):
        slug, number = f"{base}-{number}", number + 1
    return slug


def _taken_slugs(except_id: str | None = None) -> set[str]:
    return set(db.session.scalars(select(Campaign.slug).where(Campaign.id != (except_id or ""))))


def _snapshot(campaign: Campaign) -> dict:
    return {
        "title": campaign.title, "summary": campaign.summary, "body": campaign.body,
        "starts_at": _iso(campaign.starts_at), "ends_at": _iso(campaign.ends_at), "time_zone": campaign.time_zone,
        "is_featured": bool(campaign.is_featured), "categories": sorted(t.code for t in campaign.categories),
        "image_file": campaign.image_file, "image_alt": campaign.image_alt,
    }


def _event_snapshot(event: CampaignEvent) -> dict:
    return {
        "title": event.title, "starts_on": event.starts_on.isoformat() if event.starts_on else None,
        "start_time": event.start_time.isoformat() if event.start_time else None,
        "end_time": event.end_time.isoformat() if event.end_time else None, "time_zone": event.time_zone,
        "is_online": bool(event.is_online), "place": event.place, "online_url": event.online_url, "details": event.details,
    }


def _iso(value: datetime | None) -> str | None:
    return clock.as_utc(value).isoformat() if value else None


def mark_stale(record, fields: Iterable[str]) -> None:
    """The source text of ``fields`` changed: every other locale's version of them needs re-translating."""
    changed = set(fields)
    for item in record.translations:
        if item.field in changed:
            item.is_stale = True


def _terms(ids: Sequence[str]) -> list[TaxonomyTerm]:
    if not ids:
        return []
    return list(db.session.scalars(select(TaxonomyTerm).where(TaxonomyTerm.id.in_(list(ids)))))


def _apply(campaign: Campaign, data: CampaignInput) -> list[str]:
    changed = [name for name in ("title", "summary", "body") if getattr(campaign, name) != getattr(data, name)]
    campaign.title, campaign.summary, campaign.body = data.title, data.summary, data.body
    campaign.starts_at = data.starts_at.astimezone(timezone.utc)
    campaign.ends_at = data.ends_at.astimezone(timezone.utc)
    campaign.time_zone = data.time_zone
    campaign.is_featured = data.is_featured
    campaign.categories = _terms(data.category_ids)
    campaign.updated_at = now()
    return changed


def create_campaign(actor, data: CampaignInput) -> Campaign:
    campaign = Campaign(slug=slug_for(data.title, _taken_slugs()), source_locale=data.source_locale,
                        created_by_id=getattr(actor, "id", None), created_at=now())
    _apply(campaign, data)
    db.session.add(campaign)
    db.session.flush()
    audit.record("campaign_created", actor=actor, target_type="campaign", target_id=campaign.id,
                 changes=audit.diff({}, _snapshot(campaign)))
    db.session.commit()
    return campaign


def update_campaign(actor, campaign: Campaign, data: CampaignInput) -> Campaign:
    before = _snapshot(campaign)
    mark_stale(campaign, _apply(campaign, data))
    changes = audit.diff(before, _snapshot(campaign))
    if changes:
        audit.record("campaign_updated", actor=actor, target_type="campaign", target_id=campaign.id, changes=changes)
    db.session.commit()
    return campaign


def delete_campaign(actor, campaign: Campaign) -> None:
    image_file = campaign.image_file
    audit.record("campaign_deleted", actor=actor, target_type="campaign", target_id=campaign.id,
                 changes=audit.diff(_snapshot(campaign), {}))
    for event in list(campaign.events):
        db.session.delete(event)
    db.session.delete(campaign)
    db.session.commit()
    images.remove(image_file)


def set_image(actor, campaign: Campaign, data: bytes, alt: str) -> Campaign:
    """Replace the campaign's image (raises images.ImageRefused, changing nothing)."""
    stored = images.store(data)
    old_file = campaign.image_file
    before = _snapshot(campaign)
    mark_stale(campaign, ["image_alt"] if campaign.image_alt != alt else [])
    campaign.image_file, campaign.image_alt = stored.file_name, alt
    campaign.image_width, campaign.image_height = stored.width, stored.height
    campaign.updated_at = now()
    audit.record("campaign_image_set", actor=actor, target_type="campaign", target_id=campaign.id,
                 changes=audit.diff(before, _snapshot(campaign)))
    db.session.commit()
    images.remove(old_file)
    return campaign


def set_image_alt(actor, campaign: Campaign, alt: str) -> Campaign:
    before = _snapshot(campaign)
    if campaign.image_alt != alt:
        mark_stale(campaign, ["image_alt"])
        campaign.image_alt = alt
        campaign.updated_at = now()
        audit.record("campaign_image_set", actor=actor, target_type="campaign", target_id=campaign.id,
                     changes=audit.diff(before, _snapshot(campaign)))
        db.session.commit()
    return campaign


def remove_image(actor, campaign: Campaign) -> Campaign:
    old_file = campaign.image_file
    if old_file is None:
        return campaign
    before = _snapshot(campaign)
    campaign.image_file = campaign.image_alt = None
    campaign.image_width = campaign.image_height = None
    campaign.translations[:] = [t for t in campaign.translations if t.field != "image_alt"]
    campaign.updated_at = now()
    audit.record("campaign_image_removed", actor=actor, target_type="campaign", target_id=campaign.id,
                 changes=audit.diff(before, _snapshot(campaign)))
    db.session.commit()
    images.remove(old_file)
    return campaign


def translation_values(record, locale: str) -> dict[str, TranslatedText]:
    return {item.field: item for item in record.translations if item.locale == locale}


def set_translations(actor, record, locale: str, values: dict[str, str]) -> None:
    """Write ``locale``'s version of each field (an empty value removes it); each becomes current."""
    if locale == record.source_locale:
        raise ValueError("the source locale is edited on the record itself")
    allowed = CAMPAIGN_TEXT_FIELDS if isinstance(record, Campaign) else EVENT_TEXT_FIELDS
    existing = translation_values(record, locale)
    changes: dict[str, dict] = {}
    for name, value in values.items():
        if name not in allowed:
            continue
        value = (value or "").strip()
        item = existing.get(name)
        if not value:
            if item is not None:
                record.translations.remove(item)
                changes[name] = {"before": item.value, "after": None}
            continue
        if item is None:
            record.translations.append(TranslatedText(link_entity=record.__translation_entity__, link_id=record.id,
                                                      field=name, locale=locale, value=value, updated_at=now()))
            changes[name] = {"before": None, "after": value}
        elif item.value != value or item.is_stale:
            changes[name] = {"before": item.value, "after": value}
            item.value, item.is_stale, item.updated_at = value, False, now()
    if changes:
        kind = "campaign" if isinstance(record, Campaign) else "campaign_event"
        audit.record(f"{kind}_translated", actor=actor, target_type=kind, target_id=record.id,
                     changes={"locale": locale, **changes})
    db.session.commit()


def _apply_event(event: CampaignEvent, data: EventInput) -> list[str]:
    changed = [name for name in EVENT_TEXT_FIELDS if getattr(event, name) != getattr(data, name)]
    for name in ("title", "starts_on", "start_time", "end_time", "time_zone", "is_online", "place", "online_url",
                 "details"):
        setattr(event, name, getattr(data, name))
    event.updated_at = now()
    return changed


def add_event(actor, campaign: Campaign, data: EventInput) -> CampaignEvent:
    event = CampaignEvent(campaign=campaign, source_locale=campaign.source_locale)
    _apply_event(event, data)
    db.session.add(event)
    db.session.flush()
    audit.record("campaign_event_created", actor=actor, target_type="campaign_event", target_id=event.id,
                 changes={"campaign": campaign.id, **audit.diff({}, _event_snapshot(event))})
    campaign.updated_at = now()
    db.session.commit()
    return event


def update_event(actor, event: CampaignEvent, data: EventInput) -> CampaignEvent:
    before = _event_snapshot(event)
    mark_stale(event, _apply_event(event, data))
    changes = audit.diff(before, _event_snapshot(event))
    if changes:
        audit.record("campaign_event_updated", actor=actor, target_type="campaign_event", target_id=event.id,
                     changes={"campaign": event.campaign_id, **changes})
        event.campaign.updated_at = now()
    db.session.commit()
    return event


def delete_event(actor, event: CampaignEvent) -> None:
    audit.record("campaign_event_deleted", actor=actor, target_type="campaign_event", target_id=event.id,
                 changes={"campaign": event.campaign_id, **audit.diff(_event_snapshot(event), {})})
    event.campaign.updated_at = now()
    db.session.delete(event)
    db.session.commit()
