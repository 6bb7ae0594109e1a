"""Where a problem in an imported file is, and the error that carries every problem found."""
from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Place:
    """A record's place: the file, its row (CSV line or JSON item, 1-based) and its path inside the item."""

    file: str
    row: int | None = None
    path: str = ""  # JSON: "service_at_locations/0/location"; CSV: ""
    unit: str = "item"  # "line" for CSV rows

    def at(self, *parts: object) -> Place:
        path = "/".join(str(part) for part in (self.path, *parts) if part != "")
        return Place(self.file, self.row, path, self.unit)


@dataclass(frozen=True)
class Problem:
    file: str
    row: int | None
    field: str | None
    message: str
    unit: str = "item"

    @classmethod
    def at(cls, place: Place, field: str | None, message: str) -> Problem:
        full = "/".join(part for part in (place.path, field or "") if part) or None
        return cls(place.file, place.row, full, message, place.unit)

    def __str__(self) -> str:
        where = [self.file]
        if self.row is not None:
            where.append(f"{self.unit} {self.row}")
        if self.field:
            where.append(self.field)
        return f"{', '.join(where)}: {self.message}"


class ImportFailed(Exception):
    """The file cannot be imported; nothing was written. ``problems`` lists every problem found."""

    def __init__(self, problems: list[Problem]):
        self.problems = problems
        super().__init__("\n".join(str(p) for p in problems[:20]))


class Problems:
    """Collects problems while a file is read and checked."""

    def __init__(self) -> None:
        self.items: list[Problem] = []

    def add(self, place: Place, field: str | None, message: str) -> None:
        self.items.append(Problem.at(place, field, message))

    def file(self, name: str, message: str) -> None:
        self.items.append(Problem(name, None, None, message))

    def __bool__(self) -> bool:
        return bool(self.items)

    def raise_if_any(self) -> None:
        if self.items:
            raise ImportFailed(self.items)
