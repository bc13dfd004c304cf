"""Who is asking: the session cookie (pages) or a bearer token (API), and CSRF for every form.

Sessions are server-side (``accounts.service``): the cookie holds a random token, HttpOnly, SameSite=Lax, Secure
when the public URL is https. Forms carry a CSRF token checked against the session's, or, before login, against
a random double-submit cookie. Bearer-token API calls need no CSRF token (no ambient credential is sent by a
browser). Nothing here decides what a user may do: the services check roles and organisations.
"""

from __future__ import annotations

import hmac
import secrets
from typing import Any

from fastapi import Request
from fastapi.responses import Response
from starlette.datastructures import FormData

from spaser.accounts import service as accounts
from spaser.accounts.models import User
from spaser.errors import AuthenticationError, PermissionDeniedError
from spaser.platform_db.context import Context, Platform

SESSION_COOKIE = "spaser_session"
CSRF_COOKIE = "spaser_csrf"
CSRF_FIELD = "csrf_token"


class Auth:
    def __init__(self, platform: Platform) -> None:
        self.platform = platform
        self.secure = platform.settings.public_url.startswith("https://")

    def token(self, request: Request) -> tuple[str | None, bool]:
        """(session token, from a bearer header)."""
        header = request.headers.get("authorization", "")
        if header.lower().startswith("bearer "):
            return header[7:].strip(), True
        return request.cookies.get(SESSION_COOKIE), False

    def user(self, request: Request) -> User | None:
        """The logged-in user (looked up once per request, only when a credential is sent)."""
        if hasattr(request.state, "user"):
            user: User | None = request.state.user
            return user
        token, bearer = self.token(request)
        request.state.user, request.state.session_csrf, request.state.bearer = None, None, bearer
        if token:
            with self.platform.db() as session:
                found = accounts.session_user(session, token, self.platform.clock())
                if found is not None:
                    user, row = found
                    session.expunge(user)
                    request.state.user, request.state.session_csrf = user, row.csrf_token
        return request.state.user  # type: ignore[no-any-return]

    def context(self, request: Request) -> Context:
        """The acting user and the server's time, read now (after the request body was received)."""
        return self.platform.context(self.user(request))

    def api_writer(self, request: Request) -> Context:
        """The context of a writing API call: someone logged in (401 otherwise: a bearer token from
        ``POST /api/v1/auth/login``), and the CSRF token in ``X-CSRF-Token`` when the call comes with a cookie."""
        if self.user(request) is None:
            raise AuthenticationError("log in first: send Authorization: Bearer <token> (POST /api/v1/auth/login)")
        self.check_csrf(request, {})
        return self.context(request)

    def csrf_token(self, request: Request) -> str:
        """The token to put in this page's forms."""
        self.user(request)
        if request.state.session_csrf:
            return str(request.state.session_csrf)
        existing = request.cookies.get(CSRF_COOKIE) or getattr(request.state, "new_csrf", None)
        if existing:
            return str(existing)
        request.state.new_csrf = secrets.token_urlsafe(32)
        return str(request.state.new_csrf)

    def check_csrf(self, request: Request, form: FormData | dict[str, Any]) -> None:
        self.user(request)
        if request.state.bearer:
            return
        given = str(form.get(CSRF_FIELD) or request.headers.get("x-csrf-token") or "")
        expected = request.state.session_csrf or request.cookies.get(CSRF_COOKIE) or ""
        if not given or not expected or not hmac.compare_digest(given, expected):
            raise PermissionDeniedError("the form has expired or did not come from this site (CSRF check): "
                                        "reload the page and submit it again")

    def finish(self, request: Request, response: Response) -> Response:
        """Set the anonymous CSRF cookie when a form on this page needed one."""
        new = getattr(request.state, "new_csrf", None)
        if new:
            response.set_cookie(CSRF_COOKIE, new, httponly=True, samesite="lax", secure=self.secure)
        return response

    def login_cookie(self, response: Response, opened: accounts.OpenedSession) -> None:
        response.set_cookie(SESSION_COOKIE, opened.token, httponly=True, samesite="lax", secure=self.secure,
                            max_age=self.platform.settings.session_hours * 3600)
        response.delete_cookie(CSRF_COOKIE)

    def logout_cookie(self, response: Response) -> None:
        response.delete_cookie(SESSION_COOKIE)


def client_address(request: Request) -> str:
    return request.client.host if request.client else "unknown"
