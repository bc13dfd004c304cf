"""Write the demonstration's files: DECP JSON, flat COG CSVs, INSEE-like SIRENE stocks, the Région's targets.

Every writer produces the same bytes for the same input (fixed key order, fixed line endings, no timestamps), so
that one seed always gives byte-identical files.
"""

from __future__ import annotations

import csv
import json
from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import Final

from spaser.demo.contracts import Buyer, Generated
from spaser.demo.geography import COMMUNES, DEPARTEMENTS, REGIONS, region_of
from spaser.demo.identity import insee_text
from spaser.demo.suppliers import Supplier

#: INSEE's processing timestamp, fixed (a real stock carries the day of its extraction).
_PROCESSED: Final = "2026-10-01T03:12:45.000"
UNITES_COLUMNS: Final = (
    "siren", "statutDiffusionUniteLegale", "unitePurgeeUniteLegale", "dateCreationUniteLegale", "sigleUniteLegale",
    "trancheEffectifsUniteLegale", "anneeEffectifsUniteLegale", "dateDernierTraitementUniteLegale",
    "categorieEntreprise", "anneeCategorieEntreprise", "etatAdministratifUniteLegale", "denominationUniteLegale",
    "categorieJuridiqueUniteLegale", "activitePrincipaleUniteLegale", "nomenclatureActivitePrincipaleUniteLegale",
    "nicSiegeUniteLegale", "economieSocialeSolidaireUniteLegale", "societeMissionUniteLegale",
    "caractereEmployeurUniteLegale",
)
ETABLISSEMENTS_COLUMNS: Final = (
    "siren", "nic", "siret", "statutDiffusionEtablissement", "dateCreationEtablissement",
    "trancheEffectifsEtablissement", "anneeEffectifsEtablissement", "dateDernierTraitementEtablissement",
    "etablissementSiege", "numeroVoieEtablissement", "libelleVoieEtablissement", "codePostalEtablissement",
    "libelleCommuneEtablissement", "codeCommuneEtablissement", "etatAdministratifEtablissement",
    "activitePrincipaleEtablissement", "nomenclatureActivitePrincipaleEtablissement",
    "caractereEmployeurEtablissement",
)


def write_decp(path: Path, contracts: Sequence[Generated]) -> None:
    """A DECP 2022 file: ``{"marches": {"marche": [...], "contrat-concession": [...]}}``."""
    marches = [g.record for g in contracts if g.kind == "marche"]
    concessions = [g.record for g in contracts if g.kind == "concession"]
    document: dict[str, dict[str, list[dict[str, object]]]] = {"marches": {"marche": marches}}
    if concessions:
        document["marches"]["contrat-concession"] = concessions
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(document, ensure_ascii=False, indent=1) + "\n", encoding="utf-8")


def _write_csv(path: Path, header: Sequence[str], rows: Iterable[Sequence[object]]) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("w", encoding="utf-8", newline="") as handle:
        writer = csv.writer(handle, lineterminator="\n")
        writer.writerow(header)
        writer.writerows(rows)


def write_cog(folder: Path) -> tuple[Path, Path, Path]:
    """The flat COG layout (one file per level) of the communes, départements and régions used."""
    communes, departements, regions = folder / "communes.csv", folder / "departements.csv", folder / "regions.csv"
    _write_csv(communes, ("commune_code", "commune_nom", "departement_code", "departement_nom", "region_code",
                          "region_nom"),
               [(c.code, c.nom, c.departement, DEPARTEMENTS[c.departement][0], region_of(c),
                 REGIONS[region_of(c)]) for c in sorted(COMMUNES)])
    _write_csv(departements, ("departement_code", "departement_nom", "region_code", "region_nom"),
               [(code, nom, reg, REGIONS[reg]) for code, (nom, reg) in sorted(DEPARTEMENTS.items())])
    _write_csv(regions, ("region_code", "region_nom"), sorted(REGIONS.items()))
    return communes, departements, regions


def _buyer_denomination(buyer: Buyer) -> str:
    name = buyer.spec.name
    if name.startswith("Ville d"):
        name = "Commune d" + name.removeprefix("Ville d")
    return insee_text(name.replace("CHU", "Centre hospitalier universitaire").replace(
        "SDIS", "Service départemental d'incendie et de secours"))


def write_sirene(folder: Path, buyers: Sequence[Buyer], suppliers: Sequence[Supplier]) -> tuple[Path, Path]:
    """INSEE-like stocks of unités légales and établissements (the columns INSEE publishes that matter here)."""
    unites: list[tuple[object, ...]] = []
    etablissements: list[tuple[object, ...]] = []
    for buyer in buyers:
        kind = buyer.kind
        unites.append((buyer.siren, "O", "", "1983-01-01", "", "42", "2023", _PROCESSED, "", "", "A",
                       _buyer_denomination(buyer), kind.categorie_juridique, kind.naf, "NAFRev2", buyer.siret[9:], "N",
                       "N", "O"))
        commune = buyer.commune
        etablissements.append((buyer.siren, buyer.siret[9:], buyer.siret, "O", "1983-01-01", "41", "2023", _PROCESSED,
                               "true", "1", "PLACE DE LA MAIRIE" if kind.naf == "84.11Z" else "RUE DE LA REPUBLIQUE",
                               commune.postal, insee_text(commune.nom), commune.code, "A", kind.naf, "NAFRev2", "O"))
    for supplier in suppliers:
        if supplier.siren is None:
            continue
        state = "A" if supplier.closed_after is None else "C"
        siege = next(e for e in supplier.establishments if e.siege)
        unites.append((supplier.siren, "O", "", supplier.created.isoformat(), "", supplier.tranche,
                       "2023" if supplier.tranche not in ("NN", "") else "", _PROCESSED, supplier.size,
                       "2023" if supplier.size else "", state, insee_text(supplier.name), supplier.categorie_juridique,
                       supplier.naf, "NAFRev2", siege.siret[9:], "O" if supplier.ess else "N", "N",
                       "N" if supplier.tranche in ("NN", "00") else "O"))
        for site in supplier.establishments:
            etablissements.append((supplier.siren, site.siret[9:], site.siret, "O", site.created.isoformat(),
                                   supplier.tranche if site.siege else "11", "2023", _PROCESSED,
                                   "true" if site.siege else "false", str(site.number), site.street,
                                   site.commune.postal, insee_text(site.commune.nom), site.commune.code,
                                   "A" if state == "A" else "F", supplier.naf, "NAFRev2", "O"))
    unites_path = folder / "StockUniteLegale_demonstration.csv"
    etablissements_path = folder / "StockEtablissement_demonstration.csv"
    _write_csv(unites_path, UNITES_COLUMNS, sorted(unites, key=lambda row: str(row[0])))
    _write_csv(etablissements_path, ETABLISSEMENTS_COLUMNS, sorted(etablissements, key=lambda row: str(row[2])))
    return unites_path, etablissements_path


TARGETS: Final = """\
# Objectifs SPASER de démonstration : ils accompagnent les données synthétiques de `spaser demo seed`
# (format : docs/indicateurs.md, « Targets »). Ils ne sont les objectifs d'aucune organisation réelle.
organisation = "{organisation} (démonstration)"
acheteurs = ["{siren}"]
include_default = true

[[target]]
indicator = "sme_advance"
measure = "count"
value = 50
year = 2027
trajectory = {{ 2025 = 46, 2026 = 48 }}
note = "SPASER 2024-2027, axe 2 : une avance d'au moins 30 % à la moitié des PME titulaires"

[[target]]
indicator = "new_suppliers"
measure = "count"
value = 30
year = 2027
trajectory = {{ 2025 = 25, 2026 = 28 }}
note = "SPASER 2024-2027, axe 2 : ouvrir la commande publique à de nouvelles entreprises"

[[target]]
indicator = "env_consideration"
measure = "count"
value = 100
year = 2026
trajectory = {{ 2024 = 60, 2025 = 80 }}
note = "SPASER 2024-2027, axe 1 : une considération environnementale dans tous les marchés"

[[target]]
indicator = "social_consideration"
measure = "count"
value = 40
year = 2027
trajectory = {{ 2025 = 30, 2026 = 35 }}
note = "SPASER 2024-2027, axe 3 : clauses et critères sociaux"

[[target]]
indicator = "local_share"
measure = "value"
value = 80
year = 2027
note = "SPASER 2024-2027, axe 2 : 80 % de la valeur des marchés à des entreprises de la région"

[[target]]
indicator = "sme_share"
measure = "count"
value = 60
year = 2027
trajectory = {{ 2025 = 55 }}
note = "SPASER 2024-2027, axe 2 : accès des PME"

[[target]]
indicator = "reserved"
measure = "count"
value = 5
year = 2027
note = "SPASER 2024-2027, axe 3 : marchés réservés aux structures de l'insertion et du handicap"

[[target]]
indicator = "single_bid"
measure = "count"
value = 15
year = 2027
note = "SPASER 2024-2027, axe 4 : moins de consultations à offre unique"

[[target]]
indicator = "publication_delay"
measure = "count"
value = 5
year = 2026
note = "Transparence : données essentielles publiées dans les deux mois"
"""


def write_targets(folder: Path, region: Buyer) -> Path:
    path = folder / "region-bretagne-demonstration.toml"
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(TARGETS.format(organisation=region.spec.name, siren=region.siren), encoding="utf-8")
    return path
