"""Sourcing space pages: supplier directory and profiles, purchase plans, interest and messages, matches,
saved searches. Thin: forms → ``spaser.sourcing`` services → templates.

Public pages are here (``/fournisseurs``, ``/achats-prevus`` and their twins, a supplier's interest and its thread
with the buyer, ``/recherches``); the logged-in workspaces (the company's profile and opportunities, the buyer's
plans and matches) are in ``sourcing_workspace``.
"""

from __future__ import annotations

from typing import Any
from urllib.parse import quote, urlencode

from fastapi import APIRouter, Request
from fastapi.responses import RedirectResponse, Response

from spaser.accounts.models import Organisation
from spaser.accounts.roles import can
from spaser.errors import InputError, SpaserError
from spaser.sourcing import alerts, plans, profiles
from spaser.sourcing.labels import LABELS
from spaser.web import forms, observatory_lookups
from spaser.web.auth import Auth
from spaser.web.render import Renderer
from spaser.web.sourcing_views import (
    PAGE_SIZE,
    PLAN_COLUMNS,
    SUPPLIER_COLUMNS,
    all_plans,
    all_suppliers,
    cpv_labels,
    message_view,
    page_number,
    plan_csv_row,
    plan_detail,
    plan_row,
    profile_view,
    public_buyers,
    sme_filter,
    supplier_csv_row,
    supplier_row,
    whole,
)
from spaser.web.sourcing_workspace import sourcing_workspace_router

SEARCH_TARGETS = alerts.TARGETS


def _fmt(request: Request) -> str:
    path = request.url.path
    return "json" if path.endswith(".json") else "csv" if path.endswith(".csv") else "html"


def _pages(total: int) -> int:
    return max(1, -(-total // PAGE_SIZE))


def sourcing_router(renderer: Renderer, auth: Auth) -> APIRouter:
    router = APIRouter(include_in_schema=False)
    platform = auth.platform

    def label_choices(lang: str) -> list[dict[str, str]]:
        return [{"code": c, "nom": e.name_en if lang == "en" else e.name_fr} for c, e in LABELS.items()]

    # ------------------------------------------------------------------ supplier directory

    def directory(request: Request, q: str = "", cpv: str = "", departement: str = "", label: str = "",
                  pme: str = "", page: str = "") -> Response:
        fmt, lang = _fmt(request), renderer.language(request)
        filters: dict[str, Any] = {"cpv": cpv, "departement": departement, "label": label, "sme": sme_filter(pme)}
        number = page_number(page)
        with platform.db() as session:
            if fmt == "csv":
                rows = [supplier_csv_row(r) for r in all_suppliers(session, q, **filters)]
                return renderer.respond(request, "csv", "sourcing/suppliers.html", {},
                                        csv_table=(list(SUPPLIER_COLUMNS), rows))
            found = profiles.search_suppliers(session, q, offset=(number - 1) * PAGE_SIZE, limit=PAGE_SIZE,
                                              **filters)
            items = [supplier_row(o, p) for o, p in found.items]
        shown = {"q": q, "cpv": cpv, "departement": departement, "label": label, "pme": pme}
        data = {"items": items, "total": found.total, "page": number, "pages": _pages(found.total),
                "filters": shown}
        save = urlencode({k: v for k, v in {"cible": "suppliers", "q": q, "cpv": cpv,
                                             "departement": departement}.items() if v})
        query = urlencode({k: v for k, v in shown.items() if v})
        response = renderer.private(request, "sourcing/suppliers.html",
                                    data | {"labels": label_choices(lang), "save_search": f"/recherches?{save}",
                                            "query_string": query,
                                            "csv_link": "/fournisseurs.csv" + (f"?{query}" if query else "")},
                                    title="Entreprises" if lang == "fr" else "Companies", json_data=data)
        return response

    router.add_api_route("/fournisseurs.json", directory, methods=["GET"])
    router.add_api_route("/fournisseurs.csv", directory, methods=["GET"])
    router.add_api_route("/fournisseurs", directory, methods=["GET"])

    def supplier(request: Request, org_id: int) -> Response:
        lang = renderer.language(request)
        user = auth.user(request)
        with platform.db() as session:
            organisation, profile = profiles.get_public(session, org_id)
            view = profile_view(organisation, profile, lang,
                                cpv_labels(renderer.reader, [c.cpv for c in profile.cpvs], lang))
        record = observatory_lookups.track_record_of(renderer.reader, view["siret"])
        view["marches_publics"] = record
        view["page_titulaire"] = (f"/titulaires/{view['siret']}" if record is not None and record["contracts"]
                                  else None)
        own = user is not None and user.organisation_id == org_id
        return renderer.private(request, "sourcing/supplier.html", {"s": view, "own": own}, title=view["nom"],
                                json_data=view)

    router.add_api_route("/fournisseurs/{org_id}.json", supplier, methods=["GET"])
    router.add_api_route("/fournisseurs/{org_id}", supplier, methods=["GET"])

    # ------------------------------------------------------------------ purchase plans

    def plan_listing(request: Request, q: str = "", cpv: str = "", departement: str = "", annee: str = "",
                     trimestre: str = "", acheteur: str = "", page: str = "") -> Response:
        fmt, lang = _fmt(request), renderer.language(request)
        filters: dict[str, Any] = {"cpv": cpv, "departement": departement, "year": whole("annee", annee),
                                   "quarter": whole("trimestre", trimestre),
                                   "buyer_org_id": whole("acheteur", acheteur)}
        if filters["quarter"] is not None and not 1 <= filters["quarter"] <= 4:
            raise InputError(f"trimestre: {trimestre!r} is not a quarter (1 to 4)")
        number = page_number(page)
        with platform.db() as session:
            if fmt == "csv":
                rows = [plan_csv_row(r) for r in all_plans(session, q, lang, **filters)]
                return renderer.respond(request, "csv", "sourcing/plans.html", {},
                                        csv_table=(list(PLAN_COLUMNS), rows))
            found = plans.search_plans(session, q, offset=(number - 1) * PAGE_SIZE, limit=PAGE_SIZE, **filters)
            items = [plan_row(p, o, lang) for p, o in found.items]
            buyers = public_buyers(session)
        shown = {"q": q, "cpv": cpv, "departement": departement, "annee": annee, "trimestre": trimestre,
                 "acheteur": acheteur}
        data = {"items": items, "total": found.total, "page": number, "pages": _pages(found.total),
                "filters": shown}
        save = urlencode({k: v for k, v in {"cible": "plans", "q": q, "cpv": cpv,
                                             "departement": departement}.items() if v})
        query = urlencode({k: v for k, v in shown.items() if v})
        return renderer.private(request, "sourcing/plans.html",
                                data | {"buyers": buyers, "save_search": f"/recherches?{save}",
                                        "query_string": query,
                                        "csv_link": "/achats-prevus.csv" + (f"?{query}" if query else "")},
                                title="Achats prévus" if lang == "fr" else "Planned purchases", json_data=data)

    router.add_api_route("/achats-prevus.json", plan_listing, methods=["GET"])
    router.add_api_route("/achats-prevus.csv", plan_listing, methods=["GET"])
    router.add_api_route("/achats-prevus", plan_listing, methods=["GET"])

    def show_plan(request: Request, plan_id: int, *, error: str | None = None, draft: str = "",
                  status_code: int = 200) -> Response:
        lang = renderer.language(request)
        user = auth.user(request)
        with platform.db() as session:
            plan = plans.get_public(session, plan_id)
            buyer = session.get_one(Organisation, plan.buyer_org_id)
            view = plan_detail(plan, buyer, lang)
            mine: dict[str, Any] | None = None
            if user is not None and can(user, "express_interest") and user.organisation_id is not None:
                company = session.get_one(Organisation, user.organisation_id)
                messages = plans.thread(session, platform.context(user), plan_id)
                mine = {"interesse": plans.has_interest(session, plan_id, user.organisation_id),
                        "messages": [message_view(m, buyer.name, company.name) for m in messages],
                        "a_un_profil": profiles.get_profile(session, user.organisation_id) is not None}
        own_buyer = user is not None and user.organisation_id == view["acheteur_id"]
        json_data = view | ({"mon_entreprise": mine} if mine is not None else {})
        return renderer.private(request, "sourcing/plan.html",
                                {"p": view, "mine": mine, "own_buyer": own_buyer, "error": error, "draft": draft,
                                 "message": None if error else request.query_params.get("message")},
                                title=view["titre"], status_code=status_code, json_data=json_data)

    def plan_page(request: Request, plan_id: int) -> Response:
        return show_plan(request, plan_id)

    router.add_api_route("/achats-prevus/{plan_id}.json", plan_page, methods=["GET"])
    router.add_api_route("/achats-prevus/{plan_id}", plan_page, methods=["GET"])

    def back(plan_id: int, message: str, anchor: str = "entreprise") -> Response:
        return RedirectResponse(f"/achats-prevus/{plan_id}?message={quote(message)}#{anchor}", status_code=303)

    @router.post("/achats-prevus/{plan_id}/interet")
    async def interest(plan_id: int, request: Request) -> Response:
        form = await forms.read_form(request, auth)
        with platform.db.begin() as session:
            plans.express_interest(session, auth.context(request), plan_id, forms.text(form, "note"))
        return back(plan_id, "Intérêt enregistré : l'acheteur voit votre entreprise et peut vous écrire.")

    @router.post("/achats-prevus/{plan_id}/interet/retrait")
    async def withdraw(plan_id: int, request: Request) -> Response:
        await forms.read_form(request, auth)
        with platform.db.begin() as session:
            plans.withdraw_interest(session, auth.context(request), plan_id)
        return back(plan_id, "Intérêt retiré.")

    @router.post("/achats-prevus/{plan_id}/messages")
    async def write(plan_id: int, request: Request) -> Response:
        form = await forms.read_form(request, auth)
        body = forms.text(form, "message")
        try:
            with platform.db.begin() as session:
                plans.post_message(session, auth.context(request), plan_id, body)
        except SpaserError as exc:
            if exc.http_status != 400:
                raise
            return show_plan(request, plan_id, error=exc.message, draft=body, status_code=400)
        return back(plan_id, "Message envoyé à l'acheteur.", "fil")

    # ------------------------------------------------------------------ saved searches

    def show_searches(request: Request, values: dict[str, str], error: str | None = None,
                      status_code: int = 200) -> Response:
        with platform.db() as session:
            found = alerts.my_searches(session, auth.context(request))
            items = [{"id": s.id, "nom": s.name, "cible": s.target, "q": s.query, "cpv": s.cpv,
                      "departement": s.departement, "cree_le": s.created_at,
                      "lien": _search_link(s.target, s.query, s.cpv, s.departement)} for s in found]
        data = {"items": items}
        return renderer.private(request, "sourcing/searches.html",
                                data | {"values": values, "error": error, "targets": SEARCH_TARGETS,
                                        "message": None if error else request.query_params.get("message")},
                                title="Mes recherches", status_code=status_code, json_data=data)

    def searches(request: Request, cible: str = "plans", q: str = "", cpv: str = "", departement: str = "",
                 nom: str = "") -> Response:
        if auth.user(request) is None:
            here = request.url.path + (f"?{request.url.query}" if request.url.query else "")
            return RedirectResponse(f"/connexion?{urlencode({'suite': here})}", status_code=303)
        name = nom or " — ".join(v for v in (q, f"CPV {cpv}" if cpv else "", departement) if v)
        return show_searches(request, {"name": name, "target": cible if cible in SEARCH_TARGETS else "plans",
                                       "query": q, "cpv": cpv, "departement": departement})

    router.add_api_route("/recherches.json", searches, methods=["GET"])
    router.add_api_route("/recherches", searches, methods=["GET"])

    @router.post("/recherches")
    async def save_search(request: Request) -> Response:
        form = await forms.read_form(request, auth)
        values = {k: forms.text(form, k) for k in ("name", "target", "query", "cpv", "departement")}
        try:
            with platform.db.begin() as session:
                saved = alerts.save_search(session, auth.context(request), **values)
                name = saved.name
        except SpaserError as exc:
            if exc.http_status != 400:
                raise
            return show_searches(request, values, exc.message, exc.http_status)
        message = f"Recherche « {name} » enregistrée : vous recevrez chaque jour ses nouveautés par courriel."
        return RedirectResponse(f"/recherches?message={quote(message)}", status_code=303)

    @router.post("/recherches/{search_id}/supprimer")
    async def delete_search(search_id: int, request: Request) -> Response:
        await forms.read_form(request, auth)
        with platform.db.begin() as session:
            alerts.delete_search(session, auth.context(request), search_id)
        return RedirectResponse(f"/recherches?message={quote('Recherche supprimée.')}", status_code=303)

    router.include_router(sourcing_workspace_router(renderer, auth))
    return router


def _search_link(target: str, query: str, cpv: str, departement: str) -> str:
    path = {"plans": "/achats-prevus", "suppliers": "/fournisseurs", "consultations": "/consultations"}[target]
    params = {k: v for k, v in {"q": query, "cpv": cpv, "departement": departement}.items() if v}
    if target == "consultations" and cpv:
        params["cpv"] = cpv[:2]
    return path + (f"?{urlencode(params)}" if params else "")
