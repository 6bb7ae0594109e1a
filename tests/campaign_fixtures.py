"""Fixtures for the campaign tests: a staff app with categories, a publisher and a steward, and
helpers that make campaigns and images."""
from __future__ import annotations

import io
import struct
import zlib
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta, timezone

import pytest
from PIL import Image

from outreach.accounts.models import User
from outreach.campaigns import services
from outreach.extensions import db
from outreach.i18n.models import TranslatedText
from tests import factories
from tests.staff_fixtures import FakeClock, clock, make_staff, sign_in, staff_app  # noqa: F401  (fixtures)


@dataclass
class CampaignWorld:
    app: object
    clock: FakeClock
    publisher: object
    steward: object
    member: object
    terms: dict


@pytest.fixture
def campaign_world(staff_app, clock) -> CampaignWorld:
    with staff_app.app_context():
        harm = factories.term("harm-reduction", name="Harm reduction", es="Reducción de daños")
        naloxone = factories.term("naloxone", name="Naloxone", parent=harm, es="Naloxona")
        treatment = factories.term("treatment", name="Treatment", es="Tratamiento")
        terms = {"harm-reduction": harm.id, "naloxone": naloxone.id, "treatment": treatment.id}
        org = factories.organization("Riverside Harm Reduction")
        factories.service(org, name="Riverside naloxone kits", categories=[naloxone])
        factories.service(org, name="Riverside outpatient", categories=[treatment])
        publisher = make_staff("police-outreach@example.org", [{"role": "outreach_publisher"}])
        steward = make_staff("steward@example.org", [{"role": "steward"}])
        member = make_staff("member@example.org", [{"role": "org_member", "organization_id": org.id}])
    return CampaignWorld(staff_app, clock, publisher, steward, member, terms)


def signed_in(world: CampaignWorld, who: str = "publisher"):
    client = world.app.test_client()
    sign_in(client, getattr(world, who), world.clock)
    return client


def make_campaign(world: CampaignWorld, *, title="Naloxone saves lives", starts_in=timedelta(days=-1),
                  lasts=timedelta(days=30), categories=("naloxone",), es: dict | None = None, featured=False,
                  body="Carry **naloxone**.", events=()) -> str:
    """A campaign made through the service (as a publisher), live by default; returns its id."""
    with world.app.app_context():
        actor = db.session.get(User, world.publisher.id)
        start = world.clock.now() + starts_in
        campaign = services.create_campaign(actor, services.CampaignInput(
            title=title, summary=f"About {title}.", body=body, starts_at=start, ends_at=start + lasts,
            time_zone="America/Los_Angeles", is_featured=featured,
            category_ids=[world.terms[code] for code in categories]))
        for field, value in (es or {}).items():
            campaign.translations.append(TranslatedText(link_entity="campaign", link_id=campaign.id, field=field,
                                                        locale="es", value=value))
        for day, title_ in events:
            services.add_event(actor, campaign, services.EventInput(
                title=title_, starts_on=day, start_time=time(18, 0), end_time=time(19, 30),
                time_zone="America/Los_Angeles", is_online=False, place="Central Library, Room B"))
        db.session.commit()
        return campaign.id


def future_day(world: CampaignWorld, days: int) -> date:
    return (world.clock.now() + timedelta(days=days)).date()


def png_bytes(size=(40, 30), color=(0, 94, 162), **save) -> bytes:
    output = io.BytesIO()
    Image.new("RGB", size, color).save(output, format="PNG", **save)
    return output.getvalue()


def jpeg_with_gps() -> bytes:
    """A JPEG whose EXIF says where it was taken (GPS latitude/longitude) and with which camera."""
    image = Image.new("RGB", (64, 48), (200, 30, 30))
    exif = Image.Exif()
    exif[0x010F] = "Example Camera Maker"  # Make
    exif[0x0131] = "Secret Phone Software"  # Software
    gps = exif.get_ifd(0x8825)
    gps[1] = "N"
    gps[2] = (45.0, 31.0, 12.5)
    gps[3] = "W"
    gps[4] = (122.0, 40.0, 30.0)
    output = io.BytesIO()
    image.save(output, format="JPEG", exif=exif.tobytes(), comment=b"taken at 1200 SE Example St")
    return output.getvalue()


def png_claiming_size(width: int, height: int) -> bytes:
    """A tiny, well-formed PNG whose header claims ``width`` × ``height`` pixels (a decompression bomb)."""
    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data) & 0xFFFFFFFF)

    header = struct.pack(">IIBBBBB", width, height, 1, 0, 0, 0, 0)
    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", zlib.compress(b"\x00" * 1024)) + chunk(b"IEND", b"")


def utc(*args) -> datetime:
    return datetime(*args, tzinfo=timezone.utc)
