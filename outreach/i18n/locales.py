"""The locales the site knows (``translations/locales.yaml``), each with its own name and direction."""
from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

from babel import Locale, UnknownLocaleError
from babel.core import get_global

TABLE_PATH = Path(__file__).resolve().parent.parent.parent / "translations" / "locales.yaml"


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
def load_table(path: Path = TABLE_PATH) -> tuple[tuple[str, str | None], ...]:
    """``(code, name override)`` for every locale in the table, validated: known to Babel, no repeats."""
    import yaml

    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
    except (OSError, yaml.YAMLError) as error:
        raise ValueError(f"{path}: cannot read the locale table ({error})") from error
    if not isinstance(data, list) or not data:
        raise ValueError(f"{path}: expected a list of locales")
    entries: list[tuple[str, str | None]] = []
    for number, item in enumerate(data, start=1):
        if not isinstance(item, dict) or not isinstance(item.get("code"), str) or set(item) - {"code", "name"}:
            raise ValueError(f"{path}: entry {number}: expected `code` and an optional `name`")
        code, name = item["code"], item.get("name")
        if name is not None and (not isinstance(name, str) or not name.strip()):
            raise ValueError(f"{path}: {code}: `name` must be text")
        if any(code == seen for seen, _ in entries):
            raise ValueError(f"{path}: {code} is listed twice")
        try:
            Locale.parse(code)
        except (ValueError, UnknownLocaleError) as error:
            raise ValueError(f"{path}: unknown locale {code!r}") from error
        entries.append((code, name))
    return tuple(entries)


def table_codes() -> tuple[str, ...]:
    return tuple(code for code, _name in load_table())


def _name_override(code: str) -> str | None:
    return dict(load_table()).get(code)


@lru_cache(maxsize=None)
def site_locale(code: str) -> SiteLocale:
    try:
        locale = Locale.parse(code)
    except (ValueError, UnknownLocaleError) as error:
        raise ValueError(f"unknown locale {code!r}") from error
    name = _name_override(code) or locale.get_display_name(locale) or code
    # Capitalize the first letter as each language writes its own name in a menu.
    name = name[:1].upper() + name[1:]
    return SiteLocale(
        code=code,
        native_name=name,
        direction="rtl" if locale.text_direction == "rtl" else "ltr",
        html_lang=code.replace("_", "-"),
    )


def validate_locales(codes: tuple[str, ...]) -> tuple[SiteLocale, ...]:
    """Fail at start-up, with the offending code named, when a configured locale is not in the table."""
    known = table_codes()
    for code in codes:
        if code not in known:
            raise ValueError(f"locale {code!r} is not in {TABLE_PATH.name} ({', '.join(known)})")
    return tuple(site_locale(code) for code in codes)


def _likely(tag: str) -> tuple[str, str | None, str | None]:
    """language, script, territory of a browser tag, with CLDR's likely subtags filled in
    ("zh-TW" → zh, Hant, TW; "zh" → zh, Hans, CN)."""
    parts = tag.replace("-", "_").split("_")
    language = parts[0].lower()
    script = next((p.title() for p in parts[1:] if len(p) == 4 and p.isalpha()), None)
    territory = next((p.upper() for p in parts[1:] if len(p) in (2, 3) and (p.isalpha() or p.isdigit())), None)
    likely = get_global("likely_subtags")
    for key in filter(None, (f"{language}_{script}_{territory}" if script and territory else None,
                             f"{language}_{territory}" if territory else None,
                             f"{language}_{script}" if script else None, language)):
        if key in likely:
            full = likely[key].split("_")
            script = script or next((p for p in full[1:] if len(p) == 4), None)
            territory = territory or next((p for p in full[1:] if len(p) in (2, 3)), None)
            break
    return language, script, territory


# Browser language codes that name one of our locales differently (Filipino is written as Tagalog).
ALIASES = {"fil": "tl"}


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
        language, script, _territory = _likely(value)
        language = ALIASES.get(language, language)
        if script:  # a script-specific locale (zh_Hans, zh_Hant) wins over the bare language
            scripted = tags.get(f"{language}-{script.lower()}")
            if scripted:
                return scripted
        if language in tags:
            return tags[language]
    return available[0]
