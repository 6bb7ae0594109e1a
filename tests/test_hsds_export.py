"""``flask outreach hsds export``: the shape of the JSON and tabular HSDS 3.0 packages.

The JSON files are validated with ``jsonschema`` against the official compiled schemas; the CSVs are
checked against the official ``datapackage.json`` (field order, required fields, enums, uuid/number/
date/time/datetime values, uniqueness and the foreign keys between the tables we fill) by a small
Table Schema check written here; tests/test_hsds_import.py also runs the ``frictionless`` validator.
"""
from __future__ import annotations

import csv
import json
import uuid
from datetime import date, datetime, time
from pathlib import Path

import pytest

from outreach.api.openapi import SCHEMA_BASE
from outreach.directory.models import Location
from outreach.extensions import db
from outreach.interop.hsds_files import official_datapackage
from tests.hsds_validation import assert_valid


def _export(app, tmp_path: Path, *args: str) -> Path:
    out = tmp_path / "export"
    result = app.test_cli_runner().invoke(args=["outreach", "hsds", "export", *args, str(out)])
    assert result.exit_code == 0, result.output
    assert "Wrote an HSDS 3.0" in result.output
    return out


def _secrets(app) -> set[str]:
    with app.app_context():
        private = db.session.scalars(db.select(Location).where(Location.is_address_confidential.is_(True))).all()
        found = set()
        for location in private:
            found.add(f"{location.latitude}")
            found.add(f"{location.longitude}")
            found |= {address.address_1 for address in location.addresses}
        return found


def _public_coordinates(app) -> set[str]:
    with app.app_context():
        public = db.session.scalars(db.select(Location).where(Location.is_address_confidential.is_(False))).all()
        return {f"{p.latitude}" for p in public} | {f"{p.longitude}" for p in public}


def test_json_export_validates_against_the_compiled_schemas(demo_app, tmp_path):
    out = _export(demo_app, tmp_path, "--format", "json")
    services = json.loads((out / "services.json").read_text())
    organizations = json.loads((out / "organizations.json").read_text())
    assert len(services) > 50 and len(organizations) > 10
    for item in services:
        assert_valid(item, SCHEMA_BASE + "compiled/service.json")
    for item in organizations:
        assert_valid(item, SCHEMA_BASE + "compiled/organization.json")
    for item in json.loads((out / "taxonomies.json").read_text()):
        assert_valid(item, SCHEMA_BASE + "taxonomy.json")
    for item in json.loads((out / "taxonomy_terms.json").read_text()):
        assert_valid(item, SCHEMA_BASE + "taxonomy_term.json")
    text = (out / "services.json").read_text() + (out / "organizations.json").read_text()
    for secret in _secrets(demo_app) - _public_coordinates(demo_app):
        assert secret not in text


def test_json_export_in_another_language(demo_app, tmp_path):
    out = _export(demo_app, tmp_path, "--format", "json", "--lang", "es")
    names = {item["name"] for item in json.loads((out / "services.json").read_text())}
    assert "Vivienda de recuperación para hombres" in names


def test_unknown_language_is_refused(demo_app, tmp_path):
    result = demo_app.test_cli_runner().invoke(args=["outreach", "hsds", "export", "--lang", "xx", str(tmp_path / "x")])
    assert result.exit_code != 0
    assert not (tmp_path / "x").exists()


def _check_value(value: str, field: dict, where: str) -> None:
    kind, fmt = field["type"], field.get("format")
    if fmt == "uuid":
        assert str(uuid.UUID(value)) == value, where
    elif kind == "number":
        float(value)
    elif kind == "date":
        date.fromisoformat(value)
    elif kind == "time":
        assert len(value) == 8, where
        time.fromisoformat(value)
    elif kind == "datetime":
        datetime.strptime(value, "%Y-%m-%dT%H:%M:%SZ")
    enum = field.get("constraints", {}).get("enum")
    if enum:
        assert value in enum, where


def test_datapackage_export_follows_the_official_descriptor(demo_app, tmp_path):
    out = _export(demo_app, tmp_path, "--format", "datapackage")
    official = official_datapackage()
    written = json.loads((out / "datapackage.json").read_text())
    assert written["profile"] == "tabular-data-package"
    assert [r["name"] for r in written["resources"]] == [r["name"] for r in official["resources"]]
    tables: dict[str, list[dict]] = {}
    for resource in official["resources"]:
        fields = resource["schema"]["fields"]
        with (out / resource["path"]).open(newline="", encoding="utf-8") as handle:
            rows = list(csv.reader(handle))
        assert rows[0] == [f["name"] for f in fields], resource["path"]  # the official field order
        records = [dict(zip(rows[0], row)) for row in rows[1:]]
        tables[resource["name"]] = records
        for number, record in enumerate(records, start=2):
            assert len(record) == len(fields)
            for field in fields:
                value, where = record[field["name"]], f"{resource['path']} row {number} {field['name']}"
                constraints = field.get("constraints", {})
                if constraints.get("required"):
                    assert value != "", where
                if value:
                    _check_value(value, field, where)
            for field in fields:
                if field.get("constraints", {}).get("unique"):
                    values = [r[field["name"]] for r in records if r[field["name"]]]
                    assert len(values) == len(set(values)), f"{resource['path']} {field['name']} not unique"
    for name in ("organization", "service", "location", "service_at_location", "taxonomy", "taxonomy_term",
                 "attribute", "address", "phone", "schedule", "language"):
        assert tables[name], name
    ids = {name: {r["id"] for r in records} for name, records in tables.items()}
    for resource in official["resources"]:  # foreign keys between the tables
        for key in resource["schema"].get("foreignKeys", []):
            target = key["reference"]["resource"] or resource["name"]
            for record in tables[resource["name"]]:
                value = record[key["fields"]]
                if value:
                    assert value in ids[target], (resource["name"], key["fields"], value)
    everything = "\n".join((out / r["path"]).read_text() for r in official["resources"])
    secrets = _secrets(demo_app)
    for street in [s for s in secrets if not s.replace(".", "").replace("-", "").isdigit()]:
        assert street not in everything
    with demo_app.app_context():
        private = {loc.id: loc for loc in db.session.scalars(
            db.select(Location).where(Location.is_address_confidential.is_(True)))}
        for record in tables["location"]:
            if record["id"] in private:
                assert record["latitude"] == record["longitude"] == record["transportation"] == ""
        assert not {r["location_id"] for r in tables["address"]} & set(private)


@pytest.mark.db
def test_export_of_an_empty_directory(app, tmp_path):
    out = _export(app, tmp_path, "--format", "datapackage")
    assert (out / "datapackage.json").is_file()
    with (out / "services.csv").open() as handle:
        assert len(list(csv.reader(handle))) == 1
    out_json = _export(app, tmp_path, "--format", "json")
    assert json.loads((out_json / "services.json").read_text()) == []
