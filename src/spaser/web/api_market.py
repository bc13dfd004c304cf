"""Marketplace REST API under /api/v1: login for a bearer token, public consultations, bid deposit, opened bid
files, and the DECP feed the observatory ingests. Same services and checks as the pages."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Annotated, Any
from urllib.parse import quote

from fastapi import APIRouter, File, Form, Query, Request, UploadFile
from fastapi.responses import Response
from pydantic import BaseModel, Field

from spaser.accounts import service as accounts
from spaser.errors import AuthenticationError, InputError
from spaser.marketplace import bids, consultations, feed
from spaser.marketplace.bids import UploadedFile
from spaser.marketplace.consultations import PublicFilter
from spaser.marketplace.rules import PROCEDURES
from spaser.web.auth import Auth, client_address
from spaser.web.market_views import detail, summary
from spaser.web.render import Renderer, jsonable


class Credentials(BaseModel):
    email: str = Field(max_length=320)
    password: str = Field(max_length=1024)


class Token(BaseModel):
    token: str
    token_type: str = "bearer"
    expires_at: dt.datetime


def market_api_router(renderer: Renderer, auth: Auth) -> APIRouter:
    router = APIRouter(prefix="/api/v1")
    platform = auth.platform

    @router.post("/auth/login", tags=["accounts"], response_model=Token)
    def login(credentials: Credentials, request: Request) -> Token:
        """A session token for API clients: send it as ``Authorization: Bearer <token>``."""
        ctx = auth.context(request)
        with platform.db.begin() as session:
            user = accounts.authenticate(session, ctx, email=credentials.email, password=credentials.password,
                                         client=client_address(request))
            opened = accounts.open_session(session, ctx, user) if user is not None else None
        if opened is None:
            raise AuthenticationError(accounts.WRONG_CREDENTIALS)
        return Token(token=opened.token, expires_at=opened.expires_at)

    @router.get("/consultations", tags=["marketplace"])
    def list_consultations(
        q: Annotated[str | None, Query(max_length=200)] = None,
        cpv: Annotated[str | None, Query(pattern=r"^\d{2,8}$")] = None,
        procedure: str | None = None,
        status: Annotated[str | None, Query(pattern="^(open|closed)$")] = None,
        offset: Annotated[int, Query(ge=0, le=1_000_000)] = 0,
        limit: Annotated[int, Query(ge=1, le=200)] = 50,
    ) -> dict[str, Any]:
        """Published consultations, newest first."""
        if procedure and procedure not in PROCEDURES:
            raise InputError(f"procedure: {procedure!r} is not one of: {', '.join(PROCEDURES)}")
        now = platform.clock()
        with platform.db() as session:
            rows, total = consultations.list_public(
                session, now, PublicFilter(q=q, cpv_division=cpv[:2] if cpv else None, procedure=procedure,
                                           status=status), limit=limit, offset=offset)
            return {"total": total, "items": jsonable([summary(c, o, now) for c, o in rows])}

    @router.get("/consultations/{consultation_id}", tags=["marketplace"])
    def get_consultation(consultation_id: int) -> dict[str, Any]:
        with platform.db() as session:
            view: dict[str, Any] = jsonable(detail(session, consultations.get_public(session, consultation_id),
                                                   platform.clock()))
            return view

    @router.post("/consultations/{consultation_id}/bids", tags=["marketplace"], status_code=201)
    async def deposit_bid(
        consultation_id: int,
        request: Request,
        files: Annotated[list[UploadFile], File(description="The bid's files.")],
        amount: Annotated[Decimal, Form(description="Total amount of the bid, EUR HT.")],
        backup: Annotated[bool, Form(description="A backup copy (copie de sauvegarde).")] = False,
    ) -> dict[str, Any]:
        """Deposit a sealed bid (supplier's bearer token); answers the signed receipt."""
        uploads = [UploadedFile(f.filename or "", f.content_type or "", await f.read()) for f in files]
        form = await request.form()
        auth.check_csrf(request, form)
        ctx = auth.context(request)
        with platform.db.begin() as session:
            result = bids.deposit(session, ctx, consultation_id, uploads, amount=amount, is_backup=backup)
        return result.receipt

    @router.get("/bids/files/{file_id}", tags=["marketplace"])
    def bid_file(file_id: int, request: Request) -> Response:
        """An opened bid's file, for the buyer organisation (403 before the deadline and the opening)."""
        with platform.db.begin() as session:
            item, content = bids.read_bid_file(session, auth.context(request), file_id)
        return Response(content, media_type=item.content_type, headers={
            "Content-Disposition": f"attachment; filename*=UTF-8''{quote(item.filename)}",
            "Cache-Control": "private, no-store"})

    @router.get("/decp/feed", tags=["open data"])
    def decp_feed(cursor: str | None = None, limit: Annotated[int, Query(ge=1, le=feed.MAX_PAGE)] = 100
                  ) -> dict[str, Any]:
        """DECP v2.0.3 records of the contracts notified on the platform, oldest first; pass ``next_cursor``
        back as ``cursor`` for the next page (null: the end)."""
        with platform.db() as session:
            page = feed.read_page(session, cursor, limit)
        return {"marches": {"marche": page.records}, "next_cursor": page.next_cursor}

    del renderer
    return router
