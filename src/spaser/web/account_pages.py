"""Log in, log out, supplier sign-up, forgotten password: the account pages (thin: forms → accounts service)."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import RedirectResponse, Response

from spaser.accounts import service as accounts
from spaser.accounts.models import User
from spaser.errors import InputError, SpaserError
from spaser.web import forms
from spaser.web.auth import Auth, client_address
from spaser.web.render import Renderer


def home_of(user: User) -> str:
    if user.role in ("admin", "buyer", "evaluator"):
        return "/acheteur"
    if user.role == "supplier":
        return "/entreprise"
    return "/consultations"


def account_router(renderer: Renderer, auth: Auth) -> APIRouter:
    router = APIRouter(include_in_schema=False)
    platform = auth.platform

    def show(request: Request, template: str, title: str, status_code: int = 200, **data: Any) -> Response:
        return renderer.private(request, template, data, title=title, status_code=status_code, json_data=False)

    @router.get("/connexion")
    def login_form(request: Request, suite: str | None = None) -> Response:
        return show(request, "account/login.html", "Connexion", suite=forms.safe_next(suite, ""), email="",
                    error=None)

    @router.post("/connexion")
    async def login(request: Request) -> Response:
        form = await forms.read_form(request, auth)
        email, suite = forms.text(form, "email"), forms.safe_next(forms.text(form, "suite"), "")
        ctx = auth.context(request)
        with platform.db.begin() as session:
            user = accounts.authenticate(session, ctx, email=email, password=forms.text(form, "password"),
                                         client=client_address(request))
            opened = accounts.open_session(session, ctx, user) if user is not None else None
            target = suite or (home_of(user) if user is not None else "")
        if opened is None:
            return show(request, "account/login.html", "Connexion", 401, suite=suite, email=email,
                        error=accounts.WRONG_CREDENTIALS)
        response = RedirectResponse(target, status_code=303)
        auth.login_cookie(response, opened)
        return response

    @router.post("/deconnexion")
    async def logout(request: Request) -> Response:
        await forms.read_form(request, auth)
        user = auth.user(request)
        token, _ = auth.token(request)
        if user is not None and token:
            with platform.db.begin() as session:
                accounts.revoke_sessions(session, user.id, platform.clock(), token=token)
        response = RedirectResponse("/", status_code=303)
        auth.logout_cookie(response)
        return response

    @router.get("/inscription")
    def signup_form(request: Request) -> Response:
        return show(request, "account/signup.html", "Inscription entreprise", values={}, error=None)

    @router.post("/inscription")
    async def signup(request: Request) -> Response:
        form = await forms.read_form(request, auth)
        values = {k: forms.text(form, k) for k in ("siret", "company_name", "full_name", "email")}
        ctx = auth.context(request)
        try:
            if forms.text(form, "password") != forms.text(form, "password_again"):
                raise InputError("password_again: the two passwords differ")
            with platform.db.begin() as session:
                user = accounts.register_supplier(session, ctx, password=forms.text(form, "password"),
                                                  sme=forms.checkbox(form, "sme"), **values)
                opened = accounts.open_session(session, ctx, user)
        except SpaserError as exc:
            return show(request, "account/signup.html", "Inscription entreprise", exc.http_status, values=values,
                        error=exc.message)
        response = RedirectResponse("/entreprise", status_code=303)
        auth.login_cookie(response, opened)
        return response

    @router.get("/compte/mot-de-passe-oublie")
    def forgot_form(request: Request) -> Response:
        return show(request, "account/forgot.html", "Mot de passe oublié", sent=False)

    @router.post("/compte/mot-de-passe-oublie")
    async def forgot(request: Request) -> Response:
        form = await forms.read_form(request, auth)
        with platform.db.begin() as session:
            accounts.request_password_reset(session, auth.context(request), forms.text(form, "email"))
        return show(request, "account/forgot.html", "Mot de passe oublié", sent=True)

    @router.get("/compte/reinitialiser")
    def reset_form(request: Request, jeton: str = "") -> Response:
        return show(request, "account/reset.html", "Nouveau mot de passe", token=jeton, error=None, done=False)

    @router.post("/compte/reinitialiser")
    async def reset(request: Request) -> Response:
        form = await forms.read_form(request, auth)
        token = forms.text(form, "token")
        try:
            if forms.text(form, "password") != forms.text(form, "password_again"):
                raise InputError("password_again: the two passwords differ")
            with platform.db.begin() as session:
                accounts.reset_password(session, auth.context(request), token, forms.text(form, "password"))
        except SpaserError as exc:
            return show(request, "account/reset.html", "Nouveau mot de passe", exc.http_status, token=token,
                        error=exc.message, done=False)
        return show(request, "account/reset.html", "Nouveau mot de passe", token="", error=None, done=True)

    return router
