"""Our ``openapi.json``: the official HSDS 3.0 API description, extended with what this API adds.

The official file (``outreach/interop/hsds/openapi.json``, CC BY-SA 4.0, Open Referral) is read as it
is; this module only adds to it (parameters, error responses, the ndjson media type) and corrects
one thing: ``GET /service_at_locations/{id}`` answers with a fully nested *service at location*
(``compiled/service_at_location.json``), where the official file names ``compiled/service.json``.
"""
from __future__ import annotations

import copy
from functools import lru_cache

from ..interop.hsds_files import HSDS_DIR, official_openapi

OFFICIAL_OPENAPI = HSDS_DIR / "openapi.json"
SCHEMA_BASE = "https://raw.githubusercontent.com/openreferral/specification/3.0/schema/"
HSDS_VERSION = "3.0"
HSDS_PROFILE = "https://docs.openreferral.org/en/latest/hsds/overview.html"
NDJSON = "application/x-ndjson"

LIST_PATHS = ("/services", "/organizations", "/service_at_locations", "/taxonomies", "/taxonomy_terms")

_ERROR_SCHEMA = {
    "type": "object",
    "required": ["error"],
    "properties": {
        "error": {
            "type": "object",
            "required": ["status", "title", "message"],
            "properties": {
                "status": {"type": "integer"},
                "title": {"type": "string"},
                "message": {"type": "string", "description": "What was wrong, in English."},
                "parameter": {"type": "string", "description": "The query parameter at fault, for a 400."},
            },
        }
    },
}

_OUR_PARAMETERS = {
    "lang": {
        "name": "lang",
        "in": "query",
        "required": False,
        "description": "Return translatable text (names, descriptions, eligibility …) in this locale. A field with "
                       "no current translation is returned in its source language. Without `lang`, every record's "
                       "source text is returned. An unknown locale is a 400.",
        "schema": {"type": "string"},
    },
    "format": {
        "name": "format",
        "in": "query",
        "required": False,
        "description": "`json` (default): one page of results in a Page object. `ndjson`: every result, one JSON "
                       "object per line, without pagination (`page` and `per_page` are ignored).",
        "schema": {"type": "string", "enum": ["json", "ndjson"], "default": "json"},
    },
    "page": {
        "name": "page",
        "in": "query",
        "required": False,
        "description": "Page number of paginated result, from 1. A page past the last is empty.",
        "schema": {"type": "integer", "minimum": 1, "maximum": 100000, "default": 1},
    },
    "per_page": {
        "name": "per_page",
        "in": "query",
        "required": False,
        "description": "Number of results requested in a single page (at most 200).",
        "schema": {"type": "integer", "minimum": 1, "maximum": 200, "default": 50},
    },
    "search": {
        "name": "search",
        "in": "query",
        "required": False,
        "description": "Text search: every word must appear (case-insensitively) in a name, alternate name or "
                       "description in any language, the organization's name or a linked taxonomy term's name.",
        "schema": {"type": "string", "maxLength": 200},
    },
    "taxonomy_term_id": {
        "name": "taxonomy_term_id",
        "in": "query",
        "required": False,
        "description": "Services linked to this taxonomy term or to a term below it.",
        "schema": {"type": "string"},
    },
    "modified_after": {
        "name": "modified_after",
        "in": "query",
        "required": False,
        "description": "Return all results modified on or after this ISO 8601 date or date-time (UTC when no "
                       "offset is given).",
        "schema": {"type": "string", "format": "date-time"},
    },
    "postcode": {
        "name": "postcode",
        "in": "query",
        "required": False,
        "description": "A five-digit ZIP code. Alone: locations at that postcode (never a location whose address "
                       "is confidential). With `proximity`: locations within that many meters of the ZIP's centre, "
                       "nearest first (a confidential location is measured from its own ZIP's centre).",
        "schema": {"type": "string", "pattern": "^[0-9]{5}(-[0-9]{4})?$"},
    },
    "proximity": {
        "name": "proximity",
        "in": "query",
        "required": False,
        "description": "Distance in meters from the centre of `postcode` (which is then required), at most 1000000.",
        "schema": {"type": "number", "exclusiveMinimum": 0, "maximum": 1000000},
    },
}


def _error_responses() -> dict:
    content = {"application/json": {"schema": {"$ref": "#/components/schemas/Error"}}}
    return {
        "400": {"description": "A parameter was malformed or out of range.", "content": content},
        "404": {"description": "No such record (or it is not listed).", "content": content},
    }


@lru_cache(maxsize=1)
def _extended() -> dict:
    document = official_openapi()
    document["info"] = {
        "title": "Outreach HSDS API",
        "version": "1.0.0",
        "summary": "Read-only Open Referral HSDS 3.0 API of a multilingual directory of substance-use support.",
        "description": "Listings as HSDS 3.0 objects. Only active and temporarily closed services are listed. "
                       "A location whose address is confidential is returned without its addresses, coordinates "
                       "or directions. Errors are JSON (see the Error schema). Responses may be fetched from any "
                       "origin (CORS).",
        "license": {"name": "HSDS schemas: CC BY-SA 4.0 (Open Referral)",
                    "url": "https://creativecommons.org/licenses/by-sa/4.0/"},
    }
    components = document.setdefault("components", {})
    components.setdefault("schemas", {})["Error"] = _ERROR_SCHEMA
    parameters = components.setdefault("parameters", {})
    parameters.update(copy.deepcopy(_OUR_PARAMETERS))
    lang_ref = {"$ref": "#/components/parameters/lang"}
    for path, item in document["paths"].items():
        operation = item["get"]
        refs = operation.setdefault("parameters", [])
        if path != "/":
            refs.append(lang_ref)
            operation["responses"].update(_error_responses())
        if path in LIST_PATHS:
            ok = operation["responses"]["200"]["content"]
            item_schema = ok["application/json"]["schema"]["properties"]["contents"]["items"]
            ok[NDJSON] = {"schema": copy.deepcopy(item_schema),
                          "x-description": "With format=ndjson: each line is one item of `contents`."}
    # The official file names compiled/service.json here; the answer is a service at location.
    sal = document["paths"]["/service_at_locations/{id}"]["get"]["responses"]["200"]["content"]["application/json"]
    sal["schema"] = {"$ref": SCHEMA_BASE + "compiled/service_at_location.json"}
    document["paths"]["/openapi.json"] = {
        "get": {
            "summary": "This API description.",
            "operationId": "getOpenAPIDescription",
            "responses": {"200": {"description": "This document.", "content": {"application/json": {}}}},
        }
    }
    return document


def extended(server_url: str | None = None) -> dict:
    """Our API description; ``server_url`` (the API's root URL) is set as its only server."""
    document = copy.deepcopy(_extended())
    if server_url:
        document["servers"] = [{"url": server_url}]
    return document
