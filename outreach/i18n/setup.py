"""The locale lives in the URL (``/en/…``, ``/es/…``); this wires it into Flask and Flask-Babel."""
from __future__ import annotations

from pathlib import Path

from flask import Flask, abort, current_app, g, request, url_for
from flask_babel import get_locale

from ..extensions import babel
from . import catalogs, formats
from .locales import SiteLocale, negotiate, site_locale, validate_locales


def site_locales() -> tuple[SiteLocale, ...]:
    return current_app.extensions["outreach.locales"]


def listed_locales() -> tuple[SiteLocale, ...]:
    """The served locales whose catalogs are complete: the only ones offered to residents (language
    switcher, hreflang, sitemap, Accept-Language). An incomplete one is still served at its own URL."""
    return current_app.extensions["outreach.listed_locales"]


def listed_codes() -> tuple[str, ...]:
    return tuple(loc.code for loc in listed_locales())


def locale_codes() -> tuple[str, ...]:
    return tuple(loc.code for loc in site_locales())


def current_locale() -> SiteLocale:
    code = g.get("lang_code") or select_locale()
    return site_locale(code)


def _locale_from_path() -> str | None:
    first = request.path.lstrip("/").split("/", 1)[0]
    return first if first in locale_codes() else None


def select_locale() -> str:
    """Flask-Babel's locale selector: the URL's locale, else the browser's best match."""
    code = g.get("lang_code")
    if code:
        return code
    if request:
        from_path = _locale_from_path()
        if from_path:
            return from_path
        return negotiate(request.headers.get("Accept-Language"), listed_codes())
    return locale_codes()[0]


def _pull_lang_code(endpoint: str | None, values: dict | None) -> None:
    if values is None or "lang_code" not in values:
        return
    code = values.pop("lang_code")
    if code not in locale_codes():
        abort(404)
    g.lang_code = code


def _add_lang_code(endpoint: str, values: dict) -> None:
    if "lang_code" in values:
        return
    if current_app.url_map.is_endpoint_expecting(endpoint, "lang_code"):
        values["lang_code"] = g.get("lang_code") or select_locale()


def alternate_urls() -> list[tuple[SiteLocale, str]]:
    """The current page in every locale, for the language switcher and hreflang links (worked out
    once per request: the page frame asks three times)."""
    if "outreach_alternates" not in g:
        endpoint = request.endpoint
        view_args = dict(request.view_args or {})
        if (
            endpoint
            and request.method == "GET"
            and current_app.url_map.is_endpoint_expecting(endpoint, "lang_code")
            and g.get("lang_code")
            and not g.get("is_error_page")
        ):
            view_args.pop("lang_code", None)
            values = {**view_args, **request.args.to_dict(flat=False)}
        else:
            endpoint, values = "directory.home", {}
        g.outreach_alternates = _in_every_locale(endpoint, values)
    return g.outreach_alternates


def _in_every_locale(endpoint: str, values: dict) -> list[tuple[SiteLocale, str]]:
    """``url_for(endpoint, **values)`` in each listed locale: built once, then the leading locale
    segment swapped (building a URL is the costly part), or built for each when the locale is not
    the address's first segment."""
    locales = listed_locales()
    first = url_for(endpoint, lang_code=locales[0].code, **values)
    root = request.script_root
    head = f"{root}/{locales[0].code}"
    rest = first[len(head):]
    if not first.startswith(head) or rest[:1] not in ("", "/", "?", "#"):
        return [(loc, url_for(endpoint, lang_code=loc.code, **values)) for loc in locales]
    return [(loc, f"{root}/{loc.code}{rest}") for loc in locales]


def init_app(app: Flask) -> None:
    formats.fill_calendar_gaps()
    served = validate_locales(app.config["LOCALES"])
    app.extensions["outreach.locales"] = served
    folder = Path(app.config["BABEL_TRANSLATION_DIRECTORIES"].split(";")[0])
    complete = set(catalogs.complete_locales(folder, tuple(loc.code for loc in served)))
    app.extensions["outreach.listed_locales"] = tuple(loc for loc in served if loc.code in complete)
    babel.init_app(app, locale_selector=select_locale)
    app.url_value_preprocessor(_pull_lang_code)
    app.url_defaults(_add_lang_code)

    @app.context_processor
    def locale_context() -> dict:
        return {
            "site_locale": current_locale(),
            "site_locales": listed_locales(),
            "alternate_urls": alternate_urls,
            "babel_locale": get_locale(),
        }
