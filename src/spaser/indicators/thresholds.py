"""The dated configuration table of procurement thresholds (EU directives, national rules, DECP publication).

Why a table and not constants: thresholds change every two years (EU) or by decree (national), and an
indicator must judge each contract by the thresholds in force on its notification date. The shipped table is
``thresholds.toml``; a user may pass another file (same layout) to the engine.
"""

from __future__ import annotations

import datetime as dt
import itertools
import tomllib
from dataclasses import dataclass
from importlib import resources
from pathlib import Path

import duckdb

from spaser.errors import InputError

#: Names the indicators use; a table must define each of them (see thresholds.toml for their meaning).
REQUIRED_NAMES = (
    "eu_supplies_services_central", "eu_supplies_services", "eu_utilities_defence", "eu_works",
    "national_no_publicity_supplies_services", "national_no_publicity_works", "decp_publication",
)
TABLE = "indicator_thresholds"


@dataclass(frozen=True)
class Threshold:
    name: str
    amount: float
    start: dt.date
    end: dt.date


def load_thresholds(path: Path | None = None) -> list[Threshold]:
    """Read and check a thresholds file (default: the shipped one); errors name the row and the field."""
    if path is None:
        text = resources.files("spaser.indicators").joinpath("thresholds.toml").read_text(encoding="utf-8")
        origin = "thresholds.toml (shipped)"
    else:
        try:
            text = path.read_text(encoding="utf-8")
        except OSError as exc:
            raise InputError(f"{path}: cannot read the thresholds file: {exc.strerror}") from None
        origin = str(path)
    try:
        rows = tomllib.loads(text).get("threshold", [])
    except tomllib.TOMLDecodeError as exc:
        raise InputError(f"{origin}: invalid TOML: {exc}") from None
    thresholds = [_parse(origin, index, row) for index, row in enumerate(rows, start=1)]
    _check(origin, thresholds)
    return thresholds


def _parse(origin: str, index: int, row: object) -> Threshold:
    if not isinstance(row, dict):
        raise InputError(f"{origin}: threshold #{index} is not a table")
    name, amount, start, end = (row.get(key) for key in ("name", "amount", "start", "end"))
    if not isinstance(name, str) or not name:
        raise InputError(f"{origin}: threshold #{index}: field 'name' must be a text, got {name!r}")
    if isinstance(amount, bool) or not isinstance(amount, int | float) or amount <= 0:
        raise InputError(f"{origin}: threshold #{index} ({name}): field 'amount' must be a positive number, "
                         f"got {amount!r}")
    for field, value in (("start", start), ("end", end)):
        if not isinstance(value, dt.date) or isinstance(value, dt.datetime):
            raise InputError(f"{origin}: threshold #{index} ({name}): field '{field}' must be a date "
                             f"(YYYY-MM-DD), got {value!r}")
    assert isinstance(start, dt.date) and isinstance(end, dt.date)
    if end < start:
        raise InputError(f"{origin}: threshold #{index} ({name}): 'end' {end} is before 'start' {start}")
    return Threshold(name, float(amount), start, end)


def _check(origin: str, thresholds: list[Threshold]) -> None:
    """Each name defined, and never two values on one day: a contract must get exactly one threshold."""
    missing = [name for name in REQUIRED_NAMES if name not in {t.name for t in thresholds}]
    if missing:
        raise InputError(f"{origin}: thresholds missing: {', '.join(missing)}")
    by_name: dict[str, list[Threshold]] = {}
    for threshold in thresholds:
        by_name.setdefault(threshold.name, []).append(threshold)
    for name, rows in by_name.items():
        rows.sort(key=lambda t: t.start)
        for before, after in itertools.pairwise(rows):
            if after.start <= before.end:
                raise InputError(f"{origin}: threshold '{name}': period from {after.start} overlaps the one "
                                 f"ending {before.end}")


def amount_on(thresholds: list[Threshold], name: str, day: dt.date) -> float | None:
    """The threshold in force on ``day`` (None before the first period): the rule the SQL join follows."""
    for threshold in thresholds:
        if threshold.name == name and threshold.start <= day <= threshold.end:
            return threshold.amount
    return None


def register(con: duckdb.DuckDBPyConnection, thresholds: list[Threshold]) -> None:
    """Create the temporary table the indicator queries join to."""
    con.execute(f"CREATE OR REPLACE TEMP TABLE {TABLE} (name VARCHAR, amount DOUBLE, start DATE, \"end\" DATE)")
    con.executemany(f"INSERT INTO {TABLE} VALUES (?, ?, ?, ?)",
                    [(t.name, t.amount, t.start, t.end) for t in thresholds])
