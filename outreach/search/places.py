"""Places a resident may name: a ZIP code (Census centroid) or a town from the directory's addresses."""
from __future__ import annotations

import re
from dataclasses import dataclass

from sqlalchemy import func, select

from ..directory.models import Address, Location, ServiceArea, ServiceAtLocation
from ..extensions import db
from ..geo.services import Point, locate_zip

WIDE_AREAS = ("state", "nationwide")

NEAR_IN_TEXT = re.compile(r"(?:^|\s)(?:near|cerca de)\s+\S", re.IGNORECASE)  # unlike "in"/"en", always a place
PLACE_IN_TEXT = re.compile(r"(?:^|\s)(?:near|in|cerca de|en)\s+(\d{5}|[^\d\s][\w .'-]*)$|(?:^|\s)(\d{5})$", re.IGNORECASE)


@dataclass(frozen=True)
class Place:
    label: str
    point: Point


class PlaceNotFound(Exception):
    def __init__(self, text: str, is_zip: bool):
        self.text, self.is_zip = text, is_zip


def split_place(text: str) -> tuple[str, str]:
    """"aa meetings near 97201" → ("aa meetings", "97201")."""
    match = PLACE_IN_TEXT.search(text.strip())
    if not match:
        return text, ""
    place = (match.group(1) or match.group(2) or "").strip()
    return text[: match.start()].strip(), place


def town_names() -> list[str]:
    return sorted({city for city in db.session.scalars(select(Address.city).distinct()) if city})


def resolve_place(text: str) -> Place:
    text = " ".join(text.split())[:80]
    if re.fullmatch(r"\d{5}(-\d{4})?", text):
        point = locate_zip(text)
        if point is None:
            raise PlaceNotFound(text, True)
        return Place(text[:5], point)
    rows = db.session.execute(
        select(func.avg(Location.latitude), func.avg(Location.longitude))
        .join(Address, Address.location_id == Location.id)
        .where(func.lower(Address.city) == text.lower(), Location.latitude.is_not(None))
    ).one()
    if rows[0] is None:
        raise PlaceNotFound(text, False)
    city = db.session.scalar(select(Address.city).where(func.lower(Address.city) == text.lower()).limit(1))
    return Place(city or text, Point(rows[0], rows[1]))


def service_points(service_ids: list[str] | None = None) -> dict[str, list[Point]]:
    """{service id: the points it is measured from} (every service's when ``service_ids`` is None).

    A confidential address is never measured from: its ZIP's centre stands in for it (or, without
    one, the address rounded to a tenth of a degree, about 7 miles).
    """
    statement = (
        select(ServiceAtLocation.service_id, Location.latitude, Location.longitude,
               Location.is_address_confidential, Address.postal_code)
        .join(Location, Location.id == ServiceAtLocation.location_id)
        .outerjoin(Address, Address.location_id == Location.id)
    )
    if service_ids is not None:
        statement = statement.where(ServiceAtLocation.service_id.in_(service_ids))
    points: dict[str, list[Point]] = {}
    for service_id, lat, lon, confidential, postal_code in db.session.execute(statement):
        if lat is None or lon is None:
            continue
        point = Point(lat, lon)
        if confidential:
            point = (locate_zip(postal_code) if postal_code else None) or Point(round(lat, 1), round(lon, 1))
        points.setdefault(service_id, []).append(point)
    return points


def wide_area_services(service_ids: list[str] | None = None) -> set[str]:
    """Services serving the whole state or the nation."""
    statement = select(ServiceArea.service_id).where(ServiceArea.extent_type.in_(WIDE_AREAS))
    if service_ids is not None:
        statement = statement.where(ServiceArea.service_id.in_(service_ids))
    return set(db.session.scalars(statement))
