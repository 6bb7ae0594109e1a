"""Listing values in words, for the reviewer's diff and the organization's list of changes."""
from __future__ import annotations

from typing import Any

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l

from ..directory.models import Location, TaxonomyTerm
from ..extensions import db
from ..i18n.setup import site_locales
from .forms import FIELD_LABELS, PHONE_TYPE_LABELS, PROBLEM_LABELS, WEEKDAY_LABELS
from .values import split_key

# Translators: where a proposed listing change or a problem report stands.
STATUS_LABELS = {
    # Translators: state of a proposed listing change or a problem report, shown to staff.
    "pending": _l("Waiting for review"),
    # Translators: state of a proposed listing change: a reviewer approved it and residents now see it.
    "approved": _l("Approved and published"),
    # Translators: state of a listing change from a trusted organization, published without review.
    "applied": _l("Published at once (trusted organization)"),
    # Translators: state of a proposed listing change: the reviewer turned it down.
    "rejected": _l("Not accepted"),
    # Translators: state of a resident's problem report: staff fixed the listing.
    "resolved": _l("Dealt with"),
    # Translators: state of a resident's problem report: closed, nothing needed changing.
    "dismissed": _l("Closed without change"),
}


def status_label(status: str) -> str:
    return str(STATUS_LABELS.get(status, status))


def problem_label(code: str) -> str:
    return str(PROBLEM_LABELS.get(code, code))


def field_label(key: str) -> str:
    field, locale = split_key(key)
    label = str(FIELD_LABELS.get(field, field))
    if locale:
        names = {loc.code: loc.native_name for loc in site_locales()}
        # Translators: a listing field in another language, e.g. "Name of the service (Español)".
        return _("%(field)s (%(language)s)", field=label, language=names.get(locale, locale))
    return label


def _term_names(codes: list[str]) -> str:
    if not codes:
        return ""
    terms = {t.code: t.name for t in db.session.scalars(db.select(TaxonomyTerm).where(TaxonomyTerm.code.in_(codes)))}
    return ", ".join(terms.get(code, code) for code in codes)


def describe(key: str, value: Any) -> str:
    """One field's value as a reviewer reads it; empty means "nothing"."""
    field, _locale = split_key(key)
    if value in (None, "", []):
        return ""
    if field == "phones":
        return "\n".join(" ".join(filter(None, [p["number"], ("x" + p["extension"]) if p.get("extension") else "",
                                                f"({PHONE_TYPE_LABELS.get(p.get('type'), p.get('type'))})",
                                                p.get("description") or ""])) for p in value)
    if field == "hours":
        return "\n".join("{}: {}–{}".format(", ".join(str(WEEKDAY_LABELS.get(d, d)) for d in rule["days"].split(",")),
                                            rule["opens"], rule["closes"]) for rule in value)
    if field == "cost_options":
        return "\n".join(c["option"] + (f": ${c['amount']}" if c.get("amount") else "") for c in value)
    if field in ("categories", "attributes"):
        return _term_names(list(value))
    if field == "languages":
        return ", ".join(value)
    if field == "locations":
        names = []
        for location_id in value:
            location = db.session.get(Location, location_id)
            address = location.physical_address if location else None
            names.append(", ".join(filter(None, [location.name if location else location_id,
                                                 address.address_1 if address else ""])))
        return "\n".join(names)
    if field == "is_address_confidential":
        return _("Yes") if value else _("No")
    return str(value)
