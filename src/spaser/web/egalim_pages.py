"""The Egalim pages: the dashboard (shares against the targets, by family, by restaurant, trend), a restaurant's
page, their JSON/CSV twins, and the API. Thin: the figures come precomputed from ``egalim.published``."""

from __future__ import annotations

import re
from collections.abc import Sequence
from typing import Any

from fastapi import APIRouter, Query, Request
from fastapi.responses import Response

from spaser.errors import InputError, NotFoundError
from spaser.indicators.egalim import published
from spaser.indicators.egalim.results import ENSEMBLE_ID, SCOPES, Summary
from spaser.indicators.egalim.store import EgalimStore
from spaser.web import charts as ch
from spaser.web.i18n_egalim import family_label
from spaser.web.pages import _fmt, _int, _twin
from spaser.web.render import Renderer, jsonable

RESTAURANT_COLUMNS = ("siret", "nom", "groupe", "annee", "total_ht", "part_egalim", "part_bio",
                      "part_viandes_poissons", "part_france", "part_local", "part_circuit_court", "objectifs_atteints")
_SIRET = re.compile(r"\d{14}")


def _status(met: bool | None) -> str | None:
    return None if met is None else "met" if met else "off_track"


def _target_items(summary: Summary, lang: str) -> list[tuple[str, float | None, float | None, str | None]]:
    labels = {"egalim": ("Part Egalim", "Egalim share"), "bio": ("Part bio", "Organic share"),
              "meat_and_fish": ("Viandes et poissons Egalim", "Egalim meat and fish")}
    return [(labels[t.name][0 if lang == "fr" else 1], t.part.rounded, t.target, _status(t.met))
            for t in summary.targets]


def _restaurant_row(summary: Summary, group: str | None) -> list[Any]:
    return [summary.scope_id, summary.name, group, summary.year, summary.total, summary.egalim.rounded,
            summary.bio.rounded, summary.meat_and_fish.rounded, summary.france.rounded, summary.local.rounded,
            summary.short_circuit.rounded, None if summary.all_met is None else str(summary.all_met).lower()]


def _trend_charts(trend: Sequence[Summary], lang: str, prefix: str) -> list[ch.Chart]:
    if not trend:
        return []
    last = trend[-1]
    names = {"egalim": ("Part Egalim", "Egalim share"), "bio": ("Part bio", "Organic share")}
    charts = []
    for name in ("egalim", "bio"):
        points = [(s.year, getattr(s, name).rounded, None) for s in trend]
        target = last.target(name)
        charts.append(ch.trend(names[name][0 if lang == "fr" else 1], "%", points,
                               target.target if target else None, last.year, lang,
                               chart_id=f"{prefix}-trend-{name}"))
    return charts


def _family_chart(summary: Summary, lang: str, chart_id: str) -> ch.Chart:
    label = "Part Egalim par famille" if lang == "fr" else "Egalim share by family"
    items = [(family_label(f.family, lang), f.egalim.rounded, float(f.total)) for f in summary.families if f.total]
    return ch.breakdown(label, "%", items, lang, chart_id=chart_id,
                        item_header="Famille" if lang == "fr" else "Family")


def egalim_router(renderer: Renderer) -> APIRouter:
    router = APIRouter()
    store = EgalimStore.of(renderer.settings)

    def dashboard(request: Request, annee_text: str | None = Query(None, alias="annee"),
                  groupe: str | None = None) -> Response:
        fmt, lang = _fmt(request), renderer.language(request)
        annee, groupe = _int("annee", annee_text), (groupe or None)
        reading = published.read(store)
        if reading is None:
            return renderer.respond(request, fmt, "egalim/dashboard.html", {"empty": True},
                                    csv_table=(RESTAURANT_COLUMNS, []), title="Egalim")
        results = reading.results
        scope, scope_id = ("groupe", groupe) if groupe else ("ensemble", ENSEMBLE_ID)
        trend = results.trend(scope, scope_id)
        if groupe and not trend:
            raise NotFoundError(f"groupe: no group of restaurants named {groupe!r} (see /egalim)")
        years = [s.year for s in trend]
        year = annee if annee is not None else (years[-1] if years else None)
        if annee is not None and annee not in years:
            raise NotFoundError(f"annee: no purchase in {annee} for this selection (years: "
                                f"{', '.join(map(str, years)) or 'none'})")
        summary = results.get(scope, scope_id, year) if year is not None else None
        groups_of = {r.siret: r.groupe for r in store.restaurants()}
        restaurants = sorted((s for s in results.summaries if s.scope == "restaurant" and s.year == year
                              and (groupe is None or groups_of.get(s.scope_id) == groupe)),
                             key=lambda s: (-(s.egalim.share or 0), s.scope_id))
        rows = [_restaurant_row(s, groups_of.get(s.scope_id)) for s in restaurants]
        data: dict[str, Any] = {
            "empty": False, "current": reading.current, "annee": year, "years": years, "groupe": groupe,
            "groups": results.groups(), "summary": published.summary_json(summary) if summary else None,
            "restaurants": [published.summary_json(s) for s in restaurants],
            "trend": [published.summary_json(s) for s in trend],
        }
        charts = None
        if fmt == "html" and summary is not None:
            charts = {"targets": ch.targets_vs_actual(_target_items(summary, lang), lang, chart_id="egalim-targets"),
                      "families": _family_chart(summary, lang, "egalim-families"),
                      "trends": _trend_charts(trend, lang, "egalim")}
        return renderer.respond(request, fmt, "egalim/dashboard.html", data, etag=f'"{reading.tag}"',
                                csv_table=(RESTAURANT_COLUMNS, rows), title="Egalim", charts=charts)

    def restaurant(request: Request, siret: str, annee_text: str | None = Query(None, alias="annee")) -> Response:
        fmt, lang = _fmt(request), renderer.language(request)
        siret = siret.replace(" ", "")
        if not _SIRET.fullmatch(siret):
            raise NotFoundError(f"siret: {siret!r} is not a SIRET (14 digits)")
        reading = published.read(store, scope="restaurant", scope_id=siret)
        trend = reading.results.trend("restaurant", siret) if reading else []
        if reading is None or not trend:
            raise NotFoundError(f"no catering purchase for the restaurant {siret} (see /egalim)")
        years = [s.year for s in trend]
        annee = _int("annee", annee_text)
        if annee is not None and annee not in years:
            raise NotFoundError(f"annee: no purchase in {annee} for {siret} (years: {', '.join(map(str, years))})")
        year = annee if annee is not None else years[-1]
        summary = next(s for s in trend if s.year == year)
        group = next((r.groupe for r in store.restaurants() if r.siret == siret), None)
        data = {"siret": siret, "name": summary.name, "groupe": group, "annee": year, "years": years,
                "current": reading.current, "summary": published.summary_json(summary),
                "trend": [published.summary_json(s) for s in trend]}
        charts = None
        if fmt == "html":
            charts = {"targets": ch.targets_vs_actual(_target_items(summary, lang), lang, chart_id="egalim-targets"),
                      "families": _family_chart(summary, lang, "egalim-families"),
                      "trends": _trend_charts(trend, lang, "restaurant")}
        return renderer.respond(request, fmt, "egalim/restaurant.html", data, etag=f'"{reading.tag}"',
                                csv_table=(RESTAURANT_COLUMNS, [_restaurant_row(s, group) for s in trend]),
                                title=summary.name or siret, charts=charts)

    def api_summaries(scope: str = "ensemble", scope_id: str | None = None,
                      year: int | None = None) -> dict[str, Any]:
        """Egalim figures per scope (restaurant: SIRET; groupe: name; ensemble) and calendar year."""
        if scope not in SCOPES:
            raise InputError(f"scope: choose among {', '.join(SCOPES)}, got {scope!r}")
        if year is not None and not 1900 <= year <= 2999:
            raise InputError(f"year: {year} is not a calendar year")
        chosen_id = ENSEMBLE_ID if scope == "ensemble" else scope_id
        if scope == "restaurant" and chosen_id:  # a SIRET as people write it, as the restaurant page takes it
            chosen_id = chosen_id.replace(" ", "")
        reading = published.read(store, scope=scope, scope_id=chosen_id, year=year)
        if reading is None:
            return {"current": True, "computed_at": None, "summaries": []}
        # jsonable: sums as JSON numbers, as in the pages' JSON twins (FastAPI would write Decimals as strings)
        payload: dict[str, Any] = jsonable({
            "current": reading.current, "computed_at": reading.results.computed_at.isoformat(),
            "summaries": [published.summary_json(s) for s in reading.results.summaries]})
        return payload

    _twin(router, "/egalim", dashboard, ("json", "csv"))
    _twin(router, "/egalim/restaurants/{siret}", restaurant, ("json", "csv"))
    router.add_api_route("/api/v1/egalim/summaries", api_summaries, methods=["GET"], tags=["egalim"])
    return router

