"""Purchase plans: buyers announce upcoming needs; suppliers mark them "intéressé" and talk with the buyer.

Why before the consultation: "sourcing" (CCP art. R2111-1) lets a buyer study the market and tell companies,
SMEs first, what is coming; the plan, its interested suppliers and every message are kept with the plan so the
later consultation can show the buyer treated every company alike.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from sqlalchemy import Float, Integer, func, select, text
from sqlalchemy.orm import Session, selectinload

from spaser.accounts.models import Organisation
from spaser.accounts.roles import require
from spaser.accounts.service import clean_email, queue_message
from spaser.domain.territories import DEPARTEMENT_REGION, REGIONS, clean_departement
from spaser.domain.text import user_text
from spaser.errors import AuthenticationError, ConflictError, InputError, NotFoundError, PermissionDeniedError
from spaser.marketplace.models import Consultation
from spaser.platform_db import fulltext
from spaser.platform_db.context import Context
from spaser.sourcing.models import PlanInterest, PlanMessage, PurchasePlan
from spaser.sourcing.profiles import Page, clean_cpv_code, clean_cpv_prefix

STATUSES = ("draft", "published", "launched", "withdrawn")
PUBLIC_STATUSES = ("published", "launched")
MESSAGE_MAX = 5000


@dataclass(frozen=True)
class PlanInput:
    title: str
    cpv: str
    launch_year: int
    launch_quarter: int
    description: str = ""
    estimated_amount: Decimal | None = None
    departement: str = ""
    contact_name: str = ""
    contact_email: str = ""


def state_of(plan: PurchasePlan) -> dict[str, Any]:
    return {"title": plan.title, "cpv": plan.cpv, "status": plan.status, "launch": quarter_label(plan),
            "estimated_amount": None if plan.estimated_amount is None else str(plan.estimated_amount),
            "departement": plan.departement, "consultation_id": plan.consultation_id}


def quarter_label(plan: PurchasePlan) -> str:
    return f"{plan.launch_year}-T{plan.launch_quarter}"


def _apply(plan: PurchasePlan, data: PlanInput, now: dt.datetime) -> None:
    plan.title = user_text(data.title, "title", 300)
    plan.description = user_text(data.description, "description", 5000, required=False)
    plan.cpv = clean_cpv_code(data.cpv)
    plan.division = plan.cpv[:2]
    if data.estimated_amount is not None and data.estimated_amount < 0:
        raise InputError(f"estimated_amount: {data.estimated_amount} is negative")
    plan.estimated_amount = data.estimated_amount
    if not 1 <= data.launch_quarter <= 4:
        raise InputError(f"launch_quarter: {data.launch_quarter} is not a quarter (1 to 4)")
    if not now.year - 1 <= data.launch_year <= now.year + 5:
        raise InputError(f"launch_year: {data.launch_year} is not between {now.year - 1} and {now.year + 5}")
    plan.launch_year, plan.launch_quarter = data.launch_year, data.launch_quarter
    departement = None
    if data.departement.strip():
        departement = clean_departement(data.departement)
        if departement is None:
            raise InputError(f"departement: {data.departement!r} is not a département code (e.g. 35, 2A, 971)")
    plan.departement = departement
    plan.region = DEPARTEMENT_REGION[departement] if departement else None
    plan.contact_name = user_text(data.contact_name, "contact_name", 200, required=False)
    plan.contact_email = clean_email(data.contact_email) if data.contact_email.strip() else ""
    places = [departement or "", REGIONS[plan.region] if plan.region else ""]
    plan.search_terms = fulltext.terms_of(plan.title, plan.title, plan.description, " ".join(places))
    plan.updated_at = now


def create_plan(session: Session, ctx: Context, buyer_org_id: int, data: PlanInput) -> PurchasePlan:
    user = require(ctx.user, "plan_purchases", buyer_org_id)
    plan = PurchasePlan(buyer_org_id=buyer_org_id, created_by=user.id, created_at=ctx.now, status="draft")
    _apply(plan, data, ctx.now)
    session.add(plan)
    session.flush()
    ctx.audit(session, "purchase_plan.create", "purchase_plan", plan.id, None, state_of(plan))
    return plan


def get_plan(session: Session, plan_id: int) -> PurchasePlan:
    plan = session.get(PurchasePlan, plan_id)
    if plan is None:
        raise NotFoundError(f"no purchase plan {plan_id}")
    return plan


def get_for_buyer(session: Session, ctx: Context, plan_id: int) -> PurchasePlan:
    plan = get_plan(session, plan_id)
    require(ctx.user, "plan_purchases", plan.buyer_org_id)
    return plan


def get_public(session: Session, plan_id: int) -> PurchasePlan:
    plan = get_plan(session, plan_id)
    if plan.status not in PUBLIC_STATUSES:
        raise NotFoundError(f"no published purchase plan {plan_id}")
    return plan


def update_plan(session: Session, ctx: Context, plan_id: int, data: PlanInput) -> PurchasePlan:
    plan = get_for_buyer(session, ctx, plan_id)
    if plan.status not in ("draft", "published"):
        raise ConflictError(f"plan {plan_id} is {plan.status}: it can no longer be edited")
    before = state_of(plan)
    _apply(plan, data, ctx.now)
    session.flush()
    ctx.audit(session, "purchase_plan.update", "purchase_plan", plan.id, before, state_of(plan))
    return plan


def _transition(session: Session, ctx: Context, plan_id: int, allowed: Sequence[str], status: str,
                consultation_id: int | None = None) -> PurchasePlan:
    plan = get_for_buyer(session, ctx, plan_id)
    if plan.status not in allowed:
        raise ConflictError(f"plan {plan_id} is {plan.status}: it cannot become {status}")
    before = state_of(plan)
    plan.status = status
    if status == "published" and plan.published_at is None:
        plan.published_at = ctx.now
    if consultation_id is not None:
        plan.consultation_id = consultation_id
    plan.updated_at = ctx.now
    session.flush()
    ctx.audit(session, f"purchase_plan.{status}", "purchase_plan", plan.id, before, state_of(plan))
    return plan


def publish_plan(session: Session, ctx: Context, plan_id: int) -> PurchasePlan:
    return _transition(session, ctx, plan_id, ("draft",), "published")


def withdraw_plan(session: Session, ctx: Context, plan_id: int) -> PurchasePlan:
    return _transition(session, ctx, plan_id, ("draft", "published"), "withdrawn")


def mark_launched(session: Session, ctx: Context, plan_id: int, consultation_id: int) -> PurchasePlan:
    """The consultation is out: interested suppliers are told by e-mail. Only a consultation of the plan's own
    organisation, published (or further), may be linked."""
    plan = get_for_buyer(session, ctx, plan_id)
    consultation = session.get(Consultation, consultation_id)
    if consultation is None or consultation.buyer_org_id != plan.buyer_org_id:
        raise NotFoundError(f"consultation_id: no consultation {consultation_id} in your organisation")
    if consultation.status in ("draft", "cancelled"):
        raise ConflictError(f"consultation_id: consultation {consultation.reference} is {consultation.status}, "
                            "not published")
    plan = _transition(session, ctx, plan_id, ("published",), "launched", consultation_id)
    link = f"{ctx.settings.public_url.rstrip('/')}/consultations/{consultation_id}"
    for interest in plan.interests:
        for recipient in _supplier_addresses(session, interest.supplier_org_id):
            queue_message(session, ctx, kind="plan_launched", recipient=recipient,
                          subject=f"spaser : la consultation « {plan.title} » est publiée",
                          body=f"Bonjour,\n\nvous vous étiez déclaré intéressé par l'achat prévu « {plan.title} ». "
                               f"La consultation est publiée : {link}\n", consultation_id=consultation_id)
    return plan


def _supplier_addresses(session: Session, organisation_id: int) -> list[str]:
    organisation = session.get(Organisation, organisation_id)
    return [] if organisation is None else [u.email for u in organisation.users if u.active]


def search_plans(session: Session, query: str = "", *, cpv: str = "", departement: str = "", year: int | None = None,
                 quarter: int | None = None, buyer_org_id: int | None = None, offset: int = 0,
                 limit: int = 20) -> Page:
    """Published (and launched) plans matching the words and the filters, best first, then soonest."""
    statement = (select(PurchasePlan, Organisation)
                              .join(Organisation, Organisation.id == PurchasePlan.buyer_org_id)
                              .where(PurchasePlan.status.in_(PUBLIC_STATUSES)))
    order: list[Any] = []
    terms = fulltext.query_terms(query)
    if terms:
        fulltext.tune(session)
    if terms:
        sql, params = fulltext.match(session.get_bind().dialect.name, "purchase_plan", terms)
        matched = text(sql).bindparams(**params).columns(id=Integer, rank=Float).subquery("matched")
        statement = statement.join(matched, matched.c.id == PurchasePlan.id)
        order.append(matched.c.rank)
    if cpv.strip():
        prefix = clean_cpv_prefix(cpv)
        statement = statement.where(PurchasePlan.division == prefix[:2],
                                    PurchasePlan.cpv.startswith(prefix, autoescape=True))
    if departement.strip():
        code = clean_departement(departement)
        if code is None:
            raise InputError(f"departement: {departement!r} is not a département code (e.g. 35, 2A, 971)")
        statement = statement.where(PurchasePlan.departement == code)
    if year is not None:
        statement = statement.where(PurchasePlan.launch_year == year)
    if quarter is not None:
        if not 1 <= quarter <= 4:
            raise InputError(f"quarter: {quarter} is not a quarter (1 to 4)")
        statement = statement.where(PurchasePlan.launch_quarter == quarter)
    if buyer_org_id is not None:
        statement = statement.where(PurchasePlan.buyer_org_id == buyer_org_id)
    total = session.execute(select(func.count()).select_from(statement.subquery())).scalar_one()
    rows = session.execute(statement.order_by(*order, PurchasePlan.launch_year, PurchasePlan.launch_quarter,
                                              PurchasePlan.id).offset(max(offset, 0))
                           .limit(min(max(limit, 1), 1000))).all()
    return Page([(plan, organisation) for plan, organisation in rows], total, offset, limit)


def public_buyers(session: Session) -> list[tuple[int, str]]:
    """The buyers that have published plans (the listing's buyer filter), by name."""
    return [(i, name) for i, name in session.execute(
        select(Organisation.id, Organisation.name).distinct()
        .join(PurchasePlan, PurchasePlan.buyer_org_id == Organisation.id)
        .where(PurchasePlan.status.in_(PUBLIC_STATUSES)).order_by(Organisation.name))]


def thread_companies(session: Session, ctx: Context, plan_id: int) -> list[int]:
    """The companies the buyer can talk with about the plan: every interested one, then any that wrote before
    withdrawing its interest."""
    plan = get_for_buyer(session, ctx, plan_id)
    interested = [i.supplier_org_id for i in plan.interests]
    wrote = session.execute(select(PlanMessage.supplier_org_id).distinct()
                            .where(PlanMessage.plan_id == plan.id)).scalars().all()
    return interested + sorted(set(wrote) - set(interested))


def launchable_consultations(session: Session, ctx: Context, plan_id: int) -> list[Consultation]:
    """The organisation's consultations the plan may be launched as (published or later, not cancelled)."""
    plan = get_for_buyer(session, ctx, plan_id)
    return list(session.execute(select(Consultation).where(
        Consultation.buyer_org_id == plan.buyer_org_id, Consultation.status.not_in(("draft", "cancelled")))
        .order_by(Consultation.created_at.desc(), Consultation.id.desc())).scalars())


def buyer_plans(session: Session, ctx: Context, buyer_org_id: int) -> list[PurchasePlan]:
    require(ctx.user, "plan_purchases", buyer_org_id)
    return list(session.execute(select(PurchasePlan).where(PurchasePlan.buyer_org_id == buyer_org_id)
                                .options(selectinload(PurchasePlan.interests))
                                .order_by(PurchasePlan.launch_year, PurchasePlan.launch_quarter, PurchasePlan.id))
                .scalars())


# --------------------------------------------------------------------------------------------------
# Interest and messages


def express_interest(session: Session, ctx: Context, plan_id: int, note: str = "") -> PlanInterest:
    plan = get_public(session, plan_id)
    if plan.status != "published":
        raise ConflictError(f"plan {plan_id} is {plan.status}: interest is closed")
    user = ctx.user
    if user is None:
        raise AuthenticationError("log in first")
    require(user, "express_interest", user.organisation_id)
    organisation_id = user.organisation_id
    assert organisation_id is not None  # a supplier user belongs to its company
    existing = session.execute(select(PlanInterest).where(
        PlanInterest.plan_id == plan_id, PlanInterest.supplier_org_id == organisation_id)).scalar_one_or_none()
    if existing is not None:
        return existing
    interest = PlanInterest(plan_id=plan_id, supplier_org_id=organisation_id, user_id=user.id,
                            note=user_text(note, "note", 2000, required=False), created_at=ctx.now)
    session.add(interest)
    session.flush()
    ctx.audit(session, "purchase_plan.interest", "purchase_plan", plan_id, None,
              {"supplier_org_id": organisation_id})
    if plan.contact_email:
        queue_message(session, ctx, kind="plan_interest", recipient=plan.contact_email,
                      subject=f"spaser : une entreprise est intéressée par « {plan.title} »",
                      body=f"Bonjour,\n\nune entreprise s'est déclarée intéressée par votre achat prévu "
                           f"« {plan.title} ». Voir : {ctx.settings.public_url.rstrip('/')}/acheteur/achats-prevus/"
                           f"{plan_id}\n")
    return interest


def withdraw_interest(session: Session, ctx: Context, plan_id: int) -> None:
    user = ctx.user
    if user is None or user.organisation_id is None:
        raise PermissionDeniedError("only a supplier company may withdraw its interest")
    require(user, "express_interest", user.organisation_id)
    interest = session.execute(select(PlanInterest).where(
        PlanInterest.plan_id == plan_id, PlanInterest.supplier_org_id == user.organisation_id)).scalar_one_or_none()
    if interest is None:
        raise NotFoundError(f"your company has not marked plan {plan_id}")
    session.delete(interest)
    session.flush()
    ctx.audit(session, "purchase_plan.interest_withdrawn", "purchase_plan", plan_id,
              {"supplier_org_id": user.organisation_id}, None)


def interested(session: Session, ctx: Context, plan_id: int) -> list[tuple[PlanInterest, Organisation]]:
    """The buyer's view: every interested company (their profiles are linked from the page)."""
    plan = get_for_buyer(session, ctx, plan_id)
    return [(i, session.get_one(Organisation, i.supplier_org_id)) for i in plan.interests]


def has_interest(session: Session, plan_id: int, organisation_id: int) -> bool:
    return session.execute(select(PlanInterest.id).where(
        PlanInterest.plan_id == plan_id, PlanInterest.supplier_org_id == organisation_id)).first() is not None


def _thread_access(session: Session, ctx: Context, plan_id: int, supplier_org_id: int | None) -> tuple[
        PurchasePlan, int, bool]:
    """(plan, supplier organisation of the thread, whether the user writes for the buyer)."""
    plan = get_plan(session, plan_id)
    user = ctx.user
    if user is None:
        raise AuthenticationError("log in first")
    if user.organisation_id == plan.buyer_org_id:
        require(user, "plan_purchases", plan.buyer_org_id)
        if supplier_org_id is None:
            raise InputError("supplier: choose the company you write to")
        if not has_interest(session, plan_id, supplier_org_id) and not session.execute(select(PlanMessage.id).where(
                PlanMessage.plan_id == plan_id, PlanMessage.supplier_org_id == supplier_org_id)).first():
            raise NotFoundError(f"company {supplier_org_id} has no thread on plan {plan_id}")
        return plan, supplier_org_id, True
    require(user, "express_interest", user.organisation_id)
    if plan.status not in PUBLIC_STATUSES or user.organisation_id is None:
        raise NotFoundError(f"no published purchase plan {plan_id}")
    if supplier_org_id not in (None, user.organisation_id):
        raise PermissionDeniedError("a company reads only its own thread")
    return plan, user.organisation_id, False


def post_message(session: Session, ctx: Context, plan_id: int, body: str,
                 supplier_org_id: int | None = None) -> PlanMessage:
    plan, thread, from_buyer = _thread_access(session, ctx, plan_id, supplier_org_id)
    assert ctx.user is not None
    message = PlanMessage(plan_id=plan_id, supplier_org_id=thread, author_id=ctx.user.id, from_buyer=from_buyer,
                          body=user_text(body, "message", MESSAGE_MAX), created_at=ctx.now)
    session.add(message)
    session.flush()
    ctx.audit(session, "purchase_plan.message", "purchase_plan", plan_id, None,
              {"message_id": message.id, "supplier_org_id": thread, "from_buyer": from_buyer})
    recipients = _supplier_addresses(session, thread) if from_buyer else [plan.contact_email]
    for recipient in filter(None, recipients):
        queue_message(session, ctx, kind="plan_message", recipient=recipient,
                      subject=f"spaser : nouveau message sur « {plan.title} »",
                      body="Bonjour,\n\nun nouveau message vous attend sur spaser à propos de l'achat prévu "
                           f"« {plan.title} ».\n")
    return message


def thread(session: Session, ctx: Context, plan_id: int, supplier_org_id: int | None = None) -> list[PlanMessage]:
    _, org, _ = _thread_access(session, ctx, plan_id, supplier_org_id)
    return list(session.execute(select(PlanMessage).where(
        PlanMessage.plan_id == plan_id, PlanMessage.supplier_org_id == org).order_by(PlanMessage.id)).scalars())
