"""The small warehouse the web tests serve: 22 contracts (21 notified over 2022-2024, one without a date),
3 buyers, 3 titulaires, modifications, quality flags, SIRENE/COG rows, and one organisation's target file in
``<data-dir>/targets/``.

Built with the indicator tests' helpers (tests/integration/indicators/build.py), so it needs nothing outside the
repository. ``copy_site`` gives a test its own copy to change (a new ingestion, the demo marker).
"""

from __future__ import annotations

import shutil
from pathlib import Path
from typing import Any

from spaser.config import Settings
from spaser.warehouse import snapshot
from spaser.warehouse.ingest import ingest
from tests.conftest import TODAY
from tests.integration.indicators.build import (
    BUYER,
    BUYER_2,
    BUYER_3,
    COMMUNES,
    MAPA,
    NEGOTIATED,
    NO_PUBLICITY,
    OPEN,
    SUPPLIER,
    build,
    concession,
    environmental,
    marche,
    modification,
    siren,
    siret,
    social,
    titulaires,
    write,
)

SUPPLIER_2 = siret(40000002)
SUPPLIER_3 = siret(40000003)
BUYERS = (BUYER, BUYER_2, BUYER_3)
#: The word of the explorer's search test: in the objet of exactly the contracts named here.
SEARCH_WORD = "nettoyage"
SEARCH_IDS = {"W01", "W09", "W15"}
#: Rennes's SPASER targets (BUYER only): the API and the dashboard attach them to BUYER's results.
TARGETS = {"single_bid": (10.0, 2027), "env_consideration": (60.0, 2026)}


def _row(id: str, buyer: str, day: str, objet: str, cpv: str, procedure: str, montant: Any, *,
         offres: int | None = None, titulaire: str = SUPPLIER, **fields: Any) -> dict[str, Any]:
    return marche(id, acheteur_id=buyer, dateNotification=day, datePublicationDonnees=day, objet=objet,
                  codeCPV=cpv, procedure=procedure, montant=montant, offresRecues=offres,
                  titulaires=titulaires(titulaire), **fields)


def records() -> list[dict[str, Any]]:
    env: dict[str, Any] = {"considerationsEnvironnementales": environmental("Clause environnementale")}
    soc: dict[str, Any] = {"considerationsSociales": social("Clause sociale")}
    return [
        # 2022: 6 contracts
        _row("W01", BUYER, "2022-02-01", "Nettoyage des locaux administratifs", "90910000", OPEN, 120000,
             offres=1, **soc),
        _row("W02", BUYER_2, "2022-04-10", "Fournitures de bureau recyclées", "30190000", MAPA, 15000, offres=3,
             titulaire=SUPPLIER_2, **env),
        _row("W03", BUYER_3, "2022-06-15", "Maintenance du parc informatique", "50300000", NEGOTIATED, 230000,
             offres=2, titulaire=SUPPLIER_3),
        _row("W04", BUYER, "2022-09-01", "Travaux de voirie", "45233140", OPEN, 780000, offres=4,
             modifications=[modification(1, "2023-01-15", montant=820000)]),
        _row("W05", BUYER_2, "2022-10-20", "Restauration scolaire biologique", "55523100", OPEN, 410000,
             offres=2, **env, **soc),
        _row("W06", BUYER_3, "2022-11-30", "Licences logicielles", "48000000", NO_PUBLICITY, 38000,
             titulaire=SUPPLIER_3),
        # 2023: 6 contracts
        _row("W07", BUYER, "2023-01-20", "Fourniture de mobilier", "39100000", MAPA, 45000, offres=1,
             titulaire=SUPPLIER_2),
        _row("W08", BUYER_2, "2023-03-05", "Entretien des espaces verts", "77310000", OPEN, 95000, offres=2, **env),
        _row("W09", BUYER_3, "2023-05-12", "Nettoyage des vitres", "90911300", MAPA, 22000, offres=1, **soc),
        _row("W10", BUYER, "2023-07-01", "Transport scolaire", "60130000", OPEN, 510000, offres=3,
             titulaire=SUPPLIER_3,
             modifications=[modification(1, "2023-12-01", titulaires=titulaires(SUPPLIER_2)),
                            modification(2, "2024-02-01", montant=560000)]),
        _row("W11", BUYER_2, "2023-09-18", "Fournitures de papeterie", "3019000", MAPA, 8000, offres=5),
        _row("W12", BUYER_3, "2023-11-25", "Audit énergétique des bâtiments", "71314300", NEGOTIATED, 64000,
             offres=1, titulaire=SUPPLIER_2, **env),
        # 2024: 8 contracts and a concession
        _row("W13", BUYER, "2024-01-10", "Éclairage public", "34993000", OPEN, 350000, offres=2, **env),
        _row("W14", BUYER_2, "2024-02-14", "Assurance flotte automobile", "66514110", OPEN, "42 000", offres=3,
             titulaire=SUPPLIER_3),
        _row("W15", BUYER_3, "2024-03-21", "Nettoyage des écoles", "90919200", OPEN, 175000, offres=1,
             titulaire=SUPPLIER_2, **soc),
        _row("W16", BUYER, "2024-04-30", "Formation des agents", "80500000", MAPA, 18000, offres=2),
        _row("W17", BUYER_2, "2024-06-03", "Véhicules électriques", "34144900", OPEN, 260000, offres=1,
             **env),
        _row("W18", BUYER_3, "2024-07-19", "Prestations juridiques", "79100000", NO_PUBLICITY, 30000,
             titulaire=SUPPLIER_3),
        _row("W19", BUYER, "2024-09-09", "Rénovation thermique de la médiathèque", "45321000", OPEN, 1250000,
             offres=3, modifications=[modification(1, "2024-12-01", montant=1300000, dureeMois=18)], **env),
        _row("W20", BUYER_2, "2024-10-01", "Matériel informatique reconditionné", "30213000", MAPA, 54000,
             offres=2, titulaire=SUPPLIER_2, **env),
        # no notification date (flagged dateNotification:manquant; last in the API's order)
        marche("W00", acheteur_id=BUYER_3, dateNotification=None, datePublicationDonnees="2024-12-01",
               objet="Étude de faisabilité", codeCPV="71241000", titulaires=titulaires(SUPPLIER_3)),
    ]


def concessions() -> list[dict[str, Any]]:
    return [concession("K01", acheteur_id=BUYER_3, objet="Délégation du stationnement", dateSignature="2024-05-01",
                       datePublicationDonnees="2024-05-10")]


TARGET_FILE = f"""organisation = "Ville de Rennes"
acheteurs = ["{BUYER}"]

[[target]]
indicator = "single_bid"
measure = "count"
value = {TARGETS["single_bid"][0]}
year = {TARGETS["single_bid"][1]}

[[target]]
indicator = "env_consideration"
measure = "count"
value = {TARGETS["env_consideration"][0]}
year = {TARGETS["env_consideration"][1]}
"""


def build_site(folder: Path) -> Settings:
    """The warehouse, with its reference rows and target file, under ``folder/data``."""
    folder.mkdir(parents=True, exist_ok=True)
    settings = build(
        folder, records(), concessions=concessions(),
        unites=[(siren(SUPPLIER), "PME", False), (siren(SUPPLIER_2), "PME", True), (siren(SUPPLIER_3), "GE", False),
                *((siren(b), None, None) for b in BUYERS)],
        etablissements=[(SUPPLIER, "35238"), (SUPPLIER_2, "29019"), (SUPPLIER_3, "75056"), (BUYER, "35238"),
                        (BUYER_2, "29019"), (BUYER_3, "75056")],
        communes=list(COMMUNES))
    targets = settings.data_dir / "targets"
    targets.mkdir(parents=True, exist_ok=True)
    (targets / "rennes.toml").write_text(TARGET_FILE, encoding="utf-8")
    return settings


def copy_site(settings: Settings, folder: Path) -> Settings:
    """An independent copy of a built site's data folder (for tests that publish a new snapshot)."""
    shutil.copytree(settings.data_dir, folder / "data")
    return settings.model_copy(update={"data_dir": folder / "data"})


def mark_demo(settings: Settings) -> None:
    """Publish a snapshot with a row in ``demo_dataset(seed, generated_at)`` (what ``spaser demo seed`` leaves)."""
    with snapshot.update(settings.warehouse_dir) as con:
        con.execute("CREATE OR REPLACE TABLE demo_dataset (seed INTEGER, generated_at TIMESTAMP)")
        con.execute("INSERT INTO demo_dataset VALUES (1, TIMESTAMP '2026-11-22 12:00:00')")


def ingest_more(settings: Settings, folder: Path) -> None:
    """A new ingestion: one more contract in a new file (publishes a new snapshot)."""
    path = write(folder / "more.json", [_row("W21", BUYER, "2024-11-05", "Signalétique", "34928470", MAPA, 9000)])
    report = ingest([path], settings, today=TODAY)
    assert report.loaded == 1
