"""The guichet vert's help desk: buyers ask, the desk (platform administrators) assigns, answers, attaches clauses.

Why response times are stored, not computed from messages: the desk's public figures (count, median time to
first answer) must not change when a message is edited or a request reopened; ``first_response_at`` is set once.
"""

from __future__ import annotations

import datetime as dt
import statistics
from collections import Counter
from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm import Session

from spaser.accounts.models import User
from spaser.accounts.roles import can, require, require_platform_admin
from spaser.accounts.service import queue_message
from spaser.clauses.models import Clause, HelpMessage, HelpRequest
from spaser.domain.text import user_text
from spaser.errors import AuthenticationError, ConflictError, InputError, NotFoundError, PermissionDeniedError
from spaser.marketplace.models import Consultation
from spaser.platform_db.context import Context
from spaser.sourcing.profiles import clean_cpv_code

KINDS = ("question", "draft_review")
STATUSES = ("new", "assigned", "answered", "closed")


@dataclass(frozen=True)
class DeskStats:
    total: int
    by_status: dict[str, int]
    answered: int
    median_response_hours: float | None
    median_open_hours: float | None  # age of the requests still waiting for a first answer


def submit(session: Session, ctx: Context, *, kind: str, subject: str, body: str, cpv: str = "",
           consultation_id: int | None = None) -> HelpRequest:
    user = ctx.user
    if user is None:
        raise AuthenticationError("log in first")
    require(user, "request_help", user.organisation_id)
    assert user.organisation_id is not None
    if kind not in KINDS:
        raise InputError(f"kind: {kind!r} is not one of {', '.join(KINDS)}")
    if consultation_id is not None:
        consultation = session.get(Consultation, consultation_id)
        if consultation is None or consultation.buyer_org_id != user.organisation_id:
            raise NotFoundError(f"no consultation {consultation_id} in your organisation")
    elif kind == "draft_review":
        raise InputError("consultation: a draft review names the consultation to review")
    request = HelpRequest(requester_id=user.id, organisation_id=user.organisation_id, kind=kind,
                          subject=user_text(subject, "subject", 300), body=user_text(body, "body", 20000),
                          cpv=clean_cpv_code(cpv) if cpv.strip() else "", consultation_id=consultation_id,
                          status="new", created_at=ctx.now)
    session.add(request)
    session.flush()
    ctx.audit(session, "help_request.submit", "help_request", request.id, None,
              {"kind": kind, "subject": request.subject, "consultation_id": consultation_id})
    return request


def get_request(session: Session, ctx: Context, request_id: int) -> HelpRequest:
    """The requester's organisation and the desk may read a request; nobody else."""
    request = session.get(HelpRequest, request_id)
    user = ctx.user
    if user is None:
        raise AuthenticationError("log in first")
    if request is None:
        raise NotFoundError(f"no help request {request_id}")
    if not (user.is_platform_admin or (can(user, "request_help", request.organisation_id))):
        raise NotFoundError(f"no help request {request_id}")
    return request


def my_requests(session: Session, ctx: Context) -> list[HelpRequest]:
    user = ctx.user
    if user is None:
        raise AuthenticationError("log in first")
    require(user, "request_help", user.organisation_id)
    return list(session.execute(select(HelpRequest).where(HelpRequest.organisation_id == user.organisation_id)
                                .order_by(HelpRequest.created_at.desc(), HelpRequest.id.desc())).scalars())


def desk_queue(session: Session, ctx: Context, status: str = "") -> list[HelpRequest]:
    require_platform_admin(ctx.user, "work on the help desk")
    statement = select(HelpRequest).order_by(HelpRequest.created_at, HelpRequest.id)
    if status:
        if status not in STATUSES:
            raise InputError(f"status: {status!r} is not one of {', '.join(STATUSES)}")
        statement = statement.where(HelpRequest.status == status)
    return list(session.execute(statement).scalars())


def assign(session: Session, ctx: Context, request_id: int, assignee_id: int | None = None) -> HelpRequest:
    """Assigns to a desk member (default: oneself)."""
    desk = require_platform_admin(ctx.user, "assign help requests")
    request = get_request(session, ctx, request_id)
    if request.status == "closed":
        raise ConflictError(f"help request {request_id} is closed")
    assignee = session.get(User, assignee_id) if assignee_id is not None else desk
    if assignee is None or not assignee.is_platform_admin or not assignee.active:
        raise InputError(f"assignee: user {assignee_id} is not a member of the help desk")
    before = {"status": request.status, "assignee_id": request.assignee_id}
    request.assignee_id = assignee.id
    request.assigned_at = ctx.now
    if request.status == "new":
        request.status = "assigned"
    session.flush()
    ctx.audit(session, "help_request.assign", "help_request", request.id, before,
              {"status": request.status, "assignee_id": assignee.id})
    return request


def reply(session: Session, ctx: Context, request_id: int, body: str, clause_ids: list[str] | None = None
          ) -> HelpMessage:
    """A message on the request: from the desk it answers (first answer time recorded once, the requester is
    told by e-mail); from the requester it follows up and puts an answered request back in the desk's queue."""
    request = get_request(session, ctx, request_id)
    user = ctx.user
    assert user is not None
    if request.status == "closed":
        raise ConflictError(f"help request {request_id} is closed: open a new one")
    from_desk = user.is_platform_admin
    clauses = list(dict.fromkeys(clause_ids or []))
    if clauses and not from_desk:
        raise PermissionDeniedError("only the desk attaches clauses")
    for clause_id in clauses:
        clause = session.get(Clause, clause_id)
        if clause is None or clause.current_version is None:
            raise InputError(f"clause_ids: {clause_id!r} is not a validated clause of the library")
    before = {"status": request.status}
    message = HelpMessage(request_id=request.id, author_id=user.id, from_desk=from_desk,
                          body=user_text(body, "body", 20000), clause_ids=clauses, created_at=ctx.now)
    request.messages.append(message)
    if from_desk:
        if request.assignee_id is None:
            request.assignee_id, request.assigned_at = user.id, ctx.now
        request.status = "answered"
        if request.first_response_at is None:
            request.first_response_at = ctx.now
        requester = session.get(User, request.requester_id)
        if requester is not None and requester.active:
            queue_message(session, ctx, kind="help_answer", recipient=requester.email,
                          subject=f"spaser : réponse du guichet vert — {request.subject}",
                          body=f"Bonjour,\n\nle guichet vert a répondu à votre demande « {request.subject} » : "
                               f"{ctx.settings.public_url.rstrip('/')}/guichet-vert/demandes/{request.id}\n")
    elif request.status == "answered":
        request.status = "assigned"
    session.flush()
    ctx.audit(session, "help_request.reply", "help_request", request.id, before,
              {"status": request.status, "message_id": message.id, "clause_ids": clauses})
    return message


def close(session: Session, ctx: Context, request_id: int) -> HelpRequest:
    request = get_request(session, ctx, request_id)
    if request.status == "closed":
        return request
    before = {"status": request.status}
    request.status, request.closed_at = "closed", ctx.now
    session.flush()
    ctx.audit(session, "help_request.close", "help_request", request.id, before, {"status": "closed"})
    return request


def _hours(delta: dt.timedelta) -> float:
    return round(delta.total_seconds() / 3600, 1)


def stats(session: Session, now: dt.datetime) -> DeskStats:
    """Public figures of the desk: requests by status, median time to the first answer, age of those waiting."""
    requests = list(session.execute(select(HelpRequest)).scalars())
    responses = [_hours(r.first_response_at - r.created_at) for r in requests if r.first_response_at is not None]
    waiting = [_hours(now - r.created_at) for r in requests
               if r.first_response_at is None and r.status != "closed"]
    counts = Counter(r.status for r in requests)
    return DeskStats(total=len(requests), by_status={s: counts.get(s, 0) for s in STATUSES},
                     answered=len(responses),
                     median_response_hours=statistics.median(responses) if responses else None,
                     median_open_hours=statistics.median(waiting) if waiting else None)
