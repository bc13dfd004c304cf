"""``/api/v1`` for the sourcing space: suppliers, purchase plans, matches, a company's interest and opportunities.

Same services, same checks and same shapes as the pages' ``.json`` twins (``sourcing_views``). Clients log in
with ``POST /api/v1/auth/login`` and send ``Authorization: Bearer <token>``; a browser session may call the
writing endpoints too, with its CSRF token in ``X-CSRF-Token``.
"""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Any

from fastapi import APIRouter, Query, Request
from fastapi.responses import JSONResponse, Response
from pydantic import BaseModel, Field

from spaser.accounts.models import Organisation
from spaser.accounts.roles import require
from spaser.sourcing import matches, plans, profiles
from spaser.web import observatory_lookups
from spaser.web.auth import Auth
from spaser.web.render import Renderer, jsonable
from spaser.web.sourcing_views import (
    cpv_labels,
    opportunity_view,
    plan_detail,
    plan_row,
    profile_view,
    supplier_match_view,
    supplier_row,
)


class SupplierSummary(BaseModel):
    id: int = Field(description="Organisation id: /api/v1/suppliers/{id}, /fournisseurs/{id}.")
    siret: str
    nom: str
    departements: list[str] = Field(description="Départements served (INSEE codes).")
    regions: list[str] = Field(description="Régions served (INSEE codes).")
    national: bool = Field(description="Serves the whole country.")
    cpv: list[str] = Field(description="CPV capabilities (8-digit roots).")
    labels: list[str] = Field(description="Label codes (see the profile's labels_details).")
    pme: bool | None = Field(description="SME: the company's declaration, else SIRENE's category; null unknown.")
    presentation: str


class SupplierList(BaseModel):
    total: int
    offset: int
    limit: int
    items: list[SupplierSummary]


class CpvCapability(BaseModel):
    code: str
    libelle: str | None = Field(description="CPV 2008 label when the CPV reference is loaded.")
    division: str | None = Field(description="The CPV division's label.")


class DepartementServed(BaseModel):
    code: str
    region: str | None


class RegionServed(BaseModel):
    code: str
    nom: str | None


class LabelHeld(BaseModel):
    code: str
    nom: str
    preuve: str = Field(description="What the label proves.")
    reference: str = Field(description="The certificate or registration the company gives (declared).")
    valide_jusqu_au: dt.date | None


class SireneFacts(BaseModel):
    """Read from the SIRENE stock (INSEE) when the profile was saved or refreshed: not declared by the company."""

    denomination: str | None
    categorie: str | None
    ess: bool | None
    naf: str | None
    commune: str | None
    actif: bool | None
    verifie_le: dt.datetime


class SupplierDetail(SupplierSummary):
    website: str
    contact_email: str
    contact_phone: str
    cpv_details: list[CpvCapability]
    departements_details: list[DepartementServed]
    regions_details: list[RegionServed]
    labels_details: list[LabelHeld]
    pme_declaree: bool | None
    sirene: SireneFacts | None
    mis_a_jour: dt.datetime
    marches_publics: dict[str, Any] | None = Field(
        description="Public contracts in the observatory (count, amount, CPV divisions, main buyers); null when no "
                    "data is ingested.")
    page_titulaire: str | None = Field(description="The observatory's page of the company, when it has contracts.")


class PlanSummary(BaseModel):
    id: int
    titre: str
    acheteur: str
    acheteur_id: int
    acheteur_siret: str
    cpv: str
    departement: str | None
    region: str | None
    annee: int
    trimestre: int
    periode: str = Field(description="« T1 2027 » (fr), \"Q1 2027\" (en).")
    montant_estime: float | None
    statut: str = Field(description="published or launched (a consultation exists).")
    publie_le: dt.datetime | None
    consultation_id: int | None


class PlanDetail(PlanSummary):
    description: str
    contact_nom: str
    region_nom: str | None


class PlanList(BaseModel):
    total: int
    offset: int
    limit: int
    items: list[PlanSummary]


class MatchReason(BaseModel):
    code: str
    points: int
    texte: str = Field(description="The reason as a sentence, in the request's language.")


class MatchedLot(BaseModel):
    numero: int
    titre: str
    cpv: str | None


class SupplierMatch(BaseModel):
    id: int
    siret: str
    nom: str
    pme: bool | None
    lot: MatchedLot | None = Field(default=None, description="For a consultation: the lot the company matches best "
                                                             "(null: the consultation's own CPV code).")
    score: int
    raisons: list[MatchReason]


class PlanMatches(BaseModel):
    plan_id: int
    items: list[SupplierMatch]


class InterestNote(BaseModel):
    note: str = Field(default="", max_length=2000, description="A word for the buyer (optional).")


class InterestState(BaseModel):
    plan_id: int
    interesse: bool


class Opportunity(BaseModel):
    type: str = Field(description="plan or consultation.")
    id: int
    titre: str
    acheteur: str
    lien: str
    cpv: str
    periode: str
    date_limite: dt.datetime | None
    lot: MatchedLot | None = Field(default=None, description="For a consultation: the lot the company matches best "
                                                             "(null: the consultation's own CPV code, or a plan).")
    score: int
    raisons: list[MatchReason]


class Opportunities(BaseModel):
    profil: bool = Field(description="False until the company has saved its profile (then no opportunity).")
    items: list[Opportunity]


def documented(model: type[BaseModel], data: dict[str, Any], status_code: int = 200) -> JSONResponse:
    """``data`` checked against its documented model, answered as the pages' ``.json`` twins write it (dates in
    ISO 8601 with ``+00:00``), so that a page's twin and its API answer are the same bytes."""
    model.model_validate(data)
    return JSONResponse(jsonable(data), status_code=status_code)


def sourcing_api_router(renderer: Renderer, auth: Auth) -> APIRouter:
    router = APIRouter(prefix="/api/v1")
    platform = auth.platform

    @router.get("/suppliers", tags=["sourcing"], response_model=SupplierList)
    def list_suppliers(
        q: Annotated[str, Query(max_length=200, description="French full-text search.")] = "",
        cpv: Annotated[str, Query(max_length=10, description="CPV code or prefix (2 to 8 digits).")] = "",
        departement: Annotated[str, Query(max_length=3, description="Département served (35, 2A, 971).")] = "",
        label: Annotated[str, Query(max_length=40, description="Label code.")] = "",
        sme: Annotated[bool | None, Query(description="Declared SMEs only (true) or others (false).")] = None,
        offset: Annotated[int, Query(ge=0, le=1_000_000)] = 0,
        limit: Annotated[int, Query(ge=1, le=200)] = 50,
    ) -> Response:
        """Published supplier profiles, best match first."""
        with platform.db() as session:
            page = profiles.search_suppliers(session, q, cpv=cpv, departement=departement, label=label, sme=sme,
                                             offset=offset, limit=limit)
            return documented(SupplierList, {"total": page.total, "offset": offset, "limit": limit,
                                             "items": [supplier_row(o, p) for o, p in page.items]})

    @router.get("/suppliers/{org_id}", tags=["sourcing"], response_model=SupplierDetail)
    def get_supplier(org_id: int, request: Request) -> Response:
        """A published profile: declared facts, SIRENE facts, public contracts in the observatory."""
        lang = renderer.language(request)
        with platform.db() as session:
            organisation, profile = profiles.get_public(session, org_id)
            view = profile_view(organisation, profile, lang,
                                cpv_labels(renderer.reader, [c.cpv for c in profile.cpvs], lang))
        record = observatory_lookups.track_record_of(renderer.reader, view["siret"])
        return documented(SupplierDetail, view | {
            "marches_publics": record,
            "page_titulaire": f"/titulaires/{view['siret']}" if record and record["contracts"] else None})

    @router.get("/plans", tags=["sourcing"], response_model=PlanList)
    def list_plans(
        request: Request,
        q: Annotated[str, Query(max_length=200, description="French full-text search.")] = "",
        cpv: Annotated[str, Query(max_length=10, description="CPV code or prefix (2 to 8 digits).")] = "",
        departement: Annotated[str, Query(max_length=3)] = "",
        year: Annotated[int | None, Query(ge=2000, le=2100)] = None,
        quarter: Annotated[int | None, Query(ge=1, le=4)] = None,
        offset: Annotated[int, Query(ge=0, le=1_000_000)] = 0,
        limit: Annotated[int, Query(ge=1, le=200)] = 50,
    ) -> Response:
        """Published and launched purchase plans, best match first, then soonest."""
        lang = renderer.language(request)
        with platform.db() as session:
            page = plans.search_plans(session, q, cpv=cpv, departement=departement, year=year, quarter=quarter,
                                      offset=offset, limit=limit)
            return documented(PlanList, {"total": page.total, "offset": offset, "limit": limit,
                                         "items": [plan_row(p, o, lang) for p, o in page.items]})

    @router.get("/plans/{plan_id}", tags=["sourcing"], response_model=PlanDetail)
    def get_plan(plan_id: int, request: Request) -> Response:
        """A published or launched plan."""
        with platform.db() as session:
            plan = plans.get_public(session, plan_id)
            return documented(PlanDetail, plan_detail(plan, session.get_one(Organisation, plan.buyer_org_id),
                                                      renderer.language(request)))

    @router.get("/plans/{plan_id}/matches", tags=["sourcing"], response_model=PlanMatches)
    def plan_matches(plan_id: int, request: Request,
                     limit: Annotated[int, Query(ge=1, le=100)] = 20) -> Response:
        """The companies that could answer the plan, with the reasons of their score (the plan's buyer only)."""
        lang = renderer.language(request)
        with platform.db() as session:
            plan = plans.get_for_buyer(session, auth.context(request), plan_id)
            found = matches.suppliers_for_plan(session, plan, observatory_lookups.track_for(renderer.reader), limit)
            return documented(PlanMatches, {"plan_id": plan_id, "items": [supplier_match_view(m, lang) for m in found]})

    @router.post("/plans/{plan_id}/interest", tags=["sourcing"], response_model=InterestState, status_code=201)
    def express_interest(plan_id: int, request: Request, body: InterestNote | None = None) -> Response:
        """The company marks the plan « intéressé » (a supplier's token); the buyer sees it and may write."""
        auth.api_writer(request)
        with platform.db.begin() as session:
            plans.express_interest(session, auth.context(request), plan_id, body.note if body else "")
        return documented(InterestState, {"plan_id": plan_id, "interesse": True}, 201)

    @router.delete("/plans/{plan_id}/interest", tags=["sourcing"], response_model=InterestState)
    def withdraw_interest(plan_id: int, request: Request) -> Response:
        """The company withdraws its « intéressé »."""
        auth.api_writer(request)
        with platform.db.begin() as session:
            plans.withdraw_interest(session, auth.context(request), plan_id)
        return documented(InterestState, {"plan_id": plan_id, "interesse": False})

    @router.get("/me/opportunities", tags=["sourcing"], response_model=Opportunities)
    def my_opportunities(request: Request, limit: Annotated[int, Query(ge=1, le=100)] = 20) -> Response:
        """Published plans and open consultations matching the company's profile, with reasons (supplier)."""
        user = require(auth.user(request), "express_interest")
        organisation_id = user.organisation_id or 0
        lang = renderer.language(request)
        with platform.db() as session:
            if profiles.get_profile(session, organisation_id) is None:
                return documented(Opportunities, {"profil": False, "items": []})
            found = matches.opportunities_for(session, platform.context(user), organisation_id,
                                              observatory_lookups.track_for(renderer.reader), limit)
            return documented(Opportunities, {"profil": True, "items": [opportunity_view(o, lang) for o in found]})

    return router
