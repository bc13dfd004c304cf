"""Guichet vert pages: clause library, search and suggestions, proposals and validation, RC/CCTP templates; the
help desk's pages are in ``guichet_desk``. Thin: forms → ``spaser.clauses`` services → templates."""

from __future__ import annotations

import re
from typing import Any
from urllib.parse import quote

from fastapi import APIRouter, Request
from fastapi.responses import RedirectResponse, Response
from starlette.datastructures import FormData

from spaser.accounts.roles import can, require, require_platform_admin
from spaser.clauses import library, writers
from spaser.clauses.catalogue import KINDS, LEVELS, THEMES
from spaser.clauses.models import ClauseVersion
from spaser.errors import InputError, SpaserError
from spaser.web import forms
from spaser.web.auth import Auth
from spaser.web.guichet_desk import desk_router
from spaser.web.guichet_documents import (
    RecordId,
    TemplateRequest,
    clause_ids,
    document_response,
    record_id,
    safe,
    template_inputs,
    template_links,
)
from spaser.web.guichet_views import (
    clause_view,
    desk_figures,
    own_consultations,
    parse_filters,
    proposal_view,
    run_search,
    version_history,
)
from spaser.web.render import Renderer

FIELDS = ("title", "kind", "theme", "level", "categories", "legal_basis", "keywords", "text", "verification")


def choices() -> dict[str, Any]:
    return {"kinds": KINDS, "themes": THEMES, "levels": LEVELS, "formats": tuple(writers.FORMATS)}


def proposal_fields(form: FormData) -> dict[str, Any]:
    """The proposal form as ``library.propose`` takes it: categories split on spaces and commas, legal bases one
    per line, keywords on lines and commas."""
    values = {name: safe(forms.text(form, name)) for name in FIELDS}
    return values | {"categories": [c for c in re.split(r"[\s,;]+", values["categories"]) if c],
                     "legal_basis": values["legal_basis"].split("\n"),
                     "keywords": [k for k in re.split(r"[\n,;]+", values["keywords"]) if k.strip()]}


def form_of(version: ClauseVersion) -> dict[str, str]:
    """A version's fields as the proposal form shows them (lists one item per line)."""
    return {name: "\n".join(value) if isinstance(value, list) else str(value)
            for name, value in version.fields().items()}


def guichet_router(renderer: Renderer, auth: Auth) -> APIRouter:
    router = APIRouter(include_in_schema=False)
    platform = auth.platform

    def message(request: Request) -> str | None:
        return request.query_params.get("message")

    # ----------------------------------------------------------------------------------------------
    # Home: search, filters, desk figures

    def home(request: Request, q: str = "", type: str = "", theme: str = "", cpv: str = "",
             niveau: str = "") -> Response:
        lang = renderer.language(request)
        filters = parse_filters(q, type, theme, cpv, niveau)
        user = auth.user(request)
        with platform.db() as session:
            mode, hits = run_search(session, filters, lang)
            figures = desk_figures(session, platform.clock(), lang)
            pending = len(library.pending(session, auth.context(request))) if user and user.is_platform_admin else 0
        data = {"filters": {"q": filters.q, "type": filters.kind, "theme": filters.theme, "cpv": filters.cpv,
                            "niveau": filters.level}, "mode": mode, "total": len(hits), "results": hits,
                "desk": figures}
        return renderer.private(request, "guichet/home.html", data | choices() | {
            "may_propose": can(user, "propose_clause"), "may_ask": can(user, "request_help"),
            "is_desk": bool(user and user.is_platform_admin), "pending": pending, "message": message(request)},
            title="Guichet vert", json_data=data)

    router.add_api_route("/guichet-vert.json", home, methods=["GET"])
    router.add_api_route("/guichet-vert", home, methods=["GET"])

    # ----------------------------------------------------------------------------------------------
    # A clause

    def show_clause(request: Request, clause_id: str, *, error: str | None = None, status_code: int = 200
                    ) -> Response:
        lang = renderer.language(request)
        user = auth.user(request)
        with platform.db() as session:
            clause, current = library.get_clause(session, clause_id)
            view = clause_view(current, lang)
            data = {"clause": view, "origin": clause.origin, "current_version": clause.current_version,
                    "versions": version_history(session, clause, user)}
            drafts = own_consultations(session, user, drafts_only=True) if can(user, "edit_consultation") else []
        return renderer.private(request, "guichet/clause.html", data | {
            "drafts": drafts, "addable_kinds": library.ADDABLE_KINDS, "may_propose": can(user, "propose_clause"),
            "error": error,
            "message": None if error else message(request),
            "downloads": template_links({"clause": clause_id}, lang)},
            title=view["title"], status_code=status_code, json_data=data)

    def clause_page(request: Request, clause_id: str) -> Response:
        return show_clause(request, clause_id)

    router.add_api_route("/guichet-vert/clauses/{clause_id}.json", clause_page, methods=["GET"])
    router.add_api_route("/guichet-vert/clauses/{clause_id}", clause_page, methods=["GET"])

    @router.post("/guichet-vert/clauses/{clause_id}/ajouter")
    async def add(clause_id: str, request: Request) -> Response:
        form = await forms.read_form(request, auth)
        try:
            consultation_id = record_id(forms.text(form, "consultation"), "consultation")
            if consultation_id is None:
                raise InputError("consultation: choose the draft to add the clause to")
            with platform.db.begin() as session:
                consultation = library.add_to_consultation(session, auth.context(request), consultation_id,
                                                           clause_id)
                _, version = library.get_clause(session, clause_id)
                done = (f"Clause « {version.title} » (version {version.number}) ajoutée aux conditions "
                        f"d'exécution de {consultation.reference}.")
        except SpaserError as exc:
            return show_clause(request, clause_id, error=exc.message, status_code=exc.http_status)
        return RedirectResponse(f"/acheteur/consultations/{consultation_id}?message={quote(done)}#bibliotheque",
                                status_code=303)

    # ----------------------------------------------------------------------------------------------
    # Proposals

    def show_proposal_form(request: Request, values: dict[str, str], *, error: str | None = None,
                           status_code: int = 200) -> Response:
        target = values.get("clause", "")
        data = {"values": values, "revision_of": target or None}
        return renderer.private(request, "guichet/propose.html", data | choices() | {"error": error},
                                title="Proposer une révision" if target else "Proposer une clause",
                                status_code=status_code, json_data=data | {"kinds": KINDS, "themes": THEMES,
                                                                            "levels": LEVELS})

    def propose_form(request: Request, clause: str = "") -> Response:
        require(auth.user(request), "propose_clause")
        values: dict[str, str] = {"kind": "execution_condition", "theme": "environmental", "level": "basic"}
        if clause:
            with platform.db() as session:
                _, current = library.get_clause(session, clause)
                values = form_of(current) | {"clause": clause}
        return show_proposal_form(request, values)

    router.add_api_route("/guichet-vert/proposer.json", propose_form, methods=["GET"])
    router.add_api_route("/guichet-vert/proposer", propose_form, methods=["GET"])

    @router.post("/guichet-vert/proposer")
    async def propose(request: Request) -> Response:
        form = await forms.read_form(request, auth)
        values = {name: forms.text(form, name) for name in (*FIELDS, "note", "clause")}
        try:
            with platform.db.begin() as session:
                version = library.propose(session, auth.context(request), proposal_fields(form),
                                          values["clause"] or None, note=values["note"])
                done = (f"Proposition enregistrée ({version.clause_id}, version {version.number}) : elle sera "
                        "visible de tous une fois validée par le guichet vert.")
        except SpaserError as exc:
            return show_proposal_form(request, values, error=exc.message, status_code=exc.http_status)
        return RedirectResponse(f"/guichet-vert/mes-propositions?message={quote(done)}", status_code=303)

    def mine(request: Request) -> Response:
        require(auth.user(request), "propose_clause")
        with platform.db() as session:
            items = [{"id": v.id, "clause_id": v.clause_id, "number": v.number, "title": v.title, "status": v.status,
                      "created_at": v.created_at, "reviewed_at": v.reviewed_at, "review_note": v.review_note,
                      "public": v.clause.current_version is not None}
                     for v in library.my_proposals(session, auth.context(request))]
        data = {"items": items}
        return renderer.private(request, "guichet/proposals.html", data | {"message": message(request)},
                                title="Mes propositions", json_data=data)

    router.add_api_route("/guichet-vert/mes-propositions.json", mine, methods=["GET"])
    router.add_api_route("/guichet-vert/mes-propositions", mine, methods=["GET"])

    # ----------------------------------------------------------------------------------------------
    # Validation (platform administrators)

    def show_queue(request: Request, *, error: str | None = None, status_code: int = 200) -> Response:
        with platform.db() as session:
            items = [proposal_view(session, v) for v in library.pending(session, auth.context(request))]
        data = {"items": items}
        return renderer.private(request, "guichet/validation.html", data | {
            "error": error, "message": None if error else message(request)},
            title="Validation des propositions", status_code=status_code, json_data=data)

    def queue(request: Request) -> Response:
        return show_queue(request)

    router.add_api_route("/guichet-vert/validation.json", queue, methods=["GET"])
    router.add_api_route("/guichet-vert/validation", queue, methods=["GET"])

    @router.post("/guichet-vert/validation/{version_id}")
    async def review(version_id: RecordId, request: Request) -> Response:
        form = await forms.read_form(request, auth)
        require_platform_admin(auth.user(request), "review clause proposals")
        try:
            decision = forms.text(form, "decision")
            if decision not in ("accept", "reject"):
                raise InputError(f"decision: {safe(decision)[:20]!r} is not accept or reject")
            with platform.db.begin() as session:
                version = library.review(session, auth.context(request), version_id, decision == "accept",
                                         forms.text(form, "note"))
                done = (f"Version {version.number} de « {version.title} » "
                        f"{'validée : elle est en vigueur' if decision == 'accept' else 'refusée'}.")
        except SpaserError as exc:
            return show_queue(request, error=exc.message, status_code=exc.http_status)
        return RedirectResponse(f"/guichet-vert/validation?message={quote(done)}", status_code=303)

    # ----------------------------------------------------------------------------------------------
    # RC / CCTP templates

    def wanted_of(request: Request) -> TemplateRequest:
        params = request.query_params
        return TemplateRequest(
            clauses=clause_ids(params.getlist("clause")), consultation=record_id(params.get("consultation", ""),
                                                                                 "consultation"),
            document=params.get("document", "rc"), fmt=params.get("format", "docx"),
            title=params.get("title", ""), reference=params.get("reference", ""), buyer=params.get("buyer", ""),
            cpv=params.get("cpv", ""), procedure=params.get("procedure", ""), deadline=params.get("deadline", ""),
            criteria=tuple(params.getlist("criteria")))

    def model_page(request: Request, q: str = "") -> Response:
        lang = renderer.language(request)
        wanted = wanted_of(request)
        filters = parse_filters(q)
        user = auth.user(request)
        with platform.db() as session:
            info, versions, from_consultation = template_inputs(session, auth.context(request), wanted)
            chosen = [clause_view(v, lang) for v in versions]
            _, hits = run_search(session, filters, lang) if filters.searching else ("", [])
            mine = own_consultations(session, user)
        chosen_ids = {c["id"] for c in chosen}
        query = [("clause", c) for c in wanted.clauses]
        if wanted.consultation is not None:
            query.append(("consultation", str(wanted.consultation)))
        else:
            query += [(k, v) for k, v in (("title", info.title), ("reference", info.reference),
                                          ("buyer", info.buyer), ("cpv", info.cpv), ("procedure", info.procedure),
                                          ("deadline", info.deadline)) if v]
            query += [("criteria", "\n".join(wanted.criteria))] if any(wanted.criteria) else []
        data = {"info": {"title": info.title, "reference": info.reference, "buyer": info.buyer, "cpv": info.cpv,
                         "procedure": info.procedure, "deadline": info.deadline,
                         "criteria": [{"label": label, "weight": weight} for label, weight in info.criteria]},
                "consultation": wanted.consultation, "clauses": chosen,
                "downloads": template_links(query, lang) if chosen or wanted.consultation is not None else []}
        return renderer.private(request, "guichet/model.html", data | choices() | {
            "q": filters.q, "hits": [h for h in hits if h["id"] not in chosen_ids], "consultations": mine,
            "criteria_text": "\n".join(wanted.criteria), "fmt": wanted.fmt,
            "from_consultation": from_consultation}, title="Générer un RC / CCTP", json_data=data)

    router.add_api_route("/guichet-vert/modele.json", model_page, methods=["GET"])
    router.add_api_route("/guichet-vert/modele", model_page, methods=["GET"])

    @router.get("/guichet-vert/modele/telecharger")
    def download(request: Request) -> Response:
        wanted = wanted_of(request)
        with platform.db() as session:
            info, versions, _ = template_inputs(session, auth.context(request), wanted)
            return document_response(info, versions, wanted.document, wanted.fmt)

    router.include_router(desk_router(renderer, auth))
    return router
