"""The guichet vert's help desk pages: a buyer's requests and the form to ask, the desk's queue, one request's
thread with the reply form (the desk attaches library clauses), assignment and closing. Thin: forms →
``spaser.clauses.helpdesk`` (which decides who reads and does what) → templates."""

from __future__ import annotations

from typing import Any
from urllib.parse import quote

from fastapi import APIRouter, Request
from fastapi.responses import RedirectResponse, Response
from sqlalchemy.orm import Session

from spaser.accounts.roles import require
from spaser.accounts.service import organisation_names, user_names
from spaser.clauses import helpdesk, library
from spaser.clauses.models import Clause, HelpRequest
from spaser.errors import AuthenticationError, InputError, SpaserError
from spaser.marketplace.models import Consultation
from spaser.web import forms
from spaser.web.auth import Auth
from spaser.web.guichet_documents import RecordId, clause_ids, record_id, safe, template_links
from spaser.web.guichet_views import duration_text, own_consultations
from spaser.web.render import Renderer

REQUEST_FIELDS = ("kind", "subject", "body", "cpv", "consultation")


def _names(session: Session, ids: set[int]) -> dict[int, str]:
    return user_names(session, ids)


def request_row(request: HelpRequest, names: dict[int, str], organisations: dict[int, str], lang: str
                ) -> dict[str, Any]:
    hours = ((request.first_response_at - request.created_at).total_seconds() / 3600
             if request.first_response_at is not None else None)
    return {"id": request.id, "kind": request.kind, "subject": request.subject, "status": request.status,
            "cpv": request.cpv, "consultation_id": request.consultation_id,
            "organisation": organisations.get(request.organisation_id, ""),
            "requester": names.get(request.requester_id, ""), "assignee": names.get(request.assignee_id or 0, ""),
            "assignee_id": request.assignee_id, "created_at": request.created_at,
            "assigned_at": request.assigned_at, "first_response_at": request.first_response_at,
            "closed_at": request.closed_at, "response_hours": None if hours is None else round(hours, 1),
            "response_time": duration_text(hours, lang)}


def request_rows(session: Session, requests: list[HelpRequest], lang: str) -> list[dict[str, Any]]:
    names = _names(session, {i for r in requests for i in (r.requester_id, r.assignee_id or 0)})
    org_ids = {r.organisation_id for r in requests}
    organisations = organisation_names(session, org_ids)
    return [request_row(r, names, organisations, lang) for r in requests]


def thread_view(session: Session, request: HelpRequest, lang: str) -> dict[str, Any]:
    """The request, its consultation (for a draft review) and its messages with their attached clauses."""
    [row] = request_rows(session, [request], lang)
    names = _names(session, {m.author_id for m in request.messages})
    messages = []
    for message in request.messages:
        attached: list[dict[str, Any]] = []
        for clause_id in message.clause_ids:
            clause = session.get(Clause, clause_id)
            current = (next((v for v in clause.versions if v.number == clause.current_version), None)
                       if clause is not None else None)
            attached.append({"id": clause_id, "title": current.title if current else clause_id,
                             "kind": current.kind if current else "", "public": current is not None})
        public = [str(c["id"]) for c in attached if c["public"]]
        messages.append({"id": message.id, "from_desk": message.from_desk, "author": names.get(message.author_id, ""),
                         "body": message.body, "created_at": message.created_at, "clauses": attached,
                         "downloads": template_links([("clause", i) for i in public], lang) if public else []})
    consultation = (session.get(Consultation, request.consultation_id)
                    if request.consultation_id is not None else None)
    row |= {"body": request.body, "messages": messages,
            "consultation": None if consultation is None else {
                "id": consultation.id, "reference": consultation.reference, "title": consultation.title,
                "status": consultation.status, "cpv": consultation.cpv, "description": consultation.description,
                "criteria": [{"label": k.label, "weight": k.weight} for k in consultation.criteria],
                "clauses": [{"kind": c.kind, "text": c.text, "library_clause": c.library_clause}
                            for c in consultation.clauses]}}
    return row


def desk_router(renderer: Renderer, auth: Auth) -> APIRouter:
    router = APIRouter(include_in_schema=False)
    platform = auth.platform

    def show_list(request: Request, values: dict[str, str] | None = None, *, error: str | None = None,
                  status_code: int = 200, statut: str = "") -> Response:
        lang = renderer.language(request)
        user = auth.user(request)
        if user is None:
            raise AuthenticationError("log in first")
        ctx = auth.context(request)
        desk = user.is_platform_admin
        if statut and statut not in helpdesk.STATUSES:
            raise InputError(f"statut: {safe(statut)[:20]!r} is not one of {', '.join(helpdesk.STATUSES)}")
        if not desk:
            require(user, "request_help", user.organisation_id)
        with platform.db() as session:
            if desk:
                items = request_rows(session, helpdesk.desk_queue(session, ctx, statut), lang)
                consultations: list[dict[str, Any]] = []
            else:
                items = request_rows(session, helpdesk.my_requests(session, ctx), lang)
                consultations = own_consultations(session, user)
        data = {"desk": desk, "status": statut, "items": items}
        return renderer.private(request, "guichet/requests.html", data | {
            "statuses": helpdesk.STATUSES, "kinds": helpdesk.KINDS, "consultations": consultations,
            "values": values or {"kind": "question"}, "error": error, "me": user.id,
            "message": None if error else request.query_params.get("message")},
            title="Demandes au guichet vert", status_code=status_code, json_data=data)

    def listing(request: Request, statut: str = "") -> Response:
        return show_list(request, statut=statut)

    router.add_api_route("/guichet-vert/demandes.json", listing, methods=["GET"])
    router.add_api_route("/guichet-vert/demandes", listing, methods=["GET"])

    @router.post("/guichet-vert/demandes")
    async def submit(request: Request) -> Response:
        form = await forms.read_form(request, auth)
        values = {name: forms.text(form, name) for name in REQUEST_FIELDS}
        try:
            consultation_id = record_id(values["consultation"], "consultation")
            with platform.db.begin() as session:
                created = helpdesk.submit(session, auth.context(request), kind=values["kind"],
                                          subject=values["subject"], body=values["body"],
                                          cpv=values["cpv"], consultation_id=consultation_id)
                request_id = created.id
        except SpaserError as exc:
            return show_list(request, values, error=exc.message, status_code=exc.http_status)
        done = "Demande envoyée : le guichet vert vous répond ici, et vous prévient par courriel."
        return RedirectResponse(f"/guichet-vert/demandes/{request_id}?message={quote(done)}", status_code=303)

    def show_request(request: Request, request_id: int, *, values: dict[str, str] | None = None,
                     error: str | None = None, status_code: int = 200) -> Response:
        lang = renderer.language(request)
        ctx = auth.context(request)
        with platform.db() as session:
            found = helpdesk.get_request(session, ctx, request_id)
            view = thread_view(session, found, lang)
            desk = bool(ctx.user and ctx.user.is_platform_admin)
            options = ([{"id": v.clause_id, "title": v.title} for v in library.current_versions(session)]
                       if desk else [])
        closed = view["status"] == "closed"
        return renderer.private(request, "guichet/request.html", {"r": view} | {
            "desk": desk, "clause_options": options, "may_reply": not closed, "may_close": not closed,
            "may_assign": desk and not closed and view["assignee_id"] != (ctx.user.id if ctx.user else None),
            "values": values or {}, "error": error, "message": None if error else request.query_params.get("message")},
            title=view["subject"], status_code=status_code, json_data=view)

    def page(request: Request, request_id: RecordId) -> Response:
        return show_request(request, request_id)

    router.add_api_route("/guichet-vert/demandes/{request_id}.json", page, methods=["GET"])
    router.add_api_route("/guichet-vert/demandes/{request_id}", page, methods=["GET"])

    def back(request_id: int, done: str, target: str | None = None) -> Response:
        default = f"/guichet-vert/demandes/{request_id}"
        where = forms.safe_next(target, default)
        separator = "&" if "?" in where else "?"
        return RedirectResponse(f"{where}{separator}message={quote(done)}", status_code=303)

    @router.post("/guichet-vert/demandes/{request_id}/reponse")
    async def reply(request_id: RecordId, request: Request) -> Response:
        form = await forms.read_form(request, auth)
        values = {"body": forms.text(form, "body"), "clause_ids": forms.text(form, "clause_ids")}
        try:
            chosen = clause_ids([*[str(v) for v in form.getlist("clauses")], values["clause_ids"]], "clause_ids")
            with platform.db.begin() as session:
                message = helpdesk.reply(session, auth.context(request), request_id, values["body"],
                                         list(chosen))
                done = ("Réponse envoyée : le demandeur est prévenu par courriel." if message.from_desk
                        else "Message envoyé au guichet vert.")
        except SpaserError as exc:
            return show_request(request, request_id, values=values, error=exc.message, status_code=exc.http_status)
        return back(request_id, done)

    @router.post("/guichet-vert/demandes/{request_id}/prendre")
    async def assign(request_id: RecordId, request: Request) -> Response:
        form = await forms.read_form(request, auth)
        with platform.db.begin() as session:
            helpdesk.assign(session, auth.context(request), request_id)
        return back(request_id, f"Demande n° {request_id} prise en charge.", forms.text(form, "suite") or None)

    @router.post("/guichet-vert/demandes/{request_id}/clore")
    async def close(request_id: RecordId, request: Request) -> Response:
        await forms.read_form(request, auth)
        with platform.db.begin() as session:
            helpdesk.close(session, auth.context(request), request_id)
        return back(request_id, "Demande close.")

    return router
