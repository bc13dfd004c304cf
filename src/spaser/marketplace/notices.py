"""Telling the suppliers who follow a consultation that it changed, and giving them back the time the law requires.

Why one module: a document changed and an answer published late have the same consequence (R2132-6: suppliers
keep ``answer_notice_days`` before the deadline), so documents and questions share this code and cannot drift.
"""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from sqlalchemy import select
from sqlalchemy.orm import Session

from spaser.accounts.models import User
from spaser.accounts.service import queue_message
from spaser.marketplace import rules
from spaser.marketplace.models import Consultation, Registration
from spaser.platform_db.context import Context

FOOTER = ("\n\nVous recevez ce message parce que vous suivez cette consultation. "
          "Les documents et les réponses sont consultables librement sur sa page.\n")


def format_paris(moment: dt.datetime) -> str:
    """French wording of a server (UTC) time, in Paris time: what suppliers read on the notice of the consultation."""
    try:
        local, label = moment.astimezone(ZoneInfo("Europe/Paris")), "heure de Paris"
    except ZoneInfoNotFoundError:  # no time zone database (minimal containers): say UTC rather than guess
        local, label = moment.astimezone(dt.UTC), "UTC"
    return f"{local:%d/%m/%Y} à {local:%H:%M} ({label})"


def lock(session: Session, consultation: Consultation) -> Consultation:
    """Reload the consultation under a row lock (PostgreSQL; SQLite writers are already serialised), so two
    changes at once cannot both read the old deadline or the same next document version."""
    session.refresh(consultation, with_for_update=True)
    return consultation


def registered_users(session: Session, consultation_id: int) -> list[User]:
    """Active supplier users following the consultation, in a stable order."""
    query = (select(User).join(Registration, Registration.user_id == User.id)
             .where(Registration.consultation_id == consultation_id, User.active.is_(True)).order_by(User.id))
    return list(session.execute(query).scalars())


def ensure_registered(session: Session, ctx: Context, consultation: Consultation, user: User) -> Registration:
    """The user's registration to the consultation, created once (asking a question or following it)."""
    existing = session.execute(select(Registration).where(Registration.consultation_id == consultation.id,
                                                          Registration.user_id == user.id)).scalar_one_or_none()
    if existing is not None:
        return existing
    registration = Registration(consultation_id=consultation.id, user_id=user.id, registered_at=ctx.now)
    session.add(registration)
    session.flush()
    ctx.audit(session, "consultation.register", "registration", registration.id,
              after={"consultation_id": consultation.id, "user_id": user.id})
    return registration


def push_deadline(session: Session, ctx: Context, consultation: Consultation) -> tuple[dt.datetime, dt.datetime] | None:
    """Push the deadline of a published consultation changed now, when it leaves suppliers less than the notice
    period; returns (old, new) deadline when it moved. The period in force on the publication date decides."""
    if consultation.status != "published" or consultation.deadline is None or consultation.published_at is None:
        return None
    on = consultation.published_at.date()
    old_deadline, old_cutoff = consultation.deadline, consultation.questions_cutoff
    new_deadline = rules.deadline_after_change(old_deadline, ctx.now, consultation.procedure, on)
    if new_deadline == old_deadline:
        return None
    consultation.deadline = new_deadline
    consultation.questions_cutoff = rules.questions_cutoff(new_deadline, consultation.procedure, on)
    consultation.updated_at = ctx.now
    session.flush()
    ctx.audit(session, "consultation.deadline_extended", "consultation", consultation.id,
              before={"deadline": old_deadline, "questions_cutoff": old_cutoff},
              after={"deadline": new_deadline, "questions_cutoff": consultation.questions_cutoff})
    return old_deadline, new_deadline


def announce_change(session: Session, ctx: Context, consultation: Consultation, *, kind: str, subject: str,
                    body: str) -> dt.datetime | None:
    """Push the deadline if the change is late, then queue one message per registered supplier user (the new
    deadline in it when it moved). Returns the new deadline, or None when it did not move."""
    moved = push_deadline(session, ctx, consultation)
    if moved is not None:
        old, new = moved
        body += (f"\n\nLa date limite de remise des offres est reportée au {format_paris(new)} "
                 f"(elle était fixée au {format_paris(old)}).")
    for user in registered_users(session, consultation.id):
        queue_message(session, ctx, kind=kind, recipient=user.email, subject=subject[:300], body=body + FOOTER,
                      consultation_id=consultation.id)
    return None if moved is None else moved[1]


def heading(consultation: Consultation) -> str:
    """How messages name the consultation: its reference and title."""
    return f"{consultation.reference} « {consultation.title} »"
