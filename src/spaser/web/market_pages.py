"""Marketplace pages for the public and for suppliers: consultations list and page, free document downloads,
following, questions, bid deposit and receipts. Thin: forms → ``spaser.marketplace`` services → templates."""

from __future__ import annotations

import json
from typing import Any
from urllib.parse import quote

from fastapi import APIRouter, Request
from fastapi.responses import RedirectResponse, Response
from sqlalchemy import select

from spaser.accounts.models import Organisation
from spaser.accounts.roles import require
from spaser.errors import InputError, NotFoundError
from spaser.marketplace import bids, consultations, documents, questions
from spaser.marketplace.bids import UploadedFile
from spaser.marketplace.consultations import PublicFilter
from spaser.marketplace.models import Bid, Consultation, Registration
from spaser.marketplace.rules import PROCEDURES
from spaser.web import forms
from spaser.web.auth import Auth
from spaser.web.market_views import STATUS_EN, STATUS_FR, bid_view, detail, summary
from spaser.web.render import Renderer

PAGE_SIZE = 20


def market_router(renderer: Renderer, auth: Auth) -> APIRouter:
    router = APIRouter(include_in_schema=False)
    platform = auth.platform

    def statuses(request: Request) -> dict[str, str]:
        return STATUS_FR if renderer.language(request) == "fr" else STATUS_EN

    def listing(request: Request, q: str = "", cpv: str = "", procedure: str = "", etat: str = "",
                page: str = "1") -> Response:
        number = int(page) if page.isdigit() and int(page) >= 1 else 1
        if procedure and procedure not in PROCEDURES:
            raise InputError(f"procedure: {procedure!r} is not one of: {', '.join(PROCEDURES)}")
        if etat not in ("", "open", "closed"):
            raise InputError(f"etat: {etat!r} is not open or closed")
        now = platform.clock()
        where = PublicFilter(q=q or None, cpv_division=cpv[:2] or None, procedure=procedure or None,
                             status=etat or None)
        with platform.db() as session:
            rows, total = consultations.list_public(session, now, where, limit=PAGE_SIZE,
                                                    offset=(number - 1) * PAGE_SIZE)
            items = [summary(c, o, now) for c, o in rows]
        data = {"items": items, "total": total, "page": number, "pages": max(1, -(-total // PAGE_SIZE)),
                "filters": {"q": q, "cpv": cpv, "procedure": procedure, "etat": etat}}
        return renderer.private(request, "market/list.html", data | {"procedures": PROCEDURES,
                                                                     "statuses": statuses(request)},
                                title="Consultations", json_data=data)

    router.add_api_route("/consultations.json", listing, methods=["GET"])
    router.add_api_route("/consultations", listing, methods=["GET"])

    def page(request: Request, consultation_id: int) -> Response:
        now = platform.clock()
        user = auth.user(request)
        with platform.db() as session:
            consultation = consultations.get(session, consultation_id)
            own_buyer = user is not None and user.organisation_id == consultation.buyer_org_id
            if consultation.status == "draft" and not own_buyer:
                raise NotFoundError(f"consultation {consultation_id} does not exist")
            view = detail(session, consultation, now)
            mine: dict[str, Any] = {"following": False, "bids": [], "questions": []}
            if user is not None and user.role == "supplier":
                ctx = platform.context(user)
                followed = select(Registration.id).where(Registration.consultation_id == consultation.id,
                                                         Registration.user_id == user.id)
                mine["following"] = session.execute(followed).first() is not None
                mine["bids"] = [bid_view(b) for b in bids.bids_of_supplier(session, ctx, consultation.id)]
                mine["questions"] = [{"text": q.text, "asked_at": q.asked_at, "answer": q.answer}
                                     for q in questions.questions_for_supplier(session, ctx, consultation.id)]
        return renderer.private(request, "market/consultation.html",
                                {"c": view, "mine": mine, "own_buyer": own_buyer, "now": now,
                                 "statuses": statuses(request), "message": request.query_params.get("message")},
                                title=view["title"], json_data=view)

    router.add_api_route("/consultations/{consultation_id}.json", page, methods=["GET"])
    router.add_api_route("/consultations/{consultation_id}", page, methods=["GET"])

    @router.get("/consultations/{consultation_id}/documents/{document_id}")
    def download(consultation_id: int, document_id: int, request: Request) -> Response:
        with platform.db() as session:
            document, content = documents.download(session, document_id, user=auth.user(request), store=platform.store)
        if document.consultation_id != consultation_id:
            raise NotFoundError(f"document {document_id} is not a document of consultation {consultation_id}")
        return Response(content, media_type=document.content_type, headers={
            "Content-Disposition": f"attachment; filename*=UTF-8''{quote(document.name)}",
            "X-Content-SHA256": document.sha256, "Cache-Control": "private, no-store"})

    def back(consultation_id: int, message: str) -> Response:
        return RedirectResponse(f"/consultations/{consultation_id}?message={quote(message)}#actions", status_code=303)

    @router.post("/consultations/{consultation_id}/suivre")
    async def follow(consultation_id: int, request: Request) -> Response:
        await forms.read_form(request, auth)
        with platform.db.begin() as session:
            documents.register(session, auth.context(request), consultation_id)
        return back(consultation_id, "Vous suivez cette consultation : vous serez prévenu de chaque changement.")

    @router.post("/consultations/{consultation_id}/questions")
    async def ask(consultation_id: int, request: Request) -> Response:
        form = await forms.read_form(request, auth)
        with platform.db.begin() as session:
            questions.ask(session, auth.context(request), consultation_id, forms.text(form, "question"))
        return back(consultation_id, "Question envoyée. La réponse sera publiée ici, sans vous nommer.")

    @router.post("/consultations/{consultation_id}/offres")
    async def deposit(consultation_id: int, request: Request) -> Response:
        form = await forms.read_form(request, auth, max_part_mb=platform.settings.max_bid_file_mb)
        uploads = [UploadedFile(item.filename or "", item.content_type or "", await item.read())
                   for item in forms.files(form, "files")]
        await form.close()
        ctx = auth.context(request)  # the server's time once the whole upload has been received
        with platform.db.begin() as session:
            result = bids.deposit(session, ctx, consultation_id, uploads, amount=forms.money(form, "amount"),
                                  is_backup=forms.checkbox(form, "backup"))
        return RedirectResponse(f"/entreprise/offres/{result.bid.id}", status_code=303)

    def workspace(request: Request) -> Response:
        user = require(auth.user(request), "deposit_bid")
        now = platform.clock()
        with platform.db() as session:
            followed = session.execute(
                select(Consultation).join(Registration, Registration.consultation_id == Consultation.id)
                .where(Registration.user_id == user.id).order_by(Consultation.deadline)).scalars().all()
            deposits = session.execute(
                select(Bid, Consultation).join(Consultation, Consultation.id == Bid.consultation_id)
                .where(Bid.supplier_org_id == user.organisation_id).order_by(Bid.deposited_at.desc())).all()
            data = {
                "followed": [summary(c, session.get(Organisation, c.buyer_org_id), now)  # type: ignore[arg-type]
                             for c in followed],
                "bids": [bid_view(b) | {"reference": c.reference, "consultation_title": c.title} for b, c in deposits],
            }
        return renderer.private(request, "market/supplier_home.html", data | {"statuses": statuses(request)},
                                title="Espace entreprise", json_data=data)

    router.add_api_route("/entreprise.json", workspace, methods=["GET"])
    router.add_api_route("/entreprise", workspace, methods=["GET"])

    def receipt(bid_id: int, request: Request) -> Response:
        user = require(auth.user(request), "deposit_bid")
        with platform.db() as session:
            bid = session.get(Bid, bid_id)
            if bid is None or bid.supplier_org_id != user.organisation_id:
                raise NotFoundError(f"bid {bid_id} is not one of your company's bids")
            consultation = consultations.get(session, bid.consultation_id)
            document = json.loads(bid.receipt)
            data = {"bid": bid_view(bid), "reference": consultation.reference,
                    "consultation_title": consultation.title,
                    "consultation_id": consultation.id, "receipt": document,
                    "receipt_text": json.dumps(document, ensure_ascii=False, indent=2)}
        return renderer.private(request, "market/receipt.html", data, title="Accusé de réception",
                                json_data=document)

    router.add_api_route("/entreprise/offres/{bid_id}.json", receipt, methods=["GET"])
    router.add_api_route("/entreprise/offres/{bid_id}", receipt, methods=["GET"])

    return router
