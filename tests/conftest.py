"""Shared fixtures: the real data folder (skipped when absent) and isolated data directories."""

from __future__ import annotations

import datetime as dt
import hashlib
from collections.abc import Callable
from pathlib import Path

import pytest

from spaser.config import Settings
from spaser.warehouse.ingest import ingest
from spaser.warehouse.report import RunReport

pytest_plugins = ["tests.platform_fixtures", "tests.marketplace_world"]

ROOT = Path(__file__).resolve().parents[1]
SHARED_DATA = ROOT.parent / "shared" / "data"
DECP = SHARED_DATA / "decp"
REAL = DECP / "real"
TODAY = dt.date(2026, 11, 22)

REAL_FILES = sorted(
    [*REAL.glob("v2019/*.json"), *REAL.glob("v2024/*"), *REAL.glob("fixtures_semi_synthetic/*.json")]
) if REAL.exists() else []


#: Marks a module or test that reads ../shared/data: skipped, with the reason, on a clone without it.
needs_shared = pytest.mark.skipif(not DECP.exists(), reason=f"needs the shared real data: {DECP} is absent")


def shared(path: str) -> Path:
    """A file of ../shared/data, or skip the test with the reason."""
    target = SHARED_DATA / path
    if not target.exists():
        pytest.skip(f"needs the shared real data: {target} is absent")
    return target


def sha256_of(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


@pytest.fixture
def settings(tmp_path: Path) -> Settings:
    return Settings(data_dir=tmp_path / "data", ingest_workers=-1)


@pytest.fixture
def run_ingest(settings: Settings) -> Callable[..., RunReport]:
    def run(*paths: Path, source: str | None = None, workers: int | None = None) -> RunReport:
        chosen = settings if workers is None else settings.model_copy(update={"ingest_workers": workers})
        return ingest(list(paths), chosen, source=source, today=TODAY)

    return run
