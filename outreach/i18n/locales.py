"""The locales the site knows, with each language's own name and text direction."""
from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache

from babel import Locale, UnknownLocaleError


@dataclass(frozen=True)
class SiteLocale:
    code: str  # as used in URLs and catalogs: "en", "es", "ar", "zh_Hant"
    native_name: str  # the language named in itself
    direction: str  # "ltr" or "rtl"
    html_lang: str  # BCP 47 tag for <html lang> and hreflang

    @property
    def is_rtl(self) -> bool:
        return self.direction == "rtl"


@lru_cache(maxsize=None)
def site_locale(code: str) -> SiteLocale:
    try:
        locale = Locale.parse(code)
    except (ValueError, UnknownLocaleError) as error:
        raise ValueError(f"unknown locale {code!r}") from error
    name = locale.get_display_name(locale) or code
    # Capitalize the first letter as each language writes its own name in a menu.
    name = name[:1].upper() + name[1:]
    return SiteLocale(
        code=code,
        native_name=name,
        direction="rtl" if locale.text_direction == "rtl" else "ltr",
        html_lang=code.replace("_", "-"),
    )


def validate_locales(codes: tuple[str, ...]) -> tuple[SiteLocale, ...]:
    """Fail at start-up, with the offending code named, when a configured locale is unknown."""
    return tuple(site_locale(code) for code in codes)


def negotiate(accept_language: str | None, available: tuple[str, ...]) -> str:
    """Pick the best available locale for an Accept-Language header; the first one otherwise."""
    from werkzeug.datastructures import LanguageAccept
    from werkzeug.http import parse_accept_header

    if not accept_language:
        return available[0]
    accepted = parse_accept_header(accept_language, LanguageAccept)
    tags = {code.replace("_", "-").lower(): code for code in available}
    for value, _quality in accepted:
        value = value.lower()
        if value in tags:
            return tags[value]
        primary = value.split("-")[0]
        if primary in tags:
            return tags[primary]
    return available[0]
