"""The indicator engine against an independent plain-Python computation (tests/indicators_reference.py).

The warehouse: every real shared DECP file, the shared COG and CPV references, a deterministic supplement of
2022-format contracts for two real buyers (the real files span at most three years per buyer, so without it
no contract has the history ``new_suppliers`` needs, and 2022-format fields are rare), and a deterministic
synthetic SIRENE extract derived from the warehouse's own titulaires and buyers (the shared data has none).
Every indicator × measure × scope × year must then agree exactly, after the published rounding, with the
reference; the only tolerated difference is a sum that lies at a rounding boundary (``_explain``).
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import hashlib
import json
import math
import random
from collections import Counter
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import duckdb
import pyarrow as pa
import pytest

from spaser.config import Settings
from spaser.indicators.catalogue import catalogue
from spaser.indicators.engine import compute, results
from spaser.warehouse import snapshot
from spaser.warehouse.derived import refresh_derived
from spaser.warehouse.ingest import ingest
from tests import indicators_reference as reference
from tests.conftest import REAL, REAL_FILES, TODAY, shared
from tests.warehouse_cli import cli

pytestmark = pytest.mark.shared_data

COG = ("communes_cog2025.csv", "departements_cog2025.csv", "regions_cog2025.csv")
CROIX = "21590163800019"  # Ville de Croix: 157 real contracts, 2019-2021
SDIS = "28421024200020"  # SDIS 42 Loire: 104 real contracts, 2018-2019
#: Regions the synthetic establishments are placed in (so that about a third of them are local).
SIRENE_REGIONS = ("32", "53", "84", "11")

Key = reference.Key


# --------------------------------------------------------------------------------------------- warehouse


def _hash(salt: str, key: str) -> int:
    return int(hashlib.sha256(f"{salt}:{key}".encode()).hexdigest()[:12], 16)


def _luhn(digits: str) -> bool:
    total = 0
    for i, char in enumerate(reversed(digits)):
        doubled = int(char) * (2 if i % 2 else 1)
        total += doubled - 9 if doubled > 9 else doubled
    return total % 10 == 0


def _valid_siret(text: str | None) -> bool:
    return text is not None and len(text) == 14 and text.isdigit() and text.strip("0") != "" and _luhn(text)


def _with_check_digit(digits: str) -> str:
    return next(digits + last for last in "0123456789" if _luhn(digits + last))


def _new_siret(rng: random.Random) -> str:
    """A SIRET whose SIREN and whole number pass the Luhn check."""
    siren = _with_check_digit(f"{rng.randrange(10**7, 10**8):08d}")
    return _with_check_digit(f"{siren}{rng.randrange(10**4):04d}")


def _supplement(con: duckdb.DuckDBPyConnection, path: Path) -> int:
    """Write 2022-format contracts of two real buyers over 2015-2026 (their real titulaires and new ones,
    amounts just under thresholds, considerations, advances, bids, groups, subcontracting, modifications)."""
    rng = random.Random(20261122)
    suppliers = {buyer: sorted({i for (i,) in con.execute(
        "SELECT DISTINCT t.id FROM titulaires t JOIN contracts c USING (record_uid) "
        "WHERE c.acheteur_id = ? AND t.siret_valide", [buyer]).fetchall()}) for buyer in (CROIX, SDIS)}
    fresh = [_new_siret(rng) for _ in range(12)]
    cpvs = ("45214210", "45112500", "18100000", "39830000", "50112000", "71000000", "79341000", "30192000")
    procedures = ("Appel d'offres ouvert", "Procédure adaptée", "Procédure avec négociation",
                  reference.NO_PUBLICITY)
    marches = []
    for n in range(240):
        buyer = CROIX if n % 3 else SDIS
        year = rng.choice((2015, 2016, 2016, 2017, 2018, 2019, 2020, 2022, 2023, 2024, 2025, 2026)
                          if buyer == CROIX else (2015, 2016, 2017, 2019))
        day = dt.date(year, 1, 1) + dt.timedelta(days=rng.randrange(300 if year == 2026 else 365))
        cpv = rng.choice(cpvs)
        works = cpv.startswith("45")
        amount_kind = rng.random()
        if amount_kind < 0.3:  # just under the national threshold
            threshold = 25000 if year < 2020 else 40000
            montant = round(rng.uniform(0.8, 0.999) * threshold, 2)
        elif amount_kind < 0.4 and not works:  # just under the EU supplies and services threshold
            montant = round(rng.uniform(0.8, 0.999) * 214000, 2)
        else:
            montant = round(rng.uniform(1000, 900000), rng.choice((0, 2)))
        titulaires = [{"titulaire": {"typeIdentifiant": "SIRET", "id": rng.choice(
            suppliers[buyer] if rng.random() < 0.6 else fresh)}} for _ in range(rng.choice((1, 1, 1, 2, 3)))]
        if rng.random() < 0.05:
            titulaires.append({"titulaire": {"typeIdentifiant": "TVA", "id": "BE0403170701"}})
        record: dict[str, Any] = {
            "id": f"SUPP{year}{n:04d}",
            "acheteur": {"id": buyer},
            "nature": rng.choice(("Marché", "Marché", "Accord-cadre", "Marché de défense ou de sécurité"))
            if not works else "Marché",
            "objet": f"Contrat synthétique {n}",
            "codeCPV": cpv,
            "techniques": {"technique": ["Sans objet"]},
            "modalitesExecution": {"modaliteExecution": ["Sans objet"]},
            "marcheInnovant": rng.random() < 0.2,
            "ccag": "Travaux" if works else "Fournitures courantes et services",
            "offresRecues": rng.choice((0, 1, 1, 2, 3, 5)),
            "procedure": rng.choice(procedures),
            "lieuExecution": {"code": rng.choice(("59", "42", "35", "75")), "typeCode": "Code département"},
            "dureeMois": rng.choice((6, 12, 24, 48)),
            "dateNotification": day.isoformat(),
            "datePublicationDonnees": (day + dt.timedelta(days=rng.randrange(0, 150))).isoformat(),
            "montant": montant,
            "formePrix": "Forfaitaire",
            "typesPrix": {"typePrix": ["Définitif ferme"]},
            "titulaires": titulaires,
            "typeGroupementOperateurs": rng.choice(("Pas de groupement", "Pas de groupement", "Conjoint",
                                                    "Solidaire")),
            "sousTraitanceDeclaree": rng.random() < 0.3,
            "origineUE": 0.5,
            "origineFrance": rng.choice((0.0, 0.25, 0.5, 1.0)),
            "considerationsSociales": {"considerationSociale": rng.choice((
                ["Pas de considération sociale"], ["Clause sociale"], ["Critère social", "Clause sociale"],
                ["Marché réservé"]))},
            "considerationsEnvironnementales": {"considerationEnvironnementale": rng.choice((
                ["Pas de considération environnementale"], ["Clause environnementale"],
                ["Critère environnemental"], ["Clause environnementale", "Critère environnemental"]))},
            "modifications": [],
            "actesSousTraitance": [],
            "modificationsActesSousTraitance": [],
        }
        advance = rng.random()
        record["attributionAvance"] = advance < 0.6
        if advance < 0.5:
            record["tauxAvance"] = rng.choice((0.05, 0.2, 0.3, 0.4))
        elif advance >= 0.6:
            record["tauxAvance"] = 0.0
        if record["sousTraitanceDeclaree"]:
            record["actesSousTraitance"] = [{"acteSousTraitance": {
                "id": k + 1, "sousTraitant": {"typeIdentifiant": "SIRET", "id": rng.choice(fresh)},
                "dureeMois": 6, "dateNotification": day.isoformat(),
                "montant": round(montant * rng.uniform(0.05, 0.3), 2), "variationPrix": "Ferme",
                "datePublicationDonnees": day.isoformat()}} for k in range(rng.choice((1, 2)))]
        if rng.random() < 0.25:
            modification: dict[str, Any] = {
                "id": 1, "montant": round(montant * rng.choice((1.05, 1.12, 1.2, 1.6)), 2),
                "dateNotificationModification": (day + dt.timedelta(days=90)).isoformat(),
                "datePublicationDonneesModification": (day + dt.timedelta(days=100)).isoformat()}
            if rng.random() < 0.5:
                modification["dureeMois"] = record["dureeMois"] + 6
            if rng.random() < 0.3:
                modification["titulaires"] = [{"titulaire": {"typeIdentifiant": "SIRET",
                                                             "id": rng.choice(fresh)}}]
            record["modifications"] = [{"modification": modification}]
        if n % 50 == 3:  # an advance whose rate is 0, i.e. unknown
            record["attributionAvance"], record["tauxAvance"] = True, 0.0
        if n % 60 == 7:  # no amount: left out of the value measure, counted in excluded
            del record["montant"]
        marches.append(record)
    path.write_text(json.dumps({"marches": {"marche": marches}}, ensure_ascii=False), encoding="utf-8")
    return len(marches)


def _synthetic_sirene(con: duckdb.DuckDBPyConnection) -> tuple[int, int]:
    """For every valid SIRET among titulaires and buyers: a unit (category PME / ETI / GE / '', ESS yes / no /
    unknown) and an establishment in one of a few regions, chosen by hashes; about 10 % of the units and 10 %
    of the establishments left out, 2 % of the establishments in a commune the COG does not know."""
    sirets = {i for (i,) in con.execute(
        "SELECT DISTINCT id FROM titulaires WHERE type_identifiant = 'SIRET' AND siret_valide").fetchall()}
    sirets |= {i for (i,) in con.execute("SELECT DISTINCT acheteur_id FROM contracts").fetchall()
               if _valid_siret(i)}
    communes: dict[str, list[str]] = {}
    for code, region in con.execute("SELECT commune_code, region_code FROM ref_communes "
                                    "ORDER BY commune_code").fetchall():
        communes.setdefault(region, []).append(code)
    unites: dict[str, tuple[str, bool | None]] = {}
    etablissements: list[tuple[str, str, str, bool, str | None, bool]] = []
    for siret in sorted(sirets):
        siren = siret[:9]
        if _hash("unite", siren) % 10:
            unites[siren] = (("PME", "ETI", "GE", "")[_hash("categorie", siren) % 4],
                             (True, None, False, False, False)[_hash("ess", siren) % 5])
        if _hash("etablissement", siret) % 10:
            if _hash("cog", siret) % 50 == 0:
                commune = "99999"
            else:
                pool = communes[SIRENE_REGIONS[_hash("region", siret) % len(SIRENE_REGIONS)]]
                commune = pool[_hash("commune", siret) % len(pool)]
            etablissements.append((siret, siren, commune, True, None, True))
    # One INSERT of a registered Arrow table each (executemany takes seconds for thousands of rows).
    units = pa.table({
        "siren": list(unites), "categorie_entreprise": [c for c, _ in unites.values()],
        "ess": pa.array([e for _, e in unites.values()], pa.bool_()),
        "denomination": [f"UNITE {siren}" for siren in unites]})
    sites = pa.table({name: pa.array(column, pa.bool_() if name in ("siege", "actif") else pa.string())
                      for name, column in zip(("siret", "siren", "commune_code", "siege", "naf", "actif"),
                                              zip(*etablissements, strict=True), strict=True)})
    con.register("synthetic_unites", units)
    con.register("synthetic_sites", sites)
    con.execute("INSERT INTO ref_sirene_unites SELECT siren, categorie_entreprise, ess, denomination, NULL, true "
                "FROM synthetic_unites")
    con.execute("INSERT INTO ref_sirene_etablissements SELECT * FROM synthetic_sites")
    con.unregister("synthetic_unites")
    con.unregister("synthetic_sites")
    return len(unites), len(etablissements)


@pytest.fixture(scope="module")
def settings(tmp_path_factory: pytest.TempPathFactory) -> Settings:
    if not REAL_FILES:
        pytest.skip(f"needs the shared real data: {REAL} is absent")
    cog = [shared(f"reference/{name}") for name in COG]
    cpv = shared("reference/cpv_2008.csv")
    tmp = tmp_path_factory.mktemp("indicators")
    chosen = Settings(data_dir=tmp / "data", ingest_workers=-1)
    ingest(list(REAL_FILES), chosen, today=TODAY)
    con = snapshot.open_current(chosen.warehouse_dir)
    try:
        assert _supplement(con, tmp / "supplement_2022.json") == 240
    finally:
        con.close()
    report = ingest([tmp / "supplement_2022.json"], chosen, today=TODAY, source="supplement")
    assert (report.loaded, report.quarantined) == (240, 0), report.by_reason
    for args in (("load-cog", *map(str, cog)), ("load-cpv", str(cpv))):
        code, output = cli(chosen, "reference", *args)
        assert code == 0, output
    with snapshot.update(chosen.warehouse_dir) as con:
        units, sites = _synthetic_sirene(con)
        assert units > 1000 and sites > 1000
        refresh_derived(con)
    return chosen


@pytest.fixture(scope="module")
def con(settings: Settings) -> Iterator[duckdb.DuckDBPyConnection]:
    connection = snapshot.open_current(settings.warehouse_dir)
    yield connection
    connection.close()


@pytest.fixture(scope="module")
def warehouse(con: duckdb.DuckDBPyConnection) -> reference.Warehouse:
    return reference.read_warehouse(con)


@pytest.fixture(scope="module")
def every(con: duckdb.DuckDBPyConnection,
          warehouse: reference.Warehouse) -> tuple[dict[Key, reference.Row], reference.Reference]:
    """Every contract, every scope: the engine's rows and the reference's."""
    return _engine(con), reference.compute(warehouse)


# --------------------------------------------------------------------------------------------- comparison


def _engine(con: duckdb.DuckDBPyConnection, **options: Any) -> dict[Key, reference.Row]:
    compute(con, **options)
    rows = {}
    for r in results(con):
        key = (r.id, r.measure, r.year, r.scope, r.scope_id)
        assert key not in rows, key
        rows[key] = reference.Row(r.numerator, r.denominator, r.value, r.coverage, r.population, r.known,
                                  r.excluded)
    return rows


def _ulp_apart(a: float | None, b: float | None, digits: int) -> bool:
    return a is not None and b is not None and math.isclose(abs(a - b), 10.0**-digits, rel_tol=1e-6)


def _explain(key: Key, engine: reference.Row, mine: reference.Row, boundaries: frozenset[str]) -> str | None:
    """``tie`` when the rows differ only in parts whose exact value lies at a rounding boundary of the published
    precision, within the error of floating-point summation (``Reference.boundaries``), by one unit of the last
    decimal: the two sides round the same sum, added in a different order, to neighbouring values. None when
    the difference is anything else."""
    digits = reference.DIGITS["count" if key[1] == "count" or key[0] == "supplier_concentration" else "value"]
    fixed = engine
    for part, part_digits in (("numerator", digits), ("denominator", digits), ("value", reference.RESULT_DIGITS)):
        a, b = getattr(fixed, part), getattr(mine, part)
        if a != b and part in boundaries and _ulp_apart(a, b, part_digits):
            fixed = dataclasses.replace(fixed, **{part: b})
    return "tie" if fixed == mine else None


def _compare(engine: dict[Key, reference.Row], mine: reference.Reference) -> Counter[str]:
    """Assert the same keys and, row by row, equality or a classified difference; returns the causes."""
    assert set(engine) == set(mine.rows), (
        f"only in the engine: {sorted(set(engine) - set(mine.rows), key=repr)[:10]}; "
        f"only in the reference: {sorted(set(mine.rows) - set(engine), key=repr)[:10]}")
    causes: Counter[str] = Counter()
    unexplained = []
    for key in sorted(engine, key=repr):
        if engine[key] == mine.rows[key]:
            continue
        cause = _explain(key, engine[key], mine.rows[key], mine.boundaries.get(key, frozenset()))
        if cause is None:
            unexplained.append(f"{key}\n    engine    {engine[key]}\n    reference {mine.rows[key]}")
        else:
            causes[cause] += 1
    assert not unexplained, f"{len(unexplained)} rows disagree:\n" + "\n".join(unexplained[:30])
    return causes


# --------------------------------------------------------------------------------------------- tests


def test_the_reference_covers_every_catalogue_indicator() -> None:
    assert set(reference.DEFINITIONS) == {indicator.id for indicator in catalogue()}


def test_every_indicator_measure_scope_and_year_agrees(
        every: tuple[dict[Key, reference.Row], reference.Reference]) -> None:
    engine, mine = every
    causes = _compare(engine, mine)
    # Every indicator, measure and scope is compared, the unknown year included.
    assert {(k[0], k[1], k[3]) for k in engine} == {
        (i.id, m, s) for i in catalogue() for m in reference.MEASURES for s in reference.SCOPES}
    assert any(k[2] is None for k in engine)
    assert len(engine) > 100_000
    # Only a handful of rounding ties differ (see _explain).
    assert set(causes) <= {"tie"} and causes["tie"] < 50, causes


def test_the_data_exercise_every_indicator(every: tuple[dict[Key, reference.Row], reference.Reference]) -> None:
    """The comparison is not vacuous: at scope all, every indicator has known contracts and a value in both
    measures (SIRENE-based ones with a coverage below 1)."""
    rows = every[1].rows
    for indicator in catalogue():
        for measure in reference.MEASURES:
            row = rows[(indicator.id, measure, 2019, "all", None)]
            assert row.known > 0 and row.value is not None, (indicator.id, measure, row)
            if indicator.id in ("sme_share", "ess_share", "local_share", "new_suppliers"):
                assert row.coverage is not None and 0 < row.coverage < 1, (indicator.id, measure, row)
                assert row.numerator, (indicator.id, measure, row)


def test_one_buyer_one_year_agrees(con: duckdb.DuckDBPyConnection, warehouse: reference.Warehouse) -> None:
    engine = _engine(con, buyer=CROIX, years=[2019])
    mine = reference.compute(warehouse, buyer=CROIX, years=[2019])
    _compare(engine, mine)
    every = mine.rows[("new_suppliers", "count", 2019, "all", None)]
    assert every.population >= 70 and every.known > 0  # the buyer's history reaches back to 2015
    assert {k[2] for k in engine} == {2019}
    assert {k[4] for k in engine if k[3] == "buyer"} == {CROIX}
