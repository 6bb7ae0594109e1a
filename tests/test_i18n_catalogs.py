"""The message catalogs: `flask outreach i18n check` guards them, and pages really use them.

The check runs on a copy of translations/ in ``tmp_path`` (``--translations``), broken one way per
test, so a failure names the problem a translator or developer would have to fix.
"""
from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from babel.messages.pofile import read_po, write_po
from flask_babel import force_locale, gettext, ngettext

from outreach.i18n import catalogs

TRANSLATIONS = catalogs.PROJECT_ROOT / "translations"
CRISIS = (
    'If you or someone you know is in crisis, call or text <a href="tel:%(crisis)s"><bdi>%(crisis)s</bdi></a>. '
    'In an emergency call <a href="tel:%(emergency)s"><bdi>%(emergency)s</bdi></a>.'
)


def check(runner, folder: Path | None = None):
    args = ["outreach", "i18n", "check"]
    if folder is not None:
        args += ["--translations", str(folder)]
    return runner.invoke(args=args)


@pytest.fixture
def copy(tmp_path) -> Path:
    folder = tmp_path / "translations"
    shutil.copytree(TRANSLATIONS, folder, ignore=shutil.ignore_patterns("*.mo"))
    return folder


def edit(path: Path, change, locale: str | None = None) -> None:
    with path.open("rb") as handle:
        catalog = read_po(handle, locale=locale)
    change(catalog)
    with path.open("wb") as handle:
        write_po(handle, catalog)


def edit_locale(folder: Path, locale: str, change) -> None:
    edit(catalogs.catalog_path(folder, locale), change, locale)


def set_string(msgid, string):
    def change(catalog):
        catalog[msgid].string = string

    return change


def test_check_passes_on_the_committed_catalogs(runner):
    result = check(runner)
    assert result.exit_code == 0, result.output
    lines = result.output.splitlines()
    for locale in ("es", "ar"):
        line = next(line for line in lines if line.startswith(f"{locale}: "))
        translated, total = line.split()[1].split("/")
        assert translated == total and int(total) > 100, line
        assert line.endswith("translated (100%)")
    assert any(line.startswith("en: ") for line in lines)


def test_check_passes_on_an_untouched_copy(runner, copy):
    result = check(runner, copy)
    assert result.exit_code == 0, result.output


@pytest.mark.parametrize(
    ("locale", "change", "expected"),
    [
        pytest.param(
            "es",
            set_string(CRISIS, 'Llama al <a href="tel:%(crisis)s"><bdi>%(crisis)s</bdi></a> o al '
                       '<a href="tel:%(emergencia)s"><bdi>%(emergencia)s</bdi></a>.'),
            "es: placeholders differ",
            id="renamed-placeholder",
        ),
        pytest.param("es", set_string("Ages %(min)s and over", "Desde los %(min)d años"), "placeholders differ",
                     id="changed-conversion"),
        pytest.param("ar", set_string("Last verified on %(date)s", "آخر تحقق"), "ar: placeholders differ",
                     id="dropped-placeholder"),
        pytest.param("ar", set_string("Outreach", "<b>Outreach</b>"), "ar: HTML tags differ", id="added-tag"),
        pytest.param(
            "es",
            set_string(CRISIS, 'Si estás en crisis, llama al <a href="tel:%(crisis)s">%(crisis)s</a>. En una '
                       'emergencia, llama al <a href="tel:%(emergency)s"><bdi>%(emergency)s</bdi></a>.'),
            "es: HTML tags differ",
            id="dropped-bdi",
        ),
        pytest.param("es", lambda c: c["Privacy"].flags.add("fuzzy"), 'es: fuzzy entry "Privacy"', id="fuzzy"),
        pytest.param("ar", set_string("Privacy", ""), 'ar: untranslated "Privacy"', id="untranslated"),
        pytest.param("es", lambda c: c.delete("Privacy"), 'es: missing msgid "Privacy"', id="missing-msgid"),
        pytest.param(
            "ar",
            set_string(("%(num)s service", "%(num)s services"), ("%(num)s خدمة", "%(num)s خدمات")),
            'ar: untranslated "%(num)s service"',
            id="missing-plural-forms",
        ),
        pytest.param(
            "es",
            set_string(("%(num)s service", "%(num)s services"), ("un servicio", "%(número)s servicios")),
            "es: placeholders differ",
            id="plural-placeholder",
        ),
        pytest.param(
            "es",
            lambda c: setattr(c, "mime_headers", [("Plural-Forms", "nplurals=3; plural=(n == 1 ? 0 : n == 0 ? 1 : 2);")]),
            "es: Plural-Forms is",
            id="plural-forms-header",
        ),
    ],
)
def test_check_fails_on_a_broken_catalog(runner, copy, locale, change, expected):
    edit_locale(copy, locale, change)
    result = check(runner, copy)
    assert result.exit_code == 1, result.output
    assert expected in result.output
    assert "i18n check failed" in result.output


def test_check_fails_when_a_catalog_is_missing(runner, copy):
    catalogs.catalog_path(copy, "ar").unlink()
    result = check(runner, copy)
    assert result.exit_code == 1
    assert "ar: no catalog at" in result.output


def test_check_fails_when_the_template_lacks_a_string_from_the_code(runner, copy):
    edit(catalogs.template_path(copy), lambda catalog: catalog.delete("Privacy"))
    result = check(runner, copy)
    assert result.exit_code == 1
    assert "messages.pot is out of date with the code (1 new, 0 gone)" in result.output
    assert 'new in code: "Privacy"' in result.output


def test_check_fails_when_the_template_has_a_string_gone_from_the_code(runner, copy):
    edit(catalogs.template_path(copy), lambda catalog: catalog.add("A sentence no template says any more"))
    result = check(runner, copy)
    assert result.exit_code == 1
    assert 'gone from code: "A sentence no template says any more"' in result.output
    # The catalogs lack the stale string too: each locale says so.
    assert 'es: missing msgid "A sentence no template says any more"' in result.output


def test_named_placeholders_may_be_reordered(runner, copy):
    edit_locale(copy, "es", set_string("%(opens)s to %(closes)s", "hasta %(closes)s desde %(opens)s"))
    result = check(runner, copy)
    assert result.exit_code == 0, result.output


def test_extract_is_deterministic(runner, tmp_path):
    first = runner.invoke(args=["outreach", "i18n", "extract", "--translations", str(tmp_path)])
    assert first.exit_code == 0 and "(written)" in first.output
    written = catalogs.template_path(tmp_path).read_bytes()
    second = runner.invoke(args=["outreach", "i18n", "extract", "--translations", str(tmp_path)])
    assert second.exit_code == 0 and "(unchanged)" in second.output
    assert catalogs.template_path(tmp_path).read_bytes() == written
    # Same messages as the committed template, so the committed one is current.
    assert b"POT-Creation-Date" in written and b".html:" not in written  # no line numbers


def test_update_creates_and_compile_builds_every_locale(runner, tmp_path):
    assert runner.invoke(args=["outreach", "i18n", "extract", "--translations", str(tmp_path)]).exit_code == 0
    result = runner.invoke(args=["outreach", "i18n", "update", "--translations", str(tmp_path)])
    assert result.exit_code == 0, result.output
    assert "ar: created" in result.output
    with catalogs.catalog_path(tmp_path, "ar").open("rb") as handle:
        assert read_po(handle).num_plurals == 6
    result = runner.invoke(args=["outreach", "i18n", "compile", "--translations", str(tmp_path)])
    assert result.exit_code == 0, result.output
    for locale in ("en", "es", "ar"):
        assert catalogs.catalog_path(tmp_path, locale).with_suffix(".mo").is_file()
    # A fresh catalog is untranslated, and the check says so.
    result = check(runner, tmp_path)
    assert result.exit_code == 1
    assert "es: 0/" in result.output and 'es: untranslated "Privacy"' in result.output


@pytest.mark.parametrize(
    ("path", "texts"),
    [
        ("/es/", ["Salir rápido de este sitio", "llama o envía un mensaje de texto al", "En una emergencia, llama al",
                  'href="tel:988"><bdi>988</bdi>', "Encuentra apoyo relacionado con el consumo de sustancias"]),
        ("/ar/", ["مغادرة هذا الموقع بسرعة", "فاتصل أو أرسل رسالة نصية إلى", "في حالات الطوارئ اتصل بالرقم",
                  'href="tel:911"><bdi>911</bdi>', 'dir="rtl"']),
        ("/es/privacy", ["Privacidad: quién puede ver qué", "La policía y este sitio"]),
        ("/ar/browsing-safely", ["استخدم نافذة خاصة", "«مغادرة هذا الموقع بسرعة»"]),
    ],
)
def test_pages_are_served_translated(client, path, texts):
    response = client.get(path)
    assert response.status_code == 200, path
    page = response.get_data(as_text=True)
    for text in texts:
        assert text in page, text
    assert "Leave this site quickly" not in page
    assert "If you or someone you know is in crisis" not in page


@pytest.mark.parametrize(
    ("locale", "text"), [("es", "No encontramos la página"), ("ar", "الصفحة غير موجودة")]
)
def test_lazy_error_messages_are_translated(client, locale, text):
    response = client.get(f"/{locale}/no-such-page-here")
    assert response.status_code == 404
    assert text in response.get_data(as_text=True)


@pytest.mark.parametrize(
    ("count", "expected"),
    [(0, "لا توجد خدمات"), (1, "خدمة واحدة"), (2, "خدمتان"), (5, "5 خدمات"), (11, "11 خدمة"), (100, "100 خدمة"),
     (103, "103 خدمات")],
)
def test_arabic_plural_forms(app, count, expected):
    with app.test_request_context("/ar/"), force_locale("ar"):
        assert ngettext("%(num)s service", "%(num)s services", count) == expected


def test_spanish_plural_and_placeholders(app):
    with app.test_request_context("/es/"), force_locale("es"):
        assert ngettext("%(num)s service", "%(num)s services", 1) == "1 servicio"
        assert ngettext("%(num)s service", "%(num)s services", 0) == "0 servicios"
        assert gettext("Page %(page)s of %(pages)s", page=2, pages=3) == "Página 2 de 3"


def test_template_msgids_are_the_ones_the_app_looks_up(app):
    """Parsed by the app's own Jinja environment (trimmed {% trans %}, new-style gettext), every
    template string must be in messages.pot exactly, whitespace included."""
    with catalogs.template_path(TRANSLATIONS).open("rb") as handle:
        known = {message.id if isinstance(message.id, str) else message.id[0] for message in read_po(handle)}
    templates = catalogs.PROJECT_ROOT / "outreach" / "templates"
    looked_up = set()
    for path in templates.rglob("*.html"):
        for _lineno, function, message in app.jinja_env.extract_translations(path.read_text()):
            strings = [message] if isinstance(message, str) else [m for m in message if isinstance(m, str)]
            looked_up.update(strings[1:2] if function in ("pgettext", "npgettext") else strings[:1])
    assert looked_up, "no translatable strings found in the templates"
    assert looked_up <= known, sorted(looked_up - known)
    assert any("<bdi>%(crisis)s</bdi>" in msgid for msgid in looked_up)


def test_babel_cfg_extracts_multiline_trans_blocks_as_the_app_trims_them(app, tmp_path):
    shutil.copy(catalogs.PROJECT_ROOT / "babel.cfg", tmp_path / "babel.cfg")
    source = (
        "<p>{% trans n=3 %}\n    Up to {{ n }} people,\n    100% free.\n  {% endtrans %}</p>\n"
        "<p>{% trans %}\n  No   variables here:\n  50% off.\n{% endtrans %}</p>\n"
    )
    template = tmp_path / "outreach" / "templates" / "sample.html"
    template.parent.mkdir(parents=True)
    template.write_text(source)
    extracted = {message.id for message in catalogs.extract(tmp_path) if message.id}
    runtime = {
        message if isinstance(message, str) else message[0]
        for _lineno, _function, message in app.jinja_env.extract_translations(source)
    }
    assert extracted == runtime == {"Up to %(n)s people, 100%% free.", "No   variables here: 50%% off."}
