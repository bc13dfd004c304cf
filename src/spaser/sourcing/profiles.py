"""Supplier profiles: what a company offers, where, with which labels, and what SIRENE says about it.

Why the SIRENE copy: the 2022 DECP format carries no company names and the SME indicator reads SIRENE's
``categorieEntreprise``; copying the facts onto the profile when it is saved (and by ``spaser sourcing enrich``
after a SIRENE load) lets the matching and the search run on the platform database alone, while the profile
page shows which facts are declared by the company and which come from INSEE.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Float, Integer, and_, func, or_, select, text
from sqlalchemy.orm import Session, selectinload

from spaser.accounts.models import Organisation
from spaser.accounts.roles import require
from spaser.accounts.service import clean_email
from spaser.domain.cpv import DIVISIONS
from spaser.domain.territories import DEPARTEMENT_REGION, REGIONS, clean_departement, clean_region
from spaser.domain.text import user_text
from spaser.errors import InputError, NotFoundError
from spaser.platform_db import fulltext
from spaser.platform_db.context import Context
from spaser.sourcing.labels import label as label_of
from spaser.sourcing.models import ProfileCpv, ProfileLabel, ProfileTerritory, SupplierProfile

PRESENTATION_MAX = 5000
MAX_CPVS = 50


@dataclass(frozen=True)
class LabelInput:
    code: str
    reference: str = ""
    valid_until: dt.date | None = None


@dataclass(frozen=True)
class ProfileInput:
    presentation: str = ""
    website: str = ""
    contact_email: str = ""
    contact_phone: str = ""
    cpvs: Sequence[str] = ()
    departements: Sequence[str] = ()
    regions: Sequence[str] = ()
    national: bool = False
    labels: Sequence[LabelInput] = ()
    published: bool = True


@dataclass(frozen=True)
class Page:
    """One page of search results and the total count, for pagination."""

    items: list[Any]
    total: int
    offset: int
    limit: int


def clean_cpv_code(value: str, field: str = "cpv") -> str:
    """An 8-digit CPV root from what a person typed ("45421000-4", "45421000"), or an error naming the value.

    Stricter than the DECP cleaner (:func:`spaser.domain.cpv.clean_cpv`), which repairs published data: a
    person who typed 7 digits is asked again rather than guessed for."""
    code = value.strip().replace(" ", "")
    root, dash, check = code.partition("-")
    if not (len(root) == 8 and root.isdigit() and root[:2] in DIVISIONS
            and (not dash or (len(check) == 1 and check.isdigit()))):
        raise InputError(f"{field}: {value!r} is not a CPV code (8 digits, e.g. 45421000 or 45421000-4)")
    return root


def clean_cpv_prefix(value: str) -> str:
    """A CPV prefix for filters: 2 to 8 digits whose first two are a division ("45", "4542", "45421000-4")."""
    digits = value.strip().split("-")[0].rstrip("0") if len(value.strip()) >= 8 else value.strip()
    if len(digits) < 2:
        digits = value.strip()[:2]
    if not (digits.isdigit() and 2 <= len(digits) <= 8 and digits[:2] in DIVISIONS):
        raise InputError(f"cpv: {value!r} is not a CPV code or prefix (2 to 8 digits, e.g. 45 or 4542)")
    return digits


def _clean_input(data: ProfileInput) -> dict[str, Any]:
    presentation = user_text(data.presentation, "presentation", PRESENTATION_MAX, required=False)
    cpvs = sorted({clean_cpv_code(c, "cpvs") for c in data.cpvs if c.strip()})
    if len(cpvs) > MAX_CPVS:
        raise InputError(f"cpvs: {len(cpvs)} codes, the limit is {MAX_CPVS} (choose the main ones)")
    departements = []
    for value in data.departements:
        if value.strip():
            code = clean_departement(value)
            if code is None:
                raise InputError(f"departements: {value!r} is not a département code (e.g. 35, 2A, 971)")
            departements.append(code)
    regions = []
    for value in data.regions:
        if value.strip():
            code = clean_region(value)
            if code is None:
                raise InputError(f"regions: {value!r} is not a région code (e.g. 53 for Bretagne)")
            regions.append(code)
    labels: dict[str, LabelInput] = {}
    for item in data.labels:
        code = label_of(item.code).code  # raises with the allowed codes; stores the canonical lower-case code
        reference = user_text(item.reference, "labels", 200, required=False)
        labels[code] = LabelInput(code, reference, item.valid_until)
    email = clean_email(data.contact_email) if data.contact_email.strip() else ""
    website = user_text(data.website, "website", 300, required=False)
    if website and not website.startswith(("https://", "http://")):
        raise InputError(f"website: {website!r} must start with https:// or http://")
    phone = user_text(data.contact_phone, "contact_phone", 40, required=False)
    return {"presentation": presentation, "website": website, "contact_email": email,
            "contact_phone": phone, "cpvs": cpvs,
            "departements": sorted(set(departements)), "regions": sorted(set(regions)), "national": data.national,
            "labels": [labels[c] for c in sorted(labels)], "published": data.published}


def state_of(profile: SupplierProfile) -> dict[str, Any]:
    return {"presentation": profile.presentation, "website": profile.website, "contact_email": profile.contact_email,
            "national": profile.national, "published": profile.published,
            "cpvs": [c.cpv for c in profile.cpvs],
            "territories": [f"{t.kind}:{t.code}" for t in profile.territories],
            "labels": [t.code for t in profile.labels], "sirene_name": profile.sirene_name,
            "sirene_category": profile.sirene_category}


def get_profile(session: Session, organisation_id: int) -> SupplierProfile | None:
    return session.execute(
        select(SupplierProfile).where(SupplierProfile.organisation_id == organisation_id)
        .options(selectinload(SupplierProfile.cpvs), selectinload(SupplierProfile.territories),
                 selectinload(SupplierProfile.labels))).scalar_one_or_none()


def get_public(session: Session, organisation_id: int) -> tuple[Organisation, SupplierProfile]:
    profile = get_profile(session, organisation_id)
    organisation = session.get(Organisation, organisation_id)
    if profile is None or organisation is None or not profile.published:
        raise NotFoundError(f"no published supplier profile for organisation {organisation_id}")
    return organisation, profile


def save_profile(session: Session, ctx: Context, organisation_id: int, data: ProfileInput,
                 sirene: Mapping[str, Any] | None = None) -> SupplierProfile:
    """Creates or replaces the company's profile (only its own users may), with SIRENE's facts when given."""
    require(ctx.user, "edit_profile", organisation_id)
    organisation = session.get(Organisation, organisation_id)
    if organisation is None or organisation.kind != "supplier":
        raise NotFoundError(f"no supplier company {organisation_id}")
    clean = _clean_input(data)
    profile = get_profile(session, organisation_id)
    before = state_of(profile) if profile is not None else None
    if profile is None:
        profile = SupplierProfile(organisation_id=organisation_id, created_at=ctx.now)
        session.add(profile)
    for name in ("presentation", "website", "contact_email", "contact_phone", "national", "published"):
        setattr(profile, name, clean[name])
    profile.cpvs = [ProfileCpv(cpv=c, division=c[:2]) for c in clean["cpvs"]]
    profile.territories = ([ProfileTerritory(kind="departement", code=c) for c in clean["departements"]]
                           + [ProfileTerritory(kind="region", code=c) for c in clean["regions"]])
    profile.labels = [ProfileLabel(code=x.code, reference=x.reference, valid_until=x.valid_until)
                      for x in clean["labels"]]
    if sirene is not None:
        apply_sirene(profile, sirene, ctx.now)
    profile.updated_at = ctx.now
    profile.search_terms = profile_terms(organisation, profile)
    session.flush()
    ctx.audit(session, "supplier_profile.save", "supplier_profile", profile.id, before, state_of(profile))
    return profile


def apply_sirene(profile: SupplierProfile, facts: Mapping[str, Any], now: dt.datetime) -> None:
    profile.sirene_name = facts.get("denomination")
    profile.sirene_category = facts.get("categorie_entreprise")
    profile.sirene_ess = facts.get("ess")
    profile.sirene_naf = facts.get("naf")
    profile.sirene_commune = facts.get("commune_code")
    profile.sirene_active = facts.get("actif")
    profile.sirene_checked_at = now


def refresh_sirene(session: Session, ctx: Context, lookup: Any) -> int:
    """Re-reads SIRENE for every profile (after a new SIRENE load); ``lookup(siret)`` gives the facts or None.
    Returns how many profiles changed."""
    changed = 0
    rows = session.execute(select(SupplierProfile, Organisation)
                           .join(Organisation, Organisation.id == SupplierProfile.organisation_id)).all()
    for profile, organisation in rows:
        facts = lookup(organisation.siret)
        if facts is None:
            continue
        before = state_of(profile)
        apply_sirene(profile, facts, ctx.now)
        profile.search_terms = profile_terms(organisation, profile)
        after = state_of(profile)
        if after != before:
            changed += 1
            ctx.audit(session, "supplier_profile.sirene", "supplier_profile", profile.id, before, after)
    session.flush()
    return changed


def is_sme(organisation: Organisation, profile: SupplierProfile) -> bool | None:
    """The company's own declaration first; else SIRENE's category (PME yes; ETI and GE no)."""
    if organisation.sme is not None:
        return organisation.sme
    if profile.sirene_category:
        return profile.sirene_category == "PME"
    return None


def profile_terms(organisation: Organisation, profile: SupplierProfile) -> str:
    """The profile's search terms; none for an unpublished profile, so the full-text index only ever holds
    published ones (the search's fast path relies on it)."""
    if not profile.published:
        return ""
    places = [REGIONS[t.code] if t.kind == "region" else t.code for t in profile.territories]
    places += [REGIONS[DEPARTEMENT_REGION[t.code]] for t in profile.territories if t.kind == "departement"]
    labels = [label_of(x.code).name_fr for x in profile.labels]
    return fulltext.terms_of(organisation.name, organisation.name, profile.sirene_name or "", profile.presentation,
                             " ".join(places), " ".join(labels))


def _territory_filter(departement: str) -> Any:
    """Companies serving the département, its région or the whole country. ``IN`` subqueries rather than
    ``EXISTS``: the engine then reads the territory index once instead of probing it per profile."""
    region = DEPARTEMENT_REGION[departement]
    return or_(SupplierProfile.national.is_(True), SupplierProfile.id.in_(select(ProfileTerritory.profile_id).where(
        or_(and_(ProfileTerritory.kind == "departement", ProfileTerritory.code == departement),
            and_(ProfileTerritory.kind == "region", ProfileTerritory.code == region)))))


def search_suppliers(session: Session, query: str = "", *, cpv: str = "", departement: str = "", label: str = "",
                     sme: bool | None = None, offset: int = 0, limit: int = 20) -> Page:
    """Published profiles matching the words (French stems, accents ignored, last word as a prefix) and the
    filters, best match first (equal scores in a stable order); without words, in name order."""
    offset, limit = max(offset, 0), min(max(limit, 1), 200)
    conditions: list[Any] = []
    if cpv.strip():
        prefix = clean_cpv_prefix(cpv)
        conditions.append(SupplierProfile.id.in_(select(ProfileCpv.profile_id).where(
            ProfileCpv.division == prefix[:2], ProfileCpv.cpv.startswith(prefix, autoescape=True))))
    if departement.strip():
        code = clean_departement(departement)
        if code is None:
            raise InputError(f"departement: {departement!r} is not a département code (e.g. 35, 2A, 971)")
        conditions.append(_territory_filter(code))
    if label.strip():
        conditions.append(SupplierProfile.id.in_(select(ProfileLabel.profile_id).where(
            ProfileLabel.code == label_of(label).code)))
    if sme is not None:
        # As is_sme(): the company's declaration, else SIRENE's category.
        sirene = (SupplierProfile.sirene_category == "PME") if sme else SupplierProfile.sirene_category.in_(
            ("ETI", "GE"))
        conditions.append(or_(Organisation.sme.is_(sme), and_(Organisation.sme.is_(None), sirene)))
    statement = (select(SupplierProfile, Organisation)
                 .join(Organisation, Organisation.id == SupplierProfile.organisation_id)
                 .where(SupplierProfile.published.is_(True), *conditions)
                 .options(selectinload(SupplierProfile.cpvs), selectinload(SupplierProfile.territories),
                          selectinload(SupplierProfile.labels)))
    terms = fulltext.query_terms(query)
    if terms:
        fulltext.tune(session)
    dialect = session.get_bind().dialect.name
    if not terms:  # browsing: a count, then one page in name order
        total = session.execute(select(func.count()).select_from(statement.subquery())).scalar_one()
        rows = session.execute(statement.order_by(Organisation.name, Organisation.id).offset(offset).limit(limit))
        return Page([(organisation, profile) for profile, organisation in rows], total, offset, limit)
    if not conditions:
        # Words only (the common case): count and rank inside the full-text index, then read one page of rows.
        sql, params = fulltext.match(dialect, "supplier_profile", terms, ranked=False)
        matching = text(sql).bindparams(**params).columns(id=Integer).subquery("matching")
        total = session.execute(select(func.count()).select_from(matching)).scalar_one()
        sql, params = fulltext.best(dialect, "supplier_profile", terms)
        ids = [row[0] for row in session.execute(text(sql), {**params, "limit": limit, "offset": offset})]
    else:
        # Words and filters: one pass gives the ordered ids of every match — their count and the page —
        # where a count query and a page query would each walk the same thousands of rows.
        ordered = select(SupplierProfile.id).join(Organisation, Organisation.id == SupplierProfile.organisation_id)
        sql, params = fulltext.match(dialect, "supplier_profile", terms)
        ranked = text(sql).bindparams(**params).columns(id=Integer, rank=Float).subquery("ranked")
        ordered = (ordered.join(ranked, ranked.c.id == SupplierProfile.id)
                   .where(SupplierProfile.published.is_(True), *conditions).order_by(ranked.c.rank))
        every = session.execute(ordered.order_by(Organisation.name, Organisation.id)).scalars().all()
        total, ids = len(every), list(every[offset:offset + limit])
    found = {profile.id: (organisation, profile)
             for profile, organisation in session.execute(statement.where(SupplierProfile.id.in_(ids)))}
    return Page([found[i] for i in ids if i in found], total, offset, limit)
