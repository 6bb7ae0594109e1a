"""``flask outreach hsds import``: HSDS 3.0 JSON and data packages in, every problem reported, all or nothing.

The round trips export the demo directory, import it into an empty database and export again: the
files must come out the same, byte for byte (the data package's ``created`` time aside).
"""
from __future__ import annotations

import copy
import csv
import importlib.util
import json
import random
import shutil
import uuid
from pathlib import Path

import pytest
from sqlalchemy import func, select

from outreach.directory.models import (
    Address,
    Attribute,
    Location,
    Organization,
    Phone,
    Service,
    Taxonomy,
    TaxonomyTerm,
)
from outreach.extensions import db
from outreach.i18n.models import TranslatedText
from outreach.interop.importing import ImportFailed, import_hsds
from outreach.interop.importing.schemas import fast_check, validator
from outreach.search.models import SearchOutbox

PROJECT_ROOT = Path(__file__).resolve().parent.parent
TABLES = (Organization, Service, Location, Address, Phone, Attribute, TaxonomyTerm, TranslatedText, SearchOutbox)


@pytest.fixture
def empty_app(tmp_path_factory, migrated_template):
    """A second, empty app beside ``demo_app`` (which owns ``tmp_path``): the import's destination."""
    from outreach import create_app
    from tests.conftest import TEST_DATABASE_URL, _config, _dispose

    assert not TEST_DATABASE_URL  # two databases at once: SQLite only
    folder = tmp_path_factory.mktemp("empty")
    shutil.copy(migrated_template, folder / "outreach.sqlite3")
    application = create_app(_config(folder))
    yield application
    _dispose(application)


def _run(app, *args: str):
    return app.test_cli_runner().invoke(args=["outreach", "hsds", *args])


def _export(app, folder: Path, fmt: str) -> Path:
    result = _run(app, "export", "--format", fmt, str(folder))
    assert result.exit_code == 0, result.output
    return folder


def _import(app, path: Path, *extra: str):
    result = _run(app, "import", *extra, str(path))
    assert result.exit_code == 0, result.output
    return result


def _counts(app) -> dict[str, int]:
    with app.app_context():
        return {model.__tablename__: db.session.scalar(select(func.count()).select_from(model)) for model in TABLES}


def _files(folder: Path) -> dict[str, str]:
    found = {}
    for path in sorted(folder.iterdir()):
        text = path.read_text(encoding="utf-8")
        if path.name == "datapackage.json":
            data = json.loads(text)
            data.pop("created")
            text = json.dumps(data, sort_keys=True)
        found[path.name] = text
    return found


def _demo_services(demo_app, tmp_path: Path) -> list[dict]:
    out = _export(demo_app, tmp_path / "demo-json", "json")
    return json.loads((out / "services.json").read_text())


def _write(path: Path, data) -> Path:
    path.write_text(json.dumps(data), encoding="utf-8")
    return path


# -- round trips -------------------------------------------------------------------------------------


@pytest.mark.parametrize("fmt", ["json", "datapackage"])
def test_export_import_export_is_identical(demo_app, empty_app, tmp_path, fmt):
    first = _export(demo_app, tmp_path / "first", fmt)
    empty = empty_app
    result = _import(empty, first)
    assert "service: 101 created, 0 updated, 0 unchanged" in result.output
    second = _export(empty, tmp_path / "second", fmt)
    assert _files(second) == _files(first)
    with empty.app_context():  # confidential places stay confidential, and never gain an address
        hidden = db.session.scalars(select(Location).where(Location.is_address_confidential.is_(True))).all()
        assert len(hidden) == 4 and not any(location.addresses for location in hidden)
    again = _import(empty, first)
    assert "service: 0 created, 0 updated, 101 unchanged" in again.output
    assert "organization: 0 created, 0 updated, 39 unchanged" in again.output


def test_frictionless_accepts_the_datapackage_export(demo_app, tmp_path):
    from frictionless import validate

    out = _export(demo_app, tmp_path / "package", "datapackage")
    report = validate(str(out / "datapackage.json"))
    assert report.valid, report.flatten(["rowNumber", "fieldName", "type", "note"])[:10]


def test_reimporting_its_own_export_changes_nothing_and_keeps_confidential_addresses(demo_app, tmp_path):
    before = _counts(demo_app)
    with demo_app.app_context():
        hidden = {a.id for a in db.session.scalars(select(Address).join(Location).where(
            Location.is_address_confidential.is_(True)))}
    assert hidden
    for fmt in ("json", "datapackage"):
        result = _import(demo_app, _export(demo_app, tmp_path / fmt, fmt))
        assert "service: 0 created, 0 updated, 101 unchanged" in result.output, result.output
        assert "removed" not in result.output
    assert _counts(demo_app) == before  # not even an outbox row
    with demo_app.app_context():
        assert {a.id for a in db.session.scalars(select(Address).where(Address.id.in_(hidden)))} == hidden


# -- accepted shapes ---------------------------------------------------------------------------------


def test_a_single_fully_nested_service(demo_app, empty_app, tmp_path):
    service = next(s for s in _demo_services(demo_app, tmp_path) if s["service_at_locations"] and s["schedules"])
    result = _import(empty_app, _write(tmp_path / "one.json", service))
    assert "service: 1 created" in result.output and "organization: 1 created" in result.output
    with empty_app.app_context():
        stored = db.session.get(Service, service["id"])
        assert stored.name == service["name"] and stored.organization.name == service["organization"]["name"]
        assert {p.id for p in stored.phones} == {p["id"] for p in service["phones"]}
        assert {sal.location_id for sal in stored.service_at_locations} == {
            sal["location"]["id"] for sal in service["service_at_locations"]}
        assert {a.taxonomy_term.code for a in stored.attributes} == {
            a["taxonomy_term"]["code"] for a in service["attributes"]}


def test_organizations_with_nested_services_and_locations(demo_app, empty_app, tmp_path):
    out = _export(demo_app, tmp_path / "demo", "json")
    organizations = json.loads((out / "organizations.json").read_text())
    terms = json.loads((out / "taxonomy_terms.json").read_text())
    chosen = [o for o in organizations if o["locations"]][:3]
    _import(empty_app, _write(tmp_path / "terms.json", terms))
    result = _import(empty_app, _write(tmp_path / "orgs.json", chosen))
    assert "organization: 3 created" in result.output
    with empty_app.app_context():
        for organization in chosen:
            stored = db.session.get(Organization, organization["id"])
            assert {s.id for s in stored.services} == {s["id"] for s in organization["services"]}
            assert {loc.id for loc in stored.locations} == {loc["id"] for loc in organization["locations"]}


def test_a_2000_service_file_imports(app, tmp_path):
    spec = importlib.util.spec_from_file_location("import_bench", PROJECT_ROOT / "bench" / "import_bench.py")
    bench = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(bench)
    source = tmp_path / "services.json"
    bench.generate(source, 2000)
    result = _import(app, source)
    assert "service: 2000 created, 0 updated, 0 unchanged" in result.output
    assert "location: 2000 created" in result.output and "organization: 400 created" in result.output
    with app.app_context():
        from outreach.search.services import check_index

        assert check_index().is_clean  # the outbox was applied: every service is in the index
        foreign = db.session.scalar(select(Taxonomy).where(Taxonomy.name == "211 taxonomy (foreign)"))
        assert len(foreign.terms) == 40


# -- updates in place --------------------------------------------------------------------------------


def test_reimport_updates_in_place(demo_app, tmp_path):
    services = _demo_services(demo_app, tmp_path)
    target = next(s for s in services if len(s["phones"]) >= 1 and s["schedules"])
    with demo_app.app_context():
        stored = db.session.get(Service, target["id"])
        assert any(t.field == "name" and t.locale == "es" for t in stored.translations)
        last_outbox = db.session.scalar(select(func.max(SearchOutbox.id))) or 0
    before = _counts(demo_app)
    changed = copy.deepcopy(target)
    changed["name"] = "Renamed by the county's file"
    dropped = changed["phones"].pop()
    changed["schedules"][0]["opens_at"] = "06:30"
    result = _import(demo_app, _write(tmp_path / "changed.json", [changed] + [s for s in services if s is not target]))
    assert "service: 0 created, 1 updated, 100 unchanged" in result.output, result.output
    assert "phone: 1 removed" in result.output
    with demo_app.app_context():
        stored = db.session.get(Service, target["id"])
        assert stored.name == "Renamed by the county's file"
        assert dropped["id"] not in {p.id for p in stored.phones}
        assert stored.schedules[0].opens_at.strftime("%H:%M") == "06:30" or any(
            s.opens_at.strftime("%H:%M") == "06:30" for s in stored.schedules)
        # The Spanish name no longer matches the source: marked stale, not shown as current.
        spanish = next(t for t in stored.translations if t.field == "name" and t.locale == "es")
        assert spanish.is_stale and stored.text("name", "es").value == "Renamed by the county's file"
        assert db.session.scalar(select(func.count()).select_from(Service)) == before["service"]  # no duplicates
        outbox = db.session.scalars(select(SearchOutbox.service_id).where(SearchOutbox.id > last_outbox)).all()
        assert outbox == [target["id"]]


def test_unknown_taxonomy_terms_are_kept(demo_app, empty_app, tmp_path):
    service = copy.deepcopy(_demo_services(demo_app, tmp_path)[0])
    foreign = {"id": str(uuid.uuid4()), "code": "BD-1800.2000", "name": "Food Pantries", "description": "",
               "taxonomy": "211 LA County"}
    loose = {"id": str(uuid.uuid4()), "name": "Peer mentors", "description": "A term with no taxonomy"}
    service["attributes"] += [{"id": str(uuid.uuid4()), "taxonomy_term": foreign, "value": "yes"},
                              {"id": str(uuid.uuid4()), "taxonomy_term": loose}]
    _import(empty_app, _write(tmp_path / "one.json", [service]))
    with empty_app.app_context():
        stored = db.session.get(Service, service["id"])
        terms = {a.taxonomy_term.code: a for a in stored.attributes}
        assert terms["BD-1800.2000"].taxonomy_term.taxonomy.name == "211 LA County"
        assert terms["BD-1800.2000"].value == "yes" and terms["BD-1800.2000"].taxonomy_term.name == "Food Pantries"
        assert terms[loose["id"]].taxonomy_term.taxonomy.name == "imported"
    out = _export(empty_app, tmp_path / "again", "json")
    exported = json.loads((out / "services.json").read_text())[0]
    assert {"BD-1800.2000", loose["id"]} <= {a["taxonomy_term"]["code"] for a in exported["attributes"]}


def test_a_confidential_flag_in_the_file_is_respected(demo_app, empty_app, tmp_path):
    service = copy.deepcopy(next(s for s in _demo_services(demo_app, tmp_path)
                                 if s["service_at_locations"] and s["service_at_locations"][0]["location"]["addresses"]))
    location = service["service_at_locations"][0]["location"]
    confidential = {"id": str(uuid.uuid4()), "code": "confidential-address", "name": "Confidential address",
                    "description": "", "taxonomy": "attributes"}
    location["attributes"] = [{"id": str(uuid.uuid4()), "taxonomy_term": confidential}]
    _import(empty_app, _write(tmp_path / "one.json", [service]))
    with empty_app.app_context():
        assert db.session.get(Location, location["id"]).is_address_confidential
    out = _export(empty_app, tmp_path / "out", "json")
    assert location["addresses"][0]["address_1"] not in (out / "services.json").read_text()


def test_dry_run_writes_nothing(demo_app, empty_app, tmp_path):
    source = _export(demo_app, tmp_path / "demo", "json")
    before = _counts(empty_app)
    result = _import(empty_app, source, "--dry-run")
    assert "Would import" in result.output and "service: 101 created" in result.output
    assert _counts(empty_app) == before


# -- problems ----------------------------------------------------------------------------------------


def _problems(app, path: Path) -> list[str]:
    before = _counts(app)
    result = _run(app, "import", str(path))
    assert result.exit_code == 1, result.output
    assert isinstance(result.exception, SystemExit)
    assert "Traceback" not in result.output and "Nothing was imported" in result.output
    assert _counts(app) == before
    return [line.strip() for line in result.output.splitlines()[1:]]


def test_every_problem_in_a_json_file_is_reported_and_nothing_imported(demo_app, empty_app, tmp_path):
    services = copy.deepcopy(_demo_services(demo_app, tmp_path)[:6])
    del services[0]["status"]                                             # schema: required
    services[1]["service_at_locations"][0:0] = [{"id": "not-a-uuid", "location_id": str(uuid.uuid4())}]
    services[2]["organization_id"] = str(uuid.uuid4())                    # reference to nothing
    services[2].pop("organization")
    services[3]["schedules"] = [{"id": str(uuid.uuid4()), "byday": "MO", "opens_at": "09:00",
                                 "valid_from": "2026-05-01", "valid_to": "2026-01-01"}]  # dates; no closes_at
    services[4]["minimum_age"], services[4]["maximum_age"] = 40, 18       # ages out of order
    services[5]["phones"] = [{"id": str(uuid.uuid4()), "number": "503-555-0100", "type": "carrier pigeon"}]
    path = _write(tmp_path / "bad.json", services)
    lines = _problems(empty_app, path)
    text = "\n".join(lines)
    assert "bad.json, item 1: 'status' is a required property" in text
    assert "bad.json, item 2, service_at_locations/0/id: 'not-a-uuid' is not a 'uuid'" in text
    assert f"bad.json, item 3, organization_id: names organization {services[2]['organization_id']}" in text
    assert "bad.json, item 4, schedules/0/closes_at: is required here" in text
    assert "bad.json, item 4, schedules/0/valid_to: dates: valid_to (2026-01-01) comes before valid_from" in text
    assert "bad.json, item 5, maximum_age: ages" in text
    assert "bad.json, item 6, phones/0/type: 'carrier pigeon' is not one of voice" in text


def _package(demo_app, tmp_path: Path) -> Path:
    return _export(demo_app, tmp_path / "package", "datapackage")


def _rewrite_csv(path: Path, change) -> None:
    with path.open(newline="", encoding="utf-8") as handle:
        rows = list(csv.reader(handle))
    change(rows)
    with path.open("w", newline="", encoding="utf-8") as handle:
        csv.writer(handle).writerows(rows)


def test_every_problem_in_a_datapackage_is_reported_with_file_line_and_field(demo_app, empty_app, tmp_path):
    package = _package(demo_app, tmp_path)

    def services(rows):
        header = rows[0]
        rows[2][header.index("assured_date")] = "2026-13-45"
        rows[3][header.index("organization_id")] = "7f3b8f0e-3a64-4c55-9b43-9c0d7a0d5c11"
        rows[4][header.index("status")] = "closed forever"
        rows[5][header.index("id")] = rows[6][header.index("id")]

    _rewrite_csv(package / "services.csv", services)
    _rewrite_csv(package / "phones.csv", lambda rows: rows[0].__setitem__(rows[0].index("number"), "digits"))
    (package / "funding.csv").unlink()
    lines = "\n".join(_problems(empty_app, package / "datapackage.json"))
    assert "services.csv, line 3, assured_date: '2026-13-45' is not a valid date" in lines
    assert "services.csv, line 4, organization_id: names organization 7f3b8f0e" in lines
    assert "services.csv, line 5, status: 'closed forever' is not one of active" in lines
    assert "services.csv, line 7, id: id " in lines and "is used twice in this table (first on line 6)" in lines
    assert "phones.csv, line 1, digits: is not a column of HSDS phone" in lines
    assert "phones.csv, line 1, number: required column missing" in lines
    assert "resource 'funding': file funding.csv is missing" in lines


@pytest.mark.parametrize("content, message", [
    (b'{"id": ', "is not valid JSON: Expecting value (line 1, column 8)"),
    ("[{\"name\": \"Caf\u00e9\"}]".encode("latin-1"), "is not UTF-8 text (byte 0xe9 on line 1)"),
    (b"[1, 2]", "item 1: must be a JSON object"),
    (b'{"resources": "none"}', "has no 'resources' list"),
])
def test_bad_files_get_a_clear_error(app, tmp_path, content, message):
    path = tmp_path / "input.json"
    path.write_bytes(content)
    assert any(message in line for line in _problems(app, path)), message


def test_a_missing_path_or_an_empty_folder(app, tmp_path):
    assert "does not exist" in "\n".join(_problems(app, tmp_path / "nowhere.json"))
    (tmp_path / "empty").mkdir()
    assert "holds neither a datapackage.json" in "\n".join(_problems(app, tmp_path / "empty"))


def test_import_raises_with_every_problem(app, tmp_path):
    path = _write(tmp_path / "two.json", [{"id": "x", "name": "A"}, {"id": str(uuid.uuid4()), "status": "active"}])
    with app.app_context(), pytest.raises(ImportFailed) as caught:
        import_hsds(path)
    assert {(p.file, p.row) for p in caught.value.problems} >= {("two.json", 1), ("two.json", 2)}


def test_the_fast_schema_check_never_accepts_what_jsonschema_rejects(demo_app, tmp_path):
    rng = random.Random(3)
    services = _demo_services(demo_app, tmp_path)
    check = fast_check("service")
    assert check is not None
    rejected = 0
    for service in services[:25]:
        assert check(service)
        for _ in range(20):
            broken = copy.deepcopy(service)
            paths = []

            def walk(node, trail):
                items = node.items() if isinstance(node, dict) else enumerate(node) if isinstance(node, list) else ()
                for key, value in items:
                    paths.append((node, key))
                    walk(value, trail + (key,))

            walk(broken, ())
            node, key = rng.choice(paths)
            node[key] = rng.choice([1, "x", None, True, [], {}, "not-a-uuid", 3.5, "a@b"])
            if list(validator("service").iter_errors(broken)):
                rejected += 1
                assert not check(broken)
    assert rejected > 200
