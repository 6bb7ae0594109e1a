"""Places as index terms, so "near a place" is a filter inside the search engine.

Each place a service is measured from is indexed as the grid cells that hold it, at seven sizes
(0.01° of latitude and longitude, doubled six times, up to 0.64°): ``"<level>:<row>:<column>"``.
A circle (the resident's place and radius) is covered by the largest cells that lie wholly inside it
(*inner* cells: every service with a place there is within the radius) and, along its rim, by the
smallest cells that cross it (*edge* cells: their services are measured one by one). A 10-mile
circle takes a few hundred cell terms; only the services in the rim's cells (a band about a kilometre
wide) are measured in Python, not every service with a place in the directory.

Two further terms: ``"none"`` for a service with no place (phone, online) and ``"wide"`` for one
serving the whole state or nation; a search near a place lists those apart.
"""
from __future__ import annotations

import math
from typing import Iterable

from ..geo.services import EARTH_RADIUS_MILES, Point

BASE = 100  # cells per degree at level 0 (0.01°: about 1.1 km of latitude)
LEVELS = 7  # 0.01°, 0.02°, … 0.64°
NO_PLACE = "none"
WIDE_AREA = "wide"


def _base_cell(point: Point) -> tuple[int, int]:
    return math.floor(point.latitude * BASE), math.floor(point.longitude * BASE)


def cell_terms(points: Iterable[Point]) -> list[str]:
    """The index terms of a service's places: each place's cell at every level."""
    terms: set[str] = set()
    for point in points:
        row, column = _base_cell(point)
        for level in range(LEVELS):
            terms.add(f"{level}:{row >> level}:{column >> level}")
    return sorted(terms)


def _corners(level: int, row: int, column: int) -> list[Point]:
    size = (1 << level) / BASE
    south, west = row * size, column * size
    return [Point(lat, lon) for lat in (south, south + size) for lon in (west, west + size)]


def _nearest(center: Point, level: int, row: int, column: int) -> Point:
    """The point of the cell nearest the centre, as near as a clamp of latitude and longitude gets it
    (used only to drop cells that are certainly outside: a margin covers the approximation)."""
    size = (1 << level) / BASE
    south, west = row * size, column * size
    return Point(min(max(center.latitude, south), south + size), min(max(center.longitude, west), west + size))


def covering(center: Point, radius_miles: float) -> tuple[list[str], list[str]] | None:
    """(inner cell terms, edge cell terms) of the circle around ``center``; None when the circle
    crosses the 180th meridian or comes near a pole (the caller measures every place instead).

    A cell is inner when its four corners are within the radius: on a parallel, distance grows with
    the difference in longitude, and along a meridian it has a single minimum, so no point of a cell
    is farther than its farthest corner. A cell is dropped when even its nearest point is beyond the
    radius (with a 1% margin); every other cell is split down to the finest level used for the radius
    (level 0 up to 20 miles, one level coarser per doubling beyond), where it is an edge cell: a rim of
    a few hundred cells whatever the radius.
    """
    degrees = math.degrees(radius_miles / EARTH_RADIUS_MILES)
    if abs(center.latitude) + degrees > 80:
        return None
    lat_span, lon_span = degrees, degrees / math.cos(math.radians(abs(center.latitude) + degrees))
    if abs(center.longitude) + lon_span >= 180:
        return None
    finest = min(LEVELS - 1, math.ceil(math.log2(radius_miles / 20))) if radius_miles > 20 else 0
    top = LEVELS - 1
    while top > finest and 2 * lat_span * BASE / (1 << top) < 2:  # start with cells about the circle's size
        top -= 1
    size = (1 << top) / BASE
    inner: list[str] = []
    edge: list[str] = []
    lat0 = math.radians(center.latitude)
    cos0 = math.cos(lat0)
    sin, cos, radians = math.sin, math.cos, math.radians

    def haversine(limit_miles: float) -> float:
        return sin(min(math.pi, limit_miles / EARTH_RADIUS_MILES) / 2) ** 2

    inside_limit, outer_limit = haversine(radius_miles), haversine(radius_miles * 1.01 + 0.05)

    def h(point: Point) -> float:
        """The haversine of the distance to the centre: compared with a radius's, no square roots."""
        lat = radians(point.latitude)
        return sin((lat - lat0) / 2) ** 2 + cos0 * cos(lat) * sin(radians(point.longitude - center.longitude) / 2) ** 2

    def visit(level: int, row: int, column: int) -> None:
        if h(_nearest(center, level, row, column)) > outer_limit:
            return
        if max(h(corner) for corner in _corners(level, row, column)) <= inside_limit * (1 - 1e-9):
            inner.append(f"{level}:{row}:{column}")
        elif level == finest:
            edge.append(f"{level}:{row}:{column}")
        else:
            for child_row in (2 * row, 2 * row + 1):
                for child_column in (2 * column, 2 * column + 1):
                    visit(level - 1, child_row, child_column)

    for row in range(math.floor((center.latitude - lat_span) / size), math.floor((center.latitude + lat_span) / size) + 1):
        for column in range(math.floor((center.longitude - lon_span) / size),
                            math.floor((center.longitude + lon_span) / size) + 1):
            visit(top, row, column)
    return inner, edge
