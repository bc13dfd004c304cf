"""Driving the platform through HTTP in tests: a TestClient per user, logged in through the real form."""

from __future__ import annotations

import re

from fastapi.testclient import TestClient

from spaser.web.app import create_app
from tests.marketplace_world import PASSWORD, World

_CSRF = re.compile(r'name="csrf_token" value="([^"]+)"')


def csrf_of(html: str) -> str:
    found = _CSRF.search(html)
    assert found is not None, "no CSRF token in the page"
    return found.group(1)


def client_for(world: World, email: str | None = None, password: str = PASSWORD) -> TestClient:
    """A browser-like client; logged in through /connexion when ``email`` is given."""
    client = TestClient(create_app(world.platform.settings, world.platform))
    if email is not None:
        token = csrf_of(client.get("/connexion").text)
        response = client.post("/connexion", data={"email": email, "password": password, "csrf_token": token},
                               follow_redirects=False)
        assert response.status_code == 303, response.text
    return client


def post_form(client: TestClient, page: str, action: str, data: dict[str, str] | None = None,
              **options: object) -> object:
    """POST a form of ``page`` with the page's CSRF token, like a browser submitting it."""
    token = csrf_of(client.get(page).text)
    return client.post(action, data={"csrf_token": token, **(data or {})}, follow_redirects=False,
                       **options)  # type: ignore[arg-type]
