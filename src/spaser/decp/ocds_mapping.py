"""DECP → OCDS 1.1: one compiled release built from one warehouse contract, pure (no I/O).

Why a separate module: the mapping is the part a reader must be able to audit line by line against
``docs/ocds.md``; the streaming and the package writing live in ``spaser.decp.export_ocds``.

Rules (``docs/ocds.md`` gives the full field table):

* nothing is invented: a NULL warehouse value (or an empty text) leaves its OCDS field out, never a default;
  values are the published ones, suspicious amounts included (``montant_suspect`` is not an OCDS field);
* the procedure goes through :data:`PROCUREMENT_METHODS`, the one table of DECP procedure label →
  ``procurementMethod`` (reproduced in ``docs/ocds.md``, a test keeps both equal); an unknown label keeps
  ``procurementMethodDetails`` and gets no ``procurementMethod``;
* the award carries the **initial** state (``montant_initial``, ``duree_mois_initiale``), the contract the
  **current** one (``montant``, ``duree_mois``) and one amendment per modification, in rank order.
"""

from __future__ import annotations

import datetime as dt
import math
from collections.abc import Mapping, Sequence
from typing import Any

CURRENCY = "EUR"
#: org-id.guide's list for French registered organisations (FR-INSEE is deprecated in its favour).
SIRET_SCHEME = "FR-RCS"
#: DECP procedure label (schemas v1.5 and v2.0.3, marchés and concessions) → OCDS ``procurementMethod``
#: (closed codelist ``method.csv``). v1.4 labels never reach the warehouse: ingestion maps them to these.
PROCUREMENT_METHODS: dict[str, str] = {
    "Appel d'offres ouvert": "open",
    "Procédure adaptée": "open",
    "Appel d'offres restreint": "selective",
    "Procédure avec négociation": "selective",
    "Dialogue compétitif": "selective",
    "Marché passé sans publicité ni mise en concurrence préalable": "limited",
    "Procédure négociée ouverte": "open",
    "Procédure non négociée ouverte": "open",
    "Procédure négociée restreinte": "selective",
    "Procédure non négociée restreinte": "selective",
}
#: Nature of a concession → ``mainProcurementCategory`` (closed codelist ``procurementCategory.csv``).
CONCESSION_CATEGORIES: dict[str, str] = {
    "Concession de travaux": "works",
    "Concession de service": "services",
    "Concession de service public": "services",
    "Délégation de service public": "services",
}
#: CPV divisions of supplies (Regulation (EC) 213/2008: 03–44 and 48); 45 is works; the others are services.
GOODS_DIVISIONS = frozenset({
    "03", "09", "14", "15", "16", "18", "19", "22", "24", "30", "31", "32", "33", "34", "35", "37", "38", "39",
    "41", "42", "43", "44", "48",
})
WORKS_DIVISION = "45"
#: OCDS periods are in days; a DECP duration is in months: the mean Gregorian month, 365.25 / 12 = 1461 / 48
#: days (exact integers, so the rounding does not depend on floating point).
DAYS_PER_48_MONTHS = 1461


def text(value: object) -> str | None:
    """A non-empty text, stripped; None for NULL or blank (OCDS names must not be empty)."""
    if value is None:
        return None
    stripped = str(value).strip()
    return stripped or None


def identifier(value: object) -> str | None:
    """An organisation id as published; None for NULL, blank or all zeros ("00000000000000" is a placeholder
    several buyers share: written, it would merge unrelated organisations — quality flag ``siret_zeros``)."""
    ident = text(value)
    return None if ident is None or not ident.strip("0") else ident


def amount(value: object) -> float | None:
    """A finite number, else None (JSON has no NaN; the cleaners drop them, this is a guard)."""
    if value is None or isinstance(value, bool):
        return None
    number = float(value)  # type: ignore[arg-type]
    return number if math.isfinite(number) else None


def date_time(value: dt.date | dt.datetime | None) -> str | None:
    """OCDS date-time: a DECP date at midnight UTC (its calendar day is kept); a timestamp in UTC."""
    if value is None:
        return None
    if isinstance(value, dt.datetime):
        moment = value if value.tzinfo is None else value.astimezone(dt.UTC).replace(tzinfo=None)
        return moment.replace(microsecond=0).isoformat() + "Z"
    return f"{value.isoformat()}T00:00:00Z"


def duration_days(months: int | None) -> int | None:
    """Months → whole days (mean month, rounded half up), None when unknown or not positive."""
    if months is None or months <= 0:
        return None
    return (months * DAYS_PER_48_MONTHS + 24) // 48


def procurement_method(procedure: str | None) -> str | None:
    return PROCUREMENT_METHODS.get(procedure) if procedure is not None else None


def main_category(kind: str | None, nature: str | None, code_cpv: str | None) -> str | None:
    """Concessions by nature; marchés by CPV division (the DECP ``nature`` of a marché says Marché /
    Accord-cadre…, not works / goods / services)."""
    if kind == "concession":
        return CONCESSION_CATEGORIES.get(nature) if nature is not None else None
    if not code_cpv or len(code_cpv) < 2 or not code_cpv[:2].isdigit():
        return None
    division = code_cpv[:2]
    if division == WORKS_DIVISION:
        return "works"
    return "goods" if division in GOODS_DIVISIONS else "services"


def identifier_scheme(type_identifiant: str | None) -> str | None:
    """SIRET → FR-RCS; other DECP types (TVA, TAHITI, RIDET, FRWF, IREP, UE, HORS-UE) are written as
    published, since org-id.guide has no list for them."""
    if type_identifiant is None:
        return None
    return SIRET_SCHEME if type_identifiant == "SIRET" else type_identifiant


class _Parties:
    """The release's ``parties``: one entry per organisation id, roles merged (a supplier can be the buyer)."""

    def __init__(self) -> None:
        self.by_id: dict[str, dict[str, Any]] = {}

    def add(self, role: str, scheme: str | None, ident: str | None, name: str | None, fallback: str) -> str | None:
        """Add an organisation in ``role``; its party id, or None when neither id nor name is known."""
        if ident is None and name is None:
            return None
        party_id = f"{scheme}-{ident}" if scheme and ident else ident or fallback
        party = self.by_id.setdefault(party_id, {"id": party_id})
        if ident is not None and "identifier" not in party:
            party["identifier"] = {"id": ident} | ({"scheme": scheme} if scheme is not None else {})
        if name is not None and "name" not in party:
            party["name"] = name
            if "identifier" in party:
                party["identifier"]["legalName"] = name
        roles = party.setdefault("roles", [])
        if role not in roles:
            roles.append(role)
        return party_id

    def reference(self, party_id: str) -> dict[str, str]:
        """``{id, name}`` of a party (OrganizationReference), once every organisation is added."""
        party = self.by_id[party_id]
        return {"id": party_id} | ({"name": party["name"]} if "name" in party else {})

    def to_list(self) -> list[dict[str, Any]]:
        return list(self.by_id.values())


def _amendment(modification: Mapping[str, Any]) -> dict[str, Any]:
    """One DECP modification → one OCDS amendment. The description keeps the modification's object and the
    new values it sets (a DECP modification carries values, not deltas), semi-structured."""
    out: dict[str, Any] = {}
    if (ident := text(modification.get("id"))) is not None:
        out["id"] = ident
    if (date := date_time(modification.get("date_notification_modification"))) is not None:
        out["date"] = date
    parts: list[str] = []
    if (objet := text(modification.get("objet_modification"))) is not None:
        parts.append(objet)
    if (value := amount(modification.get("montant"))) is not None:
        parts.append(f"montant: {_number(value)} {CURRENCY}")
    if (months := modification.get("duree_mois")) is not None:
        parts.append(f"dureeMois: {months}")
    if parts:
        out["description"] = "; ".join(parts)
    return out


def _number(value: float) -> str:
    return str(int(value)) if value.is_integer() and abs(value) < 1e15 else repr(value)


def release_date(row: Mapping[str, Any]) -> str | None:
    """The latest publication date (initial data or a modification); else the latest notification date;
    else when the warehouse recorded the source file (``ingested_at``)."""
    modifications: Sequence[Mapping[str, Any]] = row.get("modifications") or ()
    published = [row.get("date_publication_donnees"),
                 *(m.get("date_publication_donnees_modification") for m in modifications)]
    notified = [row.get("date_notification"), *(m.get("date_notification_modification") for m in modifications)]
    for candidates in (published, notified):
        known = [d for d in candidates if d is not None]
        if known:
            return date_time(max(known))
    return date_time(row.get("ingested_at"))


def build_release(row: Mapping[str, Any], prefix: str) -> dict[str, Any]:
    """The compiled release of one contract row (columns of ``contracts`` plus ``cpv_libelle``,
    ``ingested_at``, ``suppliers`` — titulaires in force, by rank — and ``modifications`` by rank)."""
    ocid = f"{prefix}-{row['contract_key']}"
    contract_id = text(row.get("id")) or ocid
    release: dict[str, Any] = {"ocid": ocid, "id": row["record_uid"]}
    date = release_date(row)
    if date is not None:
        release["date"] = date
    release.update({"tag": ["compiled"], "initiationType": "tender"})

    parties = _Parties()
    buyer = parties.add("buyer", SIRET_SCHEME, identifier(row.get("acheteur_id")), text(row.get("acheteur_nom")),
                        "buyer")
    supplier_ids: list[str] = []
    for titulaire in row.get("suppliers") or ():
        party_id = parties.add(
            "supplier", identifier_scheme(text(titulaire.get("type_identifiant"))), identifier(titulaire.get("id")),
            text(titulaire.get("denomination_sociale")), f"supplier-{titulaire.get('rank')}")
        if party_id is not None and party_id not in supplier_ids:
            supplier_ids.append(party_id)
    suppliers = [parties.reference(party_id) for party_id in supplier_ids]
    if parties.by_id:
        release["parties"] = parties.to_list()
    if buyer is not None:
        release["buyer"] = parties.reference(buyer)

    release["tender"] = _tender(row, ocid)
    release["awards"] = [_award(row, contract_id, suppliers)]
    release["contracts"] = [_contract(row, contract_id)]
    release["language"] = "fr"
    return release


def _tender(row: Mapping[str, Any], ocid: str) -> dict[str, Any]:
    tender: dict[str, Any] = {"id": ocid}
    if (objet := text(row.get("objet"))) is not None:
        tender["title"] = objet
    procedure = text(row.get("procedure"))
    if (method := procurement_method(procedure)) is not None:
        tender["procurementMethod"] = method
    if procedure is not None:
        tender["procurementMethodDetails"] = procedure
    code_cpv = text(row.get("code_cpv"))
    if (category := main_category(row.get("kind"), text(row.get("nature")), code_cpv)) is not None:
        tender["mainProcurementCategory"] = category
    if code_cpv is not None:
        classification = {"scheme": "CPV", "id": code_cpv}
        if (label := text(row.get("cpv_libelle"))) is not None:
            classification["description"] = label
        tender["items"] = [{"id": "1", "classification": classification}]
    offers = row.get("offres_recues")
    if offers is not None and offers > 0:  # 0 means "not filled in" (domain.md §1 pitfall 11): left out
        tender["numberOfTenderers"] = int(offers)
    return tender


def _value(number: object) -> dict[str, Any] | None:
    value = amount(number)
    return None if value is None else {"amount": value, "currency": CURRENCY}


def _award(row: Mapping[str, Any], award_id: str, suppliers: list[dict[str, str]]) -> dict[str, Any]:
    award: dict[str, Any] = {"id": award_id}
    if (date := date_time(row.get("date_notification"))) is not None:
        award["date"] = date
    if (value := _value(row.get("montant_initial"))) is not None:
        award["value"] = value
    if suppliers:
        award["suppliers"] = suppliers
    if (days := duration_days(row.get("duree_mois_initiale"))) is not None:
        award["contractPeriod"] = {"durationInDays": days}
    return award


def _contract(row: Mapping[str, Any], contract_id: str) -> dict[str, Any]:
    contract: dict[str, Any] = {"id": contract_id, "awardID": contract_id}
    if (value := _value(row.get("montant"))) is not None:
        contract["value"] = value
    period: dict[str, Any] = {}
    if row.get("kind") == "concession":
        # A concession's DECP date is its dateSignature; a marché's is its notification, which follows the
        # signature: it is the award's date, not dateSigned.
        if (signed := date_time(row.get("date_notification"))) is not None:
            contract["dateSigned"] = signed
        if (start := date_time(row.get("date_debut_execution"))) is not None:
            period["startDate"] = start
    if (days := duration_days(row.get("duree_mois"))) is not None:
        period["durationInDays"] = days
    if period:
        contract["period"] = period
    modifications = row.get("modifications") or ()
    if modifications:
        contract["amendments"] = [_amendment(m) for m in modifications]
    return contract
