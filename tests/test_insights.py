"""Demand insights: weekly counts only, small numbers hidden, nothing per person kept."""
from __future__ import annotations

from datetime import date

import pytest
from sqlalchemy import select

from outreach.extensions import db
from outreach.insights import services
from outreach.insights.models import HelpDemandCount
from outreach.search.models import SearchCount
from tests import factories
from tests.help_fixtures import build_world, help_app, submit  # noqa: F401  (fixtures)
from tests.staff_fixtures import clock, sign_in  # noqa: F401  (fixtures)

pytestmark = pytest.mark.db


def _counts() -> list[tuple]:
    return [(row.week, row.category_code, row.town, row.requests)
            for row in db.session.scalars(select(HelpDemandCount).order_by(HelpDemandCount.id))]


def test_a_help_request_counts_once_per_category_in_its_week_and_known_town(help_app, clock):
    world = build_world(help_app)
    with help_app.app_context():
        factories.service(name="Listed in Portland")  # the directory knows Portland, 97205
    client = help_app.test_client()
    submit(client, area="97205-1234")
    submit(client, area="  portland ", categories=["harm-reduction", "treatment"])
    with help_app.app_context():
        counts = _counts()
    monday = date(2026, 11, 23)  # the fake clock says Friday 27 November 2026
    assert (monday, "harm-reduction", "Portland", 2) in counts
    assert (monday, "treatment", "Portland", 1) in counts
    assert len(counts) == 2
    assert world.org_a


def test_free_text_that_is_not_a_listed_town_is_counted_without_a_place(help_app, clock):
    build_world(help_app)
    client = help_app.test_client()
    submit(client, area="12 Elm Street, apartment 4")
    submit(client, area="99999")
    with help_app.app_context():
        counts = _counts()
        stored = " ".join(str(value) for row in counts for value in row)
    assert counts == [(date(2026, 11, 23), "harm-reduction", "", 2)]
    assert "Elm" not in stored and "99999" not in stored


def test_a_request_without_a_category_is_counted_as_none_given(help_app, clock):
    build_world(help_app)
    with help_app.app_context():
        services.count_help_request([], "")
        db.session.commit()
        assert _counts() == [(date(2026, 11, 23), "", "", 1)]


def _seed_counts(app) -> None:
    with app.app_context():
        db.session.add_all([
            SearchCount(day=date(2026, 11, 24), category_code="harm-reduction", searches=7),
            SearchCount(day=date(2026, 11, 26), category_code="harm-reduction", searches=5),  # same week: 12
            SearchCount(day=date(2026, 11, 17), category_code="harm-reduction", searches=3),
            SearchCount(day=date(2026, 11, 26), category_code="treatment", searches=9),
            SearchCount(day=date(2025, 1, 6), category_code="treatment", searches=500),  # long ago: not shown
            HelpDemandCount(week=date(2026, 11, 23), category_code="harm-reduction", town="Portland", requests=11),
            HelpDemandCount(week=date(2026, 11, 16), category_code="harm-reduction", town="Portland", requests=2),
            HelpDemandCount(week=date(2026, 11, 23), category_code="harm-reduction", town="Tinyville", requests=3),
            HelpDemandCount(week=date(2026, 11, 23), category_code="harm-reduction", town="", requests=4),
        ])
        db.session.commit()


def test_tables_add_days_into_weeks_and_fold_small_towns(help_app, clock):
    build_world(help_app)  # its terms: harm reduction before treatment
    _seed_counts(help_app)
    with help_app.app_context():
        searches = services.search_table(date(2026, 11, 27))
        helps = services.help_table(date(2026, 11, 27))
    assert searches.weeks[-1] == date(2026, 11, 23) and len(searches.weeks) == 8
    harm = next(row for row in searches.rows if row.category_code == "harm-reduction")
    assert harm.counts == {date(2026, 11, 23): 12, date(2026, 11, 16): 3}
    assert searches.shown(harm, date(2026, 11, 23)) == 12
    assert searches.shown(harm, date(2026, 11, 16)) is None  # fewer than 10
    treatment = next(row for row in searches.rows if row.category_code == "treatment")
    assert treatment.total() == 9
    assert [(row.category_code, row.town) for row in helps.rows] == [("harm-reduction", "Portland"),
                                                                     ("harm-reduction", "")]
    other = helps.rows[1]
    assert other.counts == {date(2026, 11, 23): 7}  # Tinyville's 3 folded into "other": never named


@pytest.mark.parametrize("locale", ["en", "es"])
def test_the_page_shows_fewer_than_10_and_never_a_small_number(help_app, clock, locale):
    world = build_world(help_app)
    _seed_counts(help_app)
    client = help_app.test_client()
    sign_in(client, world.publisher, clock)
    with help_app.app_context():
        from outreach.accounts.models import User

        db.session.get(User, world.publisher.id).preferred_locale = locale
        db.session.commit()
    body = client.get("/staff/insights/").get_data(as_text=True)
    fewer = {"en": "fewer than 10", "es": "menos de 10"}[locale]
    assert fewer in body
    assert ">12<" in body and ">11<" in body
    for small in (">3<", ">5<", ">7<", ">9<", ">2<", ">4<"):
        assert small not in body
    assert "Tinyville" not in body
    assert "500" not in body


def test_who_may_see_insights(help_app, clock):
    world = build_world(help_app)
    for staff, expected in ((world.publisher, 200), (world.member_a, 200), (world.steward, 200)):
        client = help_app.test_client()
        sign_in(client, staff, clock)
        assert client.get("/staff/insights/").status_code == expected
    assert help_app.test_client().get("/staff/insights/").status_code == 302
