"""The real records of ``../shared/data`` that the cleaning-rule tests cite, found by their fields.

Each data-cleaning rule is tested on the real record that motivated it (house rule); this module loads the
shared files once and skips the test, with the reason, on a clone without them.
"""

from __future__ import annotations

import csv
import functools
import io
import json
from typing import Any

import pytest

from tests.conftest import REAL


@functools.cache
def load_records(name: str) -> list[dict[str, Any]]:
    """Records of a real file (path relative to ``decp/real``): JSON envelopes of both formats, or CSV."""
    path = REAL / name
    if not path.is_file():
        pytest.skip(f"real DECP data absent ({path}): clone the shared data beside the repository")
    text = path.read_text(encoding="utf-8-sig")
    if name.endswith(".csv"):
        header = text.split("\n", 1)[0]
        delimiter = ";" if header.count(";") > header.count(",") else ","
        return list(csv.DictReader(io.StringIO(text, newline=""), delimiter=delimiter))
    marches = json.loads(text)["marches"]
    return [r for v in marches.values() for r in v] if isinstance(marches, dict) else list(marches)


def real_record(name: str, **match: object) -> dict[str, Any]:
    """The first record of ``name`` whose fields (dotted paths allowed) equal ``match``."""
    for rec in load_records(name):
        if all(field_value(rec, key) == value for key, value in match.items()):
            return rec
    raise AssertionError(f"{name}: no record with {match}")


def field_value(rec: dict[str, Any], dotted: str) -> object:
    value: object = rec
    for part in dotted.split("."):
        value = value.get(part) if isinstance(value, dict) else None
    return value
