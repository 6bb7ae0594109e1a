"""The catalog check compares a msgstr's HTML tags with the msgid's *with their attributes*: a
translation cannot point a link elsewhere, add an event handler or drop the link target."""
from __future__ import annotations

import shutil

import pytest
from babel.messages.catalog import Message
from babel.messages.pofile import read_po, write_po

from outreach.i18n import catalogs

DID_YOU_MEAN = 'Did you mean <a href="%(href)s">%(suggestion)s</a>?'
LINK = 'Read <a href="%(url)s">the guide</a>.'


def problems(msgid, msgstr) -> list[str]:
    return catalogs._format_problems(Message(msgid, msgstr))


@pytest.mark.parametrize("msgstr", [
    'Lea <a href="https://evil.example/" onclick="steal()">la guía</a>.',
    'Lea <a href="https://evil.example/">la guía</a>.',
    'Lea <a>la guía</a>.',
    'Lea <a href="%(url)s" onclick="steal()">la guía</a>.',
    'Lea <a href="%(url)s" style="display:none">la guía</a>.',
    'Lea <a href="%(url)s" target="_blank">la guía</a>.',
    'Lea <a href="%(url)s">la guía.',
    'Lea <a href="%(url)s">la <b>guía</b></a>.',
])
def test_a_changed_or_stripped_link_fails(msgstr):
    found = problems(LINK, msgstr)
    assert any(problem.startswith("HTML tags differ") for problem in found), found


@pytest.mark.parametrize("msgstr", [
    'Lea <a href="%(url)s">la guía</a>.',
    "Lea <a href='%(url)s'>la guía</a>.",            # another quote
    'Lea <A  HREF = "%(url)s" >la guía</A>.',         # case and spacing
])
def test_the_same_link_written_another_way_passes(msgstr):
    assert problems(LINK, msgstr) == []


def test_attribute_order_and_self_closing_do_not_matter():
    msgid = 'Call <a class="phone" href="tel:%(n)s"><bdi dir="ltr">%(n)s</bdi></a><br/>now'
    assert problems(msgid, 'Llame <a href="tel:%(n)s" class="phone"><bdi dir="ltr">%(n)s</bdi></a><br>ya') == []
    assert problems(msgid, 'Llame <a href="tel:%(n)s" class="phone"><bdi>%(n)s</bdi></a><br>ya')  # dir dropped


def test_the_problem_names_both_tags():
    found = problems(DID_YOU_MEAN, '¿Quiso decir <a href="https://evil.example/">%(suggestion)s %(href)s</a>?')
    assert found == ['HTML tags differ in "Did you mean <a href="%(href)s">%(suggestion)s</a>?": msgid has '
                     '</a>, <a href="%(href)s">, msgstr has </a>, <a href="https://evil.example/">']


def test_plural_forms_are_checked_each():
    message = Message(('%(num)s <a href="%(url)s">service</a>', '%(num)s <a href="%(url)s">services</a>'),
                      ('%(num)s <a href="%(url)s">servicio</a>', '%(num)s <a href="%(url)s" onclick="x()">servicios</a>'))
    found = catalogs._format_problems(message)
    assert len(found) == 1 and "msgstr[1]" in found[0] and "onclick" in found[0]


@pytest.mark.parametrize(("msgstr", "broken"), [
    ('¿Quiso decir <a href="%(href)s" onclick="alert(1)">%(suggestion)s</a>?', True),
    ("¿Quiso decir <a>%(suggestion)s</a>? %(href)s", True),
    ("¿Quiso decir <a href='%(href)s'>%(suggestion)s</a>?", False),
])
def test_flask_check_fails_on_a_link_with_other_attributes(runner, tmp_path, msgstr, broken):
    folder = tmp_path / "translations"
    shutil.copytree(catalogs.PROJECT_ROOT / "translations", folder, ignore=shutil.ignore_patterns("*.mo"))
    path = catalogs.catalog_path(folder, "es")
    with path.open("rb") as handle:
        catalog = read_po(handle, locale="es")
    catalog[DID_YOU_MEAN].string = msgstr
    with path.open("wb") as handle:
        write_po(handle, catalog)
    result = runner.invoke(args=["outreach", "i18n", "check", "--translations", str(folder)])
    assert ('es: HTML tags differ in "Did you mean' in result.output) is broken, result.output
    if broken:
        assert result.exit_code == 1
