"""The buyer workspace after the deadline: opening the bids, scoring, ranking, award, « infructueuse », and the
contract's notification (which publishes its DECP record and, when configured, feeds the observatory).
Thin: forms → ``spaser.marketplace`` services (which check every access) → the editor page."""

from __future__ import annotations

import logging
import re
from decimal import Decimal

from fastapi import APIRouter, Request
from fastapi.responses import Response
from sqlalchemy.orm import Session
from starlette.concurrency import run_in_threadpool
from starlette.datastructures import FormData

from spaser.domain.montant import parse_decimal
from spaser.errors import SpaserError
from spaser.marketplace import bids, consultations, evaluation
from spaser.marketplace.feed_ingest import ingest_platform_feed
from spaser.platform_db.context import Context
from spaser.web import forms
from spaser.web.buyer_views import Editor

log = logging.getLogger(__name__)
SCORE_FIELD = re.compile(r"^score-(\d+)-(\d+)$")


def scores_of(form: FormData) -> dict[tuple[int, int], Decimal]:
    """``score-<bid>-<criterion>`` fields that are filled, as (bid id, criterion id) → score."""
    found: dict[tuple[int, int], Decimal] = {}
    for name in form:
        match = SCORE_FIELD.match(name)
        raw = forms.text(form, name) if match else ""
        if match and raw:
            found[int(match[1]), int(match[2])] = parse_decimal(raw, name, "a score from 0 to 100")
    return found


def buyer_evaluation_router(editor: Editor) -> APIRouter:
    router = APIRouter(include_in_schema=False)
    platform = editor.platform
    base = "/acheteur/consultations/{consultation_id}"

    @router.post(base + "/ouvrir")
    async def open_bids(consultation_id: int, request: Request) -> Response:
        def action(session: Session, ctx: Context, _: FormData) -> str:
            opened = bids.open_bids(session, ctx, consultation_id)
            return f"Plis ouverts : {len(opened)} offre(s) à analyser."
        return await editor.act(request, consultation_id, action)

    @router.post(base + "/notes")
    async def score(consultation_id: int, request: Request) -> Response:
        def action(session: Session, ctx: Context, form: FormData) -> str:
            current = {(r.bid.id, cid): value for r in evaluation.ranking(session, ctx, consultation_id)
                       for cid, value in r.scores.items()}
            changed = 0
            for (bid_id, criterion_id), value in scores_of(form).items():
                if current.get((bid_id, criterion_id)) != value:
                    evaluation.score(session, ctx, bid_id, criterion_id, value)
                    changed += 1
            return f"Notes enregistrées ({changed} modifiée(s))."
        return await editor.act(request, consultation_id, action)

    @router.post(base + "/notes-prix")
    async def score_prices(consultation_id: int, request: Request) -> Response:
        def action(session: Session, ctx: Context, _: FormData) -> str:
            count = evaluation.score_prices(session, ctx, consultation_id)
            return f"Critère prix noté automatiquement (100 × prix le plus bas / prix) : {count} note(s)."
        return await editor.act(request, consultation_id, action)

    @router.post(base + "/attribuer")
    async def award(consultation_id: int, request: Request) -> Response:
        def action(session: Session, ctx: Context, form: FormData) -> str:
            decision = evaluation.award(session, ctx, consultation_id, forms.integer(form, "bid_id"))
            return (f"Consultation attribuée ({decision.amount} € HT) : les candidats sont prévenus ; délai de "
                    f"suspension jusqu'au {decision.standstill_ends_at:%d/%m/%Y à %H:%M} UTC.")
        return await editor.act(request, consultation_id, action)

    @router.post(base + "/infructueuse")
    async def unsuccessful(consultation_id: int, request: Request) -> Response:
        def action(session: Session, ctx: Context, form: FormData) -> str:
            consultations.declare_unsuccessful(session, ctx, consultation_id, forms.text(form, "reason"))
            return "Consultation déclarée infructueuse."
        return await editor.act(request, consultation_id, action)

    @router.post(base + "/notifier")
    async def notify(consultation_id: int, request: Request) -> Response:
        await forms.read_form(request, editor.auth)
        try:
            with platform.db.begin() as session:
                uid = evaluation.notify_contract(session, editor.auth.context(request), consultation_id).uid
        except SpaserError as exc:
            return editor.show(request, consultation_id, problems=[exc.message], status_code=exc.http_status)
        message = f"Marché notifié ({uid}) : ses données essentielles sont publiées dans le flux DECP."
        if not platform.settings.ingest_platform_after_award:
            return editor.back(consultation_id, message)
        try:  # the notification is committed: a failed ingestion is reported, never undoes it
            report = await run_in_threadpool(ingest_platform_feed, platform.settings, platform)
        except Exception as exc:  # any failure of the warehouse side (files, DuckDB) is shown, not raised
            log.exception("ingesting the platform feed after the notification of %s failed", uid)
            detail = exc.message if isinstance(exc, SpaserError) else f"{type(exc).__name__}: {exc}"
            return editor.back(consultation_id, message,
                               failure=f"L'intégration dans l'observatoire a échoué : {detail}")
        return editor.back(consultation_id, message + (
            f" Observatoire mis à jour : {report.records_read} lu(s), {report.loaded} ajouté(s), "
            f"{report.duplicates} déjà présent(s), {report.quarantined} en quarantaine."))

    return router
