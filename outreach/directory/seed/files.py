"""Reading and validating the seed content in ``content/`` (format: ``content/FORMAT.md``).

Parsing is separate from loading so a malformed file is reported with its file and line before a
single row is written.
"""
from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date, time
from pathlib import Path
from typing import Any

import yaml

from ..models import LOCATION_TYPES, PHONE_TYPES, SERVICE_STATUSES, WEEKDAYS

SLUG = re.compile(r"^[a-z0-9][a-z0-9-]{0,118}$")
LOCALE_CODE = re.compile(r"^[a-z]{2,3}(_[A-Za-z]{2,4})?$")
TIME = re.compile(r"^([01]\d|2[0-3]):[0-5]\d$")


class LineDict(dict):
    """A mapping that remembers the line it started on (and the line of each of its keys)."""

    line: int = 0
    key_lines: dict = {}

    def line_of(self, key: Any) -> int:
        return self.key_lines.get(key, self.line)


class _LineLoader(yaml.SafeLoader):
    def construct_mapping(self, node, deep=False):  # type: ignore[override]
        mapping = LineDict(super().construct_mapping(node, deep=deep))
        mapping.line = node.start_mark.line + 1
        return mapping

    def construct_yaml_map(self, node):  # type: ignore[override]
        # SafeLoader builds every mapping inside a document as a plain dict (construct_yaml_map),
        # never through construct_mapping's return value: build a LineDict here so nested
        # mappings (services, hours …) know their line too.
        data = LineDict()
        data.line = node.start_mark.line + 1
        yield data
        data.update(self.construct_mapping(node))
        key_lines = {}
        for key_node, _value_node in node.value:
            if isinstance(key_node, yaml.ScalarNode):
                key_lines[self.construct_object(key_node)] = key_node.start_mark.line + 1
        data.key_lines = key_lines


_LineLoader.add_constructor("tag:yaml.org,2002:map", _LineLoader.construct_yaml_map)


@dataclass(frozen=True)
class ContentProblem:
    file: str
    line: int
    message: str

    def __str__(self) -> str:
        return f"{self.file}:{self.line}: {self.message}"


class ContentError(Exception):
    def __init__(self, problems: list[ContentProblem]):
        self.problems = problems
        super().__init__("\n".join(str(p) for p in problems))


@dataclass
class ContentFile:
    path: Path
    name: str  # relative to the content folder, for messages
    data: Any


def read_yaml(path: Path, root: Path) -> ContentFile:
    name = str(path.relative_to(root))
    try:
        data = yaml.load(path.read_text(encoding="utf-8"), Loader=_LineLoader)  # noqa: S506 (safe loader)
    except yaml.MarkedYAMLError as error:
        mark = error.problem_mark or error.context_mark
        line = mark.line + 1 if mark else 0
        raise ContentError([ContentProblem(name, line, f"not valid YAML: {error.problem or error}")]) from None
    except (OSError, UnicodeDecodeError, yaml.YAMLError) as error:
        raise ContentError([ContentProblem(name, 0, f"cannot be read: {error}")]) from None
    return ContentFile(path, name, data)


def site_locale_codes() -> tuple[str, ...]:
    """Every locale in ``translations/locales.yaml`` (the whole table, whatever OUTREACH_LOCALES serves):
    text stored under any other code would never be shown."""
    from ...i18n.locales import table_codes

    return table_codes()


def _line_of(mapping: Any, key: Any) -> int:
    return mapping.line_of(key) if isinstance(mapping, LineDict) else getattr(mapping, "line", 0)


def _unknown_locale(field: str, code: Any, known: tuple[str, ...]) -> str:
    message = f"'{field}' has locale code {str(code)!r}, which is not in translations/locales.yaml"
    close = [k for k in known if isinstance(code, str) and k.split("_")[0] == code.split("_")[0].lower()]
    if close:
        message += f" (did you mean {' or '.join(close)}?)"
    return message + f"; use one of: {', '.join(known)}"


class Checker:
    """Collects every problem in one pass so an editor can fix them all at once."""

    def __init__(self, file: ContentFile):
        self.file = file
        self.problems: list[ContentProblem] = []

    def problem(self, where: Any, message: str, *, line: int | None = None) -> None:
        self.problems.append(ContentProblem(self.file.name, line if line is not None else getattr(where, "line", 0), message))

    def mapping(self, value: Any, where: Any, what: str) -> LineDict | None:
        if not isinstance(value, dict):
            self.problem(where, f"{what} must be a mapping of keys to values")
            return None
        return value  # type: ignore[return-value]

    def text(self, item: dict, key: str, *, required: bool = False) -> dict[str, str] | None:
        value = item.get(key)
        if value is None:
            if required:
                self.problem(item, f"'{key}' is required")
            return None
        if isinstance(value, (str, int, float)):
            return {"en": str(value)}
        if isinstance(value, dict) and value:
            known = site_locale_codes()
            bad = [k for k in value if not isinstance(k, str) or not LOCALE_CODE.match(k) or k not in known]
            if bad:
                for code in bad:
                    self.problem(value, _unknown_locale(key, code, known), line=_line_of(value, code))
                return None
            if not all(isinstance(v, str) and v.strip() for v in value.values()):
                self.problem(value, f"every locale's text in '{key}' must be non-empty text")
                return None
            return {k: v.strip() for k, v in value.items()}
        self.problem(item, f"'{key}' must be text or a mapping of locale to text")
        return None

    def slug(self, item: dict, seen: dict[str, str], kind: str) -> str | None:
        slug = item.get("id")
        if not isinstance(slug, str) or not SLUG.match(slug):
            self.problem(item, f"{kind} needs an 'id' of lower-case letters, digits and dashes")
            return None
        key = f"{kind}:{slug}"
        if key in seen:
            self.problem(item, f"{kind} id '{slug}' is used twice (also in {seen[key]})")
            return None
        seen[key] = f"{self.file.name}:{getattr(item, 'line', 0)}"
        return slug

    def choice(self, item: dict, key: str, choices: tuple[str, ...], default: str) -> str:
        value = item.get(key, default)
        if value not in choices:
            self.problem(item, f"'{key}' must be one of: {', '.join(choices)} (got {value!r})")
            return default
        return value

    def integer(self, item: dict, key: str) -> int | None:
        value = item.get(key)
        if value is None:
            return None
        if isinstance(value, bool) or not isinstance(value, int) or value < 0:
            self.problem(item, f"'{key}' must be a whole number")
            return None
        return value

    def number(self, item: dict, key: str, low: float, high: float) -> float | None:
        value = item.get(key)
        if value is None:
            return None
        if isinstance(value, bool) or not isinstance(value, (int, float)) or not low <= value <= high:
            self.problem(item, f"'{key}' must be a number between {low} and {high}")
            return None
        return float(value)

    def day(self, item: dict, key: str) -> date | None:
        value = item.get(key)
        if value is None:
            return None
        if isinstance(value, date):
            return value
        try:
            return date.fromisoformat(str(value))
        except ValueError:
            self.problem(item, f"'{key}' must be a date like 2026-10-14")
            return None

    def clock(self, item: dict, key: str) -> time | None:
        value = item.get(key)
        if not isinstance(value, str) or not TIME.match(value):
            self.problem(item, f"'{key}' must be a time like \"09:00\" (24-hour, quoted)")
            return None
        return time.fromisoformat(value)

    def codes(self, item: dict, key: str, known: set[str] | None = None) -> list[str]:
        value = item.get(key) or []
        if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
            self.problem(item, f"'{key}' must be a list")
            return []
        if known is not None:
            unknown = [v for v in value if v not in known]
            if unknown:
                self.problem(item, f"'{key}' has unknown code(s): {', '.join(unknown)}")
        return value

    def items(self, item: dict, key: str) -> list[LineDict]:
        value = item.get(key) or []
        if not isinstance(value, list):
            self.problem(item, f"'{key}' must be a list")
            return []
        return [v for v in value if self.mapping(v, item, f"each entry of '{key}'") is not None]


__all__ = [
    "Checker",
    "ContentError",
    "ContentFile",
    "ContentProblem",
    "LOCATION_TYPES",
    "PHONE_TYPES",
    "SERVICE_STATUSES",
    "WEEKDAYS",
    "read_yaml",
]
