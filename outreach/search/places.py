"""Places a resident may name: a ZIP code (Census centroid) or a town from the directory's addresses."""
from __future__ import annotations

import re
from dataclasses import dataclass

from sqlalchemy import func, select

from ..directory.models import Address, Location
from ..extensions import db
from ..geo.services import Point, locate_zip

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
