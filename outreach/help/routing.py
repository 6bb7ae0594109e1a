"""Which organization receives a request: best match on category, area and language, ties shared by
least recent assignment, else the coordinator the steward designated.

Only organizations that have set up their keys can receive (nobody could read it otherwise). The
choice is explainable in counts only (:func:`explain`): never which request went where.
"""
from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import func, select

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


def area_score(rule_areas: list[str], area: str) -> int:
    """0 when the rule does not cover ``area``; otherwise how specifically it does."""
    areas = {normalize_area(a) for a in rule_areas}
    if not areas:
        return STATE_MATCH
    if area and area in areas:
        return ZIP_MATCH if area.isdigit() else PLACE_MATCH
    if STATEWIDE in areas:
        return STATE_MATCH
    return 0


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
