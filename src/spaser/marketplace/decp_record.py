"""The DECP v2.0.3 record of a contract awarded on the platform: what the buyer profile must publish.

Fields come from the consultation, the award and the opened bids: ``offresRecues`` is the real number of bids
that counted, the considerations come from the award criteria and the execution clauses, the titulaire is the
winning company's SIRET. Fields the platform does not capture yet take the neutral value the schema allows
("Sans objet", "Pas de groupement", no advance).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from decimal import Decimal
from typing import Any

from spaser.marketplace.models import Consultation, Criterion, ExecutionClause
from spaser.marketplace.rules import CriterionSpec, environmental_criterion_present

CCAG = {"Travaux": "Travaux", "Fournitures": "Fournitures courantes et services",
        "Services": "Fournitures courantes et services"}


def considerations_sociales(criteria: Sequence[Criterion], clauses: Sequence[ExecutionClause]) -> list[str]:
    found = []
    if any(c.kind == "social" and c.weight > 0 for c in criteria):
        found.append("Critère social")
    if any(c.kind == "social" for c in clauses):
        found.append("Clause sociale")
    if any(c.kind == "reserved" for c in clauses):
        found.append("Marché réservé")
    return found or ["Pas de considération sociale"]


def considerations_environnementales(criteria: Sequence[Criterion], clauses: Sequence[ExecutionClause]) -> list[str]:
    found = []
    specs = [CriterionSpec(c.label, c.kind, c.weight, c.includes_environment) for c in criteria]
    if environmental_criterion_present(specs):
        found.append("Critère environnemental")
    if any(c.kind == "environmental" for c in clauses):
        found.append("Clause environnementale")
    return found or ["Pas de considération environnementale"]


def contract_id(consultation: Consultation) -> str:
    """The buyer's internal contract number (1 to 16 characters): the consultation reference."""
    return consultation.reference[:16]


def build_record(consultation: Consultation, *, buyer_siret: str, buyer_departement: str | None,
                 titulaire_siret: str, amount: Decimal, offres_recues: int, notified_on: dt.date,
                 published_on: dt.date) -> dict[str, Any]:
    lieu = consultation.lieu_execution or buyer_departement or ""
    return {
        "id": contract_id(consultation),
        "acheteur": {"id": buyer_siret},
        "nature": consultation.nature,
        "objet": consultation.title[:1000],
        "codeCPV": consultation.cpv,
        "techniques": {"technique": ["Sans objet"]},
        "modalitesExecution": {"modaliteExecution": ["Sans objet"]},
        "marcheInnovant": False,
        "ccag": CCAG.get(consultation.contract_type, "Pas de CCAG"),
        "offresRecues": offres_recues,
        "attributionAvance": False,
        "tauxAvance": 0,
        "typeGroupementOperateurs": "Pas de groupement",
        "sousTraitanceDeclaree": False,
        "procedure": consultation.procedure,
        "lieuExecution": {"code": lieu, "typeCode": "Code département"},
        "dureeMois": max(1, consultation.duree_mois),
        "dateNotification": notified_on.isoformat(),
        "datePublicationDonnees": published_on.isoformat(),
        "montant": float(amount),
        "typesPrix": {"typePrix": ["Définitif ferme"]},
        "formePrix": consultation.forme_prix,
        "titulaires": [{"titulaire": {"typeIdentifiant": "SIRET", "id": titulaire_siret}}],
        "considerationsSociales": {"considerationSociale": considerations_sociales(
            consultation.criteria, consultation.clauses)},
        "considerationsEnvironnementales": {"considerationEnvironnementale": considerations_environnementales(
            consultation.criteria, consultation.clauses)},
    }


def feed_document(records: Sequence[dict[str, Any]]) -> dict[str, Any]:
    """The records as one DECP v2.0.3 document (``{"marches": {"marche": [...]}}``), the shape ingestion reads."""
    return {"marches": {"marche": list(records)}}
