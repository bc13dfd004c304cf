"""Plain views of the sourcing space (supplier profiles, purchase plans, matches) for pages, their JSON and CSV
twins and the API, built inside the session; and the few lookups the pages need beside the services.

Why dicts: pages, ``.json`` twins and ``/api/v1`` share one shape, and nothing lazy-loads after the session is
closed. Keys are French like the CSV columns (``nom``, ``departements``, ``pme``…).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Iterator, Sequence
from typing import Any, Literal

import duckdb
from sqlalchemy.orm import Session

from spaser.accounts.models import Organisation
from spaser.accounts.service import organisation_names
from spaser.domain.territories import DEPARTEMENT_REGION, REGIONS
from spaser.errors import InputError
from spaser.marketplace.models import Lot
from spaser.reference.tables import CPV_DIVISIONS
from spaser.sourcing import matching, plans, profiles
from spaser.sourcing.labels import LABELS
from spaser.sourcing.matches import Opportunity, SupplierMatch
from spaser.sourcing.models import PlanMessage, PurchasePlan, SupplierProfile
from spaser.web.reader import WarehouseReader

Lang = Literal["fr", "en"]
PAGE_SIZE = 20
#: Rows read per service call when a CSV export walks every matching row.
EXPORT_BATCH = 200
SUPPLIER_COLUMNS = ("siret", "nom", "departements", "regions", "national", "cpv", "labels", "pme")
PLAN_COLUMNS = ("id", "titre", "acheteur", "acheteur_siret", "cpv", "departement", "region", "annee", "trimestre",
                "periode", "montant_estime", "statut", "publie_le", "consultation_id")
PLAN_STATUSES = {"fr": {"draft": "brouillon", "published": "publié", "launched": "consultation lancée",
                        "withdrawn": "retiré"},
                 "en": {"draft": "draft", "published": "published", "launched": "tender launched",
                        "withdrawn": "withdrawn"}}


def lang_of(value: str) -> Lang:
    return "en" if value == "en" else "fr"


def whole(name: str, raw: str | None) -> int | None:
    """An optional whole-number parameter: empty is absent, anything else that is not a number is a 400."""
    if raw is None or not raw.strip():
        return None
    try:
        return int(raw.strip())
    except ValueError:
        raise InputError(f"{name}: {raw!r} is not a whole number") from None


def page_number(raw: str | None) -> int:
    number = whole("page", raw) or 1
    if not 1 <= number <= 100_000:
        raise InputError(f"page: must be between 1 and 100000, got {number}")
    return number


def sme_filter(raw: str | None) -> bool | None:
    """``pme=oui`` / ``pme=non`` (also true/false, 1/0); empty means no filter."""
    value = (raw or "").strip().lower()
    if not value:
        return None
    if value in ("oui", "true", "1", "yes"):
        return True
    if value in ("non", "false", "0", "no"):
        return False
    raise InputError(f"pme: {raw!r} is not oui or non")


def quarter_text(year: int, quarter: int, lang: str = "fr") -> str:
    """« T1 2027 » (fr), "Q1 2027" (en)."""
    return f"{'Q' if lang == 'en' else 'T'}{quarter} {year}"


def region_name(code: str | None) -> str | None:
    return REGIONS.get(code) if code else None


# --------------------------------------------------------------------------------------------------
# Warehouse lookups (None / empty before any ingestion)


def cpv_labels(reader: WarehouseReader, codes: Iterable[str], lang: str = "fr") -> dict[str, str]:
    """The CPV 2008 labels of 8-digit roots when the CPV reference is loaded in the warehouse, else nothing."""
    wanted = sorted({c for c in codes if c})
    opened = reader.cursor() if wanted else None
    if opened is None:
        return {}
    con, _ = opened
    column = "label_en" if lang == "en" else "label_fr"
    try:
        rows = con.execute(f"SELECT code8, min({column}) FROM ref_cpv WHERE code8 IN (SELECT unnest($codes)) "
                           "GROUP BY code8", {"codes": wanted}).fetchall()
    except duckdb.Error:  # a snapshot made before the reference tables existed
        return {}
    finally:
        con.close()
    return {str(code): str(label) for code, label in rows if label}


def division_label(code: str, lang: str = "fr") -> str | None:
    names = CPV_DIVISIONS.get(code[:2])
    return None if names is None else names[1 if lang == "en" else 0]


# --------------------------------------------------------------------------------------------------
# Supplier profiles


def supplier_row(organisation: Organisation, profile: SupplierProfile) -> dict[str, Any]:
    """One company of the directory (the CSV columns, plus its id and presentation)."""
    return {"id": organisation.id, "siret": organisation.siret, "nom": organisation.name,
            "departements": [t.code for t in profile.territories if t.kind == "departement"],
            "regions": [t.code for t in profile.territories if t.kind == "region"], "national": profile.national,
            "cpv": [c.cpv for c in profile.cpvs], "labels": [x.code for x in profile.labels],
            "pme": profiles.is_sme(organisation, profile), "presentation": profile.presentation}


def supplier_csv_row(row: dict[str, Any]) -> list[Any]:
    def flag(value: bool | None) -> str:
        return "" if value is None else "true" if value else "false"

    return [row["siret"], row["nom"], row["departements"], row["regions"], flag(row["national"]), row["cpv"],
            row["labels"], flag(row["pme"])]


def all_suppliers(session: Session, query: str, **filters: Any) -> Iterator[dict[str, Any]]:
    """Every matching company, in the directory's order, read in batches (the service caps one page)."""
    offset = 0
    while True:
        page = profiles.search_suppliers(session, query, offset=offset, limit=EXPORT_BATCH, **filters)
        yield from (supplier_row(o, p) for o, p in page.items)
        offset += EXPORT_BATCH
        if offset >= page.total or not page.items:
            return


def profile_view(organisation: Organisation, profile: SupplierProfile, lang: str,
                 cpv_names: dict[str, str]) -> dict[str, Any]:
    """A published profile: what the company declares, what SIRENE says (with the date it was read)."""
    en = lang == "en"
    sirene = None
    if profile.sirene_checked_at is not None:
        sirene = {"denomination": profile.sirene_name, "categorie": profile.sirene_category,
                  "ess": profile.sirene_ess, "naf": profile.sirene_naf, "commune": profile.sirene_commune,
                  "actif": profile.sirene_active, "verifie_le": profile.sirene_checked_at}
    return supplier_row(organisation, profile) | {
        "website": profile.website, "contact_email": profile.contact_email, "contact_phone": profile.contact_phone,
        "cpv_details": [{"code": c.cpv, "libelle": cpv_names.get(c.cpv), "division": division_label(c.cpv, lang)}
                        for c in profile.cpvs],
        "departements_details": [{"code": t.code, "region": region_name(DEPARTEMENT_REGION.get(t.code))}
                                 for t in profile.territories if t.kind == "departement"],
        "regions_details": [{"code": t.code, "nom": region_name(t.code)}
                            for t in profile.territories if t.kind == "region"],
        "labels_details": [{"code": x.code, "nom": _label_name(x.code, en), "preuve": _label_proof(x.code, en),
                            "reference": x.reference, "valide_jusqu_au": x.valid_until} for x in profile.labels],
        "pme_declaree": organisation.sme, "sirene": sirene, "mis_a_jour": profile.updated_at,
    }


def _label_name(code: str, en: bool) -> str:
    entry = LABELS.get(code)
    return code if entry is None else entry.name_en if en else entry.name_fr


def _label_proof(code: str, en: bool) -> str:
    entry = LABELS.get(code)
    return "" if entry is None else entry.proves_en if en else entry.proves_fr


def profile_form_values(profile: SupplierProfile | None) -> dict[str, Any]:
    """The edit form's fields from the saved profile (empty for a first profile)."""
    if profile is None:
        return {"presentation": "", "website": "", "contact_email": "", "contact_phone": "", "cpvs": "",
                "departements": "", "regions": [], "national": False, "published": True, "labels": {}}
    return {"presentation": profile.presentation, "website": profile.website,
            "contact_email": profile.contact_email, "contact_phone": profile.contact_phone,
            "cpvs": "\n".join(c.cpv for c in profile.cpvs),
            "departements": ", ".join(t.code for t in profile.territories if t.kind == "departement"),
            "regions": [t.code for t in profile.territories if t.kind == "region"], "national": profile.national,
            "published": profile.published,
            "labels": {x.code: {"reference": x.reference,
                                "valid_until": x.valid_until.isoformat() if x.valid_until else ""}
                       for x in profile.labels}}


def split_list(value: str) -> list[str]:
    """Codes typed one per line, or separated by commas, semicolons or spaces."""
    for separator in (",", ";", "\r", "\t"):
        value = value.replace(separator, "\n")
    return [part.strip() for line in value.split("\n") for part in line.split(" ") if part.strip()]


def parse_date(name: str, raw: str) -> dt.date | None:
    if not raw.strip():
        return None
    try:
        return dt.date.fromisoformat(raw.strip())
    except ValueError:
        raise InputError(f"{name}: {raw!r} is not a date (YYYY-MM-DD)") from None


# --------------------------------------------------------------------------------------------------
# Purchase plans


def plan_row(plan: PurchasePlan, buyer: Organisation, lang: str = "fr") -> dict[str, Any]:
    return {"id": plan.id, "titre": plan.title, "acheteur": buyer.name, "acheteur_id": buyer.id,
            "acheteur_siret": buyer.siret, "cpv": plan.cpv, "departement": plan.departement, "region": plan.region,
            "annee": plan.launch_year, "trimestre": plan.launch_quarter,
            "periode": quarter_text(plan.launch_year, plan.launch_quarter, lang),
            "montant_estime": plan.estimated_amount, "statut": plan.status, "publie_le": plan.published_at,
            "consultation_id": plan.consultation_id}


def plan_detail(plan: PurchasePlan, buyer: Organisation, lang: str = "fr") -> dict[str, Any]:
    return plan_row(plan, buyer, lang) | {"description": plan.description, "contact_nom": plan.contact_name,
                                          "region_nom": region_name(plan.region)}


def plan_csv_row(row: dict[str, Any]) -> list[Any]:
    return [row[c] for c in PLAN_COLUMNS]


def all_plans(session: Session, query: str, lang: str, **filters: Any) -> Iterator[dict[str, Any]]:
    offset = 0
    while True:
        page = plans.search_plans(session, query, offset=offset, limit=EXPORT_BATCH, **filters)
        yield from (plan_row(p, o, lang) for p, o in page.items)
        offset += EXPORT_BATCH
        if offset >= page.total or not page.items:
            return


def public_buyers(session: Session) -> list[dict[str, Any]]:
    """The buyers that have published plans (the listing's buyer filter)."""
    return [{"id": i, "nom": n} for i, n in plans.public_buyers(session)]


def message_view(message: PlanMessage, buyer_name: str, supplier_name: str) -> dict[str, Any]:
    return {"id": message.id, "de_l_acheteur": message.from_buyer,
            "auteur": buyer_name if message.from_buyer else supplier_name, "texte": message.body,
            "envoye_le": message.created_at}


def plan_form_values(plan: PurchasePlan | None, email: str = "") -> dict[str, str]:
    if plan is None:
        return {"title": "", "description": "", "cpv": "", "estimated_amount": "", "launch_year": "",
                "launch_quarter": "1", "departement": "", "contact_name": "", "contact_email": email}
    return {"title": plan.title, "description": plan.description, "cpv": plan.cpv,
            "estimated_amount": "" if plan.estimated_amount is None else str(plan.estimated_amount),
            "launch_year": str(plan.launch_year), "launch_quarter": str(plan.launch_quarter),
            "departement": plan.departement or "", "contact_name": plan.contact_name,
            "contact_email": plan.contact_email}


# --------------------------------------------------------------------------------------------------
# Matches


def match_view(found: matching.Match, lang: str) -> dict[str, Any]:
    return {"score": found.score,
            "raisons": [{"code": r.code, "points": r.points, "texte": matching.explain(r, lang_of(lang))}
                        for r in found.reasons]}


def lot_view(lot: Lot | None) -> dict[str, Any] | None:
    return None if lot is None else {"numero": lot.number, "titre": lot.title, "cpv": lot.cpv}


def supplier_match_view(found: SupplierMatch, lang: str) -> dict[str, Any]:
    return {"id": found.organisation.id, "siret": found.organisation.siret, "nom": found.organisation.name,
            "pme": profiles.is_sme(found.organisation, found.profile), "lot": lot_view(found.lot)} | match_view(
        found.match, lang)


def opportunity_view(found: Opportunity, lang: str) -> dict[str, Any]:
    item = found.item
    if found.kind == "plan":
        path, when = f"/achats-prevus/{item.id}", quarter_text(item.launch_year, item.launch_quarter, lang)
        deadline = None
    else:
        path, when, deadline = f"/consultations/{item.id}", "", item.deadline
    return {"type": found.kind, "id": item.id, "titre": item.title, "acheteur": found.buyer.name, "lien": path,
            "cpv": item.cpv, "periode": when, "date_limite": deadline, "lot": lot_view(found.lot)} | match_view(
        found.match, lang)


def names_of(session: Session, organisation_ids: Sequence[int]) -> dict[int, str]:
    return organisation_names(session, organisation_ids)
