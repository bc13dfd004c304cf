"""The buyer workspace's views (plain dicts for pages and their JSON twins, built inside the session) and the
editor's shared plumbing: show the editor, run a POST action, redirect back with a confirmation.

Why here: the workspace's two routers (preparation and evaluation) render the same editor page and handle
errors the same way; the services decide every access (``get_for_buyer``, ``require``).
"""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Callable
from typing import Any
from urllib.parse import quote

from fastapi import Request
from fastapi.responses import RedirectResponse, Response
from sqlalchemy import select
from sqlalchemy.orm import Session
from starlette.datastructures import FormData

from spaser.accounts.models import BUYER_ROLES, Organisation, User
from spaser.accounts.roles import can, require
from spaser.errors import SpaserError
from spaser.marketplace import bids, consultations, documents, evaluation, journal, lifecycle, questions, rules
from spaser.marketplace.models import Award, Bid, Consultation, DecpFeedEntry
from spaser.platform_db.context import Context
from spaser.web import forms
from spaser.web.auth import Auth
from spaser.web.guichet_views import library_section
from spaser.web.market_views import STATUS_EN, STATUS_FR
from spaser.web.render import Renderer

CRITERION_FR = {"price": "Prix", "cost": "Coût", "global_cost": "Coût global (cycle de vie)",
                "technical": "Valeur technique", "environmental": "Performances environnementales",
                "social": "Critère social", "delay": "Délai", "other": "Autre"}
CLAUSE_FR = {"environmental": "Condition environnementale", "social": "Condition sociale (insertion...)",
             "reserved": "Marché réservé (ESAT, SIAE...)"}
ROLE_FR = {"admin": "administrateur", "buyer": "acheteur", "evaluator": "évaluateur"}
PERMISSIONS = ("edit_consultation", "answer_questions", "open_bids", "evaluate", "award", "manage_users")
CRITERIA_ROWS, CLAUSE_ROWS, LOT_ROWS = 6, 4, 4
#: The fields of the draft form: text, whole numbers, checkboxes (sent only when ticked).
TEXT_FIELDS = ("title", "description", "procedure", "contract_type", "cpv", "estimated_value", "lieu_execution",
               "social_clause_justification")
INT_FIELDS = ("duree_mois", "standstill_days")
FLAGS = ("electronic_submission", "prior_notice", "urgency")
REQUIRED = ("title", "procedure", "contract_type", "cpv", "estimated_value")


def choices(lang: str) -> dict[str, Any]:
    """What the forms offer: procedures, contract types, criterion and clause kinds, roles, status labels."""
    return {"procedures": rules.PROCEDURES, "contract_types": rules.CONTRACT_TYPES,
            "criterion_kinds": {k: CRITERION_FR[k] if lang == "fr" else k for k in rules.CRITERION_KINDS},
            "clause_kinds": {k: CLAUSE_FR[k] if lang == "fr" else k for k in rules.CLAUSE_KINDS},
            "roles": {r: ROLE_FR[r] if lang == "fr" else r for r in BUYER_ROLES},
            "statuses": STATUS_FR if lang == "fr" else STATUS_EN}


def _deadline_passed(consultation: Consultation, now: dt.datetime) -> bool:
    return consultation.status != "draft" and consultation.deadline is not None and now >= consultation.deadline


def workspace(session: Session, ctx: Context) -> dict[str, Any]:
    """The organisation's consultations, newest first; the number of deposits only once the deadline passed."""
    user = require(ctx.user, "view_buyer_workspace")
    organisation = session.get(Organisation, user.organisation_id)
    rows = session.execute(select(Consultation).where(Consultation.buyer_org_id == user.organisation_id)
                           .order_by(Consultation.created_at.desc(), Consultation.id.desc())).scalars()
    items = [{"id": c.id, "reference": c.reference, "title": c.title, "deadline": c.deadline,
              "status": lifecycle.effective_status(c.status, c.deadline, ctx.now),
              "deposits": len(bids.active_bids(session, c.id)) if _deadline_passed(c, ctx.now) else None}
             for c in rows]
    return {"organisation": organisation.name if organisation else "", "items": items,
            "may_create": can(user, "edit_consultation"), "may_manage_users": can(user, "manage_users"),
            "may_import_egalim": can(user, "import_egalim")}


def members(session: Session, ctx: Context) -> dict[str, Any]:
    """The admin's organisation and its users."""
    admin = require(ctx.user, "manage_users")
    organisation = session.get(Organisation, admin.organisation_id)
    users = session.execute(select(User).where(User.organisation_id == admin.organisation_id)
                            .order_by(User.full_name, User.id)).scalars()
    return {"organisation": organisation.name if organisation else "",
            "members": [{"id": u.id, "full_name": u.full_name, "email": u.email, "role": u.role, "active": u.active}
                        for u in users]}


def _documents(session: Session, consultation: Consultation) -> list[dict[str, Any]]:
    return [{"id": d.id, "name": d.name, "version": d.version, "size": d.size, "sha256": d.sha256,
             "uploaded_at": d.uploaded_at,
             "history": [{"id": h.id, "version": h.version, "size": h.size, "sha256": h.sha256,
                          "uploaded_at": h.uploaded_at, "after_publication": h.after_publication}
                         for h in documents.document_history(session, consultation.id, d.name)]}
            for d in documents.list_documents(session, consultation)]


def _bids(session: Session, ctx: Context, consultation: Consultation) -> tuple[list[dict[str, Any]],
                                                                                list[dict[str, Any]]]:
    """(the counted bids in deposit order, the ranking best first), once the bids are opened."""
    if consultation.opened_at is None:
        return [], []
    ranked = evaluation.ranking(session, ctx, consultation.id)
    rows = [{"id": r.bid.id, "supplier": r.supplier.name, "siret": r.supplier.siret, "amount": r.bid.amount,
             "deposited_at": r.bid.deposited_at, "is_backup": r.bid.is_backup, "rank": r.rank, "total": r.total,
             "scores": dict(r.scores),
             "files": [{"id": f.id, "filename": f.filename, "size": f.size} for f in r.bid.files]} for r in ranked]
    ranking = [{"rank": r["rank"], "bid_id": r["id"], "supplier": r["supplier"], "amount": r["amount"],
                "total": r["total"]} for r in rows]
    return sorted(rows, key=lambda r: (r["deposited_at"], r["id"])), ranking


def _award(session: Session, consultation: Consultation, now: dt.datetime) -> dict[str, Any] | None:
    decision = session.execute(select(Award).where(Award.consultation_id == consultation.id)).scalar_one_or_none()
    if decision is None:
        return None
    bid = session.get(Bid, decision.bid_id)
    winner = session.get(Organisation, bid.supplier_org_id) if bid is not None else None
    entry = session.execute(select(DecpFeedEntry).where(DecpFeedEntry.award_id == decision.id)).scalar_one_or_none()
    record = json.loads(entry.record) if entry is not None else None
    return {"bid_id": decision.bid_id, "winner": winner.name if winner else "", "siret": winner.siret if winner else "",
            "amount": decision.amount, "decided_at": decision.decided_at,
            "standstill_ends_at": decision.standstill_ends_at, "notified_at": decision.notified_at,
            "contract_uid": decision.contract_uid,
            "may_notify": decision.notified_at is None and now >= decision.standstill_ends_at,
            "decp": record,
            "decp_text": json.dumps(record, ensure_ascii=False, indent=2) if record is not None else None}


def editor_view(session: Session, ctx: Context, consultation_id: int, lang: str = "fr") -> dict[str, Any]:
    """Everything the editor shows, whatever the status (sections the status does not use stay empty)."""
    c = consultations.get_for_buyer(session, ctx, consultation_id, "view_buyer_workspace")
    now = ctx.now
    bid_rows, ranking = _bids(session, ctx, c)
    return {
        "id": c.id, "reference": c.reference, "title": c.title, "description": c.description,
        "procedure": c.procedure, "contract_type": c.contract_type, "nature": c.nature, "cpv": c.cpv,
        "estimated_value": c.estimated_value, "duree_mois": c.duree_mois, "lieu_execution": c.lieu_execution,
        "electronic_submission": c.electronic_submission, "prior_notice": c.prior_notice, "urgency": c.urgency,
        "social_clause_justification": c.social_clause_justification, "deadline": c.deadline,
        "questions_cutoff": c.questions_cutoff, "standstill_days": c.standstill_days,
        "status": lifecycle.effective_status(c.status, c.deadline, now), "published_at": c.published_at,
        "opened_at": c.opened_at, "close_reason": c.close_reason,
        "criteria": [{"id": k.id, "label": k.label, "kind": k.kind, "weight": k.weight,
                      "includes_environment": k.includes_environment} for k in c.criteria],
        "clauses": [{"kind": k.kind, "text": k.text, "library_clause": k.library_clause} for k in c.clauses],
        "library": library_section(session, c, lang),
        "lots": [{"number": lot.number, "title": lot.title, "cpv": lot.cpv, "estimated_value": lot.estimated_value}
                 for lot in c.lots],
        "documents": _documents(session, c),
        "questions": [{"id": q.id, "text": q.text, "asked_at": q.asked_at, "answer": q.answer,
                       "answered_at": q.answered_at} for q in questions.questions_for_buyer(session, ctx, c.id)],
        "deposits": len(bids.active_bids(session, c.id)) if _deadline_passed(c, now) else None,
        "bids": bid_rows, "ranking": ranking, "award": _award(session, c, now),
        "journal": [{"at": e.at, "actor": e.actor, "action": e.action}
                    for e in journal.consultation_journal(session, ctx, c.id)],
        "may": {p: can(ctx.user, p, c.buyer_org_id) for p in PERMISSIONS},
    }


def form_values(view: dict[str, Any]) -> dict[str, Any]:
    """The draft form's values as the inputs show them (deadline in Paris time for datetime-local)."""
    values: dict[str, Any] = {name: "" if view.get(name) is None else str(view[name])
                              for name in TEXT_FIELDS + INT_FIELDS}
    values |= {flag: bool(view.get(flag)) for flag in FLAGS}
    values["deadline"] = forms.to_local_input(view.get("deadline"))
    return values


def submitted(form: FormData) -> dict[str, Any]:
    """The draft fields present in the form, as typed (shown again when the service refuses them)."""
    raw: dict[str, Any] = {name: forms.text(form, name) for name in (*TEXT_FIELDS, *INT_FIELDS, "deadline")
                           if name in form}
    if "flags" in form:  # the form with the checkboxes says so: an unticked box is not sent
        raw |= {flag: forms.checkbox(form, flag) for flag in FLAGS}
    return raw


def draft_values(form: FormData) -> dict[str, Any]:
    """The draft fields present in the form, typed for ``create_draft`` / ``update_draft``; an empty required
    field is left out (the service says it is required), an empty optional text clears it."""
    values: dict[str, Any] = {}
    for name, value in submitted(form).items():
        if value == "" and (name in REQUIRED or name in INT_FIELDS):
            continue
        if name in INT_FIELDS:
            values[name] = forms.integer(form, name)
        elif name == "deadline":
            values[name] = forms.local_datetime(form, name)
        elif name == "social_clause_justification":
            values[name] = value or None
        else:
            values[name] = value
    return values


def split_problems(message: str) -> list[str]:
    """A refusal that lists several problems (« ...: a; b; c ») as its lead and one item per problem."""
    lead, sep, rest = message.partition(": ")
    if not sep or "; " not in rest:
        return [message]
    return [lead, *rest.split("; ")]


Action = Callable[[Session, Context, FormData], str]


class Editor:
    """Shows the editor and runs its POST actions (CSRF, one transaction, redirect or re-render)."""

    def __init__(self, renderer: Renderer, auth: Auth) -> None:
        self.renderer, self.auth, self.platform = renderer, auth, auth.platform

    def show(self, request: Request, consultation_id: int, *, problems: list[str] | None = None,
             status_code: int = 200, values: dict[str, Any] | None = None, failure: str | None = None) -> Response:
        lang = self.renderer.language(request)
        with self.platform.db() as session:
            view = editor_view(session, self.auth.context(request), consultation_id, lang)
        data = {"c": view, "form": form_values(view) | (values or {}), "problems": problems or [],
                "message": None if problems else request.query_params.get("message"),
                "failure": None if problems else request.query_params.get("echec"),
                "criteria_rows": max(CRITERIA_ROWS, len(view["criteria"])),
                "clause_rows": max(CLAUSE_ROWS, len(view["clauses"])),
                "lot_rows": max(LOT_ROWS, len(view["lots"]) + 1), **choices(lang)}
        if failure:
            data["failure"] = failure
        return self.renderer.private(request, "buyer/editor.html", data, title=view["title"],
                                     status_code=status_code, json_data=view)

    @staticmethod
    def back(consultation_id: int, message: str, failure: str | None = None) -> Response:
        query = f"?message={quote(message)}" + (f"&echec={quote(failure)}" if failure else "")
        return RedirectResponse(f"/acheteur/consultations/{consultation_id}{query}", status_code=303)

    async def act(self, request: Request, consultation_id: int, action: Action, *, split: bool = False,
                  keep_values: bool = False) -> Response:
        """Read the form (CSRF checked) and :meth:`run` ``action``."""
        form = await forms.read_form(request, self.auth)
        return self.run(request, consultation_id, form, action, split=split, keep_values=keep_values)

    def run(self, request: Request, consultation_id: int, form: FormData, action: Action, *, split: bool = False,
            keep_values: bool = False) -> Response:
        """Run ``action`` in one transaction and redirect with its confirmation; on a refusal show the editor
        with the message (split into items for a publication refusal) and the error's HTTP status."""
        try:
            with self.platform.db.begin() as session:
                message = action(session, self.auth.context(request), form)
        except SpaserError as exc:
            return self.show(request, consultation_id, status_code=exc.http_status,
                             problems=split_problems(exc.message) if split else [exc.message],
                             values=submitted(form) if keep_values else None)
        return self.back(consultation_id, message)
