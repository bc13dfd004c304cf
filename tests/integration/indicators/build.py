"""Small hand-built warehouses for the indicator tests: DECP 2022 records, SIRENE and COG rows, results.

A fixture is a few ``marche`` / ``concession`` dicts in the v2.0.3 JSON shape, written to one or several files,
ingested like any input, then completed with reference rows (SIRENE units and establishments, communes) through
a new snapshot whose enriched views and fact table are rebuilt, as a reference load does.
"""

from __future__ import annotations

import json
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import duckdb

from spaser.config import Settings
from spaser.indicators.engine import Result, compute, results
from spaser.reference.cog import refresh_lieux
from spaser.warehouse import snapshot
from spaser.warehouse.derived import refresh_derived
from spaser.warehouse.ingest import ingest
from tests.conftest import TODAY

NO_PUBLICITY = "Marché passé sans publicité ni mise en concurrence préalable"
OPEN = "Appel d'offres ouvert"
MAPA = "Procédure adaptée"
NEGOTIATED = "Procédure avec négociation"
DEFENCE = "Marché de défense ou de sécurité"

#: (commune_code, commune_nom, departement_code, region_code) — Bretagne is 53, Île-de-France 11, Pays de la
#: Loire 52.
RENNES = ("35238", "Rennes", "35", "53")
BREST = ("29019", "Brest", "29", "53")
PARIS = ("75056", "Paris", "75", "11")
NANTES = ("44109", "Nantes", "44", "52")
COMMUNES = (RENNES, BREST, PARIS, NANTES)


def _luhn_ok(digits: str) -> bool:
    total = 0
    for position, char in enumerate(reversed(digits)):
        digit = int(char) * (2 if position % 2 else 1)
        total += digit - 9 if digit > 9 else digit
    return total % 10 == 0


def siret(company: int, establishment: int = 1) -> str:
    """A valid SIRET (Luhn on the SIREN and on the SIRET): SIREN from ``company`` (below 10⁸), NIC from
    ``establishment`` (below 10⁴)."""
    head = f"{company:08d}"
    siren = next(head + str(c) for c in range(10) if _luhn_ok(head + str(c)))
    nic = f"{establishment:04d}"
    return next(siren + nic + str(c) for c in range(10) if _luhn_ok(siren + nic + str(c)))


def siren(identifier: str) -> str:
    return identifier[:9]


BUYER = siret(21350001)
BUYER_2 = siret(21290002)
BUYER_3 = siret(21750003)
SUPPLIER = siret(40000001)


def titulaires(*ids: str, kind: str = "SIRET") -> list[dict[str, Any]]:
    return [{"titulaire": {"typeIdentifiant": kind, "id": identifier}} for identifier in ids]


def marche(id: str, **fields: Any) -> dict[str, Any]:
    """A 2022-format contract with neutral defaults (notified 2024-03-01, 50 000 EUR, one titulaire); a field
    given as None is left out of the record."""
    record: dict[str, Any] = {
        "id": id,
        "acheteur": {"id": BUYER},
        "nature": "Marché",
        "objet": f"Fixture {id}",
        "codeCPV": "30190000",
        "procedure": OPEN,
        "lieuExecution": {"code": "35238", "typeCode": "Code commune"},
        "dureeMois": 12,
        "dateNotification": "2024-03-01",
        "datePublicationDonnees": "2024-03-10",
        "montant": 50000,
        "formePrix": "Forfaitaire",
        "titulaires": titulaires(SUPPLIER),
    }
    if "acheteur_id" in fields:
        fields["acheteur"] = {"id": fields.pop("acheteur_id")}
    record.update(fields)
    return {key: value for key, value in record.items() if value is not None}


def concession(id: str, **fields: Any) -> dict[str, Any]:
    """A 2022-format concession (signed 2024-03-01, 500 000 EUR, one concessionnaire)."""
    record: dict[str, Any] = {
        "id": id,
        "autoriteConcedante": {"id": BUYER},
        "nature": "Concession de service",
        "objet": f"Fixture {id}",
        "procedure": "Procédure non négociée ouverte",
        "dureeMois": 60,
        "dateSignature": "2024-03-01",
        "datePublicationDonnees": "2024-03-10",
        "dateDebutExecution": "2024-04-01",
        "valeurGlobale": 500000,
        "montantSubventionPublique": 0,
        "concessionnaires": [{"concessionnaire": {"typeIdentifiant": "SIRET", "id": SUPPLIER}}],
    }
    if "acheteur_id" in fields:
        fields["autoriteConcedante"] = {"id": fields.pop("acheteur_id")}
    record.update(fields)
    return {key: value for key, value in record.items() if value is not None}


def social(*labels: str) -> dict[str, list[str]]:
    return {"considerationSociale": list(labels)}


def environmental(*labels: str) -> dict[str, list[str]]:
    return {"considerationEnvironnementale": list(labels)}


def modification(rank: int, day: str, **fields: Any) -> dict[str, Any]:
    return {"modification": {"id": rank, "dateNotificationModification": day,
                             "datePublicationDonneesModification": day, **fields}}


def write(path: Path, marches: Sequence[dict[str, Any]], concessions: Sequence[dict[str, Any]] = ()) -> Path:
    document = {"marches": {"marche": list(marches), "contrat-concession": list(concessions)}}
    path.write_text(json.dumps(document, ensure_ascii=False), encoding="utf-8")
    return path


def build(tmp_path: Path, marches: Sequence[dict[str, Any]], *, concessions: Sequence[dict[str, Any]] = (),
          more_files: Sequence[Sequence[dict[str, Any]]] = (),
          unites: Sequence[tuple[str, str | None, bool | None]] = (),
          etablissements: Sequence[tuple[str, str]] = (),
          communes: Sequence[tuple[str, str, str, str]] = ()) -> Settings:
    """Ingest the records (``marches`` and ``concessions`` in one file, each of ``more_files`` in another),
    then add the reference rows: ``unites`` (siren, categorie_entreprise, ess), ``etablissements``
    (siret, commune_code), ``communes`` (code, name, département, région; their départements and régions are
    added), and rebuild the places of execution, the enriched views and the fact table."""
    settings = Settings(data_dir=tmp_path / "data", ingest_workers=-1)
    paths = [write(tmp_path / "decp.json", marches, concessions)]
    paths += [write(tmp_path / f"decp-{n}.json", records) for n, records in enumerate(more_files, start=2)]
    report = ingest(paths, settings, today=TODAY)
    assert report.quarantined == 0, "a fixture record was quarantined"
    if unites or etablissements or communes:
        with snapshot.update(settings.warehouse_dir) as con:
            for s, category, ess in unites:
                con.execute("INSERT INTO ref_sirene_unites VALUES (?, ?, ?, ?, 'NAF', true)",
                            [s, category, ess, f"Unite {s}"])
            for s, commune in etablissements:
                con.execute("INSERT INTO ref_sirene_etablissements VALUES (?, ?, ?, true, 'NAF', true)",
                            [s, siren(s), commune])
            for row in communes:
                con.execute("INSERT INTO ref_communes VALUES (?, ?, ?, ?)", list(row))
            for departement, region in sorted({(row[2], row[3]) for row in communes}):
                con.execute("INSERT INTO ref_departements VALUES (?, ?, ?)", [departement, f"D{departement}", region])
            for region in sorted({row[3] for row in communes}):
                con.execute("INSERT INTO ref_regions VALUES (?, ?)", [region, f"R{region}"])
            refresh_lieux(con, full=True)
            refresh_derived(con)
    return settings


@contextmanager
def warehouse(settings: Settings) -> Iterator[duckdb.DuckDBPyConnection]:
    con = snapshot.open_current(settings.warehouse_dir)
    try:
        yield con
    finally:
        con.close()


Key = tuple[str, int | None, str, str | None]  # measure, year, scope, scope_id


def computed(settings: Settings, indicator: str, *, scopes: Sequence[str] = ("all",), buyer: str | None = None,
             years: Sequence[int] | None = None, thresholds: Path | None = None) -> dict[Key, Result]:
    """Every result of one indicator, by (measure, year, scope, scope_id)."""
    with warehouse(settings) as con:
        compute(con, scopes=scopes, buyer=buyer, years=years, indicators=[indicator], thresholds=thresholds)
        found = {(r.measure, r.year, r.scope, r.scope_id): r for r in results(con, indicator=indicator)}
    return found


def result(settings: Settings, indicator: str, measure: str, year: int | None, scope: str = "all",
           scope_id: str | None = None, **options: Any) -> Result:
    """One result; fails with the keys found when it is absent."""
    found = computed(settings, indicator, scopes=[scope], **options)
    key = (measure, year, scope, scope_id)
    assert key in found, f"no result {key}; found {sorted(found, key=repr)}"
    return found[key]


def figures(r: Result) -> dict[str, Any]:
    """The parts a fixture test checks, in one comparable dict."""
    return {"numerator": r.numerator, "denominator": r.denominator, "value": r.value, "coverage": r.coverage,
            "population": r.population, "known": r.known, "excluded": r.excluded}


def expect(numerator: float | None, denominator: float | None, value: float | None, coverage: float | None,
           population: int, known: int, excluded: int = 0) -> dict[str, Any]:
    return {"numerator": numerator, "denominator": denominator, "value": value, "coverage": coverage,
            "population": population, "known": known, "excluded": excluded}


def both(settings: Settings, indicator: str, year: int | None, **options: Any) -> tuple[dict[str, Any],
                                                                                         dict[str, Any]]:
    """(count, value) figures of one indicator for scope all and one year."""
    found = computed(settings, indicator, **options)
    count, value = found.get(("count", year, "all", None)), found.get(("value", year, "all", None))
    assert count is not None and value is not None, f"no result for {year}; found {sorted(found, key=repr)}"
    return figures(count), figures(value)

