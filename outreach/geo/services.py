"""Loading ZIP centroids and measuring distances."""
from __future__ import annotations

import csv
import math
import re
from dataclasses import dataclass
from pathlib import Path

from sqlalchemy import delete, func, select

from ..extensions import db
from .models import PostalCentroid

EARTH_RADIUS_MILES = 3958.8
ZIP = re.compile(r"^\d{5}$")


@dataclass(frozen=True)
class Point:
    latitude: float
    longitude: float


class CentroidFileError(Exception):
    def __init__(self, line: int, message: str):
        self.line = line
        super().__init__(f"line {line}: {message}")


def read_centroids(path: Path) -> list[dict]:
    """Parse and check the whole file first, so a bad row loads nothing."""
    rows = []
    with path.open(newline="", encoding="utf-8") as handle:
        reader = csv.DictReader(handle)
        if reader.fieldnames != ["ZIP", "LAT", "LNG"]:
            raise CentroidFileError(1, "the header must be ZIP,LAT,LNG")
        for line, row in enumerate(reader, start=2):
            try:
                latitude, longitude = float(row["LAT"]), float(row["LNG"])
            except (TypeError, ValueError):
                raise CentroidFileError(line, "LAT and LNG must be numbers") from None
            if not ZIP.match(row["ZIP"] or "") or not (-90 <= latitude <= 90 and -180 <= longitude <= 180):
                raise CentroidFileError(line, "a five-digit ZIP and a latitude/longitude in range are needed")
            rows.append({"postal_code": row["ZIP"], "latitude": latitude, "longitude": longitude})
    return rows


def load_centroids(path: Path) -> int:
    """Replace the centroid table with the file's rows, in one transaction."""
    rows = read_centroids(path)
    try:
        db.session.execute(delete(PostalCentroid))
        for start in range(0, len(rows), 5000):
            db.session.execute(PostalCentroid.__table__.insert(), rows[start : start + 5000])
        db.session.commit()
    except Exception:
        db.session.rollback()
        raise
    return len(rows)


def centroid_count() -> int:
    return db.session.scalar(select(func.count()).select_from(PostalCentroid)) or 0


def locate_zip(postal_code: str) -> Point | None:
    """The centroid of a five-digit ZIP, or None when it has none (PO boxes, some business ZIPs)."""
    code = postal_code.strip()[:5]
    if not ZIP.match(code):
        return None
    row = db.session.get(PostalCentroid, code)
    return Point(row.latitude, row.longitude) if row else None


def distance_miles(a: Point, b: Point) -> float:
    """Great-circle distance (haversine)."""
    lat1, lat2 = math.radians(a.latitude), math.radians(b.latitude)
    dlat = lat2 - lat1
    dlon = math.radians(b.longitude - a.longitude)
    h = math.sin(dlat / 2) ** 2 + math.cos(lat1) * math.cos(lat2) * math.sin(dlon / 2) ** 2
    return 2 * EARTH_RADIUS_MILES * math.asin(min(1.0, math.sqrt(h)))
