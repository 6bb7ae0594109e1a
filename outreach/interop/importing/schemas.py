"""The official HSDS 3.0 JSON schemas (``interop/hsds/schema/``), and checking items against them.

``jsonschema`` is the judge: it lists every error with its path. It is also slow on HSDS's large
compiled schemas (about a millisecond per nested service), so a file of many items is first passed
through a compiled check of the same keywords HSDS uses (type, properties, required, items, enum,
format — formats through jsonschema's own format checker). An item that check accepts, jsonschema
accepts too; an item it rejects goes to jsonschema for the full list. A schema using any other
keyword gets no fast check at all.
"""
from __future__ import annotations

import json
import re
from functools import lru_cache
from typing import Any, Callable

from jsonschema import Draft202012Validator
from referencing import Registry, Resource
from referencing.jsonschema import DRAFT202012

from ...api.openapi import SCHEMA_BASE
from ..hsds_files import HSDS_DIR

SCHEMAS = {
    "service": "compiled/service.json",
    "organization": "compiled/organization.json",
    "taxonomy": "taxonomy.json",
    "taxonomy_term": "taxonomy_term.json",
}
_UUID = re.compile(r"^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}\Z")
# Keywords that validate nothing (annotations, and HSDS's own data-package hints).
_ANNOTATIONS = {"name", "title", "description", "example", "examples", "constraints", "core", "path",
                "datapackage_metadata", "datapackage_type", "tabular_required", "$schema", "$id", "default"}
_TYPES: dict[str, Callable[[Any], bool]] = {
    "string": lambda v: isinstance(v, str),
    "object": lambda v: isinstance(v, dict),
    "array": lambda v: isinstance(v, list),
    "boolean": lambda v: isinstance(v, bool),
    "null": lambda v: v is None,
    "number": lambda v: isinstance(v, (int, float)) and not isinstance(v, bool),
    "integer": lambda v: (isinstance(v, int) and not isinstance(v, bool)) or (isinstance(v, float) and v.is_integer()),
}


def _files() -> dict[str, dict]:
    """Every schema file by its path under ``schema/`` ("taxonomy.json", "compiled/service.json")."""
    root = HSDS_DIR / "schema"
    return {path.relative_to(root).as_posix(): json.loads(path.read_text(encoding="utf-8"))
            for path in root.rglob("*.json")}


@lru_cache(maxsize=1)
def _registry() -> Registry:
    resources = []
    for name, contents in _files().items():
        uri = SCHEMA_BASE + name
        resources.append((uri, Resource.from_contents(contents, default_specification=DRAFT202012)))
    return Registry().with_resources(resources)


@lru_cache(maxsize=None)
def validator(kind: str) -> Draft202012Validator:
    return Draft202012Validator({"$ref": SCHEMA_BASE + SCHEMAS[kind]}, registry=_registry(),
                                format_checker=Draft202012Validator.FORMAT_CHECKER)


class _Unsupported(Exception):
    pass


def _compile(schema: dict, files: dict[str, dict]) -> Callable[[Any], bool]:
    if "$ref" in schema:
        if schema["$ref"] not in files or set(schema) - _ANNOTATIONS - {"$ref"}:
            raise _Unsupported(schema["$ref"])
        return _compile(files[schema["$ref"]], files)
    unknown = set(schema) - _ANNOTATIONS - {"type", "properties", "required", "items", "enum", "format"}
    if unknown:
        raise _Unsupported(", ".join(sorted(unknown)))
    checks: list[Callable[[Any], bool]] = []
    if "type" in schema:
        kinds = schema["type"] if isinstance(schema["type"], list) else [schema["type"]]
        tests = [_TYPES[k] for k in kinds]
        checks.append(tests[0] if len(tests) == 1 else (lambda v: any(test(v) for test in tests)))
    if "enum" in schema:
        allowed = schema["enum"]
        checks.append(lambda v: any(v == a and type(v) is type(a) for a in allowed))
    fmt = schema.get("format")
    if fmt == "uuid":  # what jsonschema's check accepts, and no more
        checks.append(lambda v: not isinstance(v, str) or _UUID.match(v) is not None)
    elif fmt == "email":
        checks.append(lambda v: not isinstance(v, str) or "@" in v)
    elif fmt in Draft202012Validator.FORMAT_CHECKER.checkers:
        conforms = Draft202012Validator.FORMAT_CHECKER.conforms
        checks.append(lambda v: conforms(v, fmt))
    if "required" in schema:
        required = tuple(schema["required"])
        checks.append(lambda v: not isinstance(v, dict) or all(key in v for key in required))
    if "properties" in schema:
        properties = {key: _compile(sub, files) for key, sub in schema["properties"].items()}

        def check_properties(v: Any) -> bool:
            if not isinstance(v, dict):
                return True
            for key, value in v.items():
                check = properties.get(key)
                if check is not None and not check(value):
                    return False
            return True

        checks.append(check_properties)
    if "items" in schema:
        item_check = _compile(schema["items"], files)
        checks.append(lambda v: not isinstance(v, list) or all(item_check(x) for x in v))
    if len(checks) == 1:
        return checks[0]

    def check_all(v: Any) -> bool:
        for check in checks:
            if not check(v):
                return False
        return True

    return check_all


@lru_cache(maxsize=None)
def fast_check(kind: str) -> Callable[[Any], bool] | None:
    files = _files()
    try:
        return _compile(files[SCHEMAS[kind]], files)
    except _Unsupported:
        return None


def schema_errors(kind: str, item: Any) -> list:
    """jsonschema's errors for ``item`` as an HSDS ``kind`` (empty when valid), in path order."""
    check = fast_check(kind)
    if check is not None and check(item):
        return []
    return sorted(validator(kind).iter_errors(item), key=lambda e: [str(p) for p in e.absolute_path])
