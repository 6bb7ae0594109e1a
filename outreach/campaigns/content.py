"""Campaigns in ``content/campaigns/*.yaml`` (format: content/FORMAT.md), loaded by ``flask outreach content load``.

Like the listings, every campaign and event has a stable slug, loading twice updates in place, and a
campaign removed from the files is removed from the site (campaigns staff made are never touched).
Dates may be given relative to the moment of loading (a whole number of days), so the demo always
has live campaigns and upcoming events; on a demo site `flask outreach demo` (run by `make run`) works
them out again once they are a day old (:func:`reanchor_campaigns`), unless staff changed the campaign.
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import select

from ..directory.models import TaxonomyTerm, id_for_slug
from ..directory.seed import ContentError, ContentProblem, set_text
from ..directory.seed.files import Checker, read_yaml
from ..directory.seed.parsing import parse_taxonomy
from ..extensions import db
from . import images
from .forms import time_zone_names
from .markdown import is_safe_link
from .models import Campaign, CampaignEvent
from .services import now, slug_for

FOLDER = "campaigns"


def campaign_files(root: Path) -> list[Path]:
    """Every file under content/campaigns/ (YAML and the images they name), for the content checksum."""
    folder = root / FOLDER
    return sorted(path for path in folder.rglob("*") if path.is_file()) if folder.is_dir() else []


@dataclass
class _When:
    """A day given as a date, or as a whole number of days from the moment of loading."""

    value: date | int

    def day(self, zone: ZoneInfo, at: datetime) -> date:
        if isinstance(self.value, int):
            return at.astimezone(zone).date() + timedelta(days=self.value)
        return self.value


def _when(check: Checker, item: dict, key: str) -> _When | None:
    value = item.get(key)
    if isinstance(value, bool) or value is None:
        check.problem(item, f"'{key}' is required: a date like 2027-03-14 or a whole number of days from loading")
        return None
    if isinstance(value, int):
        return _When(value)
    day = check.day(item, key)
    return _When(day) if day else None


def _zone(check: Checker, item: dict, default: str | None) -> str | None:
    value = item.get("time_zone", default)
    if not isinstance(value, str) or value not in time_zone_names():
        check.problem(item, "'time_zone' must be an IANA zone such as America/Los_Angeles")
        return None
    return value


def _optional_text(check: Checker, item: dict, key: str) -> dict[str, str] | None:
    return check.text(item, key) if item.get(key) is not None else None


def _event(check: Checker, item: dict, campaign_zone: str | None, seen: dict) -> dict:
    spec: dict[str, Any] = {
        "slug": check.slug(item, seen, "event"),
        "title": check.text(item, "title", required=True),
        "date": _when(check, item, "date"),
        "start": check.clock(item, "start"),
        "end": check.clock(item, "end"),
        "time_zone": _zone(check, item, campaign_zone),
        "online": bool(item.get("online", False)),
        "place": _optional_text(check, item, "place"),
        "online_url": item.get("online_url"),
        "details": _optional_text(check, item, "details"),
    }
    if spec["start"] and spec["end"] and spec["end"] <= spec["start"]:
        check.problem(item, "'end' must be after 'start'")
    if not spec["online"] and not spec["place"]:
        check.problem(item, "an event that is not online needs a 'place'")
    url = spec["online_url"]
    if url is not None and (not isinstance(url, str) or not url.startswith("https://") or not is_safe_link(url)):
        check.problem(item, "'online_url' must be a link starting with https://")
    return spec


def parse_campaign(file, root: Path, categories: set[str], seen: dict) -> dict:
    check = Checker(file)
    data = check.mapping(file.data, None, "a campaign file")
    if data is None:
        raise ContentError(check.problems)
    zone = _zone(check, data, None)
    spec: dict[str, Any] = {
        "slug": check.slug(data, seen, "campaign"),
        "title": check.text(data, "title", required=True),
        "summary": check.text(data, "summary", required=True),
        "body": _optional_text(check, data, "body"),
        "starts": _when(check, data, "starts"),
        "ends": _when(check, data, "ends"),
        "time_zone": zone,
        "featured": bool(data.get("featured", False)),
        "categories": check.codes(data, "categories", categories),
        "image": None,
        "image_alt": _optional_text(check, data, "image_alt"),
        "events": [],
    }
    image = data.get("image")
    if image is not None:
        path = (file.path.parent / str(image)).resolve()
        if not isinstance(image, str) or not path.is_file() or (root / FOLDER).resolve() not in path.parents:
            check.problem(data, "'image' must name an image file in content/campaigns/")
        elif not spec["image_alt"]:
            check.problem(data, "an 'image' needs an 'image_alt' describing it")
        else:
            try:
                images.clean_image(path.read_bytes())
            except images.ImageRefused as refused:
                check.problem(data, f"'image' cannot be used ({refused.code}): it must be a JPEG, PNG or WebP image")
            else:
                spec["image"] = path
    for item in check.items(data, "events"):
        spec["events"].append(_event(check, item, zone, seen))
    if check.problems:
        raise ContentError(check.problems)
    return spec


def read_campaigns(root: Path) -> list[dict]:
    """Parse and validate every campaign file; raise ContentError listing every problem."""
    folder = root / FOLDER
    if not folder.is_dir():
        return []
    taxonomy = parse_taxonomy(read_yaml(root / "taxonomy.yaml", root))
    categories = {term["code"] for term in taxonomy.get("categories", [])}
    problems: list[ContentProblem] = []
    specs: list[dict] = []
    seen: dict[str, str] = {}
    for path in sorted(folder.rglob("*.yaml")):
        try:
            specs.append(parse_campaign(read_yaml(path, root), root, categories, seen))
        except ContentError as error:
            problems.extend(error.problems)
    if problems:
        raise ContentError(problems)
    return specs


def _set_optional(record, field: str, spec: dict[str, str] | None) -> None:
    if spec is None:
        setattr(record, field, "" if field != "image_alt" else None)
        record.translations[:] = [t for t in record.translations if t.field != field]
    else:
        set_text(record, field, spec)


def load_campaigns(specs: list[dict]) -> int:
    """Write parsed campaigns in one transaction; returns how many came from content."""
    at = now()
    keep: set[str] = set()
    old_images: list[str] = []
    new_images: list[str] = []
    try:
        for spec in specs:
            campaign_id = id_for_slug("campaign", spec["slug"])
            campaign = db.session.get(Campaign, campaign_id)
            if campaign is None:
                taken = set(db.session.scalars(select(Campaign.slug)))
                campaign = Campaign(id=campaign_id, content_slug=spec["slug"], source_locale="en", created_at=at,
                                    slug=spec["slug"] if spec["slug"] not in taken else slug_for(spec["slug"], taken))
                db.session.add(campaign)
            zone = ZoneInfo(spec["time_zone"])
            for field in ("title", "summary"):
                set_text(campaign, field, spec[field])
            _set_optional(campaign, "body", spec["body"])
            campaign.time_zone = spec["time_zone"]
            campaign.starts_at = _moment(spec["starts"], zone, at, start=True)
            campaign.ends_at = _moment(spec["ends"], zone, at, start=False)
            campaign.is_featured = spec["featured"]
            campaign.categories = list(db.session.scalars(
                select(TaxonomyTerm).where(TaxonomyTerm.code.in_(spec["categories"])))) if spec["categories"] else []
            if campaign.image_file:
                old_images.append(campaign.image_file)
            if spec["image"] is not None:
                stored = images.store(spec["image"].read_bytes())
                new_images.append(stored.file_name)
                campaign.image_file, campaign.image_width, campaign.image_height = (
                    stored.file_name, stored.width, stored.height)
                _set_optional(campaign, "image_alt", spec["image_alt"])
            else:
                campaign.image_file = campaign.image_width = campaign.image_height = None
                _set_optional(campaign, "image_alt", None)
            campaign.updated_at = at
            db.session.flush()
            _load_events(campaign, spec, at)
            keep.add(campaign.id)
        gone = db.session.scalars(select(Campaign).where(Campaign.content_slug.is_not(None), Campaign.id.not_in(keep)))
        for campaign in gone:
            if campaign.image_file:
                old_images.append(campaign.image_file)
            db.session.delete(campaign)
        db.session.commit()
    except Exception:
        db.session.rollback()
        for name in new_images:
            images.remove(name)
        raise
    for name in old_images:
        images.remove(name)
    return len(keep)


def _moment(when: _When, zone: ZoneInfo, at: datetime, *, start: bool) -> datetime:
    """Relative: that many days from now. A date: the start of that day, or the end of it for ``ends``."""
    if isinstance(when.value, int):
        return at + timedelta(days=when.value)
    day = when.day(zone, at) + (timedelta(0) if start else timedelta(days=1))
    return datetime.combine(day, time(0, 0), tzinfo=zone)


def _load_events(campaign: Campaign, spec: dict, at: datetime) -> None:
    wanted = {}
    for item in spec["events"]:
        event_id = id_for_slug("campaign_event", f"{spec['slug']}/{item['slug']}")
        event = next((e for e in campaign.events if e.id == event_id), None)
        if event is None:
            event = CampaignEvent(id=event_id, source_locale="en")
            campaign.events.append(event)
        zone = ZoneInfo(item["time_zone"])
        set_text(event, "title", item["title"])
        _set_optional(event, "place", item["place"])
        _set_optional(event, "details", item["details"])
        event.starts_on = item["date"].day(zone, at)
        event.start_time, event.end_time = item["start"], item["end"]
        event.time_zone = item["time_zone"]
        event.is_online, event.online_url = item["online"], item["online_url"]
        event.updated_at = at
        wanted[event_id] = event
    campaign.events[:] = [event for event in campaign.events if event.id in wanted]


# -- keeping a demo site's campaigns current -----------------------------------------------------------

# A demo campaign whose dates were last worked out this long ago is worked out again from today.
REANCHOR_AFTER = timedelta(days=1)


def _is_relative(spec: dict) -> bool:
    return any(isinstance(when.value, int) for when in (spec["starts"], spec["ends"],
                                                        *(event["date"] for event in spec["events"])))


def _staff_touched() -> set[str]:
    """Campaigns staff changed in any way (edited, translated, an event added, changed or removed):
    every such change is in the audit log, and the content loader writes none."""
    from ..audit.models import AuditEntry

    rows = db.session.execute(select(AuditEntry.target_type, AuditEntry.target_id, AuditEntry.changes).where(
        AuditEntry.target_type.in_(("campaign", "campaign_event"))))
    touched: set[str] = set()
    for target_type, target_id, changes in rows:
        if target_type == "campaign":
            touched.add(target_id)
        elif isinstance(changes, dict) and isinstance(changes.get("campaign"), str):
            touched.add(changes["campaign"])
        else:
            event = db.session.get(CampaignEvent, target_id)
            if event is not None:
                touched.add(event.campaign_id)
    return touched


def reanchor_campaigns(specs: list[dict], at: datetime | None = None, *,
                       older_than: timedelta = REANCHOR_AFTER) -> list[str]:
    """Work the relative dates of content campaigns out again from ``at`` (now), so a demo site set up
    weeks ago still has live campaigns and upcoming events: only campaigns whose dates were worked out
    more than ``older_than`` ago, that are given in days from loading, and that staff never changed
    (campaigns staff made have no content slug and are never read here). Returns the slugs moved."""
    from ..accounts.clock import as_utc

    at = at or now()
    touched: set[str] | None = None
    moved: list[str] = []
    for spec in specs:
        if not _is_relative(spec):
            continue
        campaign = db.session.get(Campaign, id_for_slug("campaign", spec["slug"]))
        if campaign is None or campaign.content_slug != spec["slug"]:
            continue  # not loaded yet: `content load` writes it
        if as_utc(campaign.updated_at) > at - older_than:
            continue
        if touched is None:
            touched = _staff_touched()
        if campaign.id in touched:
            continue
        zone = ZoneInfo(spec["time_zone"])
        campaign.starts_at = _moment(spec["starts"], zone, at, start=True)
        campaign.ends_at = _moment(spec["ends"], zone, at, start=False)
        events = {event.id: event for event in campaign.events}
        for item in spec["events"]:
            event = events.get(id_for_slug("campaign_event", f"{spec['slug']}/{item['slug']}"))
            if event is not None:
                event.starts_on = item["date"].day(ZoneInfo(item["time_zone"]), at)
                event.updated_at = at
        campaign.updated_at = at
        moved.append(spec["slug"])
    db.session.commit()
    return moved
