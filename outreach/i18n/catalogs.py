"""The message-catalog pipeline: extract → update → compile, and the check CI runs.

Plain functions over a translations folder (``<dir>/messages.pot``, ``<dir>/<locale>/LC_MESSAGES/
messages.po``), so the CLI, the tests and ``make`` share one implementation and need no app.
Output is deterministic: sorted messages, file names without line numbers, and the template's
creation date kept while its messages are unchanged, so re-running a step never churns a diff.
"""
from __future__ import annotations

import io
import os
from importlib import metadata
import re
import tempfile
from collections import Counter
from dataclasses import dataclass, field
from functools import lru_cache
from datetime import datetime, timezone
from pathlib import Path

from babel import Locale
from babel.messages.catalog import Catalog, Message
from babel.messages.extract import DEFAULT_KEYWORDS, extract_from_dir
from babel.messages.frontend import parse_mapping_cfg
from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po, write_po

PROJECT_ROOT = Path(__file__).resolve().parent.parent.parent
DOMAIN = "messages"
PROJECT = "Outreach"
# The language msgids are written in: its catalog exists for Flask-Babel but needs no msgstr.
SOURCE_LOCALE = "en"
COMMENT_TAGS = ("Translators:",)
KEYWORDS = {
    **DEFAULT_KEYWORDS,
    "_l": None,
    "lazy_gettext": None,
    "lazy_ngettext": (1, 2),
    "lazy_pgettext": ((1, "c"), 2),
    "lazy_npgettext": ((1, "c"), 2, 3),
    "ngettext_number": (1, 2),  # outreach.i18n.formats: ngettext with the number in the locale's digits
}
# Plural rules written into each catalog. Babel's CLDR data gives Spanish a third "many" form
# (for millions) that gettext tools and translators do not expect, so the usual rules are fixed here.
PLURAL_FORMS = {
    "en": "nplurals=2; plural=(n != 1);",
    "es": "nplurals=2; plural=(n != 1);",
    "ar": "nplurals=6; plural=(n==0 ? 0 : n==1 ? 1 : n==2 ? 2 : n%100>=3 && n%100<=10 ? 3 : n%100>=11 ? 4 : 5);",
    # CLDR's French "many" (for millions) is left out for the same reason as Spanish's.
    "fr": "nplurals=2; plural=(n > 1);",
}
POT_HEADER = (
    "# Outreach: the text of the site, for translators.\n"
    "# Made by `flask outreach i18n extract`; change the code and templates, not this file."
)
PO_HEADER = (
    "# Outreach: the text of the site in {language}.\n"
    "# Kept in step with messages.pot by `flask outreach i18n update`; msgstr lines are yours to edit."
)
WRITE_OPTIONS = dict(width=76, sort_output=True, include_lineno=False)

# A python-format placeholder: %s, %d, %(name)s, %%, with optional flags, width and precision.
PLACEHOLDER = re.compile(
    r"%(?:\((?P<name>[^)]*)\))?[-#0 +]*(?:\*|\d+)?(?:\.(?:\*|\d+))?[hlL]?(?P<conv>[diouxXeEfFgGcrsa%])"
)
HTML_TAG = re.compile(r"<\s*(/?)\s*([A-Za-z][\w:-]*)((?:\"[^\"]*\"|'[^']*'|[^>\"'])*)>")
HTML_ATTRIBUTE = re.compile(r"""([^\s=/>"']+)(?:\s*=\s*(?:"([^"]*)"|'([^']*)'|([^\s"'=<>`]+)))?""")


# --- files ---------------------------------------------------------------------------------------


def template_path(translations: Path) -> Path:
    return translations / f"{DOMAIN}.pot"


def catalog_path(translations: Path, locale: str) -> Path:
    return translations / locale / "LC_MESSAGES" / f"{DOMAIN}.po"


def _read(path: Path, locale: str | None = None) -> Catalog:
    with path.open("rb") as handle:
        catalog = read_po(handle, locale=locale, domain=DOMAIN)
    # Babel writes a fuzzy entry's previous msgid as "#| msgid …" but reads it back as an ordinary
    # comment ("| msgid …") that would then stay forever: drop them (update() writes fresh ones).
    for message in catalog:
        message.user_comments = [c for c in message.user_comments if not c.startswith("| ")]
    return catalog


def _render_po(catalog: Catalog, **options) -> bytes:
    buffer = io.BytesIO()
    write_po(buffer, catalog, **WRITE_OPTIONS, **options)
    return buffer.getvalue()


def _write_if_changed(path: Path, data: bytes) -> bool:
    if path.is_file() and path.read_bytes() == data:
        return False
    path.parent.mkdir(parents=True, exist_ok=True)
    _atomic_write(path, data)
    return True


def _atomic_write(path: Path, data: bytes) -> None:
    """Replace ``path`` in one step, so a running server or test never reads half a file."""
    fd, temp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.")
    try:
        with os.fdopen(fd, "wb") as handle:
            handle.write(data)
        os.chmod(temp, 0o644)
        os.replace(temp, path)
    except BaseException:
        Path(temp).unlink(missing_ok=True)
        raise


# --- extract / update / compile ------------------------------------------------------------------


def _version() -> str:
    try:
        return metadata.version("outreach")
    except metadata.PackageNotFoundError:
        return "dev"


def _blank_bugs_address(catalog: Catalog) -> Catalog:
    catalog.msgid_bugs_address = ""  # Babel's constructor would put a placeholder address here
    return catalog


def extract(root: Path = PROJECT_ROOT, creation_date: datetime | None = None) -> Catalog:
    """Collect every translatable string under ``root`` as babel.cfg maps it."""
    mapping_file = root / "babel.cfg"
    with mapping_file.open() as handle:
        method_map, options_map = parse_mapping_cfg(handle, str(mapping_file))
    catalog = Catalog(
        project=PROJECT,
        version=_version(),
        header_comment=POT_HEADER,
        creation_date=creation_date or datetime.now(timezone.utc).replace(second=0, microsecond=0),
    )
    _blank_bugs_address(catalog)
    for filename, lineno, message, comments, context in extract_from_dir(
        root, method_map, options_map, keywords=KEYWORDS, comment_tags=COMMENT_TAGS
    ):
        catalog.add(message, None, [(filename, lineno)], auto_comments=comments, context=context)
    return catalog


def write_template(translations: Path, root: Path = PROJECT_ROOT) -> tuple[Catalog, bool]:
    """Extract into ``messages.pot``; returns the catalog and whether the file changed."""
    path = template_path(translations)
    if path.is_file():
        # Keep the old date if nothing else changed, so re-extracting is a no-op.
        previous = _read(path).creation_date
        catalog = extract(root, creation_date=previous)
        if path.read_bytes() == _render_po(catalog):
            return catalog, False
    catalog = extract(root)
    return catalog, _write_if_changed(path, _render_po(catalog))


def _plural_forms(locale: str) -> str:
    return PLURAL_FORMS.get(locale) or Catalog(locale=locale).plural_forms


def _new_catalog(locale: str, template: Catalog) -> Catalog:
    language = Locale.parse(locale).english_name or locale
    catalog = Catalog(
        locale=locale,
        domain=DOMAIN,
        project=PROJECT,
        version=_version(),
        header_comment=PO_HEADER.format(language=language),
        last_translator="Outreach translators",
        language_team=language,
        creation_date=template.creation_date,
        fuzzy=False,
    )
    catalog.mime_headers = [("Plural-Forms", _plural_forms(locale))]
    return _blank_bugs_address(catalog)


def update(translations: Path, locales: tuple[str, ...]) -> dict[str, str]:
    """Merge ``messages.pot`` into each locale's catalog, creating missing ones.

    New strings arrive untranslated, changed ones as fuzzy with the old msgid (``#|``) kept for
    the translator; strings gone from the code are dropped. Returns ``{locale: what happened}``.
    """
    template = _read(template_path(translations))
    outcome = {}
    for locale in locales:
        path = catalog_path(translations, locale)
        created = not path.is_file()
        catalog = _new_catalog(locale, template) if created else _read(path, locale)
        catalog.update(template, no_fuzzy_matching=(locale == SOURCE_LOCALE))  # English needs no guesses
        changed = _write_if_changed(path, _render_po(catalog, ignore_obsolete=True, include_previous=True))
        outcome[locale] = "created" if created else ("updated" if changed else "unchanged")
    return outcome


def compile_catalogs(translations: Path, locales: tuple[str, ...]) -> dict[str, int]:
    """Write ``messages.mo`` next to each catalog; returns how many strings each one carries."""
    counts = {}
    for locale in locales:
        path = catalog_path(translations, locale)
        catalog = _read(path, locale)
        buffer = io.BytesIO()
        write_mo(buffer, catalog, use_fuzzy=False)
        _atomic_write(path.with_suffix(".mo"), buffer.getvalue())
        counts[locale] = sum(1 for m in catalog if m.id and _is_translated(m))
    return counts


# --- check ---------------------------------------------------------------------------------------


@dataclass
class LocaleReport:
    locale: str
    total: int = 0
    translated: int = 0
    is_source: bool = False
    problems: list[str] = field(default_factory=list)

    @property
    def summary(self) -> str:
        percent = 100 if not self.total else self.translated * 100 // self.total
        line = f"{self.locale}: {self.translated}/{self.total} translated ({percent}%)"
        if self.is_source:
            line += " (source language: msgids are the text)"
        return line


@dataclass
class CheckReport:
    template_problems: list[str] = field(default_factory=list)
    template_details: list[str] = field(default_factory=list)  # the strings behind a stale template
    locales: list[LocaleReport] = field(default_factory=list)

    @property
    def problem_count(self) -> int:
        return len(self.template_problems) + sum(len(r.problems) for r in self.locales)

    @property
    def ok(self) -> bool:
        return self.problem_count == 0


def _key(message: Message) -> tuple[str | None, str | tuple[str, ...]]:
    return (message.context, message.id if isinstance(message.id, str) else tuple(message.id))


def _label(message: Message) -> str:
    text = message.id if isinstance(message.id, str) else message.id[0]
    text = " ".join(text.split())
    text = text if len(text) <= 70 else text[:67] + "…"
    context = f" (context {message.context!r})" if message.context else ""
    return f'"{text}"{context}'


def _strings(message: Message) -> list[str]:
    return [message.string] if isinstance(message.string, str) else list(message.string or ())


def _is_translated(message: Message) -> bool:
    strings = _strings(message)
    return bool(strings) and all(strings) and not message.fuzzy


def _placeholders(text: str) -> tuple[Counter, list[str]]:
    """Named placeholders (counted) and positional ones (in order); ``%%`` is a literal."""
    named: Counter = Counter()
    positional: list[str] = []
    for match in PLACEHOLDER.finditer(text):
        name, conversion = match.group("name"), match.group("conv")
        if name is None and conversion == "%" and match.group(0) == "%%":
            continue
        if name is not None:
            named[f"%({name}){conversion}"] += 1
        else:
            positional.append(match.group(0))
    return named, positional


def _tag(slash: str, name: str, attributes: str) -> str:
    """One tag written the same way whatever its quoting, spacing and attribute order: a msgstr must keep
    the msgid's tags *with* their attributes (the same link target, no added ``onclick`` or ``style``)."""
    attributes = attributes.strip()
    if attributes.endswith("/"):  # <br/> and <br> are the same tag
        attributes = attributes[:-1]
    pairs = []
    for match in HTML_ATTRIBUTE.finditer(attributes):
        attribute = match.group(1).lower()
        value = next((v for v in match.group(2, 3, 4) if v is not None), None)
        pairs.append(attribute if value is None else f'{attribute}="{value}"')
    return "<" + slash + name.lower() + "".join(" " + pair for pair in sorted(pairs)) + ">"


def _tags(text: str) -> Counter:
    return Counter(_tag(slash, name, attributes) for slash, name, attributes in HTML_TAG.findall(text))


def _show(counter: Counter | list) -> str:
    items = sorted(counter.elements()) if isinstance(counter, Counter) else counter
    return ", ".join(items) or "none"


def _format_problems(message: Message) -> list[str]:
    """Placeholders and HTML tags a msgstr must keep from its msgid."""
    problems = []
    ids = [message.id] if isinstance(message.id, str) else list(message.id)
    strings = [s for s in _strings(message) if s]
    if not strings:
        return problems
    id_named, id_positional = _placeholders(ids[-1])
    all_id_names = set(id_named)
    for text in ids[:-1]:
        all_id_names |= set(_placeholders(text)[0])
    id_tags = _tags(ids[0])
    label = _label(message)
    if len(ids) == 1:
        named, positional = _placeholders(strings[0])
        if named != id_named or positional != id_positional:
            problems.append(
                f"placeholders differ in {label}: msgid has {_show(id_named + Counter(id_positional))}, "
                f"msgstr has {_show(named + Counter(positional))}"
            )
    else:
        # A plural form may leave out the number ("one service"), but may not invent a name,
        # and every name must appear in some form; positional ones cannot be skipped safely.
        used: set[str] = set()
        for index, text in enumerate(strings):
            named, positional = _placeholders(text)
            used |= set(named)
            unknown = set(named) - all_id_names
            if unknown or (positional and positional != id_positional):
                problems.append(
                    f"placeholders differ in {label} msgstr[{index}]: msgid has "
                    f"{_show(sorted(all_id_names) + id_positional)}, msgstr has {_show(named + Counter(positional))}"
                )
        if not problems and used != all_id_names:
            problems.append(
                f"placeholders missing from every plural form of {label}: {_show(sorted(all_id_names - used))}"
            )
    for index, text in enumerate(strings):
        tags = _tags(text)
        if tags != id_tags:
            where = "" if len(strings) == 1 else f" msgstr[{index}]"
            problems.append(f"HTML tags differ in {label}{where}: msgid has {_show(id_tags)}, msgstr has {_show(tags)}")
    return problems


def _normalize_plural(expression: str) -> str:
    return re.sub(r"\s+", "", expression).rstrip(";")


def check_locale(locale: str, template: Catalog, path: Path) -> LocaleReport:
    report = LocaleReport(locale=locale, total=sum(1 for m in template if m.id), is_source=locale == SOURCE_LOCALE)
    if not path.is_file():
        report.problems.append(f"no catalog at {path} (run `flask outreach i18n update`)")
        return report
    catalog = _read(path, locale)
    if catalog.fuzzy:
        report.problems.append("the catalog header is marked fuzzy")
    expected_plural = _plural_forms(locale)
    if _normalize_plural(catalog.plural_forms) != _normalize_plural(expected_plural):
        report.problems.append(f"Plural-Forms is {catalog.plural_forms!r}, expected {expected_plural!r}")
    entries = {_key(m): m for m in catalog if m.id}
    for message in template:
        if not message.id:
            continue
        entry = entries.get(_key(message))
        label = _label(message)
        if entry is None:
            report.problems.append(f"missing msgid {label} (run `flask outreach i18n update`)")
            continue
        strings = _strings(entry)
        if entry.fuzzy:
            report.problems.append(f"fuzzy entry {label}: check the translation, then remove the fuzzy flag")
        elif not report.is_source and not all(strings):
            report.problems.append(f"untranslated {label}")
        else:
            report.translated += 1
        if entry.pluralizable and len(strings) != catalog.num_plurals:
            report.problems.append(f"{label} has {len(strings)} plural forms, expected {catalog.num_plurals}")
        report.problems.extend(_format_problems(entry))
    extra = set(entries) - {_key(m) for m in template if m.id}
    for key in sorted(extra, key=str):
        report.problems.append(f"msgid {_label(entries[key])} is not in messages.pot (run `flask outreach i18n update`)")
    return report


def check(translations: Path, locales: tuple[str, ...], root: Path = PROJECT_ROOT) -> CheckReport:
    """Compare the committed template with the code, and every catalog with the template."""
    report = CheckReport()
    fresh = extract(root)
    pot = template_path(translations)
    if pot.is_file():
        template = _read(pot)
        committed, current = {_key(m) for m in template if m.id}, {_key(m) for m in fresh if m.id}
        added = [m for m in fresh if m.id and _key(m) in current - committed]
        removed = [m for m in template if m.id and _key(m) in committed - current]
        if added or removed:
            report.template_problems.append(
                f"messages.pot is out of date with the code ({len(added)} new, {len(removed)} gone): "
                "run `flask outreach i18n extract` and `update`"
            )
            report.template_details += [f"new in code: {_label(m)}" for m in added]
            report.template_details += [f"gone from code: {_label(m)}" for m in removed]
    else:
        template = fresh
        report.template_problems.append(f"no template at {pot} (run `flask outreach i18n extract`)")
    for locale in locales:
        report.locales.append(check_locale(locale, template, catalog_path(translations, locale)))
    return report


# --- which locales are complete (read at start-up) ---------------------------------------------------


def _message_key(message_id, context: str | None) -> str:
    first = message_id[0] if isinstance(message_id, (tuple, list)) else message_id
    return f"{context}\x04{first}" if context else first


@lru_cache(maxsize=8)
def _template_keys(path: Path, _stamp: int) -> frozenset[str]:
    return frozenset(_message_key(m.id, m.context) for m in _read(path) if m.id)


def template_keys(translations: Path) -> frozenset[str]:
    """Every message the code asks for (from messages.pot; read once per process and file version)."""
    path = template_path(translations)
    return _template_keys(path, path.stat().st_mtime_ns) if path.is_file() else frozenset()


def compiled_keys(translations: Path, locale: str) -> frozenset[str]:
    """The messages a locale's compiled catalog (messages.mo) translates."""
    import gettext

    path = catalog_path(translations, locale).with_suffix(".mo")
    if not path.is_file():
        return frozenset()
    with path.open("rb") as handle:
        compiled = gettext.GNUTranslations(handle)
    return frozenset(key[0] if isinstance(key, tuple) else key
                     for key in compiled._catalog if key)  # noqa: SLF001 (no public listing in gettext)


def complete_locales(translations: Path, locales: tuple[str, ...]) -> tuple[str, ...]:
    """The locales whose compiled catalog translates every message (the source locale always is)."""
    wanted = template_keys(translations)
    return tuple(locale for locale in locales
                 if locale == SOURCE_LOCALE or (wanted and wanted <= compiled_keys(translations, locale)))
