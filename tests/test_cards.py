"""Result cards read with plain queries say what the ORM models say, for every demo listing."""
from __future__ import annotations

from outreach.directory.cards import cards_by_ids
from outreach.directory.hours import WeeklyRule
from outreach.directory.models import Service
from outreach.directory.services import VISIBLE_STATUSES, services_by_ids
from outreach.extensions import db

LOCALES = ("en", "es", "ar", "vi", "zh_Hans", "fr")
FLAGS = ("free", "walk-in", "no-id-required", "remote-only", "sliding-scale", "accepts-insurance")


def _phones(phones) -> list[tuple]:
    return [(p.number, p.extension, p.type, p.tel_uri) for p in phones]


def test_cards_match_the_models_for_every_demo_listing(demo_app):
    with demo_app.test_request_context("/en/"):
        services = db.session.scalars(db.select(Service)).all()
        cards = {card.id: card for card in cards_by_ids([s.id for s in services], VISIBLE_STATUSES)}
        visible = [s for s in services if s.status in VISIBLE_STATUSES]
        assert len(visible) > 80 and set(cards) == {s.id for s in visible}
        translated = remote = phoned = 0
        for service in visible:
            card = cards[service.id]
            for locale in LOCALES:
                for field in ("name", "description"):
                    assert card.text(field, locale) == service.text(field, locale)
                    translated += not service.text(field, locale).is_fallback and locale != "en"
                assert card.organization.text("name", locale) == service.organization.text("name", locale)
            assert card.status == service.status
            assert _phones(card.phones) == _phones(service.phones)
            assert _phones(card.organization.phones) == _phones(service.organization.phones)
            phoned += bool(card.phones) + bool(card.organization.phones)
            assert [language.code for language in card.languages] == [language.code for language in service.languages]
            assert card.schedules == [WeeklyRule(s.byday, s.opens_at, s.closes_at, s.timezone_name, s.valid_from, s.valid_to)
                                      for s in service.schedules]
            for flag in FLAGS:
                assert card.has_flag(flag) == service.has_flag(flag)
            assert card.is_remote_only == service.is_remote_only
            remote += card.is_remote_only
            assert [t.code for t in card.terms("categories")] == [t.code for t in service.terms("categories")]
        assert translated > 100 and remote > 3 and phoned > 40  # the comparison covers each kind


def test_cards_keep_the_order_asked_and_leave_out_hidden_or_unknown_listings(demo_app):
    with demo_app.test_request_context("/en/"):
        ids = list(db.session.scalars(db.select(Service.id).order_by(Service.name).limit(6)))
        hidden = db.session.get(Service, ids[2])
        hidden.status = "inactive"
        db.session.commit()
        asked = [ids[5], ids[2], "no-such-id", ids[0], ids[5], ids[3]]
        assert [card.id for card in services_by_ids(asked)] == [ids[5], ids[0], ids[3]]
        assert services_by_ids([]) == []
