"""The sourcing space's logged-in pages: a company's profile and opportunities (``/entreprise/...``), a buyer's
purchase plans, their interested companies, threads and matches (``/acheteur/achats-prevus``), and the companies
that could answer a consultation (``/acheteur/consultations/{id}/entreprises``).

Thin: forms → ``spaser.sourcing`` services (which check every role and organisation) → templates.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any
from urllib.parse import quote

from fastapi import APIRouter, Request
from fastapi.responses import RedirectResponse, Response
from sqlalchemy.orm import Session
from starlette.datastructures import FormData

from spaser.accounts.models import Organisation, User
from spaser.accounts.roles import require
from spaser.domain.montant import parse_decimal
from spaser.domain.territories import REGIONS
from spaser.errors import InputError, NotFoundError
from spaser.marketplace import consultations
from spaser.sourcing import matches, plans, profiles
from spaser.sourcing.labels import LABELS
from spaser.sourcing.profiles import LabelInput, ProfileInput
from spaser.web import forms, observatory_lookups
from spaser.web.auth import Auth
from spaser.web.market_views import STATUS_EN, STATUS_FR
from spaser.web.render import Renderer
from spaser.web.sourcing_views import (
    PLAN_STATUSES,
    message_view,
    names_of,
    opportunity_view,
    parse_date,
    plan_detail,
    plan_form_values,
    plan_row,
    profile_form_values,
    split_list,
    supplier_match_view,
)

PLAN_FIELDS = ("title", "description", "cpv", "estimated_amount", "launch_year", "launch_quarter", "departement",
               "contact_name", "contact_email")


def profile_values(form: FormData) -> dict[str, Any]:
    """The profile form's values as typed (shown again with an error)."""
    values: dict[str, Any] = {
        name: forms.text(form, name)
        for name in ("presentation", "website", "contact_email", "contact_phone", "cpvs", "departements")}
    return values | {
        "regions": [r for r in form.getlist("regions") if isinstance(r, str)],
        "national": forms.checkbox(form, "national"), "published": forms.checkbox(form, "published"),
        "labels": {code: {"reference": forms.text(form, f"reference-{code}"),
                          "valid_until": forms.text(form, f"valid_until-{code}")}
                   for code in LABELS if forms.checkbox(form, f"label-{code}")}}


def profile_input(values: dict[str, Any]) -> ProfileInput:
    """The service's input from the typed values: codes split, dates read (an error names the field)."""
    return ProfileInput(
        presentation=values["presentation"], website=values["website"], contact_email=values["contact_email"],
        contact_phone=values["contact_phone"], cpvs=split_list(values["cpvs"]),
        departements=split_list(values["departements"]), regions=values["regions"], national=values["national"],
        published=values["published"],
        labels=[LabelInput(code, entry["reference"], parse_date(f"valid_until-{code}", entry["valid_until"]))
                for code, entry in values["labels"].items()])


def plan_values(form: FormData) -> dict[str, str]:
    return {name: forms.text(form, name) for name in PLAN_FIELDS}


def plan_input(values: dict[str, str]) -> plans.PlanInput:
    amount: Decimal | None = None
    if values["estimated_amount"]:
        amount = parse_decimal(values["estimated_amount"], "estimated_amount", "an amount in euros")
    return plans.PlanInput(title=values["title"], cpv=values["cpv"],
                           launch_year=_whole("launch_year", values["launch_year"]),
                           launch_quarter=_whole("launch_quarter", values["launch_quarter"]),
                           description=values["description"], estimated_amount=amount,
                           departement=values["departement"], contact_name=values["contact_name"],
                           contact_email=values["contact_email"])


def _whole(name: str, raw: str) -> int:
    try:
        return int(raw)
    except ValueError:
        raise InputError(f"{name}: {raw!r} is not a whole number") from None


def _organisation_of(user: User | None) -> int:
    """The acting user's organisation id (0 when none: the services then refuse with 401/403)."""
    return user.organisation_id or 0 if user is not None else 0


def sourcing_workspace_router(renderer: Renderer, auth: Auth) -> APIRouter:
    router = APIRouter(include_in_schema=False)
    platform = auth.platform

    # ------------------------------------------------------------------ the company's profile

    def show_profile(request: Request, values: dict[str, Any] | None = None, error: str | None = None,
                     status_code: int = 200) -> Response:
        user = require(auth.user(request), "edit_profile")  # the roles table decides, as in the services
        lang = renderer.language(request)
        with platform.db() as session:
            organisation = session.get_one(Organisation, user.organisation_id)
            profile = profiles.get_profile(session, organisation.id)
            if values is None:
                values = profile_form_values(profile)
            exists = profile is not None
            sirene_checked = profile.sirene_checked_at if profile is not None else None
        labels = [{"code": c, "nom": e.name_en if lang == "en" else e.name_fr,
                   "preuve": e.proves_en if lang == "en" else e.proves_fr} for c, e in LABELS.items()]
        return renderer.private(request, "sourcing/profile_form.html",
                                {"values": values, "error": error, "labels": labels, "regions": REGIONS,
                                 "organisation": {"id": organisation.id, "nom": organisation.name,
                                                  "siret": organisation.siret},
                                 "exists": exists, "sirene_checked": sirene_checked,
                                 "message": None if error else request.query_params.get("message")},
                                title="Profil de l'entreprise", status_code=status_code, json_data=False)

    @router.get("/entreprise/profil")
    def profile_form(request: Request) -> Response:
        return show_profile(request)

    @router.post("/entreprise/profil")
    async def save_profile(request: Request) -> Response:
        form = await forms.read_form(request, auth)
        user = auth.user(request)
        values = profile_values(form)
        sirene: dict[str, Any] | None = None
        try:
            data = profile_input(values)
            with platform.db.begin() as session:
                organisation = session.get(Organisation, _organisation_of(user))
                sirene = (observatory_lookups.sirene_for(renderer.reader, organisation.siret)
                          if organisation is not None else None)
                profiles.save_profile(session, auth.context(request), _organisation_of(user), data, sirene=sirene)
        except InputError as exc:
            return show_profile(request, values, exc.message, exc.http_status)
        message = "Profil enregistré." + ("" if sirene is None else " Données SIRENE mises à jour.")
        return RedirectResponse(f"/entreprise/profil?message={quote(message)}", status_code=303)

    def opportunities(request: Request) -> Response:
        user = require(auth.user(request), "express_interest")
        lang = renderer.language(request)
        with platform.db() as session:
            has_profile = profiles.get_profile(session, _organisation_of(user)) is not None
            found = (matches.opportunities_for(session, platform.context(user), _organisation_of(user),
                                               observatory_lookups.track_for(renderer.reader))
                     if has_profile else [])
            items = [opportunity_view(o, lang) for o in found]
        data = {"profil": has_profile, "items": items}
        return renderer.private(request, "sourcing/opportunities.html", data,
                                title="Opportunités" if lang == "fr" else "Opportunities", json_data=data)

    router.add_api_route("/entreprise/opportunites.json", opportunities, methods=["GET"])
    router.add_api_route("/entreprise/opportunites", opportunities, methods=["GET"])

    # ------------------------------------------------------------------ the buyer's plans

    def show_plans(request: Request, values: dict[str, str] | None = None, error: str | None = None,
                   status_code: int = 200) -> Response:
        user = auth.user(request)
        lang = renderer.language(request)
        ctx = auth.context(request)
        with platform.db() as session:
            found = plans.buyer_plans(session, ctx, _organisation_of(user))
            organisation = session.get_one(Organisation, _organisation_of(user))
            items = [plan_row(p, organisation, lang) | {"interets": len(p.interests)} for p in found]
        assert user is not None  # buyer_plans refused anonymous visitors
        data = {"organisation": organisation.name, "items": items}
        return renderer.private(request, "sourcing/buyer_plans.html",
                                data | {"values": values or plan_form_values(None, user.email), "error": error,
                                        "statuses": PLAN_STATUSES[lang if lang == "en" else "fr"],
                                        "next_year": ctx.now.year + 1,
                                        "message": None if error else request.query_params.get("message")},
                                title="Mes achats prévus" if lang == "fr" else "My planned purchases",
                                status_code=status_code, json_data=data)

    def buyer_plans(request: Request) -> Response:
        return show_plans(request)

    router.add_api_route("/acheteur/achats-prevus.json", buyer_plans, methods=["GET"])
    router.add_api_route("/acheteur/achats-prevus", buyer_plans, methods=["GET"])

    @router.post("/acheteur/achats-prevus")
    async def create_plan(request: Request) -> Response:
        form = await forms.read_form(request, auth)
        values = plan_values(form)
        try:
            organisation_id = _organisation_of(require(auth.user(request), "plan_purchases"))
            with platform.db.begin() as session:
                plan = plans.create_plan(session, auth.context(request), organisation_id, plan_input(values))
                plan_id = plan.id
        except InputError as exc:
            return show_plans(request, values, exc.message, exc.http_status)
        return plan_back(plan_id, "Achat prévu créé (brouillon) : relisez-le puis publiez-le pour le rendre visible "
                                  "des entreprises.")

    def plan_back(plan_id: int, message: str, anchor: str = "actions") -> Response:
        return RedirectResponse(f"/acheteur/achats-prevus/{plan_id}?message={quote(message)}#{anchor}",
                                status_code=303)

    def show_plan(request: Request, plan_id: int, *, values: dict[str, str] | None = None, error: str | None = None,
                  draft: str = "", chosen: str | None = None, status_code: int = 200) -> Response:
        lang = renderer.language(request)
        ctx = auth.context(request)
        chosen = request.query_params.get("entreprise", "") if chosen is None else chosen
        with platform.db() as session:
            plan = plans.get_for_buyer(session, ctx, plan_id)
            buyer = session.get_one(Organisation, plan.buyer_org_id)
            view = plan_detail(plan, buyer, lang) | {"contact_email": plan.contact_email}
            interested = [{"id": o.id, "nom": o.name, "siret": o.siret, "note": i.note, "le": i.created_at,
                           "profil_public": _published(session, o.id)}
                          for i, o in plans.interested(session, ctx, plan_id)]
            companies = plans.thread_companies(session, ctx, plan_id)
            names = names_of(session, companies)
            thread: dict[str, Any] | None = None
            if chosen:
                supplier_id = _chosen(chosen, companies)
                thread = {"id": supplier_id, "nom": names[supplier_id],
                          "messages": [message_view(m, buyer.name, names[supplier_id])
                                       for m in plans.thread(session, ctx, plan_id, supplier_id)]}
            suggested = [supplier_match_view(m, lang) for m in matches.suppliers_for_plan(
                session, plan, track=observatory_lookups.track_for(renderer.reader))]
            launchable = ([{"id": c.id, "reference": c.reference, "titre": c.title}
                           for c in plans.launchable_consultations(session, ctx, plan_id)]
                          if plan.status == "published" else [])
        data = {"plan": view, "interesses": interested, "fils": [{"id": i, "nom": names[i]} for i in companies],
                "fil": thread, "suggestions": suggested}
        return renderer.private(request, "sourcing/buyer_plan.html",
                                data | {"values": values or plan_form_values(plan), "error": error, "draft": draft,
                                        "statuses": PLAN_STATUSES[lang if lang == "en" else "fr"],
                                        "consultations": launchable, "next_year": ctx.now.year + 1,
                                        "message": None if error else request.query_params.get("message")},
                                title=view["titre"], status_code=status_code, json_data=data)

    def buyer_plan(request: Request, plan_id: int) -> Response:
        return show_plan(request, plan_id)

    router.add_api_route("/acheteur/achats-prevus/{plan_id}.json", buyer_plan, methods=["GET"])
    router.add_api_route("/acheteur/achats-prevus/{plan_id}", buyer_plan, methods=["GET"])

    @router.post("/acheteur/achats-prevus/{plan_id}/modifier")
    async def update_plan(plan_id: int, request: Request) -> Response:
        form = await forms.read_form(request, auth)
        values = plan_values(form)
        try:
            with platform.db.begin() as session:
                plans.get_for_buyer(session, auth.context(request), plan_id)  # who may, before what was typed
                plans.update_plan(session, auth.context(request), plan_id, plan_input(values))
        except InputError as exc:
            return show_plan(request, plan_id, values=values, error=exc.message, status_code=exc.http_status)
        return plan_back(plan_id, "Achat prévu enregistré.", "modifier")

    async def transition(request: Request, plan_id: int, action: str) -> Response:
        form = await forms.read_form(request, auth)
        ctx = auth.context(request)
        with platform.db.begin() as session:
            if action == "publish":
                plans.publish_plan(session, ctx, plan_id)
                message = "Achat prévu publié : les entreprises le voient et peuvent se déclarer intéressées."
            elif action == "withdraw":
                plans.withdraw_plan(session, ctx, plan_id)
                message = "Achat prévu retiré : il n'est plus visible des entreprises."
            else:
                consultation_id = forms.integer(form, "consultation_id")
                plans.mark_launched(session, ctx, plan_id, consultation_id)
                message = "Consultation lancée : les entreprises intéressées sont prévenues par courriel."
        return plan_back(plan_id, message)

    @router.post("/acheteur/achats-prevus/{plan_id}/publier")
    async def publish_plan(plan_id: int, request: Request) -> Response:
        return await transition(request, plan_id, "publish")

    @router.post("/acheteur/achats-prevus/{plan_id}/retirer")
    async def withdraw_plan(plan_id: int, request: Request) -> Response:
        return await transition(request, plan_id, "withdraw")

    @router.post("/acheteur/achats-prevus/{plan_id}/lancer")
    async def launch_plan(plan_id: int, request: Request) -> Response:
        return await transition(request, plan_id, "launch")

    @router.post("/acheteur/achats-prevus/{plan_id}/messages")
    async def reply(plan_id: int, request: Request) -> Response:
        form = await forms.read_form(request, auth)
        body, supplier = forms.text(form, "message"), forms.integer(form, "entreprise")
        try:
            with platform.db.begin() as session:
                plans.post_message(session, auth.context(request), plan_id, body, supplier_org_id=supplier)
        except InputError as exc:
            return show_plan(request, plan_id, error=exc.message, draft=body, chosen=str(supplier),
                             status_code=exc.http_status)
        return RedirectResponse(f"/acheteur/achats-prevus/{plan_id}?entreprise={supplier}&message="
                                f"{quote('Message envoyé.')}#fil", status_code=303)

    # ------------------------------------------------------------------ a consultation's possible suppliers

    def consultation_suppliers(request: Request, consultation_id: int) -> Response:
        lang = renderer.language(request)
        with platform.db() as session:
            consultation = consultations.get_for_buyer(session, auth.context(request), consultation_id,
                                                       "edit_consultation")
            suggested = [supplier_match_view(m, lang) for m in matches.suppliers_for_consultation(
                session, consultation, track=observatory_lookups.track_for(renderer.reader))]
            view = {"id": consultation.id, "reference": consultation.reference, "titre": consultation.title,
                    "cpv": consultation.cpv, "lieu_execution": consultation.lieu_execution,
                    "statut": consultation.status}
        data = {"consultation": view, "suggestions": suggested}
        return renderer.private(request, "sourcing/consultation_suppliers.html",
                                data | {"statuses": STATUS_FR if lang == "fr" else STATUS_EN},
                                title=consultation.title, json_data=data)

    router.add_api_route("/acheteur/consultations/{consultation_id}/entreprises.json", consultation_suppliers,
                         methods=["GET"])
    router.add_api_route("/acheteur/consultations/{consultation_id}/entreprises", consultation_suppliers,
                         methods=["GET"])

    return router


def _published(session: Session, organisation_id: int) -> bool:
    profile = profiles.get_profile(session, organisation_id)
    return profile is not None and profile.published


def _chosen(raw: str, companies: list[int]) -> int:
    try:
        supplier_id = int(raw)
    except ValueError:
        raise InputError(f"entreprise: {raw!r} is not a company id") from None
    if supplier_id not in companies:
        raise NotFoundError(f"company {supplier_id} has no thread on this plan")
    return supplier_id
