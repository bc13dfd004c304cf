"""The status page and its JSON twin read the published snapshot."""

from __future__ import annotations

from collections.abc import Callable

from fastapi.testclient import TestClient

from spaser.config import Settings
from spaser.warehouse.report import RunReport
from spaser.web.app import create_app
from tests.conftest import REAL, needs_shared


def test_empty_warehouse(settings: Settings) -> None:
    client = TestClient(create_app(settings))
    page = client.get("/")
    assert page.status_code == 200 and "spaser ingest" in page.text and 'lang="fr"' in page.text
    assert client.get("/statut.json").json()["status"]["contracts"] == 0
    assert "spaser ingest" in client.get("/statut").text
    assert client.get("/api/v1/health").json()["status"] == "ok"


@needs_shared
def test_counts_after_an_ingestion(settings: Settings, run_ingest: Callable[..., RunReport]) -> None:
    report = run_ingest(REAL / "v2024")
    client = TestClient(create_app(settings))
    data = client.get("/statut.json").json()["status"]
    assert data["contracts"] == report.loaded == 6
    assert data["files"] == 2 and len(data["runs"]) == 1
    assert "Contrats (dédoublonnés)" in client.get("/statut").text
