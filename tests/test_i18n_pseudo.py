"""No English left behind: every public page rendered in a pseudo-locale, where each catalog string
is wrapped in ⟦…⟧, shows no interface text outside the markers.

Listing text that has no translation is shown in its own language with ``lang`` on its element, so
text under a different ``lang`` than the page's (and under ``translate="no"``: addresses, phone
numbers, names) is content, not interface, and is not checked here.
"""
from __future__ import annotations

import re
from html.parser import HTMLParser
from pathlib import Path

from babel.messages.mofile import write_mo

from outreach.i18n import catalogs
from tests.crawling import crawl

# A locale from the table with full CLDR data (dates, language names), its catalog replaced here.
PSEUDO = "fr"
PLACEHOLDER_OR_TAG = re.compile(catalogs.PLACEHOLDER.pattern + r"|<[^>]+>")
MARKED = re.compile(r"⟦.*?⟧", re.S)
LETTER = re.compile(r"[^\W\d_]")
TEXT_ATTRIBUTES = ("aria-label", "title", "placeholder", "alt")
VOID = {"area", "base", "br", "col", "embed", "hr", "img", "input", "link", "meta", "source", "track", "wbr"}


def pseudo(text: str) -> str:
    """⟦text⟧ with every placeholder and tag kept as it is."""
    return f"⟦{text}⟧"


def write_pseudo_catalog(folder: Path) -> None:
    template = catalogs._read(catalogs.template_path(catalogs.PROJECT_ROOT / "translations"))
    template.locale = PSEUDO
    for message in template:
        if not message.id:
            continue
        if isinstance(message.id, (tuple, list)):
            message.string = tuple(pseudo(message.id[1 if n else 0]) for n in range(template.num_plurals))
        else:
            message.string = pseudo(message.id)
    path = catalogs.catalog_path(folder, PSEUDO).with_suffix(".mo")
    path.parent.mkdir(parents=True)
    with path.open("wb") as handle:
        write_mo(handle, template)


class Interface(HTMLParser):
    """Text and text attributes a reader meets, outside content marked by ``lang`` or ``translate="no"``."""

    def __init__(self, page_lang: str) -> None:
        super().__init__(convert_charrefs=True)
        self.stack: list[tuple[str, bool]] = [("", False)]
        self.page_lang = page_lang
        self.found: list[str] = []
        self.content: list[str] = []  # text marked as content, which may also appear unmarked in <title>

    def handle_starttag(self, tag, attrs):
        values = {name: value or "" for name, value in attrs}
        skip = self.stack[-1][1] or tag in ("script", "style") or values.get("translate") == "no" or (
            "lang" in values and tag != "html" and values["lang"] != self.page_lang)
        if not skip:
            self.found += [values[name] for name in TEXT_ATTRIBUTES if values.get(name)]
            if tag == "input" and values.get("type") in ("submit", "button") and values.get("value"):
                self.found.append(values["value"])
        if tag not in VOID:
            self.stack.append((tag, skip))

    def handle_startendtag(self, tag, attrs):
        self.handle_starttag(tag, attrs)
        if tag not in VOID:
            self.stack.pop()

    def handle_endtag(self, tag):
        for index in range(len(self.stack) - 1, 0, -1):
            if self.stack[index][0] == tag:
                del self.stack[index:]
                break

    def handle_data(self, data):
        if not data.strip() or self.stack[-1][0] in ("script", "style"):
            return
        (self.content if self.stack[-1][1] else self.found).append(data)


SEPARATOR = "\x00"


def cldr_words(code: str) -> list[str]:
    """Words the page's locale data (CLDR, through Babel) writes itself: language, day, month and
    time-zone names, the dollar sign: localized, but not from our catalog."""
    from babel import Locale
    from babel.dates import get_timezone_name
    from babel.numbers import get_currency_symbol

    locale = Locale.parse(code)
    words = list(locale.languages.values())
    for kind in (locale.days, locale.months):
        for context in kind.values():
            for width in context.values():
                words += list(width.values())
    for zone in ("America/Los_Angeles", "America/New_York", "America/Chicago", "America/Denver"):
        for width in ("long", "short"):
            for variant in ("generic", "standard", "daylight"):
                words.append(get_timezone_name(zone, width=width, zone_variant=variant, locale=locale))
    words.append(get_currency_symbol("USD", locale=locale))
    words += [Locale.parse(other).get_display_name(Locale.parse(other)) for other in ("en", PSEUDO)]
    return sorted({w for w in words if w}, key=len, reverse=True)


def untranslated(html: str, content: tuple[str, ...] = ()) -> list[str]:
    """Pieces of interface text outside ⟦…⟧ (a marked string may span several elements)."""
    parser = Interface(PSEUDO)
    parser.feed(html)
    parser.close()
    rest = MARKED.sub(" ", SEPARATOR.join(parser.found))
    for text in sorted({*parser.content, *content}, key=len, reverse=True):
        if len(text.strip()) > 2:
            rest = rest.replace(text.strip(), " ")
    for word in CLDR_WORDS:
        rest = re.sub(rf"(?<!\w){re.escape(word)}(?!\w)", " ", rest, flags=re.I)
    return [" ".join(piece.split())[:120] for piece in rest.split(SEPARATOR) if LETTER.search(piece)]


CLDR_WORDS = cldr_words(PSEUDO)


def test_every_public_page_is_wholly_translated(make_app, demo_template, tmp_path_factory):
    folder = tmp_path_factory.mktemp("pseudo-translations")
    write_pseudo_catalog(folder)
    import shutil

    from outreach import create_app
    from tests.conftest import _config, _dispose

    instance = tmp_path_factory.mktemp("pseudo-instance")
    for item in demo_template.iterdir():
        (shutil.copytree if item.is_dir() else shutil.copy)(item, instance / item.name)
    app = create_app(_config(instance, LOCALES=("en", PSEUDO), BABEL_TRANSLATION_DIRECTORIES=str(folder)))
    from outreach.extensions import babel

    # Flask-Babel keeps one translations cache per process, keyed by locale only: empty it so this app
    # reads the pseudo catalog, and again afterwards so no other test sees it.
    with app.app_context():
        cache = babel.domain_instance.cache
    cache.clear()
    try:
        with app.app_context():  # listing and taxonomy text stored in the pseudo locale is content too
            from sqlalchemy import select

            from outreach.extensions import db
            from outreach.i18n.models import TranslatedText

            content = tuple(db.session.scalars(select(TranslatedText.value).where(TranslatedText.locale == PSEUDO)))
        _check_pages(app.test_client(), content)
    finally:
        cache.clear()
        _dispose(app)


def _check_pages(client, content: tuple[str, ...]) -> None:
    seeds = [f"/{PSEUDO}/", f"/{PSEUDO}/search?q=naloxone", f"/{PSEUDO}/search?q=zzqxjvwk",
             f"/{PSEUDO}/search?near=97201", f"/{PSEUDO}/help/ask", f"/{PSEUDO}/help/check", f"/{PSEUDO}/no-such-page"]
    pages = crawl(client, seeds)
    problems = {}
    checked = 0
    for path, page in pages.items():
        if not path.startswith(f"/{PSEUDO}/") or "text/html" not in page.headers.get("Content-Type", ""):
            continue
        checked += 1
        left = untranslated(page.body, content)
        if left:
            problems[path] = left
    assert checked >= 20
    where: dict[str, list[str]] = {}
    for path, texts in problems.items():
        for text in texts:
            where.setdefault(text, []).append(path)
    report = "\n".join(f"  {text!r}  on {len(paths)} page(s), e.g. {paths[0]}" for text, paths in sorted(where.items()))
    assert not problems, f"text outside the catalog on {len(problems)} page(s):\n{report}"
