"""Schemathesis against the API's OpenAPI description, over the small warehouse: whatever the parameters, the API
answers a client error or a result, never a server error (5xx).

Each operation is one Schemathesis subtest with few Hypothesis examples (the whole module runs in seconds); the
regressions below pin the server errors the fuzzing found.
"""

from __future__ import annotations

import base64
import json
import os
import tempfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import schemathesis
from fastapi import FastAPI
from fastapi.testclient import TestClient
from hypothesis import HealthCheck, settings
from schemathesis.checks import not_a_server_error
from schemathesis.generation.case import Case

from spaser.config import Settings
from spaser.web.app import create_app
from tests.integration.web.sample import build_site

#: The OpenAPI description does not depend on the data: read from an app over no warehouse, at collection. (The
#: requests go to the ``app`` fixture, over the small warehouse; ``schemathesis.pytest.from_fixture`` would do
#: both, but fails under pytest 9: it sets ``node._nodeid``, gone from pytest's nodes.)
#: Examples per operation; SPASER_FUZZ_EXAMPLES=500 for a deeper run.
EXAMPLES = int(os.environ.get("SPASER_FUZZ_EXAMPLES", "15"))
schema = schemathesis.openapi.from_dict(
    create_app(Settings(data_dir=Path(tempfile.mkdtemp(prefix="spaser-openapi-")))).openapi())


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory) -> Settings:
    return build_site(tmp_path_factory.mktemp("fuzz"))


@pytest.fixture(scope="module")
def app(site: Settings) -> Iterator[FastAPI]:
    application = create_app(site)
    yield application
    application.state.reader.close()


def test_the_schema_lists_the_api() -> None:
    paths = set(schema.raw_schema["paths"])
    assert {"/api/v1/indicators", "/api/v1/contracts", "/api/v1/contracts/{key}", "/api/v1/health",
            "/api/v1/decp/feed", "/api/v1/consultations", "/api/v1/consultations/{consultation_id}/bids",
            "/api/v1/bids/files/{file_id}", "/api/v1/auth/login"} <= paths


@schema.parametrize()
@settings(max_examples=EXAMPLES, deadline=None, suppress_health_check=list(HealthCheck), derandomize=True)
def test_no_server_error(case: Case[Any], app: FastAPI) -> None:
    response = case.call(app=app)
    assert response.status_code < 500, f"{case.as_curl_command()} answered {response.status_code}"
    case.validate_response(response, checks=[not_a_server_error])


# --- regressions: server errors found by the fuzzing -------------------------------------------------------------


def _cursor(value: object) -> str:
    return base64.urlsafe_b64encode(json.dumps(value).encode()).decode().rstrip("=")


@pytest.mark.parametrize("cursor", [_cursor({"d": 20240101, "k": "x"}), _cursor({"d": "2024-13-45", "k": "x"}),
                                    _cursor({"d": None, "k": {"a": 1}}), _cursor({"k": None}), _cursor(["k"]),
                                    "%C3%A9", "AAAA"])
def test_a_forged_cursor_is_a_client_error(app: FastAPI, cursor: str) -> None:
    """Regression: a cursor that decodes to JSON with a non-text date or key reached the query (500)."""
    response = TestClient(app).get(f"/api/v1/contracts?cursor={cursor}")
    assert response.status_code == 400, response.text
    assert response.json()["error"].startswith("cursor:")
