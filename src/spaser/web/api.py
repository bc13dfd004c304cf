"""REST API under ``/api/v1`` (documented by OpenAPI at ``/openapi.json``): indicators and contracts.

The indicator endpoint takes the CLI's filters and returns the CLI's JSON objects; the contract list uses
cursor pagination. Responses that depend only on the warehouse carry the snapshot's ETag.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from fastapi import APIRouter, Query, Request
from fastapi.responses import JSONResponse, Response, StreamingResponse
from pydantic import BaseModel

from spaser.decp.export_tabular import table_schema as contracts_table_schema
from spaser.errors import InputError
from spaser.indicators.catalogue import MEASURES, by_id
from spaser.indicators.engine import SCOPES, Result
from spaser.indicators.output import FIELDS, table_schema
from spaser.indicators.published import read_results
from spaser.warehouse import queries
from spaser.web.render import Renderer, csv_stream, jsonable


class ContractSummary(BaseModel):
    contract_key: str
    id: str | None
    acheteur_id: str | None
    acheteur_nom: str | None
    objet: str | None
    code_cpv: str | None
    procedure: str | None
    nature: str | None
    date_notification: str | None
    montant: float | None
    montant_suspect: bool | None
    offres_recues: int | None
    considerations_sociales: list[str] | None
    considerations_environnementales: list[str] | None
    quality_flags: list[str] | None
    n_titulaires: int | None
    n_modifications: int | None


class ContractList(BaseModel):
    total: int
    next_cursor: str | None
    contracts: list[ContractSummary]


def checked_cursor(cursor: str | None) -> str | None:
    """A cursor as this API returns them; a forged or damaged one (a date that is not ISO text, a key that is not
    text) is an InputError naming the field, not a server error in the query."""
    if not cursor:
        return None
    position = queries.decode_cursor(cursor)
    date, key = position.get("d"), position.get("k")
    valid = isinstance(key, str) and (not date or isinstance(date, str))
    if valid and date:
        try:
            dt.date.fromisoformat(date)
        except ValueError:
            valid = False
    if not valid:
        raise InputError(f"cursor: {cursor!r} is not a cursor returned by this API")
    return cursor


def api_router(renderer: Renderer) -> APIRouter:
    router = APIRouter(prefix="/api/v1")
    targets_dir = renderer.settings.data_dir / "targets"

    def cached(request: Request, etag: str, payload: Any) -> Response:
        if renderer.not_modified(request, etag):
            return Response(status_code=304, headers={"ETag": etag})
        return JSONResponse(jsonable(payload), headers={"ETag": etag})

    def indicator_results(year: int | None, scope: list[str] | None, buyer: str | None,
                          indicator: str | None, measure: str | None) -> tuple[list[Any], str]:
        con, etag = renderer.require()
        for name in scope or []:
            if name not in SCOPES:
                raise InputError(f"scope: unknown value {name!r}; choose among {', '.join(SCOPES)}")
        if indicator is not None and indicator not in by_id():
            raise InputError(f"indicator: unknown id {indicator!r} (see /api/v1/indicators/catalogue)")
        if measure is not None and measure not in MEASURES:
            raise InputError(f"measure: choose count or value, got {measure!r}")
        chosen_scope = ["buyer"] if buyer else (scope or ["all"])
        results = read_results(con, targets_dir, indicator=indicator, measure=measure, scope=chosen_scope,
                               scope_id=buyer, year=year)
        return results, etag

    @router.get("/indicators", response_model=list[Result], tags=["indicators"],
                summary="Indicator results (same filters and JSON objects as `spaser indicators`)")
    def indicators(request: Request, year: int | None = None, scope: list[str] | None = Query(None),
                   buyer: str | None = None, indicator: str | None = None,
                   measure: str | None = None) -> Response:
        results, etag = indicator_results(year, scope, buyer, indicator, measure)
        return cached(request, etag, [r.to_json() for r in results])

    @router.get("/indicators.csv", tags=["indicators"], summary="Indicator results as CSV (Table Schema: "
                "/api/v1/schemas/indicators.schema.json)", response_class=StreamingResponse)
    def indicators_csv(request: Request, year: int | None = None, scope: list[str] | None = Query(None),
                       buyer: str | None = None, indicator: str | None = None,
                       measure: str | None = None) -> Response:
        results, etag = indicator_results(year, scope, buyer, indicator, measure)
        rows = ([getattr(r, f) for f in FIELDS] for r in results)
        return StreamingResponse(csv_stream(FIELDS, rows), media_type="text/csv; charset=utf-8",
                                 headers={"ETag": etag})

    @router.get("/indicators/catalogue", tags=["indicators"], summary="The indicator catalogue")
    def indicator_catalogue() -> list[dict[str, Any]]:
        return [{"id": i.id, "label_fr": i.label_fr, "label_en": i.label_en, "definition_fr": i.definition_fr,
                 "definition_en": i.definition_en, "source": i.source, "unit": i.unit, "better": i.better}
                for i in by_id().values()]

    @router.get("/contracts", response_model=ContractList, tags=["contracts"],
                summary="Contracts, filtered, newest first, with cursor pagination")
    def contracts(request: Request, q: str | None = None, buyer: str | None = None, year: int | None = None,
                  cursor: str | None = None, limit: int = Query(50, ge=1, le=queries.MAX_PAGE)) -> Response:
        con, etag = renderer.require()
        filters = queries.ContractFilters(q=q or None, acheteur=buyer or None, annee=year)
        page = queries.contracts_after(con, filters, checked_cursor(cursor), limit)
        return cached(request, etag, {"total": page.total, "next_cursor": page.next_cursor,
                                      "contracts": page.rows})

    @router.get("/contracts/{key}", tags=["contracts"], summary="One contract with titulaires and modifications")
    def contract(request: Request, key: str) -> Response:
        con, etag = renderer.require()
        return cached(request, etag, queries.contract_detail(con, key))

    @router.get("/schemas/indicators.schema.json", tags=["open data"], summary="Table Schema of indicators.csv")
    def indicators_schema() -> dict[str, Any]:
        return table_schema()

    @router.get("/schemas/contracts.schema.json", tags=["open data"], summary="Table Schema of the contract "
                "explorer's CSV (/contrats.csv)")
    def contracts_schema() -> dict[str, Any]:
        return queries.explorer_table_schema()

    @router.get("/schemas/contracts-export.schema.json", tags=["open data"], summary="Table Schema of "
                "`spaser export csv` (one row per contract × titulaire)")
    def contracts_export_schema() -> dict[str, Any]:
        return contracts_table_schema()

    return router
