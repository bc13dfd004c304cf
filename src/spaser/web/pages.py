"""The observatory's pages; each answers HTML, ``.json`` and, where tabular, ``.csv`` with the same data."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from fastapi import APIRouter, Query, Request
from fastapi.responses import Response

from spaser.errors import InputError, NotFoundError
from spaser.indicators.catalogue import MEASURES, by_id, catalogue
from spaser.indicators.engine import Result
from spaser.indicators.published import read_results
from spaser.warehouse import queries
from spaser.web import charts as ch
from spaser.web.egalim_home import home_block
from spaser.web.render import Renderer

#: The indicators the dashboard shows, in order.
DASHBOARD = ("env_consideration", "social_consideration", "env_criterion", "sme_share", "local_share",
             "new_suppliers", "sme_advance", "single_bid", "no_publication", "data_completeness")
BREAKDOWNS = ("buyer", "cpv_division", "procedure", "region")
RESULT_FIELDS = ("id", "measure", "year", "scope", "scope_id", "numerator", "denominator", "value", "unit",
                 "coverage", "population", "known", "excluded", "target", "target_year", "expected", "status", "gap")


def _int(name: str, text: str | None) -> int | None:
    """An integer query parameter; empty means absent; anything else is a 400 naming the parameter."""
    if text is None or not text.strip():
        return None
    try:
        return int(text.strip())
    except ValueError:
        raise InputError(f"{name}: {text!r} is not a whole number") from None


def _float(name: str, text: str | None) -> float | None:
    if text is None or not text.strip():
        return None
    try:
        value = float(text.strip().replace(",", ".").replace(" ", ""))
    except ValueError:
        raise InputError(f"{name}: {text!r} is not a number") from None
    if value != value or value in (float("inf"), float("-inf")):
        raise InputError(f"{name}: {text!r} is not a finite number")
    return value


def _label(indicator_id: str, lang: str) -> str:
    entry = by_id()[indicator_id]
    return entry.label_fr if lang == "fr" else entry.label_en


def _result_rows(results: list[Result]) -> tuple[list[str], list[list[Any]]]:
    return list(RESULT_FIELDS), [[getattr(r, f) for f in RESULT_FIELDS] for r in results]


def _twin(router: APIRouter, path: str, handler: Callable[..., Response], formats: tuple[str, ...]) -> None:
    """Register ``path`` and its twins (``.json``, ``.csv``) — twins first, so ``{id}.json`` is not an id."""
    for fmt in formats:
        if fmt == "html":
            continue
        router.add_api_route(f"{path}.{fmt}" if path != "/" else f"/index.{fmt}", handler, methods=["GET"],
                             include_in_schema=False, name=f"{handler.__name__}_{fmt}")
    router.add_api_route(path, handler, methods=["GET"], include_in_schema=False, name=handler.__name__)


def _fmt(request: Request) -> str:
    path = request.url.path
    return "json" if path.endswith(".json") else "csv" if path.endswith(".csv") else "html"


def page_router(renderer: Renderer) -> APIRouter:
    router = APIRouter()
    targets_dir = renderer.settings.data_dir / "targets"

    def home(request: Request, acheteur: str | None = None, annee_text: str | None = Query(None, alias="annee")
             ) -> Response:
        fmt = _fmt(request)
        annee = _int("annee", annee_text)
        acheteur = acheteur or None
        egalim, egalim_tag = home_block(renderer)
        found = renderer.warehouse()
        if found is None:
            return renderer.respond(request, fmt, "home.html", {"empty": True, "rows": [], "trends": {},
                                                              "buyers": [], "years": [], "acheteur": None,
                                                              "annee": None, "art35": None, "egalim": egalim},
                                    title="spaser")
        con, etag = found
        years = queries.years(con)
        year = annee if annee is not None else (years[-1] if years else None)
        scope, scope_id = ("buyer", acheteur) if acheteur else ("all", None)
        results = [r for r in read_results(con, targets_dir, scope=[scope], scope_id=scope_id, measure="count")
                   if r.id in DASHBOARD]
        current = sorted((r for r in results if r.year == year), key=lambda r: DASHBOARD.index(r.id))
        trends: dict[str, list[Result]] = {}
        for result in results:
            if result.year is not None:
                trends.setdefault(result.id, []).append(result)
        art35 = next((r for r in current if r.id == "env_criterion"), None)
        data = {"empty": False, "acheteur": acheteur, "annee": year, "years": years,
                "buyers": queries.buyers(con, 200), "rows": current, "trends": trends, "art35": art35,
                "labels": {i.id: (i.label_fr, i.label_en) for i in catalogue()}, "egalim": egalim}
        etag = etag[:-1] + egalim_tag + '"'  # the home shows the Egalim figures too: its ETag follows them
        lang = renderer.language(request)
        charts = None
        if fmt == "html":
            charts = {"targets": ch.targets_vs_actual(
                [(_label(r.id, lang), r.value, r.target, r.status) for r in current
                 if r.unit == "%" and r.target is not None], lang, chart_id="targets"),
                "trends": [ch.trend(_label(i, lang), points[0].unit,
                                    [(p.year, p.value, p.coverage) for p in points if p.year is not None],
                                    points[-1].target, points[-1].target_year, lang, chart_id=f"trend-{i}")
                           for i, points in trends.items() if i in DASHBOARD[:6]]}
        return renderer.respond(request, fmt, "home.html", data, con=con, etag=etag,
                                csv_table=_result_rows(current), title="spaser", charts=charts)

    def indicators(request: Request) -> Response:
        data = {"indicators": [{"id": i.id, "label_fr": i.label_fr, "label_en": i.label_en, "unit": i.unit,
                                "source": i.source, "better": i.better} for i in catalogue()]}
        found = renderer.warehouse()
        return renderer.respond(
            request, _fmt(request), "indicators.html", data, con=found[0] if found else None,
            csv_table=(["id", "label_fr", "label_en", "unit", "source", "better"],
                       [list(d.values()) for d in data["indicators"]]))

    def indicator(request: Request, indicator_id: str, mesure: str = "count") -> Response:
        entries = by_id()
        if indicator_id not in entries:
            raise NotFoundError(f"no indicator {indicator_id!r} (see /indicateurs)")
        if mesure not in MEASURES:
            raise InputError(f"mesure: choose count or value, got {mesure!r}")
        entry = entries[indicator_id]
        con, etag = renderer.require()
        by_year = read_results(con, targets_dir, indicator=indicator_id, scope=["all"])
        years = sorted({r.year for r in by_year if r.year is not None})
        latest = years[-1] if years else None
        breakdowns = {scope: read_results(con, targets_dir, indicator=indicator_id, measure=mesure, scope=[scope],
                                          year=latest, limit=20, order_by_value=True) for scope in BREAKDOWNS}
        data = {"indicator": {"id": entry.id, "label_fr": entry.label_fr, "label_en": entry.label_en,
                              "definition_fr": entry.definition_fr, "definition_en": entry.definition_en,
                              "source": entry.source, "unit": entry.unit, "better": entry.better,
                              "fields": list(entry.fields), "population": entry.population, "known": entry.known,
                              "numerator": entry.numerator,
                              "parts": {m: entry.parts(m) for m in MEASURES}},
                "mesure": mesure, "latest": latest, "by_year": by_year, "breakdowns": breakdowns}
        lang, fmt = renderer.language(request), _fmt(request)
        charts = None
        if fmt == "html":
            label = entry.label_fr if lang == "fr" else entry.label_en
            yearly = [r for r in by_year if r.measure == mesure and r.year is not None]
            charts = {"trend": ch.trend(label, entry.unit, [(r.year, r.value, r.coverage) for r in yearly
                                                            if r.year is not None],
                                        yearly[-1].target if yearly else None,
                                        yearly[-1].target_year if yearly else None, lang, chart_id="trend"),
                      "breakdowns": {scope: ch.breakdown(label, entry.unit, [(r.scope_id or "?", r.value, r.denominator)
                                                                             for r in rows], lang,
                                                         chart_id=f"breakdown-{scope}")
                                     for scope, rows in breakdowns.items()}}
        return renderer.respond(request, fmt, "indicator.html", data, con=con, etag=etag,
                                csv_table=lambda: _result_rows(read_results(con, targets_dir, indicator=indicator_id)),
                                title=entry.label_fr, charts=charts)

    def contracts(request: Request, q: str | None = None, acheteur: str | None = None,
                  titulaire: str | None = None, cpv: str | None = None, procedure: str | None = None,
                  annee: str | None = None, montant_min: str | None = None, montant_max: str | None = None,
                  consideration: str | None = None, flag: str | None = None, sort: str = "date",
                  page: str | None = None) -> Response:
        # A form submits its empty fields ("annee="): they mean "no filter", not a type error.
        con, etag = renderer.require()
        filters = queries.ContractFilters(q or None, acheteur or None, titulaire or None, cpv or None,
                                          procedure or None, _int("annee", annee), _float("montant_min", montant_min),
                                          _float("montant_max", montant_max), consideration or None, flag or None,
                                          sort or "date")
        page_number = _int("page", page) or 1
        if not 1 <= page_number <= 100_000:
            raise InputError(f"page: must be between 1 and 100000, got {page_number}")
        fmt = _fmt(request)
        if fmt == "csv":
            columns, cursor = queries.export_rows(con, filters)
            return renderer.respond(request, fmt, "contracts.html", {}, con=con, etag=etag,
                                    csv_table=(columns, _rows(cursor)))
        size = 50
        result = queries.list_contracts(con, filters, offset=(page_number - 1) * size, limit=size)
        procedures = [p for (p,) in con.execute(
            "SELECT DISTINCT procedure FROM contracts WHERE procedure IS NOT NULL ORDER BY 1").fetchall()]
        data = {"filters": filters, "result": result, "page": page_number, "pages": max(1, -(-result.total // size)),
                "procedures": procedures, "years": queries.years(con)}
        return renderer.respond(request, fmt, "contracts.html", data, con=con, etag=etag,
                                csv_table=(list(queries.LIST_COLUMNS), []), title="Contrats")

    def contract(request: Request, key: str) -> Response:
        con, etag = renderer.require()
        detail = queries.contract_detail(con, key)
        return renderer.respond(request, _fmt(request), "contract.html", {"contract": detail}, con=con, etag=etag,
                                title=str(detail.get("objet") or key))

    def buyer(request: Request, acheteur_id: str) -> Response:
        con, etag = renderer.require()
        summary = queries.buyer_summary(con, acheteur_id)
        results = read_results(con, targets_dir, scope=["buyer"], scope_id=acheteur_id, measure="count",
                               year=summary["by_year"][-1]["year"] if summary["by_year"] else None)
        data = {"buyer": summary, "results": [r for r in results if r.id in DASHBOARD]}
        return renderer.respond(request, _fmt(request), "buyer.html", data, con=con, etag=etag,
                                csv_table=(["year", "contracts", "montant"],
                                           [[y["year"], y["contracts"], y["montant"]] for y in summary["by_year"]]),
                                title=str(summary["nom"] or acheteur_id))

    def supplier(request: Request, titulaire_id: str) -> Response:
        con, etag = renderer.require()
        summary = queries.supplier_summary(con, titulaire_id)
        return renderer.respond(request, _fmt(request), "supplier.html", {"supplier": summary}, con=con, etag=etag,
                                title=str(summary["nom"] or titulaire_id))

    def quality(request: Request) -> Response:
        con, etag = renderer.require()
        overview = queries.quality_overview(con)
        lang, fmt = renderer.language(request), _fmt(request)
        charts = None
        if fmt == "html" and overview["flags"]:
            charts = {"flags": ch.distribution("Signalements qualité" if lang == "fr" else "Quality flags",
                                               [(f["flag"], f["contracts"]) for f in overview["flags"][:15]], lang,
                                               chart_id="flags")}
        return renderer.respond(request, fmt, "quality.html", {"quality": overview}, con=con, etag=etag, charts=charts,
                                csv_table=(["flag", "contracts"], [[f["flag"], f["contracts"]]
                                                                  for f in overview["flags"]]),
                                title="Qualité")

    def opendata(request: Request) -> Response:
        found = renderer.warehouse()
        downloads = [
            {"name": "indicateurs", "href": "/api/v1/indicators.csv",
             "schema": "/api/v1/schemas/indicators.schema.json"},
            {"name": "contrats", "href": "/contrats.csv", "schema": "/api/v1/schemas/contracts.schema.json"},
        ]
        return renderer.respond(request, _fmt(request), "opendata.html", {"downloads": downloads},
                                con=found[0] if found else None, title="Données ouvertes")

    def methodology(request: Request) -> Response:
        found = renderer.warehouse()
        return renderer.respond(request, _fmt(request), "methodology.html",
                                {"indicators": [i.id for i in catalogue()]}, con=found[0] if found else None,
                                title="Méthodologie")

    def status(request: Request) -> Response:
        found = renderer.warehouse()
        data: dict[str, Any] = {"contracts": 0, "records": 0, "quarantined": 0, "files": 0, "runs": []}
        if found is not None:
            data = queries.warehouse_status(found[0])
        return renderer.respond(request, _fmt(request), "status.html", {"status": data},
                                con=found[0] if found else None, etag=found[1] if found else None,
                                title="Statut")

    _twin(router, "/statut", status, ("json",))
    _twin(router, "/", home, ("json", "csv"))
    _twin(router, "/indicateurs", indicators, ("json", "csv"))
    _twin(router, "/indicateurs/{indicator_id}", indicator, ("json", "csv"))
    _twin(router, "/contrats", contracts, ("json", "csv"))
    _twin(router, "/contrats/{key}", contract, ("json",))
    _twin(router, "/acheteurs/{acheteur_id}", buyer, ("json", "csv"))
    _twin(router, "/titulaires/{titulaire_id}", supplier, ("json",))
    _twin(router, "/qualite", quality, ("json", "csv"))
    _twin(router, "/donnees", opendata, ("json",))
    _twin(router, "/methodologie", methodology, ("json",))
    return router


def _rows(cursor: Any) -> Any:
    while batch := cursor.fetchmany(5000):
        yield from batch
