"""SPASER targets: data, never code. A TOML file per organisation; each result gets its target and status.

Why data: a buyer's SPASER sets its own objectives (Bretagne: 50 % of SMEs with a 30 % advance, 30 % new
suppliers…) and revises them every two years; the national plan gives defaults. A target set names the
buyers (SIRET, or SIREN for every establishment) it belongs to.

Status of a result against its target (``better`` comes from the catalogue: higher or lower is better):

* ``met``: the value reaches the target;
* before the target year, ``on_track`` when the value reaches the expected value for that year: a declared
  trajectory point, or the straight line between the surrounding points (the target being the last one);
* otherwise ``off_track`` — also before the first trajectory point, or without a trajectory: a value that
  neither reaches the target nor a declared milestone is not called on track.

``gap`` = value − target, in the indicator's unit (negative: below the target).
"""

from __future__ import annotations

import tomllib
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from importlib import resources
from pathlib import Path

from spaser.errors import InputError
from spaser.indicators.catalogue import MEASURES, by_id
from spaser.indicators.engine import Result

DEFAULT_FILE = "targets_default.toml"


@dataclass(frozen=True)
class Target:
    indicator: str
    measure: str
    value: float
    year: int
    trajectory: dict[int, float] = field(default_factory=dict)
    note: str | None = None

    def expected_at(self, year: int) -> float | None:
        """The value expected in ``year`` (None before the first milestone)."""
        points = sorted({**self.trajectory, self.year: self.value}.items())
        if year >= self.year:
            return self.value
        if year in dict(points):
            return dict(points)[year]
        before = [(y, v) for y, v in points if y < year]
        after = [(y, v) for y, v in points if y > year]
        if not before:
            return None
        (y0, v0), (y1, v1) = before[-1], after[0]
        return v0 + (v1 - v0) * (year - y0) / (y1 - y0)


@dataclass(frozen=True)
class TargetSet:
    organisation: str
    acheteurs: tuple[str, ...]
    targets: tuple[Target, ...]
    origin: str
    include_default: bool = True

    def covers(self, acheteur_id: str | None) -> bool:
        return acheteur_id is not None and any(
            acheteur_id == a or (len(a) == 9 and acheteur_id.startswith(a)) for a in self.acheteurs)

    def find(self, indicator: str, measure: str) -> Target | None:
        return next((t for t in self.targets if t.indicator == indicator and t.measure == measure), None)


def load_target_set(path: Path) -> TargetSet:
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as exc:
        raise InputError(f"{path}: cannot read the target file: {exc.strerror}") from None
    return parse_target_set(text, str(path))


def default_target_set() -> TargetSet:
    text = resources.files("spaser.indicators").joinpath(DEFAULT_FILE).read_text(encoding="utf-8")
    return parse_target_set(text, f"{DEFAULT_FILE} (shipped)")


def discover(folder: Path) -> list[TargetSet]:
    """Every ``*.toml`` of the data folder's ``targets/`` (sorted by name; none when it does not exist)."""
    return [load_target_set(path) for path in sorted(folder.glob("*.toml"))] if folder.is_dir() else []


def parse_target_set(text: str, origin: str) -> TargetSet:
    """Read and check a target set; every error names the file, the target and the field."""
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise InputError(f"{origin}: invalid TOML: {exc}") from None
    organisation = data.get("organisation")
    if not isinstance(organisation, str) or not organisation.strip():
        raise InputError(f"{origin}: field 'organisation' must be a non-empty text, got {organisation!r}")
    acheteurs = data.get("acheteurs", [])
    if not isinstance(acheteurs, list) or not all(
            isinstance(a, str) and a.isdigit() and len(a) in (9, 14) for a in acheteurs):
        raise InputError(f"{origin}: field 'acheteurs' must be a list of SIRET (14 digits) or SIREN (9 digits), "
                         f"got {acheteurs!r}")
    include_default = data.get("include_default", True)
    if not isinstance(include_default, bool):
        raise InputError(f"{origin}: field 'include_default' must be true or false, got {include_default!r}")
    rows = data.get("target", [])
    if not isinstance(rows, list):
        raise InputError(f"{origin}: 'target' must be an array of tables ([[target]])")
    targets = tuple(_parse_target(origin, index, row) for index, row in enumerate(rows, start=1))
    seen: set[tuple[str, str]] = set()
    for target in targets:
        if (target.indicator, target.measure) in seen:
            raise InputError(f"{origin}: two targets for {target.indicator} ({target.measure})")
        seen.add((target.indicator, target.measure))
    return TargetSet(organisation.strip(), tuple(acheteurs), targets, origin, include_default)


def _number(origin: str, where: str, name: str, value: object) -> float:
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise InputError(f"{origin}: {where}: field '{name}' must be a number, got {value!r}")
    return float(value)


def _parse_target(origin: str, index: int, row: object) -> Target:
    where = f"target #{index}"
    if not isinstance(row, dict):
        raise InputError(f"{origin}: {where} is not a table")
    catalogue = by_id()
    indicator = row.get("indicator")
    if indicator not in catalogue:
        raise InputError(f"{origin}: {where}: unknown indicator {indicator!r} (see `spaser indicators --list`)")
    assert isinstance(indicator, str)
    where = f"target #{index} ({indicator})"
    measure = row.get("measure", "count")
    if measure not in MEASURES:
        raise InputError(f"{origin}: {where}: field 'measure' must be one of {', '.join(MEASURES)}, got {measure!r}")
    value = _number(origin, where, "value", row.get("value"))
    if catalogue[indicator].unit == "%" and not 0 <= value <= 100:
        raise InputError(f"{origin}: {where}: field 'value' is a percentage between 0 and 100, got {value!r}")
    year = row.get("year")
    if isinstance(year, bool) or not isinstance(year, int) or not 2000 <= year <= 2100:
        raise InputError(f"{origin}: {where}: field 'year' must be a year such as 2027, got {year!r}")
    raw_trajectory = row.get("trajectory", {})
    if not isinstance(raw_trajectory, dict):
        raise InputError(f"{origin}: {where}: field 'trajectory' must be a table {{2025 = 40, 2026 = 45}}")
    trajectory: dict[int, float] = {}
    for key, point in raw_trajectory.items():
        if not key.isdigit() or not 2000 <= int(key) < year:
            raise InputError(f"{origin}: {where}: trajectory year {key!r} must be a year before {year}")
        trajectory[int(key)] = _number(origin, where, f"trajectory.{key}", point)
    note = row.get("note")
    if note is not None and not isinstance(note, str):
        raise InputError(f"{origin}: {where}: field 'note' must be a text, got {note!r}")
    return Target(indicator, str(measure), value, year, trajectory, note)


def assess(value: float | None, year: int | None, target: Target, better: str | None) -> tuple[str | None, float | None,
                                                                                           float | None]:
    """(status, gap, expected) of a value against a target; no status without a value or a year."""
    if value is None or year is None:
        return None, None, None
    lower_is_better = better == "lower"

    def reaches(reference: float) -> bool:
        return value <= reference if lower_is_better else value >= reference

    gap = round(value - target.value, 4)
    expected = target.expected_at(year)
    if reaches(target.value):
        return "met", gap, expected
    if year >= target.year:
        return "off_track", gap, expected
    if expected is not None and reaches(expected):
        return "on_track", gap, expected
    return "off_track", gap, expected


def choose(sets: Iterable[TargetSet], default: TargetSet, acheteur_id: str | None,
           indicator: str, measure: str) -> Target | None:
    """The organisation's target for this buyer if it sets one, else the default (unless it opted out)."""
    for target_set in sets:
        if target_set.covers(acheteur_id):
            own = target_set.find(indicator, measure)
            if own is not None or not target_set.include_default:
                return own
    return default.find(indicator, measure)


def apply_targets(results: Iterable[Result], sets: list[TargetSet], default: TargetSet | None = None,
                  buyer: str | None = None) -> Iterator[Result]:
    """Attach target, expected value, status and gap. The buyer is ``buyer`` (results restricted to one
    buyer), else the scope id of a ``buyer`` result; other scopes get the default targets."""
    chosen_default = default or default_target_set()
    catalogue = by_id()
    for result in results:
        acheteur = buyer or (result.scope_id if result.scope == "buyer" else None)
        target = choose(sets, chosen_default, acheteur, result.id, result.measure)
        if target is not None:
            status, gap, expected = assess(result.value, result.year, target, catalogue[result.id].better)
            result.target, result.target_year = target.value, target.year
            result.status, result.gap, result.expected = status, gap, expected
        yield result
