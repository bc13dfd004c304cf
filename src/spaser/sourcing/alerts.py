"""Saved searches and their daily digest, sent through the outbox (``spaser sourcing digest``, run daily by cron).

Why a watermark per search: each digest lists what appeared after the previous one, so a missed day sends the
two days together and a second run the same day sends nothing — never the same item twice, never one lost.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlencode

from sqlalchemy import select
from sqlalchemy.orm import Session

from spaser.accounts.models import Organisation, User
from spaser.accounts.service import queue_message
from spaser.domain.territories import clean_departement
from spaser.domain.text import user_text
from spaser.errors import AuthenticationError, InputError, NotFoundError, PermissionDeniedError
from spaser.marketplace.models import Consultation
from spaser.platform_db import fulltext
from spaser.platform_db.context import Context
from spaser.sourcing import plans, profiles
from spaser.sourcing.models import SavedSearch

TARGETS = ("plans", "consultations", "suppliers")
MAX_PER_USER = 20
DIGEST_ITEMS = 50
#: A search gets at most one digest per this interval.
DIGEST_EVERY = dt.timedelta(hours=23)


@dataclass(frozen=True)
class DigestReport:
    searches: int  # active searches looked at
    sent: int  # messages queued
    items: int  # items listed in them


def save_search(session: Session, ctx: Context, *, name: str, target: str, query: str = "", cpv: str = "",
                departement: str = "") -> SavedSearch:
    user = ctx.user
    if user is None:
        raise AuthenticationError("log in first")
    if target not in TARGETS:
        raise InputError(f"target: {target!r} is not one of {', '.join(TARGETS)}")
    cpv_prefix = profiles.clean_cpv_prefix(cpv) if cpv.strip() else ""
    code = ""
    if departement.strip():
        code = clean_departement(departement) or ""
        if not code:
            raise InputError(f"departement: {departement!r} is not a département code (e.g. 35, 2A, 971)")
    if not (query.strip() or cpv_prefix or code):
        raise InputError("search: give words, a CPV code or a département (an empty search would list everything)")
    count = len(list(session.execute(select(SavedSearch.id).where(SavedSearch.user_id == user.id,
                                                                   SavedSearch.active.is_(True))).all()))
    if count >= MAX_PER_USER:
        raise InputError(f"saved searches: you already have {count}, the limit is {MAX_PER_USER}")
    search = SavedSearch(user_id=user.id, name=user_text(name, "name", 200), target=target,
                         query=user_text(query, "query", 300, required=False), cpv=cpv_prefix, departement=code,
                         created_at=ctx.now, last_digest_at=ctx.now)
    session.add(search)
    session.flush()
    ctx.audit(session, "saved_search.create", "saved_search", search.id, None,
              {"target": target, "query": search.query, "cpv": cpv_prefix, "departement": code})
    return search


def my_searches(session: Session, ctx: Context) -> list[SavedSearch]:
    if ctx.user is None:
        raise AuthenticationError("log in first")
    return list(session.execute(select(SavedSearch).where(SavedSearch.user_id == ctx.user.id,
                                                          SavedSearch.active.is_(True))
                                .order_by(SavedSearch.id)).scalars())


def delete_search(session: Session, ctx: Context, search_id: int) -> None:
    search = session.get(SavedSearch, search_id)
    if ctx.user is None:
        raise AuthenticationError("log in first")
    if search is None or not search.active:
        raise NotFoundError(f"no saved search {search_id}")
    if search.user_id != ctx.user.id:
        raise PermissionDeniedError("this saved search belongs to someone else")
    search.active = False
    session.flush()
    ctx.audit(session, "saved_search.delete", "saved_search", search.id, {"active": True}, {"active": False})


def new_items(session: Session, search: SavedSearch, since: dt.datetime, until: dt.datetime) -> list[tuple[str, str]]:
    """(title, path) of the items matching the search that appeared in (since, until]."""
    if search.target == "plans":
        page = plans.search_plans(session, search.query, cpv=search.cpv, departement=search.departement,
                                  limit=1000)
        return [(f"{p.title} — {o.name} ({plans.quarter_label(p)})", f"/achats-prevus/{p.id}")
                for p, o in page.items if p.published_at is not None and since < p.published_at <= until]
    if search.target == "suppliers":
        page = profiles.search_suppliers(session, search.query, cpv=search.cpv, departement=search.departement,
                                         limit=200)
        return [(o.name, f"/fournisseurs/{o.id}") for o, p in page.items if since < p.created_at <= until]
    return _new_consultations(session, search, since, until)


def _new_consultations(session: Session, search: SavedSearch, since: dt.datetime,
                       until: dt.datetime) -> list[tuple[str, str]]:
    rows = session.execute(select(Consultation, Organisation)
                           .join(Organisation, Organisation.id == Consultation.buyer_org_id)
                           .where(Consultation.published_at > since, Consultation.published_at <= until)
                           .order_by(Consultation.published_at)).all()
    wanted = set(fulltext.query_terms(search.query))
    found = []
    for consultation, buyer in rows:
        if search.cpv and not consultation.cpv.startswith(search.cpv):
            continue
        if search.departement and consultation.lieu_execution != search.departement:
            continue
        terms = set(fulltext.terms_of(consultation.title, consultation.description).split())
        if wanted and not all(any(t.startswith(w) for t in terms) for w in wanted):
            continue
        found.append((f"{consultation.title} — {buyer.name}", f"/consultations/{consultation.id}"))
    return found


def send_digests(session: Session, ctx: Context) -> DigestReport:
    """Queues one message per search with new items since its last digest; moves every watermark to now."""
    searches = list(session.execute(select(SavedSearch, User).join(User, User.id == SavedSearch.user_id)
                                    .where(SavedSearch.active.is_(True), User.active.is_(True))
                                    .order_by(SavedSearch.id)).all())
    sent = items_total = 0
    base = ctx.settings.public_url.rstrip("/")
    for search, user in searches:
        if ctx.now - search.last_digest_at < DIGEST_EVERY:
            continue
        items = new_items(session, search, search.last_digest_at, ctx.now)
        search.last_digest_at = ctx.now
        if not items:
            continue
        lines = [f"- {title}\n  {base}{path}" for title, path in items[:DIGEST_ITEMS]]
        if len(items) > DIGEST_ITEMS:
            lines.append(f"… et {len(items) - DIGEST_ITEMS} autres : {base}{_search_path(search)}")
        queue_message(session, ctx, kind="saved_search_digest", recipient=user.email,
                      subject=f"spaser : {len(items)} nouveauté(s) pour « {search.name} »",
                      body=f"Bonjour,\n\nnouveautés pour votre recherche « {search.name} » :\n\n"
                           + "\n".join(lines) + f"\n\nGérer vos recherches : {base}/recherches\n")
        sent += 1
        items_total += len(items)
    session.flush()
    if sent:
        ctx.audit(session, "saved_search.digest", "saved_search", "all", None, {"sent": sent, "items": items_total})
    return DigestReport(len(searches), sent, items_total)


def _search_path(search: SavedSearch) -> str:
    path = {"plans": "/achats-prevus", "suppliers": "/fournisseurs", "consultations": "/consultations"}
    params: dict[str, Any] = {"q": search.query, "cpv": search.cpv, "departement": search.departement}
    return f"{path[search.target]}?{urlencode({k: v for k, v in params.items() if v})}"

