"""Reads the search page's GET parameters. Unknown or malformed values are dropped, never an error:
a bookmarked or hand-edited URL still gives results."""
from __future__ import annotations

from flask_babel import lazy_gettext as _l
from werkzeug.datastructures import MultiDict

from .backend import AGE_GROUPS
from .services import COST_CODES, DEFAULT_RADIUS, FLAG_CODES, RADIUS_CHOICES, SearchForm

MAX_TEXT = 5000


def _page(raw: str | None) -> int:
    try:
        return min(max(int(raw or 1), 1), 10_000)
    except ValueError:
        return 1


def search_form_from(args: MultiDict, categories: set[str], languages: set[str]) -> SearchForm:
    try:
        radius = int(args.get("radius", DEFAULT_RADIUS))
    except ValueError:
        radius = DEFAULT_RADIUS
    category = args.get("category") or None
    return SearchForm(
        text=(args.get("q") or "")[:MAX_TEXT],
        category=category if category in categories else None,
        languages=tuple(v for v in dict.fromkeys(args.getlist("language")) if v in languages),
        costs=tuple(v for v in dict.fromkeys(args.getlist("cost")) if v in COST_CODES),
        flags=tuple(v for v in dict.fromkeys(args.getlist("flag")) if v in FLAG_CODES),
        age=args.get("age") if args.get("age") in AGE_GROUPS else None,
        open_now=args.get("open") == "1",
        place=(args.get("near") or "")[:80],
        radius=radius if radius in RADIUS_CHOICES else DEFAULT_RADIUS,
        sort="distance" if args.get("sort") == "distance" else "relevance",
        page=_page(args.get("page")),
    )


# Translators: choices in the search filters.
COST_LABELS = (
    # Translators: search filter: services that cost nothing (adjective about price, not "free time").
    ("free", _l("Free")),
    # Translators: search filter: the price depends on what the person can afford (income-based fees).
    ("sliding-scale", _l("Sliding scale")),
    # Translators: search filter: the service takes health insurance, including Medicaid.
    ("accepts-insurance", _l("Takes insurance or Medicaid")),
)
FLAG_LABELS = (
    # Translators: search filter: people can come without making an appointment first.
    ("walk-in", _l("Walk in, no appointment")),
    # Translators: search filter: no identity document is asked for.
    ("no-id-required", _l("No ID needed")),
    # Translators: search filter: services given only by phone or online, with no place to visit.
    ("remote-only", _l("By phone or online")),
)
AGE_LABELS = (
    # Translators: search filter: age group of the people a service is for (under 18 years old).
    ("youth", _l("Under 18")),
    # Translators: search filter: age group, 18 to 25 years old.
    ("young-adult", _l("18 to 25")),
    # Translators: search filter: age group, 26 to 64 years old.
    ("adult", _l("26 to 64")),
    # Translators: search filter: age group, 65 years old and over.
    ("older-adult", _l("65 and over")),
)


def page_args(form: SearchForm) -> dict:
    """The query string of the current search, for pagination links (without `page`)."""
    args: dict = {"q": form.text or None, "near": form.place or None, "category": form.category,
                  "language": list(form.languages) or None, "cost": list(form.costs) or None,
                  "flag": list(form.flags) or None, "age": form.age, "open": "1" if form.open_now else None}
    if form.place:
        args.update(radius=form.radius, sort=form.sort)
    return {key: value for key, value in args.items() if value}


def filter_choices() -> dict:
    return {"cost_labels": COST_LABELS, "flag_labels": FLAG_LABELS, "age_labels": AGE_LABELS,
            "radius_choices": RADIUS_CHOICES}
