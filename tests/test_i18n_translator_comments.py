"""Translator comments reach the extracted messages: Babel attaches a ``# Translators:`` comment only to
the call on the next line, so a comment above a dict or tuple told translators nothing about its
entries. Extracted here in memory, as ``flask outreach i18n extract`` does (babel.cfg's options)."""
from __future__ import annotations

from pathlib import Path

import pytest
from babel.messages.extract import extract_from_file

from outreach.i18n.catalogs import COMMENT_TAGS, KEYWORDS

ROOT = Path(__file__).resolve().parent.parent
JINJA = {"extensions": "jinja2.ext.i18n", "trimmed": "true", "newstyle_gettext": "true", "silent": "false"}


def _comments(path: str) -> dict[str, list[str]]:
    method = "jinja2" if path.endswith(".html") else "python"
    found: dict[str, list[str]] = {}
    for _line, message, comments, _context in extract_from_file(
            method, str(ROOT / path), keywords=KEYWORDS, comment_tags=COMMENT_TAGS,
            options=JINJA if method == "jinja2" else None):
        msgid = message if isinstance(message, str) else message[0]
        found.setdefault(msgid, []).extend(comments)
    return found


COMMENTED = {
    "outreach/errors.py": ["Something in that request was not right", "Page not found", "Too many tries",
                           "This form has expired"],
    "outreach/search/forms.py": ["Free", "Sliding scale", "Under 18", "65 and over"],
    "outreach/help/forms.py": ["New", "Accepted", "On a waiting list"],
    "outreach/listings/forms.py": ["Name of the service", "State", "The phone number is wrong", "Mon", "Sun", "Voice",
                                   "Mobile", "Pager", "Number", "Still right"],
    "outreach/listings/describe.py": ["Waiting for review", "Dealt with", "Closed without change"],
    "outreach/accounts/forms.py": ["Your password must be at least 12 characters long.", "Site steward",
                                   "Member of an organization"],
    "outreach/campaigns/forms.py": ["Choose an image file.", "The file must be a JPEG, PNG or WebP image."],
    "outreach/templates/directory/service.html": ["Home"],
    "outreach/templates/directory/category.html": ["Home"],
    "outreach/templates/campaigns/campaign.html": ["Home"],
    "outreach/templates/audit/log.html": ["Target"],
    "outreach/templates/help/check.html": ["Check"],
    "outreach/templates/campaigns/_macros.html": ["%(day)s, %(hours)s (%(zone)s)"],
}


@pytest.mark.parametrize("path", sorted(COMMENTED))
def test_ambiguous_and_grouped_messages_carry_a_translator_comment(path):
    comments = _comments(path)
    missing = [msgid for msgid in COMMENTED[path] if not comments.get(msgid)]
    assert missing == []


def test_each_help_email_part_has_its_own_comment():
    comments = _comments("outreach/help/notify.py")
    subject = " ".join(comments["Outreach: help requests expire soon"])
    body = " ".join(next(value for key, value in comments.items() if key.startswith("Some help requests")))
    assert "subject" in subject and "%(num)s" not in subject
    assert "%(num)s" in body and "days" in body
    assert comments[next(key for key in comments if key.startswith("A help request is waiting"))]
