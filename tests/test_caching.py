"""The per-process taxonomy copy (outreach/caching.py, outreach/directory/taxonomy.py): every change
reaches every process with its next request, and an uncommitted change never reaches the shared copy."""
from __future__ import annotations

import copy
import json

import pytest
from sqlalchemy import select

from outreach.caching import DataVersion
from outreach.directory import services as directory_services
from outreach.directory.models import TaxonomyTerm
from outreach.extensions import db
from outreach.i18n.models import TranslatedText
from tests import factories

pytestmark = pytest.mark.db


@pytest.fixture
def categories(app):
    with app.app_context():
        harm = factories.term("harm-reduction", name="Harm reduction", es="Reducción de daños")
        factories.term("naloxone", name="Naloxone", parent=harm)
    return app


def _rename(app, code: str, name: str) -> None:
    with app.app_context():
        term = db.session.scalar(select(TaxonomyTerm).where(TaxonomyTerm.code == code))
        term.name = name
        db.session.commit()


def test_a_renamed_term_shows_on_the_next_request(categories):
    client = categories.test_client()
    assert "Harm reduction" in client.get("/en/").get_data(as_text=True)
    _rename(categories, "harm-reduction", "Staying safer")
    page = client.get("/en/").get_data(as_text=True)
    assert "Staying safer" in page and "Harm reduction" not in page


def test_a_changed_translation_shows_on_the_next_request(categories):
    client = categories.test_client()
    assert "Reducción de daños" in client.get("/es/").get_data(as_text=True)
    with categories.app_context():
        text = db.session.scalar(select(TranslatedText).where(TranslatedText.link_entity == "taxonomy_term",
                                                              TranslatedText.value == "Reducción de daños"))
        text.value = "Reducir riesgos"
        db.session.commit()
    page = client.get("/es/").get_data(as_text=True)
    assert "Reducir riesgos" in page and "Reducción de daños" not in page


def test_a_new_child_term_joins_its_parent(categories):
    client = categories.test_client()
    assert "Fentanyl test strips" not in client.get("/en/categories/harm-reduction").get_data(as_text=True)
    with categories.app_context():
        parent = db.session.scalar(select(TaxonomyTerm).where(TaxonomyTerm.code == "harm-reduction"))
        factories.term("test-strips", name="Fentanyl test strips", parent=parent)
    assert "Fentanyl test strips" in client.get("/en/categories/harm-reduction").get_data(as_text=True)


def test_a_change_made_by_another_process_is_seen(categories, second_app):
    """Another gunicorn worker, or another machine on the same database, changes the taxonomy."""
    client = categories.test_client()
    assert "Harm reduction" in client.get("/en/").get_data(as_text=True)
    _rename(second_app, "harm-reduction", "Staying safer")
    assert "Staying safer" in client.get("/en/").get_data(as_text=True)


def test_a_rolled_back_change_never_reaches_the_shared_copy(categories):
    with categories.test_request_context("/en/"):
        assert {t.name for t in directory_services.all_terms()} >= {"Harm reduction"}
        term = db.session.scalar(select(TaxonomyTerm).where(TaxonomyTerm.code == "harm-reduction"))
        term.name = "Not committed"
        db.session.flush()
        # The transaction that made the change reads it...
        assert "Not committed" in {t.name for t in directory_services.all_terms()}
        db.session.rollback()
    # ...and nobody else ever does.
    with categories.test_request_context("/en/"):
        names = {t.name for t in directory_services.all_terms()}
        assert "Not committed" not in names and "Harm reduction" in names
    assert "Not committed" not in categories.test_client().get("/en/").get_data(as_text=True)


def test_every_change_moves_the_version_once_per_transaction(categories):
    def version() -> int:
        with categories.app_context():
            return db.session.scalar(select(DataVersion.version).where(DataVersion.name == "taxonomy")) or 0

    before = version()
    _rename(categories, "naloxone", "Naloxone (Narcan)")
    assert version() == before + 1
    with categories.app_context():  # a listing change is not a taxonomy change
        factories.organization("Unrelated")
    assert version() == before + 1


def test_an_hsds_import_that_renames_a_term_is_seen(demo_app, tmp_path):
    client = demo_app.test_client()
    home = client.get("/en/").get_data(as_text=True)
    result = demo_app.test_cli_runner().invoke(args=["outreach", "hsds", "export", "--format", "json",
                                                     str(tmp_path / "out")])
    assert result.exit_code == 0, result.output
    terms = json.loads((tmp_path / "out" / "taxonomy_terms.json").read_text())
    target = next(t for t in terms if t["name"] in home and t.get("parent_id") is None)
    changed = copy.deepcopy(terms)
    next(t for t in changed if t["id"] == target["id"])["name"] = "Renamed by the county"
    (tmp_path / "terms.json").write_text(json.dumps(changed), encoding="utf-8")
    result = demo_app.test_cli_runner().invoke(args=["outreach", "hsds", "import", str(tmp_path / "terms.json")])
    assert result.exit_code == 0, result.output
    assert "Renamed by the county" in client.get("/en/").get_data(as_text=True)


def test_with_a_poll_time_another_process_is_seen_within_it_and_this_one_at_once(categories, second_app, monkeypatch):
    import outreach.caching as caching

    categories.config["DATA_VERSION_POLL_SECONDS"] = 0.5
    moment = [1000.0]
    monkeypatch.setattr(caching, "monotonic", lambda: moment[0])
    client = categories.test_client()
    assert "Harm reduction" in client.get("/en/").get_data(as_text=True)
    _rename(second_app, "harm-reduction", "Staying safer")
    moment[0] += 0.4  # within the poll time: this process has not asked yet
    assert "Harm reduction" in client.get("/en/").get_data(as_text=True)
    moment[0] += 0.1
    assert "Staying safer" in client.get("/en/").get_data(as_text=True)
    _rename(categories, "harm-reduction", "Safer use")  # a change by this process: seen at once
    assert "Safer use" in client.get("/en/").get_data(as_text=True)


def test_the_language_filter_offers_a_language_as_soon_as_a_listing_does(app):
    from outreach.directory.models import Language, Service

    with app.app_context():
        service_id = factories.service(name="Yarrow clinic").id
    client = app.test_client()
    assert 'id="language-vi"' not in client.get("/en/search?q=yarrow").get_data(as_text=True)
    with app.app_context():
        service = db.session.get(Service, service_id)
        service.languages.append(Language(code="vi"))
        db.session.commit()
    assert 'id="language-vi"' in client.get("/en/search?q=yarrow").get_data(as_text=True)
