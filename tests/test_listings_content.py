"""Seed content and staff edits: `flask outreach content load` never silently overwrites a listing
edited through the staff pages; it keeps it, says so, and replaces it only when told to."""
from __future__ import annotations

import shutil
from datetime import date

import pytest

from outreach.accounts.models import User
from outreach.directory.models import Service, id_for_slug
from outreach.extensions import db
from outreach.listings import services
from tests.staff_fixtures import clock, make_staff  # noqa: F401  (fixtures)

pytestmark = pytest.mark.db

FILE = "organizations/demo/bridgeway-recovery-clinic.yaml"
EDITED = "bridgeway-recovery-clinic-outpatient"
UNTOUCHED = "bridgeway-recovery-clinic-buprenorphine"


@pytest.fixture
def content(tmp_path):
    """A copy of the seed content where both Bridgeway services were renamed in the files."""
    from tests.conftest import PROJECT_ROOT

    folder = tmp_path / "content-copy"
    shutil.copytree(PROJECT_ROOT / "content", folder)
    path = folder / FILE
    text = path.read_text(encoding="utf-8")
    assert "en: Outpatient treatment program" in text and "en: Same-day buprenorphine clinic" in text
    text = text.replace("en: Outpatient treatment program", "en: Outpatient program from the files")
    text = text.replace("en: Same-day buprenorphine clinic", "en: Buprenorphine clinic from the files")
    path.write_text(text, encoding="utf-8")
    return folder


def name_of(app, slug: str) -> str:
    with app.app_context():
        return db.session.get(Service, id_for_slug("service", slug)).name


def test_content_load_keeps_staff_edits_and_reports_them(demo_app, clock, content):
    with demo_app.app_context():
        edited = db.session.get(Service, id_for_slug("service", EDITED))
        member = make_staff("m@example.org", [{"role": "org_member", "organization_id": edited.organization_id}])
        steward = make_staff("s@example.org", [{"role": "steward"}])
        services.set_trusted(db.session.get(User, steward.id), edited.organization_id, True)
        services.propose_service_edit(db.session.get(User, member.id), edited.id, {"name": "Outpatient program (staff)"})
        untouched = db.session.get(Service, id_for_slug("service", UNTOUCHED))
        untouched_id = untouched.id
        services.verify(db.session.get(User, member.id), untouched_id)  # re-verified only, not edited
    assert name_of(demo_app, EDITED) == "Outpatient program (staff)"
    runner = demo_app.test_cli_runner()
    result = runner.invoke(args=["outreach", "content", "load", "--if-changed", "--path", str(content)])
    assert result.exit_code == 0, result.output
    assert "Kept 1 listing(s) as edited through the staff pages" in result.output
    assert f"service {EDITED}" in result.output
    assert name_of(demo_app, EDITED) == "Outpatient program (staff)"
    # The other service of the same file was updated, but its newer verification date was kept.
    assert name_of(demo_app, UNTOUCHED) == "Buprenorphine clinic from the files"
    with demo_app.app_context():
        assert db.session.get(Service, untouched_id).assured_date == date(2026, 11, 27)
    # Search agrees with the database.
    page = demo_app.test_client().get("/en/search?q=outpatient+program+staff").get_data(as_text=True)
    assert "Outpatient program (staff)" in page
    # Only when told to, the files win.
    result = runner.invoke(args=["outreach", "content", "load", "--path", str(content), "--overwrite-staff-edits"])
    assert result.exit_code == 0, result.output
    assert "Kept" not in result.output
    assert name_of(demo_app, EDITED) == "Outpatient program from the files"


def test_a_staff_edited_listing_removed_from_the_files_is_kept(demo_app, clock, content):
    with demo_app.app_context():
        edited = db.session.get(Service, id_for_slug("service", EDITED))
        member = make_staff("m@example.org", [{"role": "org_member", "organization_id": edited.organization_id}])
        steward = make_staff("s@example.org", [{"role": "steward"}])
        services.set_trusted(db.session.get(User, steward.id), edited.organization_id, True)
        services.propose_service_edit(db.session.get(User, member.id), edited.id, {"name": "Kept by staff"})
    (content / FILE).unlink()  # the whole organization left the content
    result = demo_app.test_cli_runner().invoke(args=["outreach", "content", "load", "--path", str(content)])
    assert result.exit_code == 0, result.output
    assert f"service {EDITED} (no longer in the content)" in result.output
    assert name_of(demo_app, EDITED) == "Kept by staff"
    with demo_app.app_context():
        assert db.session.get(Service, id_for_slug("service", UNTOUCHED)) is None
