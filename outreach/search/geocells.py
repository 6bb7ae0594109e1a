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
    lat0, lon0 = math.radians(center.latitude), math.radians(center.longitude)
    cos0 = math.cos(lat0)
    sin, cos, radians = math.sin, math.cos, math.radians

    def haversine(limit_miles: float) -> float:
        return sin(min(math.pi, limit_miles / EARTH_RADIUS_MILES) / 2) ** 2

    inside_limit, outer_limit = haversine(radius_miles) * (1 - 1e-9), haversine(radius_miles * 1.01 + 0.05)
    # The haversine of the distance from the centre to (latitude line r, longitude line c) of the finest
    # grid is lat_part[r] + lat_weight[r] * lon_part[c]: each grid line's trigonometry is worked out once.
    lat_part: dict[int, float] = {}
    lat_weight: dict[int, float] = {}
    lon_part: dict[int, float] = {}

    def at_latitude(r: int) -> tuple[float, float]:
        if r not in lat_part:
            lat = radians(r / BASE)
            lat_part[r], lat_weight[r] = sin((lat - lat0) / 2) ** 2, cos0 * cos(lat)
        return lat_part[r], lat_weight[r]

    def at_longitude(c: int) -> float:
        if c not in lon_part:
            lon_part[c] = sin((radians(c / BASE) - lon0) / 2) ** 2
        return lon_part[c]

    row0, column0 = center.latitude * BASE, center.longitude * BASE  # the centre in grid lines

    def visit(level: int, row: int, column: int) -> None:
        south, north = row << level, (row + 1) << level
        west, east = column << level, (column + 1) << level
        # Nearest point: the centre's own latitude or longitude when the cell spans it, else the nearer edge.
        if south <= row0 <= north:
            near_part, near_weight = 0.0, cos0 * cos0
        else:
            near_part, near_weight = at_latitude(south if row0 < south else north)
        near_lon = 0.0 if west <= column0 <= east else at_longitude(west if column0 < west else east)
        if near_part + near_weight * near_lon > outer_limit:
            return
        farthest = max(at_latitude(r)[0] + at_latitude(r)[1] * at_longitude(c) for r in (south, north) for c in (west, east))
        if farthest <= inside_limit:
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
