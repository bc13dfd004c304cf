"""The dated thresholds table: the shipped values, its checks, and a custom table given to the engine."""

from __future__ import annotations

import datetime as dt
from importlib import resources
from pathlib import Path
from typing import Any

import pytest

from spaser.errors import InputError
from spaser.indicators.thresholds import REQUIRED_NAMES, amount_on, load_thresholds
from tests.integration.indicators.build import build, computed, expect, figures, marche, social

SHIPPED = resources.files("spaser.indicators").joinpath("thresholds.toml").read_text(encoding="utf-8")


def test_the_shipped_table_loads_with_every_required_name() -> None:
    thresholds = load_thresholds()
    assert {t.name for t in thresholds} == set(REQUIRED_NAMES)
    assert all(t.amount > 0 and t.start <= t.end for t in thresholds)


@pytest.mark.parametrize(("name", "day", "amount"), [
    ("eu_supplies_services", "2026-06-01", 216000),
    ("eu_supplies_services", "2025-06-01", 221000),
    ("eu_supplies_services", "2025-12-31", 221000),
    ("eu_supplies_services", "2026-01-01", 216000),
    ("eu_supplies_services", "2023-06-01", 215000),
    ("eu_supplies_services_central", "2026-06-01", 140000),
    ("eu_utilities_defence", "2026-06-01", 432000),
    ("eu_works", "2026-06-01", 5404000),
    ("eu_works", "2024-06-01", 5538000),
    ("national_no_publicity_supplies_services", "2019-12-31", 25000),
    ("national_no_publicity_supplies_services", "2025-01-01", 40000),
    ("national_no_publicity_supplies_services", "2026-03-31", 40000),
    ("national_no_publicity_supplies_services", "2026-04-01", 60000),
    ("national_no_publicity_works", "2026-04-01", 100000),
    ("decp_publication", "2025-01-01", 40000),
    ("eu_supplies_services", "2015-06-01", None),  # before the first period
    ("no_such_threshold", "2025-06-01", None),
])
def test_amount_on(name: str, day: str, amount: int | None) -> None:
    assert amount_on(load_thresholds(), name, dt.date.fromisoformat(day)) == amount


def _table(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "seuils.toml"
    path.write_text(text, encoding="utf-8")
    return path


def test_overlapping_periods_are_refused(tmp_path: Path) -> None:
    path = _table(tmp_path, SHIPPED + '\n[[threshold]]\nname = "eu_works"\namount = 1\nstart = 2027-06-01\n'
                                      'end = 2028-12-31\n')
    with pytest.raises(InputError) as caught:
        load_thresholds(path)
    assert caught.value.message == (f"{path}: threshold 'eu_works': period from 2027-06-01 overlaps the one "
                                    "ending 2027-12-31")


def test_a_missing_name_is_refused(tmp_path: Path) -> None:
    kept = [block for block in SHIPPED.split("[[threshold]]") if 'name = "decp_publication"' not in block]
    path = _table(tmp_path, "[[threshold]]".join(kept))
    with pytest.raises(InputError) as caught:
        load_thresholds(path)
    assert caught.value.message == f"{path}: thresholds missing: decp_publication"


@pytest.mark.parametrize(("row", "message"), [
    ('amount = 1\nstart = 2020-01-01\nend = 2020-12-31', "threshold #1: field 'name' must be a text"),
    ('name = "x"\namount = 0\nstart = 2020-01-01\nend = 2020-12-31',
     "threshold #1 (x): field 'amount' must be a positive number"),
    ('name = "x"\namount = 1\nstart = "2020-01-01"\nend = 2020-12-31',
     "threshold #1 (x): field 'start' must be a date (YYYY-MM-DD)"),
    ('name = "x"\namount = 1\nstart = 2021-01-01\nend = 2020-12-31',
     "threshold #1 (x): 'end' 2020-12-31 is before 'start' 2021-01-01"),
])
def test_a_bad_row_is_named(tmp_path: Path, row: str, message: str) -> None:
    path = _table(tmp_path, "[[threshold]]\n" + row + "\n" + SHIPPED)
    with pytest.raises(InputError) as caught:
        load_thresholds(path)
    assert caught.value.message.startswith(f"{path}: {message}")


def test_an_unreadable_table_is_an_input_error(tmp_path: Path) -> None:
    with pytest.raises(InputError, match="cannot read the thresholds file"):
        load_thresholds(tmp_path / "absent.toml")


def test_a_custom_table_changes_social_above_eu(tmp_path: Path) -> None:
    """2025 supplies contracts: F1 250 000 Clause sociale, F2 350 000 Pas de considération sociale.

    Shipped table (221 000 in 2025): both above → 1/2 = 50 %; in value 250 000 / 600 000 = 41.6667 %.
    Custom table raising the 2024-2025 threshold to 300 000: only F2 → 0/1 = 0 %; in value 0 / 350 000 = 0 %.
    The snapshot's stored facts (built with the shipped table) still answer a computation without a table.
    """
    def supplies(id: str, amount: int, label: str) -> dict[str, Any]:
        return marche(id, dateNotification="2025-05-01", datePublicationDonnees="2025-05-02", montant=amount,
                      considerationsSociales=social(label))

    settings = build(tmp_path, [supplies("F1", 250000, "Clause sociale"),
                                supplies("F2", 350000, "Pas de considération sociale")])
    shipped_row = 'name = "eu_supplies_services"\namount = 221000\nstart = 2024-01-01'
    assert shipped_row in SHIPPED
    custom = _table(tmp_path, SHIPPED.replace(shipped_row, shipped_row.replace("221000", "300000")))

    shipped = computed(settings, "social_above_eu")
    assert figures(shipped[("count", 2025, "all", None)]) == expect(1, 2, 50.0, 1.0, population=2, known=2)
    assert figures(shipped[("value", 2025, "all", None)]) == expect(250000, 600000, 41.6667, 1.0, population=2,
                                                                     known=2)
    changed = computed(settings, "social_above_eu", thresholds=custom)
    assert figures(changed[("count", 2025, "all", None)]) == expect(0, 1, 0.0, 1.0, population=1, known=1)
    assert figures(changed[("value", 2025, "all", None)]) == expect(0, 350000, 0.0, 1.0, population=1, known=1)
    again = computed(settings, "social_above_eu")
    assert figures(again[("count", 2025, "all", None)]) == figures(shipped[("count", 2025, "all", None)])
