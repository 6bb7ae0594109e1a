"""Reads the search page's GET parameters. Unknown or malformed values are dropped, never an error:
a bookmarked or hand-edited URL still gives results."""
from __future__ import annotations

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
