"""Consultations: drafts the buyer edits, publication under the rules of ``rules.py``, cancellation, listing.

Every change is audited with the fields before and after. Services check the role and the organisation
themselves; the web and API layers only pass the user along.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Sequence
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from sqlalchemy import func, or_, select
from sqlalchemy.orm import Session

from spaser.accounts.models import Organisation, User
from spaser.accounts.roles import can, require
from spaser.audit import changes
from spaser.domain.montant import parse_decimal
from spaser.errors import ConflictError, InputError, NotFoundError
from spaser.marketplace import lifecycle, rules
from spaser.marketplace.models import Consultation, ConsultationKey, Criterion, ExecutionClause, Lot
from spaser.marketplace.sealing import generate_consultation_key
from spaser.platform_db.context import Context

EDITABLE = ("title", "description", "procedure", "nature", "contract_type", "cpv", "estimated_value", "duree_mois",
            "lieu_execution", "forme_prix", "electronic_submission", "prior_notice", "urgency",
            "social_clause_justification", "deadline", "standstill_days")


@dataclass(frozen=True)
class LotSpec:
    number: int
    title: str
    cpv: str | None = None
    estimated_value: Decimal | None = None


def state_of(consultation: Consultation) -> dict[str, Any]:
    """The audited view of a consultation: its fields, criteria, clauses and lots as plain values."""
    fields = {name: getattr(consultation, name) for name in (*EDITABLE, "status", "published_at", "opened_at")}
    fields["criteria"] = [[c.label, c.kind, str(c.weight), c.includes_environment] for c in consultation.criteria]
    fields["clauses"] = [[c.kind, c.text] for c in consultation.clauses]
    fields["lots"] = [[lot.number, lot.title, lot.cpv] for lot in consultation.lots]
    return {k: (str(v) if isinstance(v, Decimal) else v) for k, v in fields.items()}


def parse_money(value: object, field: str) -> Decimal:
    amount = parse_decimal(value, field, "an amount in euros")
    if amount < 0:
        raise InputError(f"{field}: {value!r} is not a positive amount in euros")
    return amount.quantize(Decimal("0.01"))


def _next_reference(session: Session, year: int) -> str:
    prefix = f"{year}-"
    count = session.execute(
        select(func.count()).select_from(Consultation).where(Consultation.reference.like(prefix + "%"))).scalar_one()
    return f"{prefix}{count + 1:04d}"


def _clean(values: dict[str, Any]) -> dict[str, Any]:
    unknown = set(values) - set(EDITABLE)
    if unknown:
        raise InputError(f"{sorted(unknown)[0]}: not a field of a consultation")
    cleaned = dict(values)
    if "estimated_value" in cleaned:
        cleaned["estimated_value"] = parse_money(cleaned["estimated_value"], "estimated_value")
    if "cpv" in cleaned:
        cpv = re.sub(r"[\s.]", "", str(cleaned["cpv"])).split("-")[0]
        if len(cpv) != 8 or not cpv.isdigit():
            raise InputError(f"cpv: {cleaned['cpv']!r} is not a CPV code (8 digits, optionally -check digit)")
        cleaned["cpv"] = cpv
    for name in ("procedure", "contract_type"):
        allowed = rules.PROCEDURES if name == "procedure" else rules.CONTRACT_TYPES
        if name in cleaned and cleaned[name] not in allowed:
            raise InputError(f"{name}: {cleaned[name]!r} is not one of: {', '.join(allowed)}")
    deadline = cleaned.get("deadline")
    if deadline is not None and (not isinstance(deadline, dt.datetime) or deadline.tzinfo is None):
        raise InputError(f"deadline: {deadline!r} is not a date and time with its time zone")
    for name in ("duree_mois", "standstill_days"):
        if name in cleaned and (not isinstance(cleaned[name], int) or cleaned[name] < 0):
            raise InputError(f"{name}: {cleaned[name]!r} is not a whole number of {name.split('_')[0]}")
    return cleaned


def create_draft(session: Session, ctx: Context, **values: Any) -> Consultation:
    user = require(ctx.user, "edit_consultation")
    cleaned = _clean(values)
    for name in ("title", "procedure", "contract_type", "cpv", "estimated_value"):
        if name not in cleaned:
            raise InputError(f"{name}: required to create a consultation")
    consultation = Consultation(reference=_next_reference(session, ctx.now.year), buyer_org_id=user.organisation_id,
                                created_by=user.id, created_at=ctx.now, updated_at=ctx.now, status="draft",
                                **cleaned)
    session.add(consultation)
    session.flush()
    ctx.audit(session, "consultation.create", "consultation", consultation.id, after=state_of(consultation))
    return consultation


def get(session: Session, consultation_id: int) -> Consultation:
    consultation = session.get(Consultation, consultation_id)
    if consultation is None:
        raise NotFoundError(f"consultation {consultation_id} does not exist")
    return consultation


def get_public(session: Session, consultation_id: int) -> Consultation:
    """What the public may see: published and later states only (drafts are the buyer's)."""
    consultation = get(session, consultation_id)
    if consultation.status == "draft":
        raise NotFoundError(f"consultation {consultation_id} does not exist")
    return consultation


def get_for_buyer(session: Session, ctx: Context, consultation_id: int, permission: str) -> Consultation:
    consultation = get(session, consultation_id)
    require(ctx.user, permission, consultation.buyer_org_id)
    return consultation


def _edit(session: Session, ctx: Context, consultation: Consultation, action: str,
          before: dict[str, Any]) -> None:
    consultation.updated_at = ctx.now
    session.flush()
    old, new = changes(before, state_of(consultation))
    ctx.audit(session, action, "consultation", consultation.id, before=old, after=new)


def _require_draft(consultation: Consultation) -> None:
    if consultation.status != "draft":
        raise ConflictError(f"consultation {consultation.reference} is {consultation.status}: only a draft is "
                            "edited (after publication, change the documents or answer questions)")


def update_draft(session: Session, ctx: Context, consultation_id: int, **values: Any) -> Consultation:
    consultation = get_for_buyer(session, ctx, consultation_id, "edit_consultation")
    _require_draft(consultation)
    before = state_of(consultation)
    for name, value in _clean(values).items():
        setattr(consultation, name, value)
    _edit(session, ctx, consultation, "consultation.update", before)
    return consultation


def set_criteria(session: Session, ctx: Context, consultation_id: int,
                 criteria: Sequence[rules.CriterionSpec]) -> Consultation:
    consultation = get_for_buyer(session, ctx, consultation_id, "edit_consultation")
    _require_draft(consultation)
    before = state_of(consultation)
    for spec in criteria:
        if spec.kind not in rules.CRITERION_KINDS:
            raise InputError(f"criteria: kind {spec.kind!r} of {spec.label!r} is not one of "
                             f"{', '.join(rules.CRITERION_KINDS)}")
        if not spec.label.strip():
            raise InputError("criteria: every criterion needs a label")
    consultation.criteria = [Criterion(label=s.label.strip(), kind=s.kind, weight=s.weight,
                                       includes_environment=s.includes_environment) for s in criteria]
    _edit(session, ctx, consultation, "consultation.criteria", before)
    return consultation


def set_clauses(session: Session, ctx: Context, consultation_id: int,
                clauses: Sequence[tuple[str, str]]) -> Consultation:
    consultation = get_for_buyer(session, ctx, consultation_id, "edit_consultation")
    _require_draft(consultation)
    before = state_of(consultation)
    for kind, text in clauses:
        if kind not in rules.CLAUSE_KINDS:
            raise InputError(f"clauses: kind {kind!r} is not one of {', '.join(rules.CLAUSE_KINDS)}")
        if not text.strip():
            raise InputError(f"clauses: the {kind} clause has no text")
    # A row kept as it was keeps its guichet vert reference (clause id@version); an edited one is the buyer's own.
    library = {(c.kind, c.text): c.library_clause for c in consultation.clauses if c.library_clause}
    consultation.clauses = [ExecutionClause(kind=kind, text=text.strip(),
                                            library_clause=library.get((kind, text.strip())))
                            for kind, text in clauses]
    _edit(session, ctx, consultation, "consultation.clauses", before)
    return consultation


def set_lots(session: Session, ctx: Context, consultation_id: int, lots: Sequence[LotSpec]) -> Consultation:
    consultation = get_for_buyer(session, ctx, consultation_id, "edit_consultation")
    _require_draft(consultation)
    numbers = [lot.number for lot in lots]
    if len(set(numbers)) != len(numbers) or any(n < 1 for n in numbers):
        raise InputError(f"lots: numbers must be distinct and start at 1 (got {numbers})")
    before = state_of(consultation)
    consultation.lots = [Lot(number=lot.number, title=lot.title, cpv=lot.cpv, estimated_value=lot.estimated_value)
                         for lot in lots]
    _edit(session, ctx, consultation, "consultation.lots", before)
    return consultation


def publication_check(consultation: Consultation, on: dt.date) -> rules.PublicationCheck:
    return rules.PublicationCheck(
        publication_date=on, procedure=consultation.procedure, contract_type=consultation.contract_type,
        nature=consultation.nature, estimated_value=consultation.estimated_value, deadline=consultation.deadline,
        electronic=consultation.electronic_submission, prior_notice=consultation.prior_notice,
        urgency=consultation.urgency,
        criteria=[rules.CriterionSpec(c.label, c.kind, c.weight, c.includes_environment)
                  for c in consultation.criteria],
        clause_kinds=[c.kind for c in consultation.clauses],
        social_justification=consultation.social_clause_justification, lots=len(consultation.lots),
        title=consultation.title, cpv=consultation.cpv)


def publish(session: Session, ctx: Context, consultation_id: int) -> Consultation:
    """Publish under the rules; the refusal lists everything missing at once. Publishing creates the
    consultation's bid key: its private half is wrapped by the master key, outside the database."""
    consultation = get_for_buyer(session, ctx, consultation_id, "edit_consultation")
    new_status = lifecycle.transition(consultation.status, consultation.deadline, ctx.now, "publish")
    problems = rules.publication_problems(publication_check(consultation, ctx.now.date()), ctx.now)
    if problems:
        raise InputError("the consultation cannot be published yet: " + "; ".join(problems))
    assert consultation.deadline is not None
    before = state_of(consultation)
    consultation.status = new_status
    consultation.published_at = ctx.now
    consultation.questions_cutoff = rules.questions_cutoff(consultation.deadline, consultation.procedure,
                                                           ctx.now.date())
    key = generate_consultation_key(ctx.platform.secrets.master_key, consultation.reference)
    session.add(ConsultationKey(consultation_id=consultation.id, public_key=key.public_key,
                                wrapped_private_key=key.wrapped_private_key, created_at=ctx.now))
    _edit(session, ctx, consultation, "consultation.publish", before)
    return consultation


def _close(session: Session, ctx: Context, consultation_id: int, *, permission: str, action: str, reason: str,
           why: str) -> Consultation:
    """End a consultation without a contract (cancelled, unsuccessful): the reason is required and shown."""
    consultation = get_for_buyer(session, ctx, consultation_id, permission)
    if not reason.strip():
        raise InputError(f"reason: say why the consultation is {why}")
    before = state_of(consultation)
    consultation.status = lifecycle.transition(consultation.status, consultation.deadline, ctx.now, action)
    consultation.closed_at, consultation.close_reason = ctx.now, reason.strip()
    _edit(session, ctx, consultation, f"consultation.{action}", before)
    return consultation


def cancel(session: Session, ctx: Context, consultation_id: int, reason: str) -> Consultation:
    return _close(session, ctx, consultation_id, permission="edit_consultation", action="cancel", reason=reason,
                  why="cancelled (it is shown to the bidders)")


def declare_unsuccessful(session: Session, ctx: Context, consultation_id: int, reason: str) -> Consultation:
    return _close(session, ctx, consultation_id, permission="award", action="declare_unsuccessful", reason=reason,
                  why="unsuccessful (no bid, no acceptable bid...)")


@dataclass(frozen=True)
class PublicFilter:
    q: str | None = None
    cpv_division: str | None = None
    procedure: str | None = None
    buyer_siret: str | None = None
    status: str | None = None  # open (deadline ahead) or closed


def list_public(session: Session, now: dt.datetime, where: PublicFilter, *, limit: int = 50,
                offset: int = 0) -> tuple[list[tuple[Consultation, Organisation]], int]:
    """Published consultations for everyone, newest first, with their buyer, and the total count."""
    query = (select(Consultation, Organisation).join(Organisation, Organisation.id == Consultation.buyer_org_id)
             .where(Consultation.status != "draft"))
    if where.q:
        for word in where.q.split()[:8]:
            pattern = f"%{word.lower()}%"
            query = query.where(or_(func.lower(Consultation.title).like(pattern),
                                    func.lower(Consultation.description).like(pattern),
                                    Consultation.reference.like(pattern)))
    if where.cpv_division:
        query = query.where(Consultation.cpv.like(where.cpv_division[:2] + "%"))
    if where.procedure:
        query = query.where(Consultation.procedure == where.procedure)
    if where.buyer_siret:
        query = query.where(Organisation.siret == where.buyer_siret)
    if where.status == "open":
        query = query.where(Consultation.status == "published", Consultation.deadline > now)
    elif where.status == "closed":
        query = query.where(or_(Consultation.status != "published", Consultation.deadline <= now))
    total = session.execute(select(func.count()).select_from(query.subquery())).scalar_one()
    rows = session.execute(query.order_by(Consultation.published_at.desc(), Consultation.id.desc())
                           .limit(limit).offset(offset)).all()
    return [(c, o) for c, o in rows], total


def of_organisation(session: Session, user: User | None, *, drafts_only: bool = False) -> list[Consultation]:
    """The consultations of the user's organisation, newest first (the selects of other bricks' pages); none for
    a user outside a buyer workspace."""
    if user is None or not can(user, "view_buyer_workspace", user.organisation_id):
        return []
    statement = (select(Consultation).where(Consultation.buyer_org_id == user.organisation_id)
                 .order_by(Consultation.created_at.desc(), Consultation.id.desc()))
    if drafts_only:
        statement = statement.where(Consultation.status == "draft")
    return list(session.execute(statement).scalars())
