"""Which organization receives a request: best match on category, area and language, ties shared by
least recent assignment, else the coordinator the steward designated.

Only organizations that have set up their keys can receive (nobody could read it otherwise). The
choice is explainable in counts only (:func:`explain`): never which request went where.
"""
from __future__ import annotations

import re
from dataclasses import dataclass

from sqlalchemy import func, select

from ..audit.services import record
from ..extensions import db
from .models import OrganizationKey, RoutingRule

STATEWIDE = "statewide"
# How specific an area match is: an exact ZIP beats a town or county, which beats statewide.
ZIP_MATCH, PLACE_MATCH, STATE_MATCH = 3, 2, 1


def normalize_area(text: str | None) -> str:
    """"  Portland " → "portland"; "97205-1234" → "97205"."""
    value = " ".join((text or "").split()).lower()
    if len(value) >= 5 and value[:5].isdigit():
        return value[:5]
    return value[:60]


ZIP_CODE = re.compile(r"\d{5}(?:-\d{4})?")


def clear_area(text: str | None) -> str:
    """The part of what a resident typed as their area that may be stored in the clear (and used for
    routing): a ZIP code that exists in the ZIP centroid table (5 digits), or the name of a town the
    directory lists (lower case, as in routing rules). Anything else — a street address, a name, a ZIP
    that does not exist — gives "" (the area is then unknown to routing) and is kept only inside the
    encrypted content."""
    from ..geo.models import PostalCentroid
    from ..insights.services import known_town

    value = " ".join((text or "").split())
    if not value:
        return ""
    if ZIP_CODE.fullmatch(value):
        return value[:5] if db.session.get(PostalCentroid, value[:5]) is not None else ""
    if value[:5].isdigit():  # digits followed by more: an address, never matched to a ZIP's town
        return ""
    return known_town(value).lower()


def area_score(rule_areas: list[str], area: str) -> int:
    """0 when the rule does not cover ``area``; otherwise how specifically it does.

    A ZIP code is also in the towns and counties the directory's addresses give for it, and a town in
    their counties: an organization serving "Gresham" or "Multnomah County" receives a request from
    97030. A town is not in a ZIP code (a town has several)."""
    areas = {normalize_area(a) for a in rule_areas}
    if not areas:
        return STATE_MATCH
    if area and area in areas:
        return ZIP_MATCH if area.isdigit() else PLACE_MATCH
    if area and not areas.isdisjoint(_wider_areas().get(area, ())):
        return PLACE_MATCH
    if STATEWIDE in areas:
        return STATE_MATCH
    return 0


def _wider_areas() -> dict[str, frozenset[str]]:
    """{ZIP code or town: the towns and counties it lies in}, from the directory's own addresses
    (lower case, as areas are kept); this process's copy, read again when a listing changes."""
    from ..caching import LISTINGS, cached
    from ..directory.models import Address

    def read() -> dict[str, frozenset[str]]:
        wider: dict[str, set[str]] = {}
        for postal_code, city, region in db.session.execute(
            select(Address.postal_code, Address.city, Address.region).distinct()
        ):
            town = normalize_area(city) if city else ""
            county = normalize_area(region) if region else ""
            # "Multnomah County" and "Multnomah" name the same county.
            counties = {county, county.removesuffix(" county") if county.endswith(" county") else county + " county"} if county else set()
            code = (postal_code or "")[:5]
            if ZIP_CODE.fullmatch(code):
                wider.setdefault(code, set()).update({town} - {""} | counties)
            if town and counties:
                wider.setdefault(town, set()).update(counties)
        return {area: frozenset(names) for area, names in wider.items()}

    return cached("help-wider-areas", read, version_of=LISTINGS)


@dataclass(frozen=True)
class Candidate:
    rule: RoutingRule
    score: tuple[int, int]


def _receivers() -> list[RoutingRule]:
    """Accepting organizations whose keys are set up."""
    return list(db.session.scalars(
        select(RoutingRule).join(OrganizationKey, OrganizationKey.organization_id == RoutingRule.organization_id)
        .where(RoutingRule.is_accepting.is_(True))))


def choose(categories: list[str], area: str, language: str) -> RoutingRule | None:
    """The receiving organization's rule (its counter moved on), or None when nobody can receive."""
    wanted = set(categories)
    best: list[Candidate] = []
    coordinators: list[RoutingRule] = []
    for rule in _receivers():
        if rule.is_coordinator:
            coordinators.append(rule)
        if rule.languages and language not in rule.languages:
            continue
        if rule.categories and wanted and not wanted & set(rule.categories):
            continue
        where = area_score(rule.areas, area)
        if not where:
            continue
        category_score = 1 if (rule.categories and wanted & set(rule.categories)) else 0
        best.append(Candidate(rule, (where, category_score)))
    if best:
        top = max(c.score for c in best)
        pool = [c.rule for c in best if c.score == top]
    else:
        pool = coordinators
    if not pool:
        return None
    chosen = min(pool, key=lambda r: (r.last_assignment or 0, r.organization_id))
    highest = db.session.scalar(select(func.max(RoutingRule.last_assignment))) or 0
    chosen.last_assignment = highest + 1
    return chosen


def explain() -> dict[str, int]:
    """For the steward: how many organizations can receive, in counts only."""
    rules = list(db.session.scalars(select(RoutingRule)))
    with_keys = set(db.session.scalars(select(OrganizationKey.organization_id)))
    return {
        "rules": len(rules),
        "accepting": sum(1 for r in rules if r.is_accepting),
        "ready": sum(1 for r in rules if r.is_accepting and r.organization_id in with_keys),
        "coordinators": sum(1 for r in rules if r.is_coordinator and r.organization_id in with_keys),
    }


def coverage() -> dict[str, dict[str, int]]:
    """For the steward: how many ready organizations (accepting, keys set up) take each category and
    each language; "" counts those that take any. Counts only."""
    with_keys = set(db.session.scalars(select(OrganizationKey.organization_id)))
    ready = [r for r in db.session.scalars(select(RoutingRule)) if r.is_accepting and r.organization_id in with_keys]
    categories: dict[str, int] = {}
    languages: dict[str, int] = {}
    for rule in ready:
        for code in rule.categories or [""]:
            categories[code] = categories.get(code, 0) + 1
        for code in rule.languages or [""]:
            languages[code] = languages.get(code, 0) + 1
    return {"categories": categories, "languages": languages}


def rule_of(organization_id: str) -> RoutingRule:
    """The organization's rule, or a new one (not yet saved) that accepts nothing until it is saved."""
    return db.session.get(RoutingRule, organization_id) or RoutingRule(
        organization_id=organization_id, is_accepting=False, categories=[], areas=[], languages=[],
        is_coordinator=False, last_assignment=0)


def _snapshot(rule: RoutingRule) -> dict:
    return {"is_accepting": bool(rule.is_accepting), "categories": list(rule.categories or []),
            "areas": list(rule.areas or []), "languages": list(rule.languages or [])}


def update_rule(actor, organization_id: str, *, is_accepting: bool, categories: list[str], areas: list[str],
                languages: list[str]) -> RoutingRule:
    """An organization member's opt-in. The coordinator flag is the steward's and is left alone."""
    rule = rule_of(organization_id)
    before = _snapshot(rule)
    rule.is_accepting = is_accepting
    rule.categories = sorted(set(categories))
    rule.areas = sorted({normalize_area(area) for area in areas if normalize_area(area)})
    rule.languages = sorted(set(languages))
    db.session.add(rule)
    after = _snapshot(rule)
    changes = {key: {"before": before[key], "after": after[key]} for key in after if before[key] != after[key]}
    record("help.routing_changed", actor=actor, target_type="organization", target_id=organization_id,
           changes=changes)
    db.session.commit()
    return rule


def set_coordinator(actor, organization_id: str) -> None:
    """The steward designates the one coordinator that receives what nobody else matches."""
    rule = rule_of(organization_id)
    if rule not in db.session:
        rule.is_accepting, rule.areas = True, [STATEWIDE]
        db.session.add(rule)
    previous = [r.organization_id for r in db.session.scalars(select(RoutingRule).where(
        RoutingRule.is_coordinator.is_(True), RoutingRule.organization_id != organization_id))]
    for other in db.session.scalars(select(RoutingRule).where(RoutingRule.organization_id.in_(previous))):
        other.is_coordinator = False
    rule.is_coordinator = True
    record("help.coordinator_changed", actor=actor, target_type="organization", target_id=organization_id,
           changes={"coordinator": {"before": previous, "after": organization_id}})
    db.session.commit()
