"""Every setting has its help text and a line in the README's settings table."""

from __future__ import annotations

import pytest

from spaser.config import Settings
from tests.conftest import ROOT


def test_every_setting_is_documented() -> None:
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    for name, spec in Settings.model_fields.items():
        assert spec.description, f"setting {name} has no description"
        assert f"`SPASER_{name.upper()}`" in readme, f"SPASER_{name.upper()} missing from the README"


def test_settings_read_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("SPASER_DATA_DIR", "/srv/spaser")
    monkeypatch.setenv("SPASER_INGEST_WORKERS", "3")
    settings = Settings()
    assert str(settings.data_dir) == "/srv/spaser" and settings.ingest_workers == 3
    assert settings.warehouse_dir.name == "warehouse"
    assert settings.platform_url.startswith("sqlite:///") and settings.platform_url.endswith("platform.sqlite3")
