#!/usr/bin/env python3
"""HSDS import benchmark: ``flask outreach hsds import`` of a generated file into a fresh SQLite database.

    .venv/bin/python bench/import_bench.py [--services 50000] [--reindex] [--keep DIR]

Writes an HSDS 3.0 JSON list of N fully nested services (an organization per five services, each
service at its own location with an address, two weekly schedules, a phone, languages, a service
area, a cost option and three taxonomy attributes, one from a taxonomy the site does not know) into
a temporary folder, migrates a fresh SQLite database there, then times the import (validation against
the official schemas, our checks, and the write) and prints seconds and peak memory. ``--reindex``
also times applying the search outbox afterwards (the import writes one "rebuild everything" row
for a file this large). A script, not a test: it prints figures and asserts nothing.
"""
from __future__ import annotations

import argparse
import json
import random
import resource
import sys
import tempfile
import time
import uuid
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

NAMESPACE = uuid.UUID("3f0c6a57-2d4e-4d8e-9a4b-6b1f4a7d9e21")
CATEGORIES = ["naloxone", "support-groups", "treatment", "counseling", "harm-reduction", "recovery-housing"]
WORDS = ("naloxone support group recovery treatment counseling family youth housing employment peer crisis "
         "syringe outpatient residential detox church school prevention meeting free walk-in clinic program "
         "help education overdose training mobile team court reentry coaching").split()


def uid(*parts: object) -> str:
    return str(uuid.uuid5(NAMESPACE, ":".join(str(p) for p in parts)))


def words(rng: random.Random, n: int) -> str:
    return " ".join(rng.choice(WORDS) for _ in range(n))


def term(code: str, taxonomy: str) -> dict:
    return {"id": uid("term", taxonomy, code), "code": code, "name": code.replace("-", " ").title(),
            "description": "", "taxonomy": taxonomy, "taxonomy_id": uid("taxonomy", taxonomy),
            "taxonomy_detail": {"id": uid("taxonomy", taxonomy), "name": taxonomy, "description": f"{taxonomy} terms"}}


def service(i: int, rng: random.Random) -> dict:
    sid, org, loc = uid("service", i), uid("organization", i // 5), uid("location", i)
    attributes = [term(rng.choice(CATEGORIES), "bench categories"), term(rng.choice(["free", "walk-in"]), "bench flags"),
                  term(f"BD-{1800 + i % 40}", "211 taxonomy (foreign)")]
    return {
        "id": sid, "organization_id": org, "name": f"{words(rng, 3).title()} {i}", "status": "active",
        "description": words(rng, 30), "email": f"info{i}@example.org", "url": f"https://example.org/s/{i}",
        "eligibility_description": words(rng, 8), "minimum_age": 12, "maximum_age": 99,
        "last_modified": "2026-01-02T03:04:05Z",
        "organization": {"id": org, "name": f"Organization {i // 5}", "description": words(random.Random(i // 5), 12),
                         "website": f"https://example.org/o/{i // 5}"},
        "phones": [{"id": uid("phone", i), "number": f"503-555-{i % 10000:04d}", "type": "voice",
                    "languages": [{"id": uid("phone-lang", i), "code": "en"}]}],
        "schedules": [{"id": uid("schedule", i, n), "byday": days, "opens_at": "09:00", "closes_at": "17:00",
                       "freq": "WEEKLY", "timezone": -8} for n, days in enumerate(("MO,TU,WE,TH,FR", "SA"))],
        "service_areas": [{"id": uid("area", i), "name": "Willamette County", "extent_type": "other"}],
        "languages": [{"id": uid("lang", i, c), "code": c} for c in ("en", "es")],
        "cost_options": [{"id": uid("cost", i), "option": "Sliding scale", "currency": "USD", "amount": 10}],
        "required_documents": [],
        "attributes": [{"id": uid("attribute", i, n), "taxonomy_term_id": t["id"], "taxonomy_term": t}
                       for n, t in enumerate(attributes)],
        "service_at_locations": [{
            "id": uid("sal", i), "location_id": loc,
            "location": {"id": loc, "location_type": "physical", "name": f"Site {i}", "organization_id": org,
                         "latitude": 45.5 + rng.random() / 10, "longitude": -122.6 + rng.random() / 10,
                         "addresses": [{"id": uid("address", i), "address_1": f"{i} Main St", "city": "Portland",
                                        "state_province": "OR", "postal_code": "97205", "country": "US",
                                        "address_type": "physical"}],
                         "accessibility": [{"id": uid("access", i), "description": "Step-free entrance"}],
                         "languages": [], "phones": [], "attributes": []},
        }],
    }


def generate(path: Path, count: int) -> None:
    rng = random.Random(11)
    with path.open("w", encoding="utf-8") as handle:
        handle.write("[")
        for i in range(count):
            handle.write(("\n" if i == 0 else ",\n") + json.dumps(service(i, rng)))
        handle.write("\n]\n")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--services", type=int, default=50_000)
    parser.add_argument("--reindex", action="store_true", help="also time applying the search outbox")
    parser.add_argument("--keep", type=Path, help="work in this folder and keep it")
    args = parser.parse_args()

    with tempfile.TemporaryDirectory(prefix="import-bench-") as temporary:
        folder = args.keep or Path(temporary)
        folder.mkdir(parents=True, exist_ok=True)
        source = folder / "services.json"
        started = time.perf_counter()
        generate(source, args.services)
        print(f"generated {args.services} services: {source.stat().st_size / 1e6:.0f} MB in "
              f"{time.perf_counter() - started:.1f} s")

        from flask_migrate import upgrade

        from outreach import create_app
        from outreach.interop.importing import import_hsds

        app = create_app({"INSTANCE_PATH": str(folder), "DATABASE_URL": f"sqlite:///{folder / 'bench.sqlite3'}",
                          "SECRET_KEY": "bench-only", "TESTING": True})
        with app.app_context():
            upgrade()
            before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
            started = time.perf_counter()
            summary = import_hsds(source)
            elapsed = time.perf_counter() - started
            peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
            print(f"import: {elapsed:.1f} s for {args.services} services "
                  f"({args.services / elapsed:.0f} services/s); peak memory {peak / 1024:.0f} MB "
                  f"(before the import: {before / 1024:.0f} MB)")
            for kind, counts in summary.counts.items():
                print(f"  {kind}: {counts}")
            print(f"  search outbox: {summary.reindex}")
            if args.reindex:
                from outreach.search.services import sync

                started = time.perf_counter()
                indexed = sync(timeout=600)
                print(f"search index: {indexed} services in {time.perf_counter() - started:.1f} s")
            started = time.perf_counter()
            again = import_hsds(source, dry_run=True)
            print(f"re-import (dry run): {time.perf_counter() - started:.1f} s; "
                  f"services unchanged: {again.counts['service']['unchanged']}")
        app.extensions["outreach.search"].close()


if __name__ == "__main__":
    main()
