"""API use cases: read the query string strictly, find the ids that match, load one page of rows.

Every list is built the same way: the ordered ids of everything that matches (one narrow query),
then the rows of the requested page only. ``format=ndjson`` walks the same ids in batches.

``search`` is a plain database match (every word must appear, case-insensitively, in the name,
alternate name or description in any language, the organization's name, or the name of a linked
taxonomy term) rather than the site's search index: an API client expects filters that are exact and
combine with AND, and the answer does not depend on the state of this machine's index.
"""
from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import date, datetime, time, timezone
from typing import Iterable, Iterator, Mapping, Sequence, TypeVar

from sqlalchemy import Select, or_, select
from sqlalchemy.orm import selectinload

from ..directory.models import (
    Address,
    Attribute,
    Location,
    Organization,
    Service,
    ServiceAtLocation,
    Taxonomy,
    TaxonomyTerm,
)
from ..domain import NotFound
from ..extensions import db
from ..geo.services import ZIP, Point, distance_miles, locate_zip
from ..i18n.models import TranslatedText

VISIBLE_STATUSES = ("active", "temporarily closed")  # what the site lists; never inactive or defunct
DEFAULT_PER_PAGE = 50
MAX_PER_PAGE = 200
MAX_PAGE = 100_000
MAX_TEXT = 200  # longest search text or id accepted
MAX_SEARCH_WORDS = 10
MAX_PROXIMITY_METERS = 1_000_000.0
METERS_PER_MILE = 1609.344
FORMATS = ("json", "ndjson")
_TRUE, _FALSE = ("true", "1", "yes"), ("false", "0", "no")

T = TypeVar("T")


class BadParameter(Exception):
    """A query-string parameter the API cannot honour (answered with a 400)."""

    def __init__(self, parameter: str, message: str):
        super().__init__(message)
        self.parameter, self.message = parameter, message


# -- the query string --------------------------------------------------------------------------------


@dataclass(frozen=True)
class ListQuery:
    page: int = 1
    per_page: int = DEFAULT_PER_PAGE
    format: str = "json"
    lang: str | None = None
    search: str = ""
    taxonomy_term_id: str | None = None
    taxonomy_id: str | None = None
    organization_id: str | None = None
    parent_id: str | None = None
    top_only: bool = False
    modified_after: datetime | None = None
    postcode: str | None = None
    proximity_meters: float | None = None
    full: bool = False
    full_service: bool = False

    @property
    def is_ndjson(self) -> bool:
        return self.format == "ndjson"


def _integer(args: Mapping[str, str], name: str, default: int, low: int, high: int) -> int:
    raw = args.get(name)
    if raw is None or raw == "":
        return default
    try:
        value = int(raw.strip())
    except ValueError:
        raise BadParameter(name, f"{name} must be a whole number from {low} to {high}") from None
    if not low <= value <= high:
        raise BadParameter(name, f"{name} must be a whole number from {low} to {high}")
    return value


def _text(args: Mapping[str, str], name: str) -> str | None:
    raw = args.get(name)
    if raw is None:
        return None
    value = raw.strip()
    if len(value) > MAX_TEXT:
        raise BadParameter(name, f"{name} must be at most {MAX_TEXT} characters")
    return value or None


def _boolean(args: Mapping[str, str], name: str) -> bool:
    raw = (args.get(name) or "").strip().lower()
    if raw in ("",) + _FALSE:
        return False
    if raw in _TRUE:
        return True
    raise BadParameter(name, f"{name} must be true or false")


def parse_datetime(raw: str) -> datetime:
    """An ISO 8601 date or date-time; a missing offset means UTC. Raises ValueError."""
    text = raw.strip()
    if len(text) > 40:
        raise ValueError(text)
    if len(text) == 10:
        value = datetime.combine(date.fromisoformat(text), time(0, 0))
    else:
        value = datetime.fromisoformat(text.replace("z", "Z").replace("Z", "+00:00"))
    if value.tzinfo is None:
        value = value.replace(tzinfo=timezone.utc)
    return value.astimezone(timezone.utc)


def parse_query(args: Mapping[str, str], locales: Sequence[str]) -> ListQuery:
    """Read every parameter the API knows; anything malformed raises :class:`BadParameter`."""
    fmt = (args.get("format") or "json").strip().lower()
    if fmt not in FORMATS:
        raise BadParameter("format", "format must be json or ndjson")
    lang = _text(args, "lang")
    if lang is not None and lang not in locales:
        raise BadParameter("lang", "lang must be one of: " + ", ".join(locales))
    modified_after = None
    if args.get("modified_after"):
        try:
            modified_after = parse_datetime(args["modified_after"])
        except ValueError:
            raise BadParameter("modified_after", "modified_after must be an ISO 8601 date or date-time, "
                               "such as 2025-01-31 or 2025-01-31T08:00:00Z") from None
    postcode = _text(args, "postcode")
    if postcode is not None and not (ZIP.match(postcode[:5]) and (len(postcode) == 5 or (
            len(postcode) == 10 and postcode[5] == "-" and postcode[6:].isdigit()))):
        raise BadParameter("postcode", "postcode must be a five-digit ZIP code (or ZIP+4)")
    proximity = None
    raw_proximity = _text(args, "proximity")
    if raw_proximity is not None:
        try:
            proximity = float(raw_proximity)
        except ValueError:
            proximity = math.nan
        if not (math.isfinite(proximity) and 0 < proximity <= MAX_PROXIMITY_METERS):
            raise BadParameter("proximity", f"proximity must be a distance in meters, above 0 and at most {MAX_PROXIMITY_METERS:.0f}")
        if postcode is None:
            raise BadParameter("proximity", "proximity needs a postcode to measure from")
    search = _text(args, "search") or ""
    return ListQuery(
        page=_integer(args, "page", 1, 1, MAX_PAGE),
        per_page=_integer(args, "per_page", DEFAULT_PER_PAGE, 1, MAX_PER_PAGE),
        format=fmt,
        lang=lang,
        search=search,
        taxonomy_term_id=_text(args, "taxonomy_term_id"),
        taxonomy_id=_text(args, "taxonomy_id"),
        organization_id=_text(args, "organization_id"),
        parent_id=_text(args, "parent_id"),
        top_only=_boolean(args, "top_only"),
        modified_after=modified_after,
        postcode=postcode[:5] if postcode else None,
        proximity_meters=proximity,
        full=_boolean(args, "full"),
        full_service=_boolean(args, "full_service"),
    )


# -- pages -------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class PageSlice:
    ids: list[str]
    total_items: int
    page_number: int
    per_page: int

    @property
    def total_pages(self) -> int:
        return math.ceil(self.total_items / self.per_page)

    def envelope(self, contents: list) -> dict:
        """HSDS's Page object."""
        return {
            "total_items": self.total_items,
            "total_pages": self.total_pages,
            "page_number": self.page_number,
            "size": len(contents),
            "first_page": self.page_number == 1,
            "last_page": self.page_number >= self.total_pages,
            "empty": not contents,
            "contents": contents,
        }


def page_of(ids: list[str], query: ListQuery) -> PageSlice:
    start = (query.page - 1) * query.per_page
    return PageSlice(ids[start : start + query.per_page], len(ids), query.page, query.per_page)


_EAGER = {
    # What each serializer walks, loaded per page in a few queries rather than row by row.
    "ServiceAtLocation": lambda: (
        selectinload(ServiceAtLocation.service).joinedload(Service.organization),
        selectinload(ServiceAtLocation.location).selectinload(Location.phones),
    ),
    "Organization": lambda: (
        selectinload(Organization.locations).selectinload(Location.phones),
    ),
    "Service": lambda: (
        selectinload(Service.service_at_locations).selectinload(ServiceAtLocation.location).selectinload(Location.phones),
    ),
}


def load(model: type[T], ids: Sequence[str]) -> list[T]:
    """Rows of ``model`` for ``ids``, in the order of ``ids``."""
    if not ids:
        return []
    options = _EAGER.get(model.__name__, tuple)()
    statement = select(model).where(model.id.in_(ids)).options(*options)
    rows = {row.id: row for row in db.session.scalars(statement).unique()}
    return [rows[i] for i in ids if i in rows]


def batches(ids: Sequence[str], size: int = 100) -> Iterator[Sequence[str]]:
    for start in range(0, len(ids), size):
        yield ids[start : start + size]


# -- filters -----------------------------------------------------------------------------------------


def _words(text: str) -> list[str]:
    return text.split()[:MAX_SEARCH_WORDS]


def _translated(entity: str, fields: Iterable[str], word: str):
    return select(TranslatedText.link_id).where(
        TranslatedText.link_entity == entity, TranslatedText.field.in_(tuple(fields)),
        TranslatedText.value.icontains(word, autoescape=True),
    )


def _term_ids_matching(word: str):
    return select(TaxonomyTerm.id).where(or_(
        TaxonomyTerm.name.icontains(word, autoescape=True),
        TaxonomyTerm.code.icontains(word, autoescape=True),
        TaxonomyTerm.id.in_(_translated("taxonomy_term", ("name",), word)),
    ))


def term_with_descendants(term_id: str) -> set[str]:
    """A term and every term below it (categories are two levels: a category finds its kinds)."""
    children: dict[str, list[str]] = {}
    for child, parent in db.session.execute(select(TaxonomyTerm.id, TaxonomyTerm.parent_id)):
        if parent:
            children.setdefault(parent, []).append(child)
    found, todo = {term_id}, [term_id]
    while todo:
        for child in children.get(todo.pop(), ()):
            if child not in found:
                found.add(child)
                todo.append(child)
    return found


def service_conditions(query: ListQuery) -> list:
    """WHERE clauses on ``Service`` for the service filters (all combine with AND)."""
    conditions = [Service.status.in_(VISIBLE_STATUSES)]
    if query.organization_id:
        conditions.append(Service.organization_id == query.organization_id)
    if query.taxonomy_term_id:
        conditions.append(Service.id.in_(select(Attribute.link_id).where(
            Attribute.link_entity == "service",
            Attribute.taxonomy_term_id.in_(term_with_descendants(query.taxonomy_term_id)),
        )))
    if query.taxonomy_id:
        conditions.append(Service.id.in_(
            select(Attribute.link_id).join(TaxonomyTerm, TaxonomyTerm.id == Attribute.taxonomy_term_id)
            .where(Attribute.link_entity == "service", TaxonomyTerm.taxonomy_id == query.taxonomy_id)
        ))
    if query.modified_after:
        conditions.append(Service.last_modified >= query.modified_after)
    for word in _words(query.search):
        conditions.append(or_(
            Service.name.icontains(word, autoescape=True),
            Service.alternate_name.icontains(word, autoescape=True),
            Service.description.icontains(word, autoescape=True),
            Service.id.in_(_translated("service", ("name", "alternate_name", "description"), word)),
            Service.organization_id.in_(select(Organization.id).where(or_(
                Organization.name.icontains(word, autoescape=True),
                Organization.id.in_(_translated("organization", ("name",), word)),
            ))),
            Service.id.in_(select(Attribute.link_id).where(
                Attribute.link_entity == "service", Attribute.taxonomy_term_id.in_(_term_ids_matching(word)),
            )),
        ))
    return conditions


def _ids(statement: Select) -> list[str]:
    return list(db.session.scalars(statement))


# -- services ----------------------------------------------------------------------------------------


def service_ids(query: ListQuery) -> list[str]:
    return _ids(select(Service.id).where(*service_conditions(query)).order_by(Service.name, Service.id))


def get_service(service_id: str) -> Service:
    item = db.session.get(Service, service_id)
    if item is None or item.status not in VISIBLE_STATUSES:
        raise NotFound(service_id)
    return item


# -- service at location -----------------------------------------------------------------------------


def service_at_location_ids(query: ListQuery) -> list[str]:
    statement = (
        select(ServiceAtLocation.id)
        .join(Service, Service.id == ServiceAtLocation.service_id)
        .join(Location, Location.id == ServiceAtLocation.location_id)
        .where(*service_conditions(query))
        .order_by(Service.name, Location.name, ServiceAtLocation.id)
    )
    if query.postcode and query.proximity_meters is None:
        # A confidential location is never matched on its exact postcode (that would place it);
        # `proximity` still finds it, measured from its ZIP's centre as the site's near-me does.
        in_postcode = select(Address.location_id).where(
            or_(Address.postal_code == query.postcode, Address.postal_code.startswith(query.postcode + "-"))
        )
        statement = statement.where(Location.is_address_confidential.is_(False), Location.id.in_(in_postcode))
        return _ids(statement)
    ids = _ids(statement)
    if query.proximity_meters is None:
        return ids
    return _within(ids, query.postcode or "", query.proximity_meters)


def _within(ids: list[str], postcode: str, meters: float) -> list[str]:
    """Those of ``ids`` within ``meters`` of the postcode's centre, nearest first."""
    centre = locate_zip(postcode)
    if centre is None:
        raise BadParameter("postcode", "no centre is known for that postcode")
    miles = meters / METERS_PER_MILE
    wanted = set(ids)
    zip_points: dict[str, Point | None] = {}

    def zip_point(code: str | None) -> Point | None:
        if not code:
            return None
        if code not in zip_points:
            zip_points[code] = locate_zip(code)
        return zip_points[code]

    distances: dict[str, float] = {}
    rows = db.session.execute(
        select(ServiceAtLocation.id, Location.latitude, Location.longitude, Location.is_address_confidential,
               Address.postal_code)
        .join(Location, Location.id == ServiceAtLocation.location_id)
        .outerjoin(Address, Address.location_id == Location.id)
    )
    for sal_id, latitude, longitude, confidential, postal_code in rows:
        if sal_id not in wanted:
            continue
        has_point = latitude is not None and longitude is not None
        if confidential:
            # Never measure from a confidential address: its ZIP's centre, as the site's near-me does.
            point = zip_point(postal_code) or (Point(round(latitude, 1), round(longitude, 1)) if has_point else None)
        elif has_point:
            point = Point(latitude, longitude)
        else:
            point = zip_point(postal_code)
        if point is None:
            continue
        distance = distance_miles(centre, point)
        if distance <= miles and distance < distances.get(sal_id, math.inf):
            distances[sal_id] = distance
    order = {sal_id: position for position, sal_id in enumerate(ids)}
    return sorted(distances, key=lambda i: (round(distances[i], 3), order[i]))


def get_service_at_location(sal_id: str) -> ServiceAtLocation:
    item = db.session.get(ServiceAtLocation, sal_id)
    if item is None or item.service.status not in VISIBLE_STATUSES:
        raise NotFound(sal_id)
    return item


# -- organizations -----------------------------------------------------------------------------------


def organization_ids(query: ListQuery) -> list[str]:
    conditions = []
    for word in _words(query.search):
        conditions.append(or_(
            Organization.name.icontains(word, autoescape=True),
            Organization.alternate_name.icontains(word, autoescape=True),
            Organization.description.icontains(word, autoescape=True),
            Organization.id.in_(_translated("organization", ("name", "alternate_name", "description"), word)),
        ))
    return _ids(select(Organization.id).where(*conditions).order_by(Organization.name, Organization.id))


def get_organization(organization_id: str) -> Organization:
    item = db.session.get(Organization, organization_id)
    if item is None:
        raise NotFound(organization_id)
    return item


def visible_services_of(organization_ids: Sequence[str]) -> dict[str, list[Service]]:
    """Listed services of each organization, by name."""
    found: dict[str, list[Service]] = {i: [] for i in organization_ids}
    if not organization_ids:
        return found
    statement = (
        select(Service)
        .where(Service.organization_id.in_(organization_ids), Service.status.in_(VISIBLE_STATUSES))
        .order_by(Service.name, Service.id)
    )
    for item in db.session.scalars(statement).unique():
        found[item.organization_id].append(item)
    return found


# -- taxonomies --------------------------------------------------------------------------------------


def taxonomy_ids(query: ListQuery) -> list[str]:
    conditions = [
        or_(Taxonomy.name.icontains(word, autoescape=True), Taxonomy.description.icontains(word, autoescape=True))
        for word in _words(query.search)
    ]
    return _ids(select(Taxonomy.id).where(*conditions).order_by(Taxonomy.name, Taxonomy.id))


def get_taxonomy(taxonomy_id: str) -> Taxonomy:
    item = db.session.get(Taxonomy, taxonomy_id)
    if item is None:
        raise NotFound(taxonomy_id)
    return item


def taxonomy_term_ids(query: ListQuery) -> list[str]:
    conditions = []
    if query.taxonomy_id:
        conditions.append(TaxonomyTerm.taxonomy_id == query.taxonomy_id)
    if query.parent_id:
        conditions.append(TaxonomyTerm.parent_id == query.parent_id)
    if query.top_only:
        conditions.append(TaxonomyTerm.parent_id.is_(None))
    for word in _words(query.search):
        conditions.append(or_(
            TaxonomyTerm.id.in_(_term_ids_matching(word)),
            TaxonomyTerm.description.icontains(word, autoescape=True),
        ))
    statement = (
        select(TaxonomyTerm.id).join(Taxonomy, Taxonomy.id == TaxonomyTerm.taxonomy_id)
        .where(*conditions)
        .order_by(Taxonomy.name, TaxonomyTerm.position, TaxonomyTerm.code, TaxonomyTerm.id)
    )
    return _ids(statement)


def get_taxonomy_term(term_id: str) -> TaxonomyTerm:
    item = db.session.get(TaxonomyTerm, term_id)
    if item is None:
        raise NotFound(term_id)
    return item
