"""``flask outreach content load``: idempotent loading, all-or-nothing validation, translations,
and the shape of the real demo content in ``content/``."""
from __future__ import annotations

import textwrap
from collections import Counter
from pathlib import Path

import pytest
from sqlalchemy import func, select

from outreach.directory.models import (
    Location,
    Organization,
    Phone,
    Schedule,
    Service,
    Taxonomy,
    TaxonomyTerm,
    id_for_slug,
)
from outreach.extensions import db
from outreach.i18n.models import TranslatedText

TAXONOMY = """\
categories:
  - code: harm-reduction
    name:
      en: Harm reduction
      es: Reducción de daños
    children:
      - code: naloxone
        name:
          en: Naloxone
          es: Naloxona
  - code: treatment
    name: Treatment
attributes:
  - code: free
    name: Free
  - code: walk-in
    name: Walk-in
"""

ALPHA = """\
id: alpha-collective
demo: true
name:
  en: Alpha Collective
  es: Colectivo Alfa
description:
  en: A harm reduction collective.
  es: Un colectivo de reducción de daños.
website: https://example.org/alpha
phones:
  - number: "503-555-0100"
locations:
  - id: alpha-main
    name: Alpha drop-in
    address:
      address_1: 12 Test Way
      city: Portland
      state_province: OR
      postal_code: "97214"
    latitude: 45.5
    longitude: -122.6
services:
  - id: alpha-naloxone
    name:
      en: Alpha naloxone kits
      es: Kits de naloxona Alfa
    description:
      en: Free naloxone kits and training.
      es: Kits de naloxona gratis y capacitación.
    categories: [naloxone]
    attributes: [free, walk-in]
    languages: [en, es]
    assured_date: 2026-10-01
    locations: [alpha-main]
    schedules:
      timezone: America/Los_Angeles
      hours:
        - days: [MO, TU, WE, TH, FR]
          opens: "09:00"
          closes: "17:00"
        - days: [FR, SA]
          opens: "22:00"
          closes: "06:00"
  - id: alpha-counseling
    name:
      en: Alpha counseling
      es: Consejería Alfa
    description:
      en: Talk with a counselor.
      es: Hable con un consejero.
    categories: [treatment]
    phones:
      - number: "503-555-0101"
"""

BETA = """\
id: beta-clinic
name:
  en: Beta Clinic
  es: Clínica Beta
description:
  en: A small clinic.
  es: Una clínica pequeña.
services:
  - id: beta-treatment
    name:
      en: Beta outpatient treatment
      es: Tratamiento ambulatorio Beta
    description:
      en: Outpatient treatment.
      es: Tratamiento ambulatorio.
    categories: [treatment]
"""


def write_content(root: Path, **organizations: str) -> Path:
    (root / "organizations").mkdir(parents=True, exist_ok=True)
    (root / "taxonomy.yaml").write_text(TAXONOMY, encoding="utf-8")
    for path in (root / "organizations").glob("*.yaml"):
        path.unlink()
    for name, text in organizations.items():
        (root / "organizations" / f"{name}.yaml").write_text(textwrap.dedent(text), encoding="utf-8")
    return root


def line_of(text: str, needle: str) -> int:
    for number, line in enumerate(text.splitlines(), start=1):
        if needle in line:
            return number
    raise AssertionError(f"{needle!r} not in text")


def load(runner, root: Path):
    return runner.invoke(args=["outreach", "content", "load", "--path", str(root)])


def counts(app) -> dict[str, int]:
    with app.app_context():
        models = {
            "organization": Organization, "service": Service, "location": Location, "phone": Phone,
            "schedule": Schedule, "term": TaxonomyTerm, "taxonomy": Taxonomy, "translated_text": TranslatedText,
        }
        return {name: db.session.scalar(select(func.count()).select_from(model)) for name, model in models.items()}


def service_name(app, slug: str) -> str | None:
    with app.app_context():
        service = db.session.get(Service, id_for_slug("service", slug))
        return service.name if service else None


# -- loading ---------------------------------------------------------------------------------------


@pytest.mark.db
def test_load_reports_counts_and_writes_rows(app, runner, tmp_path):
    root = write_content(tmp_path / "content", alpha=ALPHA, beta=BETA)
    result = load(runner, root)
    assert result.exit_code == 0, result.output
    assert "Loaded 2 organizations, 1 locations and 3 services" in result.output
    assert "indexed 3 services" in result.output
    numbers = counts(app)
    assert numbers["organization"] == 2
    assert numbers["service"] == 3
    assert numbers["location"] == 1
    assert numbers["schedule"] == 2
    assert numbers["term"] == 5
    with app.app_context():
        service = db.session.get(Service, id_for_slug("service", "alpha-naloxone"))
        assert service.content_slug == "alpha-naloxone"
        assert service.organization.name == "Alpha Collective"
        assert service.organization.is_demo is True
        assert [t.code for t in service.terms("categories")] == ["naloxone"]
        assert sorted(t.code for t in service.terms("attributes")) == ["free", "walk-in"]
        assert service.terms("categories")[0].parent.code == "harm-reduction"
        assert sorted(l.code for l in service.languages) == ["en", "es"]
        assert service.locations[0].physical_address.address_1 == "12 Test Way"
        assert service.locations[0].physical_address.country == "US"
        overnight = next(s for s in service.schedules if s.byday == "FR,SA")
        assert (overnight.opens_at.hour, overnight.closes_at.hour) == (22, 6)
        assert overnight.timezone_name == "America/Los_Angeles"
        assert str(service.assured_date) == "2026-10-01"
        beta = db.session.get(Organization, id_for_slug("organization", "beta-clinic"))
        assert beta.is_demo is False


@pytest.mark.db
def test_loading_twice_gives_the_same_rows(app, runner, tmp_path):
    root = write_content(tmp_path / "content", alpha=ALPHA, beta=BETA)
    assert load(runner, root).exit_code == 0
    first = counts(app)
    with app.app_context():
        ids = set(db.session.scalars(select(Service.id)))
    second_run = load(runner, root)
    assert second_run.exit_code == 0, second_run.output
    assert counts(app) == first
    with app.app_context():
        assert set(db.session.scalars(select(Service.id))) == ids


@pytest.mark.db
def test_changed_name_is_updated_in_place(app, runner, tmp_path):
    root = write_content(tmp_path / "content", alpha=ALPHA, beta=BETA)
    assert load(runner, root).exit_code == 0
    before = counts(app)
    changed = ALPHA.replace("en: Alpha naloxone kits", "en: Alpha naloxone and test strips").replace(
        "es: Kits de naloxona Alfa", "es: Naloxona y tiras reactivas Alfa")
    write_content(root, alpha=changed, beta=BETA)
    result = load(runner, root)
    assert result.exit_code == 0, result.output
    assert counts(app) == before
    assert service_name(app, "alpha-naloxone") == "Alpha naloxone and test strips"
    with app.app_context():
        service = db.session.get(Service, id_for_slug("service", "alpha-naloxone"))
        assert service.text("name", "es").value == "Naloxona y tiras reactivas Alfa"
    client = app.test_client()
    page = client.get(f"/en/services/{id_for_slug('service', 'alpha-naloxone')}").get_data(as_text=True)
    assert "Alpha naloxone and test strips" in page
    assert "Alpha naloxone kits" not in page


@pytest.mark.db
def test_removed_service_is_removed(app, runner, tmp_path):
    root = write_content(tmp_path / "content", alpha=ALPHA, beta=BETA)
    assert load(runner, root).exit_code == 0
    before = counts(app)
    without_counseling = ALPHA[: ALPHA.index("  - id: alpha-counseling")]
    write_content(root, alpha=without_counseling, beta=BETA)
    result = load(runner, root)
    assert result.exit_code == 0, result.output
    assert counts(app)["service"] == before["service"] - 1
    assert service_name(app, "alpha-counseling") is None
    assert service_name(app, "alpha-naloxone") == "Alpha naloxone kits"
    with app.app_context():
        leftovers = db.session.scalar(
            select(func.count()).select_from(TranslatedText).where(
                TranslatedText.link_id == id_for_slug("service", "alpha-counseling")))
        assert leftovers == 0
    client = app.test_client()
    assert client.get(f"/en/services/{id_for_slug('service', 'alpha-counseling')}").status_code == 404
    assert "Alpha counseling" not in client.get("/en/search?q=counseling").get_data(as_text=True)


@pytest.mark.db
def test_removed_organization_file_removes_its_records(app, runner, tmp_path):
    root = write_content(tmp_path / "content", alpha=ALPHA, beta=BETA)
    assert load(runner, root).exit_code == 0
    write_content(root, alpha=ALPHA)
    assert load(runner, root).exit_code == 0
    with app.app_context():
        assert db.session.get(Organization, id_for_slug("organization", "beta-clinic")) is None
        assert db.session.get(Service, id_for_slug("service", "beta-treatment")) is None
    assert counts(app)["organization"] == 1


@pytest.mark.db
def test_staff_created_records_survive_a_load(app, runner, tmp_path):
    root = write_content(tmp_path / "content", alpha=ALPHA)
    assert load(runner, root).exit_code == 0
    with app.app_context():
        org = Organization(name="Added by staff", description="", source_locale="en")
        db.session.add(org)
        db.session.commit()
        org_id = org.id
    assert load(runner, root).exit_code == 0
    with app.app_context():
        assert db.session.get(Organization, org_id) is not None


@pytest.mark.db
def test_spanish_text_is_a_translation_and_shows_on_spanish_pages(app, runner, tmp_path):
    root = write_content(tmp_path / "content", alpha=ALPHA, beta=BETA)
    assert load(runner, root).exit_code == 0
    service_id = id_for_slug("service", "alpha-naloxone")
    with app.app_context():
        service = db.session.get(Service, service_id)
        assert service.name == "Alpha naloxone kits"  # the source column keeps English
        assert service.source_locale == "en"
        spanish = {(t.field, t.locale): t.value for t in service.translations}
        assert spanish[("name", "es")] == "Kits de naloxona Alfa"
        assert spanish[("description", "es")] == "Kits de naloxona gratis y capacitación."
        assert db.session.scalar(select(TranslatedText).where(
            TranslatedText.link_entity == "organization", TranslatedText.field == "name",
            TranslatedText.locale == "es",
            TranslatedText.link_id == id_for_slug("organization", "alpha-collective"))).value == "Colectivo Alfa"
    client = app.test_client()
    es_page = client.get(f"/es/services/{service_id}").get_data(as_text=True)
    assert "Kits de naloxona Alfa" in es_page
    assert "Kits de naloxona gratis y capacitación." in es_page
    assert "Colectivo Alfa" in es_page
    en_page = client.get(f"/en/services/{service_id}").get_data(as_text=True)
    assert "Alpha naloxone kits" in en_page
    assert "Kits de naloxona Alfa" not in en_page
    es_org = client.get(f"/es/organizations/{id_for_slug('organization', 'alpha-collective')}").get_data(as_text=True)
    assert "Colectivo Alfa" in es_org and "Consejería Alfa" in es_org
    es_category = client.get("/es/categories/naloxone").get_data(as_text=True)
    assert "Naloxona" in es_category and "Kits de naloxona Alfa" in es_category


@pytest.mark.db
def test_english_only_text_falls_back_marked_as_english(app, runner, tmp_path):
    root = write_content(tmp_path / "content", alpha=ALPHA)
    assert load(runner, root).exit_code == 0
    page = app.test_client().get(f"/es/services/{id_for_slug('service', 'alpha-naloxone')}").get_data(as_text=True)
    # The location name has no Spanish text: shown in English, marked as English for screen readers.
    assert '<span lang="en" dir="auto">Alpha drop-in</span>' in page or '<h3 lang="en" dir="auto">Alpha drop-in</h3>' in page


# -- malformed content: reported with file and line, nothing loaded -----------------------------


BROKEN_YAML = ALPHA.replace('    description:\n      en: Talk with a counselor.',
                            '    description: [unclosed\n      en: Talk with a counselor.')
UNKNOWN_CATEGORY = ALPHA.replace("categories: [treatment]", "categories: [no-such-category]")
BAD_TIME = ALPHA.replace('closes: "17:00"', 'closes: "25:00"')
MISSING_NAME = BETA.replace(
    "    name:\n      en: Beta outpatient treatment\n      es: Tratamiento ambulatorio Beta\n", "")


def _expected(case: str) -> tuple[str, str, int, str]:
    """(file stem, text, expected line, words expected in the message)"""
    if case == "yaml":
        return "alpha", BROKEN_YAML, line_of(BROKEN_YAML, "en: Talk with a counselor."), "not valid YAML"
    if case == "category":
        return "alpha", UNKNOWN_CATEGORY, line_of(UNKNOWN_CATEGORY, "- id: alpha-counseling"), "no-such-category"
    if case == "time":
        return "alpha", BAD_TIME, line_of(BAD_TIME, "- days: [MO, TU, WE, TH, FR]"), "closes"
    if case == "name":
        return "beta", MISSING_NAME, line_of(MISSING_NAME, "- id: beta-treatment"), "'name' is required"
    raise AssertionError(case)


CASES = ["yaml", "category", "time", "name"]


@pytest.mark.db
@pytest.mark.parametrize("case", CASES)
def test_malformed_file_is_reported_with_file_and_line(app, runner, tmp_path, case):
    stem, text, line, words = _expected(case)
    # One invalid file next to a perfectly valid one: neither is loaded.
    files = {"alpha": ALPHA, "beta": BETA, stem: text}
    root = write_content(tmp_path / "content", **files)
    empty = counts(app)
    result = load(runner, root)
    assert result.exit_code == 1
    assert counts(app) == empty
    assert empty["organization"] == 0 and empty["service"] == 0 and empty["term"] == 0
    output = result.output
    assert "Nothing was loaded" in output
    assert f"organizations/{stem}.yaml:{line}:" in output, output
    assert words in output
    assert "Traceback" not in output


@pytest.mark.db
@pytest.mark.parametrize("case", CASES)
def test_malformed_file_leaves_the_database_unchanged(app, runner, tmp_path, case):
    root = write_content(tmp_path / "content", alpha=ALPHA, beta=BETA)
    assert load(runner, root).exit_code == 0
    before = counts(app)
    stem, text, _line, _words = _expected(case)
    # The other file changes a name validly; it must not be applied either.
    files = {
        "alpha": ALPHA.replace("en: Alpha Collective", "en: Alpha Collective Renamed"),
        "beta": BETA.replace("en: Beta Clinic", "en: Beta Clinic Renamed"),
    }
    files[stem] = text
    files["gamma"] = BETA.replace("beta", "gamma")
    write_content(root, **files)
    assert load(runner, root).exit_code == 1
    assert counts(app) == before
    with app.app_context():
        names = set(db.session.scalars(select(Organization.name)))
    assert names == {"Alpha Collective", "Beta Clinic"}


@pytest.mark.db
def test_every_problem_is_listed_at_once(app, runner, tmp_path):
    root = write_content(tmp_path / "content", alpha=UNKNOWN_CATEGORY, beta=MISSING_NAME)
    result = load(runner, root)
    assert result.exit_code == 1
    assert "2 problem(s)" in result.output
    assert "organizations/alpha.yaml:" in result.output
    assert "organizations/beta.yaml:" in result.output


@pytest.mark.db
def test_duplicate_ids_across_files_are_reported(app, runner, tmp_path):
    root = write_content(tmp_path / "content", alpha=ALPHA, beta=BETA.replace("id: beta-treatment", "id: alpha-naloxone"))
    result = load(runner, root)
    assert result.exit_code == 1
    assert "alpha-naloxone" in result.output and "used twice" in result.output
    assert counts(app)["service"] == 0


@pytest.mark.db
def test_broken_taxonomy_is_reported_with_its_line(app, runner, tmp_path):
    root = write_content(tmp_path / "content", alpha=ALPHA)
    broken = TAXONOMY.replace("  - code: treatment\n    name: Treatment\n", "  - code: treatment\n")
    (root / "taxonomy.yaml").write_text(broken, encoding="utf-8")
    result = load(runner, root)
    assert result.exit_code == 1
    assert f"taxonomy.yaml:{line_of(broken, '- code: treatment')}:" in result.output
    assert counts(app)["term"] == 0


# -- the real content in content/ -------------------------------------------------------------------


def _demo_services():
    return list(db.session.scalars(select(Service).join(Organization).where(Organization.is_demo.is_(True))))


def test_demo_county_size(demo_site_app):
    with demo_site_app.app_context():
        organizations = db.session.scalar(select(func.count(Organization.id)).where(Organization.is_demo.is_(True)))
        assert organizations >= 25
        assert len(_demo_services()) >= 60


def test_every_top_level_category_has_three_demo_services(demo_site_app):
    with demo_site_app.app_context():
        tops = list(db.session.scalars(select(TaxonomyTerm).join(Taxonomy).where(
            Taxonomy.name == "categories", TaxonomyTerm.parent_id.is_(None))))
        assert len(tops) >= 10
        per_top: Counter[str] = Counter()
        for service in _demo_services():
            reached = set()
            for term in service.terms("categories"):
                while term.parent is not None:
                    term = term.parent
                reached.add(term.code)
            per_top.update(reached)
        thin = {top.code: per_top[top.code] for top in tops if per_top[top.code] < 3}
        assert thin == {}


def test_every_service_and_organization_has_spanish_name_and_description(demo_site_app):
    with demo_site_app.app_context():
        missing = []
        for model in (Organization, Service):
            for record in db.session.scalars(select(model)):
                for field in ("name", "description"):
                    english = record.text(field, "en")
                    spanish = record.text(field, "es")
                    if not english.value or spanish.lang != "es" or spanish.is_fallback or not spanish.value:
                        missing.append(f"{model.__name__} {record.content_slug} {field}")
        assert missing == []


def test_demo_content_has_confidential_addresses(demo_site_app):
    with demo_site_app.app_context():
        confidential = [
            location for location in db.session.scalars(select(Location).where(Location.is_address_confidential.is_(True)))
            if location.organization.is_demo
        ]
        assert len(confidential) >= 3
        assert all(location.service_at_locations for location in confidential)


def test_demo_content_has_phone_or_online_only_services(demo_site_app):
    with demo_site_app.app_context():
        remote = [service for service in _demo_services() if service.is_remote_only]
        assert len(remote) >= 3
        assert all(service.phones or service.organization.phones or service.url for service in remote)


def test_demo_content_is_complete_enough_for_residents(demo_site_app):
    with demo_site_app.app_context():
        services = _demo_services()
        with_hours = [s for s in services if s.schedules]
        with_phones = [s for s in services if s.phones or s.organization.phones]
        assert len(with_hours) >= len(services) * 0.8
        assert len(with_phones) == len(services)
        located = [loc for s in services for loc in s.locations if not loc.is_address_confidential]
        assert located and all(loc.latitude is not None and loc.longitude is not None for loc in located)
        assert all(s.languages for s in services)


def test_real_national_services_are_present_and_not_demo(demo_site_app):
    with demo_site_app.app_context():
        national = list(db.session.scalars(select(Organization).where(Organization.is_demo.is_(False))))
        names = " ".join(org.name for org in national) + " " + " ".join(
            s.name for org in national for s in org.services)
        assert "988" in names
        assert "SAMHSA" in names or "Substance Abuse and Mental Health" in names
        assert "Never Use Alone" in names


def test_loading_the_real_content_again_changes_nothing(demo_app):
    before = counts(demo_app)
    result = demo_app.test_cli_runner().invoke(args=["outreach", "content", "load"])
    assert result.exit_code == 0, result.output
    assert counts(demo_app) == before


def test_every_taxonomy_term_is_written_in_all_twelve_languages():
    import yaml

    from outreach.i18n.locales import table_codes

    from outreach.i18n.catalogs import PROJECT_ROOT

    data = yaml.safe_load((PROJECT_ROOT / "content" / "taxonomy.yaml").read_text(encoding="utf-8"))
    terms = []

    def walk(items):
        for item in items or []:
            terms.append(item)
            walk(item.get("children"))

    for items in data.values():
        walk(items)
    assert len(terms) >= 40
    for term in terms:
        for field in ("name", "description"):
            missing = set(table_codes()) - set(term.get(field) or {})
            assert not missing, f"{term['code']} {field}: no {', '.join(sorted(missing))}"
