"""An id past the database's integers names nothing: 404, not a 500 (SQLite raised OverflowError)."""

from __future__ import annotations

from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from spaser.config import Settings
from spaser.web.app import create_app

HUGE = "99999999999999999999"


@pytest.mark.parametrize("path", [f"/consultations/{HUGE}", f"/consultations/{HUGE}.json",
                                  f"/api/v1/consultations/{HUGE}"])
def test_a_huge_id_is_not_found(tmp_path: Path, path: str) -> None:
    with TestClient(create_app(Settings(data_dir=tmp_path)), raise_server_exceptions=False) as client:
        response = client.get(path)
    assert response.status_code == 404 and "number too large" in response.text
