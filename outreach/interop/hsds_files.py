"""The official HSDS 3.0 files kept in ``hsds/`` (copied unchanged; CC BY-SA 4.0, Open Referral)."""
from __future__ import annotations

import copy
import json
from functools import lru_cache
from pathlib import Path

HSDS_DIR = Path(__file__).resolve().parent / "hsds"


@lru_cache(maxsize=None)
def _load(name: str) -> dict:
    return json.loads((HSDS_DIR / name).read_text(encoding="utf-8"))


def official_datapackage() -> dict:
    """The tabular data package descriptor: resources, their CSV paths and field order."""
    return copy.deepcopy(_load("datapackage.json"))


def official_openapi() -> dict:
    return copy.deepcopy(_load("openapi.json"))
