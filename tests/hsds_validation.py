"""Validating against the official HSDS 3.0 schemas, offline.

The official schemas in ``outreach/interop/hsds/schema`` and the official ``openapi.json``
(``outreach/interop/hsds/``) are registered in a local ``referencing`` registry under their online
addresses, so ``$ref``s resolve without the network.
"""
from __future__ import annotations

import json
from functools import lru_cache
from pathlib import Path
from urllib.parse import quote

from jsonschema import Draft202012Validator
from referencing import Registry, Resource
from referencing.jsonschema import DRAFT202012

from outreach.api.openapi import OFFICIAL_OPENAPI, SCHEMA_BASE

# The official schemas the import also validates with (one copy, in the package).
HSDS_SCHEMAS = Path(__file__).resolve().parent.parent / "outreach" / "interop" / "hsds" / "schema"
OFFICIAL = "https://outreach.test/hsds/openapi.json"


def resource(contents: dict) -> Resource:
    return Resource.from_contents(contents, default_specification=DRAFT202012)


@lru_cache(maxsize=1)
def registry() -> Registry:
    resources = [(SCHEMA_BASE + path.relative_to(HSDS_SCHEMAS).as_posix(), resource(json.loads(path.read_text())))
                 for path in HSDS_SCHEMAS.rglob("*.json")]
    resources.append((OFFICIAL, resource(json.loads(OFFICIAL_OPENAPI.read_text()))))
    return Registry().with_resources(resources)


@lru_cache(maxsize=None)
def validator(ref: str) -> Draft202012Validator:
    return Draft202012Validator({"$ref": ref}, registry=registry(), format_checker=Draft202012Validator.FORMAT_CHECKER)


def pointer(*parts: str) -> str:
    return "#/" + "/".join(quote(part.replace("~", "~0").replace("/", "~1"), safe="") for part in parts)


def response_schema(api_path: str, base: str = OFFICIAL, media: str = "application/json") -> str:
    """The official openapi.json's schema for a 200 answer of GET ``api_path`` (e.g. ``/services/{id}``)."""
    return base + pointer("paths", api_path, "get", "responses", "200", "content", media, "schema")


def assert_valid(instance, ref: str) -> None:
    errors = sorted(validator(ref).iter_errors(instance), key=lambda e: list(e.absolute_path))
    assert not errors, "\n".join(f"{list(e.absolute_path)}: {e.message}" for e in errors[:10])
