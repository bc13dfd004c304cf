"""The buyer workspace: the organisation's consultations, creating and editing a draft (criteria, clauses, lots,
documents), publication, questions, cancellation, the team. Opening, evaluation and award are in
``buyer_evaluation_pages``. Thin: forms → ``spaser.marketplace`` services (which check every access) → templates.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any
from urllib.parse import quote

from fastapi import APIRouter, Request
from fastapi.responses import RedirectResponse, Response
from sqlalchemy.orm import Session
from starlette.datastructures import FormData

from spaser.accounts import service as accounts
from spaser.accounts.roles import require
from spaser.clauses import library
from spaser.domain.montant import parse_decimal
from spaser.errors import InputError, NotFoundError, SpaserError
from spaser.marketplace import consultations, documents, questions
from spaser.marketplace.consultations import LotSpec
from spaser.marketplace.models import Question
from spaser.marketplace.rules import CriterionSpec
from spaser.platform_db.context import Context
from spaser.web import forms
from spaser.web.auth import Auth
from spaser.web.buyer_evaluation_pages import buyer_evaluation_router
from spaser.web.buyer_views import (
    CLAUSE_ROWS,
    CRITERIA_ROWS,
    LOT_ROWS,
    Editor,
    choices,
    draft_values,
    members,
    submitted,
    workspace,
)
from spaser.web.render import Renderer

MAX_ROWS = 50


def _rows(form: FormData, default: int) -> range:
    return range(min(max(forms.integer(form, "rows", default=default), 0), MAX_ROWS))


def _decimal(form: FormData, name: str, what: str) -> Decimal:
    return parse_decimal(forms.text(form, name), name, what)


def criteria_of(form: FormData) -> list[CriterionSpec]:
    """The criteria table: one row per criterion, rows without label and weight ignored."""
    specs = []
    for i in _rows(form, CRITERIA_ROWS):
        label, weight = forms.text(form, f"label-{i}"), forms.text(form, f"weight-{i}")
        if not label and not weight:
            continue
        specs.append(CriterionSpec(label, forms.text(form, f"kind-{i}"),
                                   _decimal(form, f"weight-{i}", "a weight in percent"),
                                   forms.checkbox(form, f"env-{i}")))
    return specs


def clauses_of(form: FormData) -> list[tuple[str, str]]:
    return [(forms.text(form, f"clause_kind-{i}"), forms.text(form, f"clause_text-{i}"))
            for i in _rows(form, CLAUSE_ROWS) if forms.text(form, f"clause_text-{i}")]


def lots_of(form: FormData) -> list[LotSpec]:
    """Lots numbered in the order of the filled rows."""
    lots: list[LotSpec] = []
    for i in _rows(form, LOT_ROWS):
        title = forms.text(form, f"lot_title-{i}")
        if title:
            value = forms.text(form, f"lot_value-{i}")
            lots.append(LotSpec(len(lots) + 1, title, forms.text(form, f"lot_cpv-{i}") or None,
                                consultations.parse_money(value, f"lot_value-{i}") if value else None))
    return lots


def buyer_router(renderer: Renderer, auth: Auth) -> APIRouter:
    router = APIRouter(include_in_schema=False)
    platform = auth.platform
    editor = Editor(renderer, auth)

    def home(request: Request) -> Response:
        with platform.db() as session:
            data = workspace(session, auth.context(request))
        return renderer.private(request, "buyer/home.html", data | choices(renderer.language(request)),
                                title="Espace acheteur", json_data=data)

    router.add_api_route("/acheteur.json", home, methods=["GET"])
    router.add_api_route("/acheteur", home, methods=["GET"])

    def show_new(request: Request, values: dict[str, Any], error: str | None = None,
                 status_code: int = 200) -> Response:
        lang = renderer.language(request)
        data = {"values": values, "error": error}
        return renderer.private(request, "buyer/new.html", data | choices(lang), title="Nouvelle consultation",
                                status_code=status_code, json_data=data | {k: v for k, v in choices(lang).items()
                                                                           if k in ("procedures", "contract_types")})

    def new_form(request: Request) -> Response:
        require(auth.user(request), "edit_consultation")  # the roles table decides, as in the services
        return show_new(request, {"electronic_submission": True, "duree_mois": "12", "standstill_days": "11"})

    router.add_api_route("/acheteur/consultations/nouvelle.json", new_form, methods=["GET"])
    router.add_api_route("/acheteur/consultations/nouvelle", new_form, methods=["GET"])

    @router.post("/acheteur/consultations/nouvelle")
    async def create(request: Request) -> Response:
        form = await forms.read_form(request, auth)
        try:
            with platform.db.begin() as session:
                draft = consultations.create_draft(session, auth.context(request), **draft_values(form))
                draft_id = draft.id
        except SpaserError as exc:
            return show_new(request, submitted(form), exc.message, exc.http_status)
        return editor.back(draft_id, "Brouillon créé : complétez les critères, les clauses et les documents, "
                                     "puis publiez.")

    def page(request: Request, consultation_id: int) -> Response:
        return editor.show(request, consultation_id)

    router.add_api_route("/acheteur/consultations/{consultation_id}.json", page, methods=["GET"])
    router.add_api_route("/acheteur/consultations/{consultation_id}", page, methods=["GET"])

    @router.post("/acheteur/consultations/{consultation_id}/modifier")
    async def update(consultation_id: int, request: Request) -> Response:
        def action(session: Session, ctx: Context, form: FormData) -> str:
            consultations.update_draft(session, ctx, consultation_id, **draft_values(form))
            return "Brouillon enregistré."
        return await editor.act(request, consultation_id, action, keep_values=True)

    @router.post("/acheteur/consultations/{consultation_id}/criteres")
    async def criteria(consultation_id: int, request: Request) -> Response:
        def action(session: Session, ctx: Context, form: FormData) -> str:
            specs = criteria_of(form)
            consultations.set_criteria(session, ctx, consultation_id, specs)
            return f"Critères enregistrés ({len(specs)})."
        return await editor.act(request, consultation_id, action)

    @router.post("/acheteur/consultations/{consultation_id}/clauses")
    async def clauses(consultation_id: int, request: Request) -> Response:
        def action(session: Session, ctx: Context, form: FormData) -> str:
            rows = clauses_of(form)
            consultations.set_clauses(session, ctx, consultation_id, rows)
            return f"Conditions d'exécution enregistrées ({len(rows)})."
        return await editor.act(request, consultation_id, action)

    @router.post("/acheteur/consultations/{consultation_id}/clauses/bibliotheque")
    async def library_clause(consultation_id: int, request: Request) -> Response:
        def action(session: Session, ctx: Context, form: FormData) -> str:
            clause_id = forms.text(form, "clause", required=True)
            library.add_to_consultation(session, ctx, consultation_id, clause_id)
            _, version = library.get_clause(session, clause_id)
            return (f"Clause du guichet vert « {version.title} » (version {version.number}) ajoutée aux "
                    "conditions d'exécution.")
        return await editor.act(request, consultation_id, action)

    @router.post("/acheteur/consultations/{consultation_id}/lots")
    async def lots(consultation_id: int, request: Request) -> Response:
        def action(session: Session, ctx: Context, form: FormData) -> str:
            specs = lots_of(form)
            consultations.set_lots(session, ctx, consultation_id, specs)
            return f"Lots enregistrés ({len(specs)})." if specs else "Consultation sans lots."
        return await editor.act(request, consultation_id, action)

    @router.post("/acheteur/consultations/{consultation_id}/documents")
    async def upload(consultation_id: int, request: Request) -> Response:
        form = await forms.read_form(request, auth, max_part_mb=platform.settings.max_document_mb)
        uploads = [(item.filename or "", item.content_type or "", await item.read())
                   for item in forms.files(form, "files")]
        await form.close()

        def action(session: Session, ctx: Context, _: FormData) -> str:
            if not uploads:
                raise InputError("files: choose at least one file to upload")
            added = [documents.upload_document(session, ctx, consultation_id, name=name, content_type=kind,
                                               content=content) for name, kind, content in uploads]
            return "Document(s) ajouté(s) : " + ", ".join(f"{d.name} (version {d.version})" for d in added) + "."
        return editor.run(request, consultation_id, form, action)

    @router.post("/acheteur/consultations/{consultation_id}/publier")
    async def publish(consultation_id: int, request: Request) -> Response:
        def action(session: Session, ctx: Context, _: FormData) -> str:
            consultations.publish(session, ctx, consultation_id)
            return "Consultation publiée : elle est visible de tous et les entreprises peuvent déposer leurs offres."
        return await editor.act(request, consultation_id, action, split=True)

    @router.post("/acheteur/consultations/{consultation_id}/questions/{question_id}/reponse")
    async def answer(consultation_id: int, question_id: int, request: Request) -> Response:
        def action(session: Session, ctx: Context, form: FormData) -> str:
            question = session.get(Question, question_id)
            if question is None or question.consultation_id != consultation_id:
                raise NotFoundError(f"question {question_id} is not a question of consultation {consultation_id}")
            questions.answer(session, ctx, question_id, forms.text(form, "answer"))
            return "Réponse publiée : toutes les entreprises qui suivent la consultation sont prévenues."
        return await editor.act(request, consultation_id, action)

    @router.post("/acheteur/consultations/{consultation_id}/annuler")
    async def cancel(consultation_id: int, request: Request) -> Response:
        def action(session: Session, ctx: Context, form: FormData) -> str:
            consultations.cancel(session, ctx, consultation_id, forms.text(form, "reason"))
            return "Consultation annulée."
        return await editor.act(request, consultation_id, action)

    router.include_router(buyer_evaluation_router(editor))

    def show_team(request: Request, values: dict[str, str], error: str | None = None,
                  status_code: int = 200) -> Response:
        with platform.db() as session:
            data = members(session, auth.context(request))
        return renderer.private(request, "buyer/team.html",
                                data | choices(renderer.language(request)) | {
                                    "values": values, "error": error,
                                    "message": None if error else request.query_params.get("message")},
                                title="Équipe", status_code=status_code, json_data=data)

    def team(request: Request) -> Response:
        return show_team(request, {})

    router.add_api_route("/acheteur/equipe.json", team, methods=["GET"])
    router.add_api_route("/acheteur/equipe", team, methods=["GET"])

    @router.post("/acheteur/equipe")
    async def add_member(request: Request) -> Response:
        form = await forms.read_form(request, auth)
        values = {name: forms.text(form, name) for name in ("email", "full_name", "role")}
        try:
            with platform.db.begin() as session:
                user = accounts.add_member(session, auth.context(request), password=forms.text(form, "password"),
                                           **values)
                email = user.email
        except SpaserError as exc:
            return show_team(request, values, exc.message, exc.http_status)
        return RedirectResponse(f"/acheteur/equipe?message={quote(f'{email} a rejoint l’équipe.')}", status_code=303)

    return router
