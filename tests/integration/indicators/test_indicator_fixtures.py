"""Every indicator of the catalogue on a small hand-built warehouse, against figures computed by hand.

Each test ingests a handful of DECP 2022 records designed for one indicator, plus decoys that must fall out of
its population or stay unknown, and checks the numerator, denominator, value, coverage, population, known and
excluded counts of both measures (scope ``all``, the fixture's year). The arithmetic is in each docstring.
Reminders: ``count`` coverage = known ÷ population; ``value`` known = known with a usable amount (not missing,
not flagged suspicious), excluded = known with a suspicious amount; value = numerator ÷ denominator × 100 for
a percentage, rounded to 4 decimals; numerators and denominators are rounded to 6 decimals (count) or 2
(value).
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any, TypeVar

import pytest

from spaser.config import Settings
from spaser.indicators.catalogue import by_id
from tests.integration.indicators.build import (
    BREST,
    BUYER,
    BUYER_2,
    BUYER_3,
    COMMUNES,
    DEFENCE,
    MAPA,
    NANTES,
    NEGOTIATED,
    NO_PUBLICITY,
    OPEN,
    PARIS,
    RENNES,
    SUPPLIER,
    both,
    build,
    computed,
    concession,
    environmental,
    expect,
    figures,
    marche,
    modification,
    siren,
    siret,
    social,
    titulaires,
    warehouse,
)

F = TypeVar("F", bound=Callable[..., Any])
TESTED: set[str] = set()


def covers(*ids: str) -> Callable[[F], F]:
    """Record the indicators a test checks on its fixture (see the catalogue test at the end)."""
    def mark(function: F) -> F:
        TESTED.update(ids)
        return function
    return mark


# --- considerations -------------------------------------------------------------------------------------------


@covers("env_consideration")
def test_env_consideration(tmp_path: Path) -> None:
    """2024 contracts (E1 published twice, in two files: one contract):

    | id | considerations environnementales | amount | count | value |
    |---|---|---:|---|---|
    | E1 | Clause environnementale (×2 files) | 100 000 | 1 | 100 000 |
    | E2 | Critère + Clause | 50 000 | 1 | 50 000 |
    | E3 | Pas de considération | 200 000 | 0 | 0 |
    | E4 | field absent | 70 000 | unknown | unknown |
    | E5 | Clause environnementale | 99 999 999 (placeholder) | 1 | excluded |
    | E6 | Clause, notified 2023 | 10 000 | other year | |

    count: population 5 (E1-E5), known 4, numerator 3, denominator 4 → 75 %; coverage 4/5 = 0.8.
    value: known 3 (E1-E3), excluded 1 (E5); numerator 150 000, denominator 350 000 → 42.8571 %;
    coverage 3/5 = 0.6.
    """
    e1 = marche("E1", montant=100000, considerationsEnvironnementales=environmental("Clause environnementale"))
    records = [
        e1,
        marche("E2", montant=50000, considerationsEnvironnementales=environmental(
            "Critère environnemental", "Clause environnementale")),
        marche("E3", montant=200000, considerationsEnvironnementales=environmental(
            "Pas de considération environnementale")),
        marche("E4", montant=70000),
        marche("E5", montant=99999999, considerationsEnvironnementales=environmental("Clause environnementale")),
        marche("E6", montant=10000, dateNotification="2023-05-01", datePublicationDonnees="2023-05-02",
               considerationsEnvironnementales=environmental("Clause environnementale")),
    ]
    settings = build(tmp_path, records, more_files=[[e1]])
    with warehouse(settings) as con:
        assert con.execute("SELECT count(*), max(n_versions) FILTER (WHERE id = 'E1') FROM contracts").fetchall() == [
            (6, 2)]
    count, value = both(settings, "env_consideration", 2024)
    assert count == expect(3, 4, 75.0, 0.8, population=5, known=4)
    assert value == expect(150000, 350000, 42.8571, 0.6, population=5, known=3, excluded=1)


@covers("env_criterion")
def test_env_criterion(tmp_path: Path) -> None:
    """2024: C1 Critère environnemental 100 000 (yes); C2 Clause environnementale 300 000 (no: a clause is not
    a criterion); C3 Clause + Critère 100 000 (yes); C4 Pas de considération 500 000 (no); C5 no field 40 000
    (unknown).

    count: population 5, known 4, numerator 2 → 2/4 = 50 %; coverage 0.8.
    value: numerator 100 000 + 100 000 = 200 000, denominator 100 000 + 300 000 + 100 000 + 500 000
    = 1 000 000 → 20 %; coverage 4/5 = 0.8.
    """
    records = [
        marche("C1", montant=100000, considerationsEnvironnementales=environmental("Critère environnemental")),
        marche("C2", montant=300000, considerationsEnvironnementales=environmental("Clause environnementale")),
        marche("C3", montant=100000, considerationsEnvironnementales=environmental(
            "Clause environnementale", "Critère environnemental")),
        marche("C4", montant=500000, considerationsEnvironnementales=environmental(
            "Pas de considération environnementale")),
        marche("C5", montant=40000),
    ]
    settings = build(tmp_path, records)
    count, value = both(settings, "env_criterion", 2024)
    assert count == expect(2, 4, 50.0, 0.8, population=5, known=4)
    assert value == expect(200000, 1000000, 20.0, 0.8, population=5, known=4)


@covers("social_consideration")
def test_social_consideration(tmp_path: Path) -> None:
    """2024: S1 Clause sociale 100 000; S2 Critère social 100 000; S3 Marché réservé 50 000 (three yes);
    S4 Pas de considération sociale 250 000 (no); S5 Pas de considération, amount 0 (no; flagged montant:zero);
    S6 no field 1 000 000 (unknown).

    count: population 6, known 5, numerator 3 → 3/5 = 60 %; coverage 5/6 = 0.8333.
    value: known 4 (S5 excluded: 1); numerator 250 000, denominator 500 000 → 50 %; coverage 4/6 = 0.6667.
    """
    records = [
        marche("S1", montant=100000, considerationsSociales=social("Clause sociale")),
        marche("S2", montant=100000, considerationsSociales=social("Critère social")),
        marche("S3", montant=50000, considerationsSociales=social("Marché réservé")),
        marche("S4", montant=250000, considerationsSociales=social("Pas de considération sociale")),
        marche("S5", montant=0, considerationsSociales=social("Pas de considération sociale")),
        marche("S6", montant=1000000),
    ]
    settings = build(tmp_path, records)
    count, value = both(settings, "social_consideration", 2024)
    assert count == expect(3, 5, 60.0, 0.8333, population=6, known=5)
    assert value == expect(250000, 500000, 50.0, 0.6667, population=6, known=4, excluded=1)


@covers("social_above_eu")
def test_social_above_eu_uses_the_threshold_of_the_contracts_date(tmp_path: Path) -> None:
    """EU thresholds (HT): supplies/services of other buyers 215 000 in 2022-2023, 221 000 in 2024-2025,
    216 000 in 2026-2027; works 5 538 000 in 2024-2025; defence contracts excluded.

    2025 contracts (supplies unless said):
    U1 221 000 exactly, Clause sociale → in (≥), yes; U2 300 000 Pas de considération → in, no;
    U3 220 999 Clause sociale → below; U4 works (CPV 45) 1 000 000 Clause sociale → below the works threshold;
    U5 works 6 000 000 Critère social → in, yes; U6 defence 500 000 Clause sociale → excluded;
    U7 400 000 no social field → in, unknown; U8 99 999 999 (placeholder) Clause sociale → suspicious amount,
    not in the population; U9 218 000 Clause sociale → below 221 000.
    count 2025: population 4 (U1, U2, U5, U7), known 3, numerator 2 → 66.6667 %; coverage 0.75.
    value 2025: numerator 221 000 + 6 000 000 = 6 221 000; denominator 6 221 000 + 300 000 = 6 521 000
    → 95.3995 %; coverage 3/4 = 0.75.

    2023: V1 218 000 Pas de considération, V2 218 000 Clause sociale: both ≥ 215 000 → 1/2 = 50 % in count
    and 218 000 / 436 000 = 50 % in value.
    2026: X1 notified 2026-01-02, 218 000, Critère social: ≥ 216 000 → 1/1 = 100 %.
    """
    def supplies(id: str, day: str, amount: int, *labels: str, **fields: Any) -> dict[str, Any]:
        return marche(id, dateNotification=day, datePublicationDonnees=day, montant=amount,
                      considerationsSociales=social(*labels) if labels else None, **fields)

    records = [
        supplies("U1", "2025-03-01", 221000, "Clause sociale"),
        supplies("U2", "2025-03-01", 300000, "Pas de considération sociale"),
        supplies("U3", "2025-03-01", 220999, "Clause sociale"),
        supplies("U4", "2025-03-01", 1000000, "Clause sociale", codeCPV="45000000"),
        supplies("U5", "2025-03-01", 6000000, "Critère social", codeCPV="45210000"),
        supplies("U6", "2025-03-01", 500000, "Clause sociale", nature=DEFENCE),
        supplies("U7", "2025-03-01", 400000),
        supplies("U8", "2025-03-01", 99999999, "Clause sociale"),
        supplies("U9", "2025-03-01", 218000, "Clause sociale"),
        supplies("V1", "2023-06-01", 218000, "Pas de considération sociale"),
        supplies("V2", "2023-06-01", 218000, "Clause sociale"),
        supplies("X1", "2026-01-02", 218000, "Critère social"),
    ]
    settings = build(tmp_path, records)
    found = computed(settings, "social_above_eu")
    assert figures(found[("count", 2025, "all", None)]) == expect(2, 3, 66.6667, 0.75, population=4, known=3)
    assert figures(found[("value", 2025, "all", None)]) == expect(6221000, 6521000, 95.3995, 0.75,
                                                                   population=4, known=3)
    assert figures(found[("count", 2023, "all", None)]) == expect(1, 2, 50.0, 1.0, population=2, known=2)
    assert figures(found[("value", 2023, "all", None)]) == expect(218000, 436000, 50.0, 1.0, population=2,
                                                                   known=2)
    assert figures(found[("count", 2026, "all", None)]) == expect(1, 1, 100.0, 1.0, population=1, known=1)


@covers("reserved")
def test_reserved(tmp_path: Path) -> None:
    """2024: R1 Marché réservé 100 000 (yes); R2 Clause sociale + Marché réservé 60 000 (yes); R3 Clause
    sociale 140 000 (no: a clause is not a reservation); R4 Pas de considération 200 000 (no); R5 no field
    30 000 (unknown); K1 a concession, Concession réservée, 500 000 (yes).

    count: population 6, known 5, numerator 3 → 60 %; coverage 5/6 = 0.8333.
    value: numerator 100 000 + 60 000 + 500 000 = 660 000; denominator 100 000 + 60 000 + 140 000 + 200 000
    + 500 000 = 1 000 000 → 66 %; coverage 0.8333.
    """
    records = [
        marche("R1", montant=100000, considerationsSociales=social("Marché réservé")),
        marche("R2", montant=60000, considerationsSociales=social("Clause sociale", "Marché réservé")),
        marche("R3", montant=140000, considerationsSociales=social("Clause sociale")),
        marche("R4", montant=200000, considerationsSociales=social("Pas de considération sociale")),
        marche("R5", montant=30000),
    ]
    concessions = [concession("K1", valeurGlobale=500000, considerationsSociales=social("Concession réservée"))]
    settings = build(tmp_path, records, concessions=concessions)
    count, value = both(settings, "reserved", 2024)
    assert count == expect(3, 5, 60.0, 0.8333, population=6, known=5)
    assert value == expect(660000, 1000000, 66.0, 0.8333, population=6, known=5)


# --- suppliers ------------------------------------------------------------------------------------------------

SME_1, SME_2, LARGE, MID, NO_CATEGORY, NOT_IN_SIRENE = (siret(41000000 + n) for n in range(6))


@covers("sme_share")
def test_sme_share_splits_a_contract_between_its_titulaires(tmp_path: Path) -> None:
    """SIRENE: SME_1, SME_2 PME; LARGE GE; MID ETI; NO_CATEGORY in SIRENE with an empty category;
    NOT_IN_SIRENE absent. 2024 contracts, share = SME titulaires ÷ titulaires:

    M1 [SME_1] 100 000 → 1; M2 [SME_2, LARGE] 200 000 → 1/2; M3 [LARGE] 300 000 → 0;
    M4 [SME_1, MID, LARGE] 90 000 → 1/3; M5 [SME_1, NO_CATEGORY] 50 000 → unknown;
    M6 [NOT_IN_SIRENE] 10 000 → unknown; M7 no titulaire 20 000 → unknown.

    count: population 7, known 4; numerator 1 + 0.5 + 0 + 0.333333 = 1.833333; denominator 4
    → 45.8333 %; coverage 4/7 = 0.5714.
    value: numerator 100 000 + 100 000 + 0 + 30 000 = 230 000; denominator 100 000 + 200 000 + 300 000
    + 90 000 = 690 000 → 33.3333 %; coverage 0.5714.
    """
    records = [
        marche("M1", montant=100000, titulaires=titulaires(SME_1)),
        marche("M2", montant=200000, titulaires=titulaires(SME_2, LARGE)),
        marche("M3", montant=300000, titulaires=titulaires(LARGE)),
        marche("M4", montant=90000, titulaires=titulaires(SME_1, MID, LARGE)),
        marche("M5", montant=50000, titulaires=titulaires(SME_1, NO_CATEGORY)),
        marche("M6", montant=10000, titulaires=titulaires(NOT_IN_SIRENE)),
        marche("M7", montant=20000, titulaires=None),
    ]
    unites = [(siren(SME_1), "PME", False), (siren(SME_2), "PME", False), (siren(LARGE), "GE", False),
              (siren(MID), "ETI", False), (siren(NO_CATEGORY), "", False)]
    settings = build(tmp_path, records, unites=unites)
    count, value = both(settings, "sme_share", 2024)
    assert count == expect(1.833333, 4, 45.8333, 0.5714, population=7, known=4)
    assert value == expect(230000, 690000, 33.3333, 0.5714, population=7, known=4)


def test_stored_facts_list_the_suppliers_in_a_fixed_order(tmp_path: Path) -> None:
    """The fact table of a snapshot is the same at every ingestion: a contract's suppliers are listed sorted (the
    list aggregate alone gave them in a different order from one run to the next at national scale)."""
    ids = [siret(9), siret(2), siret(5), siret(7)]
    records = [marche("M1", titulaires=titulaires(*ids)), marche("M2", titulaires=titulaires(*ids[::-1]))]
    settings = build(tmp_path, records)
    with warehouse(settings) as con:
        rows = con.execute("SELECT supplier_ids FROM indicator_facts ORDER BY contract_key").fetchall()
    lists = [row[0] for row in rows]
    expected = sorted(siren(i) for i in ids)
    assert lists == [expected, expected]


def test_sme_share_counts_the_titulaires_in_force(tmp_path: Path) -> None:
    """M1 awarded to LARGE (GE), whose modification names SME_1 (PME) as titulaire instead: 1; M2 [LARGE]: 0.

    count: 1/2 = 50 %; value: 100 000 / 200 000 = 50 %.
    """
    records = [
        marche("M1", montant=100000, titulaires=titulaires(LARGE),
               modifications=[modification(1, "2024-06-01", titulaires=titulaires(SME_1))]),
        marche("M2", montant=100000, titulaires=titulaires(LARGE)),
    ]
    settings = build(tmp_path, records, unites=[(siren(SME_1), "PME", False), (siren(LARGE), "GE", False)])
    count, value = both(settings, "sme_share", 2024)
    assert count == expect(1, 2, 50.0, 1.0, population=2, known=2)
    assert value == expect(100000, 200000, 50.0, 1.0, population=2, known=2)


@covers("ess_share")
def test_ess_share(tmp_path: Path) -> None:
    """SIRENE: ESS (ess = true), NOT_ESS (false), ESS_NULL (a unit whose ess is NULL); ABSENT not in SIRENE.
    2024: A1 [ESS] 120 000 → 1; A2 [ESS, NOT_ESS] 80 000 → 1/2; A3 [NOT_ESS] 200 000 → 0;
    A4 [ESS_NULL] 100 000 → unknown; A5 [ABSENT] 50 000 → unknown; A6 [ESS] 1 500 000 000 (aberrant) → 1 in
    count, excluded in value.

    count: population 6, known 4 (A1, A2, A3, A6); numerator 1 + 0.5 + 0 + 1 = 2.5; denominator 4 → 62.5 %;
    coverage 4/6 = 0.6667.
    value: known 3, excluded 1; numerator 120 000 + 40 000 = 160 000; denominator 400 000 → 40 %;
    coverage 3/6 = 0.5.
    """
    ess, not_ess, ess_null, absent = (siret(42000000 + n) for n in range(4))
    records = [
        marche("A1", montant=120000, titulaires=titulaires(ess)),
        marche("A2", montant=80000, titulaires=titulaires(ess, not_ess)),
        marche("A3", montant=200000, titulaires=titulaires(not_ess)),
        marche("A4", montant=100000, titulaires=titulaires(ess_null)),
        marche("A5", montant=50000, titulaires=titulaires(absent)),
        marche("A6", montant=1500000000, titulaires=titulaires(ess)),
    ]
    unites = [(siren(ess), "PME", True), (siren(not_ess), "PME", False), (siren(ess_null), "PME", None)]
    settings = build(tmp_path, records, unites=unites)
    count, value = both(settings, "ess_share", 2024)
    assert count == expect(2.5, 4, 62.5, 0.6667, population=6, known=4)
    assert value == expect(160000, 400000, 40.0, 0.5, population=6, known=3, excluded=1)


@covers("local_share")
def test_local_share_compares_the_supplier_and_buyer_regions(tmp_path: Path) -> None:
    """COG: Rennes 35238 and Brest 29019 in Bretagne (53), Paris 75056 (11), Nantes 44109 (52). SIRENE
    establishments: BUYER in Rennes; BRESTOIS in Brest, RENNAIS in Rennes, PARISIEN in Paris, NANTAIS in
    Nantes; UNLOCATED and BUYER_2 have no establishment row.
    2024: K1 BUYER [BRESTOIS] 100 000 → 1 (same region, other département); K2 BUYER [RENNAIS, PARISIEN]
    200 000 → 1/2; K3 BUYER [NANTAIS] 300 000 → 0; K4 BUYER [BRESTOIS, UNLOCATED] 50 000 → unknown;
    K5 BUYER_2 [BRESTOIS] 80 000 → unknown (buyer's region unknown).

    count: population 5, known 3; numerator 1 + 0.5 + 0 = 1.5; denominator 3 → 50 %; coverage 0.6.
    value: numerator 100 000 + 100 000 = 200 000; denominator 600 000 → 33.3333 %; coverage 0.6.
    """
    brestois, rennais, parisien, nantais, unlocated = (siret(43000000 + n) for n in range(5))
    records = [
        marche("K1", montant=100000, titulaires=titulaires(brestois)),
        marche("K2", montant=200000, titulaires=titulaires(rennais, parisien)),
        marche("K3", montant=300000, titulaires=titulaires(nantais)),
        marche("K4", montant=50000, titulaires=titulaires(brestois, unlocated)),
        marche("K5", montant=80000, acheteur_id=BUYER_2, titulaires=titulaires(brestois)),
    ]
    etablissements = [(BUYER, RENNES[0]), (brestois, BREST[0]), (rennais, RENNES[0]), (parisien, PARIS[0]),
                      (nantais, NANTES[0])]
    settings = build(tmp_path, records, etablissements=etablissements, communes=COMMUNES)
    count, value = both(settings, "local_share", 2024)
    assert count == expect(1.5, 3, 50.0, 0.6, population=5, known=3)
    assert value == expect(200000, 600000, 33.3333, 0.6, population=5, known=3)


def new_suppliers_records() -> list[dict[str, Any]]:
    """BUYER's contracts 2020-2024 and BUYER_2's 2021 and 2023 (see test_new_suppliers)."""
    s1, s2, s3, s4, s5, s6 = (siret(44000000 + n) for n in range(1, 7))

    def contract(id: str, year: int, amount: int, *suppliers: str, buyer: str = BUYER) -> dict[str, Any]:
        day = f"{year}-04-01"
        return marche(id, acheteur_id=buyer, dateNotification=day, datePublicationDonnees=day, montant=amount,
                      titulaires=titulaires(*suppliers))

    return [
        contract("N20a", 2020, 10000, s1), contract("N20b", 2020, 20000, s2), contract("N20c", 2020, 5000, s6),
        contract("N21", 2021, 30000, s3),
        contract("N23a", 2023, 100000, s1), contract("N23b", 2023, 50000, s4),
        contract("N23c", 2023, 40000, s2, s5),
        contract("N24a", 2024, 60000, s2), contract("N24b", 2024, 70000, s3), contract("N24c", 2024, 80000, s6),
        contract("O21", 2021, 10000, s4, buyer=BUYER_2), contract("O23", 2023, 25000, s5, buyer=BUYER_2),
    ]


@covers("new_suppliers")
def test_new_suppliers_over_several_years_of_one_buyer(tmp_path: Path) -> None:
    """A supplier is new to a buyer without a contract from it in the 3 previous years; known from the buyer's
    4th year of data (year − first year ≥ 3). BUYER's first year is 2020, BUYER_2's 2021.

    2020: N20a [s1] 10 000, N20b [s2] 20 000, N20c [s6] 5 000 → BUYER's first year: unknown.
    2021: N21 [s3] 30 000; BUYER_2: O21 [s4] 10 000.
    2023: N23a [s1] 100 000 → s1 last seen 2020, 2023 − 2020 = 3, not > 3: not new → 0;
          N23b [s4] 50 000 → new to BUYER (s4 worked for BUYER_2 only) → 1;
          N23c [s2, s5] 40 000 → s2 seen 2020 (not new), s5 new → 1/2;
          O23 BUYER_2 [s5] 25 000 → 2023 − 2021 = 2 < 3: unknown.
    count 2023: population 4, known 3, numerator 0 + 1 + 0.5 = 1.5, denominator 3 → 50 %; coverage 0.75.
    value 2023: numerator 0 + 50 000 + 20 000 = 70 000; denominator 190 000 → 36.8421 %; coverage 0.75.
    2024: N24a [s2] 60 000 → seen 2023: 0; N24b [s3] 70 000 → seen 2021, 3 years: 0; N24c [s6] 80 000 → last
    seen 2020, 4 years > 3: new → 1.
    count 2024: 1/3 → 33.3333 %; value 80 000 / 210 000 → 38.0952 %.
    2020: population 3, known 0 → no numerator, denominator 0, no value, coverage 0.
    """
    settings = build(tmp_path, new_suppliers_records())
    found = computed(settings, "new_suppliers")
    assert figures(found[("count", 2023, "all", None)]) == expect(1.5, 3, 50.0, 0.75, population=4, known=3)
    assert figures(found[("value", 2023, "all", None)]) == expect(70000, 190000, 36.8421, 0.75, population=4,
                                                                   known=3)
    assert figures(found[("count", 2024, "all", None)]) == expect(1, 3, 33.3333, 1.0, population=3, known=3)
    assert figures(found[("value", 2024, "all", None)]) == expect(80000, 210000, 38.0952, 1.0, population=3,
                                                                   known=3)
    assert figures(found[("count", 2020, "all", None)]) == expect(0, 0, None, 0.0, population=3, known=0)


@covers("sme_advance")
def test_sme_advance(tmp_path: Path) -> None:
    """SIRENE: SME_1 PME, LARGE GE, NO_CATEGORY with an empty category. Population: contracts with at least
    one SME titulaire (all categories known), initial amount > 25 000 and not suspicious.

    D1 [SME_1] 100 000, advance 0.30 → in, yes (≥ 30 %); D2 [SME_1] 50 000, advance 0.20 → in, no;
    D3 [SME_1, LARGE] 60 000, no advance (attributionAvance false) → in, no;
    D4 [SME_1] 40 000, advance granted, rate absent → in, unknown;
    D5 [SME_1] 25 000 (not > 25 000) 0.5 → out; D6 [LARGE] 200 000 0.5 → out (no SME);
    D7 [SME_1, NO_CATEGORY] 80 000 0.5 → out (a category unknown); D8 [SME_1] 99 999 999 0.45 → out
    (suspicious amount).

    count: population 4, known 3, numerator 1 → 33.3333 %; coverage 0.75.
    value: numerator 100 000; denominator 100 000 + 50 000 + 60 000 = 210 000 → 47.619 %; coverage 0.75.
    """
    def advance(id: str, amount: int, suppliers: list[str], granted: bool, rate: float | None) -> dict[str, Any]:
        return marche(id, montant=amount, titulaires=titulaires(*suppliers), attributionAvance=granted,
                      tauxAvance=rate)

    records = [
        advance("D1", 100000, [SME_1], True, 0.3),
        advance("D2", 50000, [SME_1], True, 0.2),
        advance("D3", 60000, [SME_1, LARGE], False, None),
        advance("D4", 40000, [SME_1], True, None),
        advance("D5", 25000, [SME_1], True, 0.5),
        advance("D6", 200000, [LARGE], True, 0.5),
        advance("D7", 80000, [SME_1, NO_CATEGORY], True, 0.5),
        advance("D8", 99999999, [SME_1], True, 0.45),
    ]
    unites = [(siren(SME_1), "PME", False), (siren(LARGE), "GE", False), (siren(NO_CATEGORY), "", False)]
    settings = build(tmp_path, records, unites=unites)
    count, value = both(settings, "sme_advance", 2024)
    assert count == expect(1, 3, 33.3333, 0.75, population=4, known=3)
    assert value == expect(100000, 210000, 47.619, 0.75, population=4, known=3)


def test_sme_advance_rate_zero_means_unknown(tmp_path: Path) -> None:
    """D1 [SME_1] 100 000, advance 0.30 → yes; D2 [SME_1] 60 000, attributionAvance true and tauxAvance 0: the
    2022 format publishes 0 for an unknown rate (domain.md §1 pitfall 11), so D2 is unknown.

    count: population 2, known 1, numerator 1 → 100 %; coverage 0.5.
    """
    records = [
        marche("D1", montant=100000, titulaires=titulaires(SME_1), attributionAvance=True, tauxAvance=0.3),
        marche("D2", montant=60000, titulaires=titulaires(SME_1), attributionAvance=True, tauxAvance=0),
    ]
    settings = build(tmp_path, records, unites=[(siren(SME_1), "PME", False)])
    count, _ = both(settings, "sme_advance", 2024)
    assert count == expect(1, 1, 100.0, 0.5, population=2, known=1)


# --- other declared fields ------------------------------------------------------------------------------------


@covers("innovative")
def test_innovative(tmp_path: Path) -> None:
    """I1 innovative 100 000; I2 not 300 000; I3 not 100 000; I4 field absent 50 000 (unknown); I5 innovative,
    amount 0 (count yes, value excluded).

    count: population 5, known 4, numerator 2 → 50 %; coverage 0.8.
    value: known 3, excluded 1; numerator 100 000, denominator 500 000 → 20 %; coverage 0.6.
    """
    records = [
        marche("I1", montant=100000, marcheInnovant=True),
        marche("I2", montant=300000, marcheInnovant=False),
        marche("I3", montant=100000, marcheInnovant=False),
        marche("I4", montant=50000),
        marche("I5", montant=0, marcheInnovant=True),
    ]
    settings = build(tmp_path, records)
    count, value = both(settings, "innovative", 2024)
    assert count == expect(2, 4, 50.0, 0.8, population=5, known=4)
    assert value == expect(100000, 500000, 20.0, 0.6, population=5, known=3, excluded=1)


@covers("joint_bids")
def test_joint_bids(tmp_path: Path) -> None:
    """J1 Conjoint 100 000; J2 Solidaire 200 000 (two groups); J3 Pas de groupement 300 000; J4 Pas de
    groupement 400 000; J5 field absent 10 000 (unknown).

    count: population 5, known 4, numerator 2 → 50 %; coverage 0.8.
    value: numerator 300 000, denominator 1 000 000 → 30 %; coverage 0.8.
    """
    records = [
        marche("J1", montant=100000, typeGroupementOperateurs="Conjoint"),
        marche("J2", montant=200000, typeGroupementOperateurs="Solidaire"),
        marche("J3", montant=300000, typeGroupementOperateurs="Pas de groupement"),
        marche("J4", montant=400000, typeGroupementOperateurs="Pas de groupement"),
        marche("J5", montant=10000),
    ]
    settings = build(tmp_path, records)
    count, value = both(settings, "joint_bids", 2024)
    assert count == expect(2, 4, 50.0, 0.8, population=5, known=4)
    assert value == expect(300000, 1000000, 30.0, 0.8, population=5, known=4)


def _acte(rank: int, amount: int) -> dict[str, Any]:
    return {"acteSousTraitance": {"id": rank, "sousTraitant": {"typeIdentifiant": "SIRET", "id": siret(45000000)},
                                  "dureeMois": 12, "dateNotification": "2024-05-01", "montant": amount,
                                  "variationPrix": "Ferme", "datePublicationDonnees": "2024-05-02"}}


@covers("subcontracting")
def test_subcontracting_count_is_declarations_and_value_is_subcontracted_amounts(tmp_path: Path) -> None:
    """T1 declared, two acts of 20 000 and 10 000, 100 000; T2 declared, no act, 50 000; T3 not declared
    150 000; T4 field absent but an act of 5 000, 200 000 (unknown).

    count: population 4, known 3, numerator 2 → 66.6667 %; coverage 0.75.
    value: numerator = subcontracted amounts 30 000 + 0 + 0 = 30 000; denominator 100 000 + 50 000 + 150 000
    = 300 000 → 10 %; coverage 0.75.
    """
    records = [
        marche("T1", montant=100000, sousTraitanceDeclaree=True, actesSousTraitance=[_acte(1, 20000),
                                                                                     _acte(2, 10000)]),
        marche("T2", montant=50000, sousTraitanceDeclaree=True),
        marche("T3", montant=150000, sousTraitanceDeclaree=False),
        marche("T4", montant=200000, actesSousTraitance=[_acte(1, 5000)]),
    ]
    settings = build(tmp_path, records)
    count, value = both(settings, "subcontracting", 2024)
    assert count == expect(2, 3, 66.6667, 0.75, population=4, known=3)
    assert value == expect(30000, 300000, 10.0, 0.75, population=4, known=3)


@covers("origin_france")
def test_origin_france(tmp_path: Path) -> None:
    """O1 origineFrance 0.5, 100 000; O2 1.0, 100 000; O3 0.0, 200 000; O4 absent 50 000 (unknown);
    O5 50 (out of [0, 1], dropped) 10 000 (unknown).

    count: population 5, known 3; numerator 0.5 + 1 + 0 = 1.5; denominator 3 → 50 %; coverage 0.6.
    value: numerator 50 000 + 100 000 + 0 = 150 000; denominator 400 000 → 37.5 %; coverage 0.6.
    """
    records = [
        marche("O1", montant=100000, origineFrance=0.5),
        marche("O2", montant=100000, origineFrance=1.0),
        marche("O3", montant=200000, origineFrance=0.0),
        marche("O4", montant=50000),
        marche("O5", montant=10000, origineFrance=50),
    ]
    settings = build(tmp_path, records)
    count, value = both(settings, "origin_france", 2024)
    assert count == expect(1.5, 3, 50.0, 0.6, population=5, known=3)
    assert value == expect(150000, 400000, 37.5, 0.6, population=5, known=3)


# --- competition -----------------------------------------------------------------------------------------------


@covers("single_bid")
def test_single_bid_among_competitive_procedures_with_a_bid(tmp_path: Path) -> None:
    """single_bid = offresRecues = 1 ÷ contracts of a competitive procedure (all but « sans publicité ni mise
    en concurrence ») with offresRecues ≥ 1.

    B1 open, 1 bid, 100 000 → yes; B2 MAPA, 1 bid, 50 000 → yes; B3 open, 3 bids, 200 000 → no;
    B4 negotiated, 2 bids, 150 000 → no; B5 open, 0 bids (0 = not filled) 80 000 → unknown;
    B6 open, no field, 20 000 → unknown; B7 sans publicité, 1 bid → not competitive; B8 no procedure,
    1 bid → may be competitive: in the population, unknown (its procedure is).

    count: population 7 (B1-B6, B8), known 4, numerator 2 → 50 %; coverage 4/7 = 0.5714.
    value: numerator 100 000 + 50 000 = 150 000; denominator 500 000 → 30 %; coverage 0.5714.
    """
    records = [
        marche("B1", montant=100000, procedure=OPEN, offresRecues=1),
        marche("B2", montant=50000, procedure=MAPA, offresRecues=1),
        marche("B3", montant=200000, procedure=OPEN, offresRecues=3),
        marche("B4", montant=150000, procedure=NEGOTIATED, offresRecues=2),
        marche("B5", montant=80000, procedure=OPEN, offresRecues=0),
        marche("B6", montant=20000, procedure=OPEN),
        marche("B7", montant=30000, procedure=NO_PUBLICITY, offresRecues=1),
        marche("B8", montant=40000, procedure=None, offresRecues=1),
    ]
    settings = build(tmp_path, records)
    count, value = both(settings, "single_bid", 2024)
    assert count == expect(2, 4, 50.0, 0.5714, population=7, known=4)
    assert value == expect(150000, 500000, 30.0, 0.5714, population=7, known=4)


@covers("avg_bids")
def test_avg_bids(tmp_path: Path) -> None:
    """G1 open 1 bid 100 000; G2 open 4 bids 100 000; G3 MAPA 7 bids 200 000; G4 open 0 bids (unknown)
    60 000; G5 sans publicité 10 bids (not competitive).

    count: population 4, known 3; numerator 1 + 4 + 7 = 12; denominator 3 → 4 bids; coverage 0.75.
    value: numerator 100 000 + 400 000 + 1 400 000 = 1 900 000; denominator 400 000 → 4.75 bids;
    coverage 0.75.
    """
    records = [
        marche("G1", montant=100000, offresRecues=1),
        marche("G2", montant=100000, offresRecues=4),
        marche("G3", montant=200000, procedure=MAPA, offresRecues=7),
        marche("G4", montant=60000, offresRecues=0),
        marche("G5", montant=30000, procedure=NO_PUBLICITY, offresRecues=10),
    ]
    settings = build(tmp_path, records)
    count, value = both(settings, "avg_bids", 2024)
    assert count == expect(12, 3, 4.0, 0.75, population=4, known=3)
    assert value == expect(1900000, 400000, 4.75, 0.75, population=4, known=3)


@covers("no_publication")
def test_no_publication_among_contracts_with_a_known_procedure(tmp_path: Path) -> None:
    """no_publication = procedure « sans publicité ni mise en concurrence préalable » ÷ procedure known.

    N1 sans publicité 20 000; N2 sans publicité 30 000; N3 open 150 000; N4 MAPA 100 000; N5 no procedure
    10 000 (unknown); N6 sans publicité, 99 999 999 (count yes, value excluded).

    count: population 6, known 5, numerator 3 → 60 %; coverage 5/6 = 0.8333.
    value: known 4, excluded 1; numerator 50 000; denominator 300 000 → 16.6667 %; coverage 4/6 = 0.6667.
    """
    records = [
        marche("N1", montant=20000, procedure=NO_PUBLICITY),
        marche("N2", montant=30000, procedure=NO_PUBLICITY),
        marche("N3", montant=150000, procedure=OPEN),
        marche("N4", montant=100000, procedure=MAPA),
        marche("N5", montant=10000, procedure=None),
        marche("N6", montant=99999999, procedure=NO_PUBLICITY),
    ]
    settings = build(tmp_path, records)
    count, value = both(settings, "no_publication", 2024)
    assert count == expect(3, 5, 60.0, 0.8333, population=6, known=5)
    assert value == expect(50000, 300000, 16.6667, 0.6667, population=6, known=4, excluded=1)


# --- modifications ----------------------------------------------------------------------------------------------


@covers("amendment_inflation")
def test_amendment_inflation(tmp_path: Path) -> None:
    """Growth = (current − initial) ÷ initial, the current amount being the last modification's.

    A1 100 000 → 120 000: 0.2; A2 200 000 unmodified: 0; A3 50 000 → 55 000 → 80 000: 0.6;
    A4 100 000 → 90 000: −0.1; A5 initial 0 (suspicious): unknown; A6 100 000 → 99 999 999 (a suspicious
    modification): unknown.

    count: population 6, known 4; numerator 0.2 + 0 + 0.6 − 0.1 = 0.7; denominator 4 → 17.5 %;
    coverage 4/6 = 0.6667.
    value: numerator Σ (current − initial) = 20 000 + 0 + 30 000 − 10 000 = 40 000; denominator Σ initial
    = 100 000 + 200 000 + 50 000 + 100 000 = 450 000 → 8.8889 %; coverage 0.6667 (A5, A6 unknown, not
    excluded).
    """
    records = [
        marche("A1", montant=100000, modifications=[modification(1, "2024-06-01", montant=120000)]),
        marche("A2", montant=200000),
        marche("A3", montant=50000, modifications=[modification(1, "2024-06-01", montant=55000),
                                                   modification(2, "2024-09-01", montant=80000)]),
        marche("A4", montant=100000, modifications=[modification(1, "2024-06-01", montant=90000)]),
        marche("A5", montant=0),
        marche("A6", montant=100000, modifications=[modification(1, "2024-06-01", montant=99999999)]),
    ]
    settings = build(tmp_path, records)
    count, value = both(settings, "amendment_inflation", 2024)
    assert count == expect(0.7, 4, 17.5, 0.6667, population=6, known=4)
    assert value == expect(40000, 450000, 8.8889, 0.6667, population=6, known=4)


AMENDMENT_OVER = [
    # id, count (numerator, value), value (numerator, value)
    ("amendment_over_10", (4, 66.6667), (517000, 64.0644)),
    ("amendment_over_15", (2, 33.3333), (290000, 35.9356)),
    ("amendment_over_50", (1, 16.6667), (160000, 19.8265)),
]


@covers(*(row[0] for row in AMENDMENT_OVER))
@pytest.mark.parametrize(("indicator", "count_expected", "value_expected"), AMENDMENT_OVER,
                         ids=[row[0] for row in AMENDMENT_OVER])
def test_amendment_over(tmp_path: Path, indicator: str, count_expected: tuple[int, float],
                        value_expected: tuple[int, float]) -> None:
    """Growth strictly above 10 / 15 / 50 %; the value measure weighs by the current amount.

    H1 100 000 → 110 000 (+10 %: not above 10); H2 100 000 → 112 000 (+12 %: > 10);
    H3 100 000 → 115 000 (+15 %: > 10, not > 15); H4 100 000 → 130 000 (+30 %: > 10, > 15);
    H5 100 000 → 160 000 (+60 %: > 10, > 15, > 50); H6 200 000 → 180 000 (−10 %); H7 initial 0 (unknown).
    count: population 7, known 6, denominator 6, coverage 6/7 = 0.8571;
      > 10: H2-H5 = 4 → 66.6667 %; > 15: H4, H5 = 2 → 33.3333 %; > 50: H5 = 1 → 16.6667 %.
    value: denominator Σ current = 110 000 + 112 000 + 115 000 + 130 000 + 160 000 + 180 000 = 807 000;
      > 10: 112 000 + 115 000 + 130 000 + 160 000 = 517 000 → 64.0644 %; > 15: 290 000 → 35.9356 %;
      > 50: 160 000 → 19.8265 %.
    """
    def grown(id: str, initial: int, current: int) -> dict[str, Any]:
        return marche(id, montant=initial, modifications=[modification(1, "2024-06-01", montant=current)])

    records = [grown("H1", 100000, 110000), grown("H2", 100000, 112000), grown("H3", 100000, 115000),
               grown("H4", 100000, 130000), grown("H5", 100000, 160000), grown("H6", 200000, 180000),
               marche("H7", montant=0)]
    settings = build(tmp_path, records)
    count, value = both(settings, indicator, 2024)
    assert count == expect(count_expected[0], 6, count_expected[1], 0.8571, population=7, known=6)
    assert value == expect(value_expected[0], 807000, value_expected[1], 0.8571, population=7, known=6)


@covers("duration_extension")
def test_duration_extension(tmp_path: Path) -> None:
    """X1 12 → 18 months, 100 000 (extended); X2 24 months unmodified, 200 000; X3 12 → 6 months, 50 000
    (shortened); X4 no duration, 30 000 (unknown); X5 36 → 48 months, 99 999 999 (count yes, value excluded).

    count: population 5, known 4, numerator 2 → 50 %; coverage 0.8.
    value: known 3, excluded 1; numerator 100 000; denominator 350 000 → 28.5714 %; coverage 0.6.
    """
    records = [
        marche("X1", montant=100000, dureeMois=12, modifications=[modification(1, "2024-06-01", dureeMois=18)]),
        marche("X2", montant=200000, dureeMois=24),
        marche("X3", montant=50000, dureeMois=12, modifications=[modification(1, "2024-06-01", dureeMois=6)]),
        marche("X4", montant=30000, dureeMois=None),
        marche("X5", montant=99999999, dureeMois=36, modifications=[modification(1, "2024-06-01", dureeMois=48)]),
    ]
    settings = build(tmp_path, records)
    count, value = both(settings, "duration_extension", 2024)
    assert count == expect(2, 4, 50.0, 0.8, population=5, known=4)
    assert value == expect(100000, 350000, 28.5714, 0.6, population=5, known=3, excluded=1)


# --- red flags ---------------------------------------------------------------------------------------------------


@covers("splitting_suspicion")
def test_splitting_suspicion_just_under_the_national_and_eu_thresholds(tmp_path: Path) -> None:
    """National no-publicity threshold: 40 000 until 2026-03-31, then 60 000 (supplies and services); the band
    is [80 %, 100 %) of it: [32 000, 40 000) in 2025. CPV group = first 3 digits.

    2025, BUYER unless said: P1 30192000 (group 301) 35 000 and P2 30197000 (301) 39 999 → two in the band,
    sum 74 999 > 40 000: both suspicious; P3 301, 40 000 (at the threshold, not under); P4 301, 31 999
    (below the band); P5 79000000 (790) 36 000 (alone in its group); P6 BUYER_2 301 38 000 (alone for its
    buyer); P8 no CPV (unknown); P9 301, amount 0 (suspicious: unknown). P7 301 35 000 notified in 2024:
    another year, alone there. Just under the EU threshold (221 000 in 2025, band [176 800, 221 000)):
    R1 72210000 (group 722) 180 000 and R2 72220000 (722) 200 000, sum 380 000 > 221 000 → both suspicious;
    R3 72200000 (722) 221 000, at the threshold → no.
    count 2025: population 11, known 9 (P1-P6, R1-R3), numerator 4 (P1, P2, R1, R2) → 44.4444 %;
    coverage 9/11 = 0.8182.
    value 2025: numerator 35 000 + 39 999 + 180 000 + 200 000 = 454 999; denominator 35 000 + 39 999
    + 40 000 + 31 999 + 36 000 + 38 000 + 180 000 + 200 000 + 221 000 = 821 998 → 55.3528 %; coverage 0.8182.

    2026: Q1 2026-05-01 50 000 and Q2 2026-06-01 55 000 (301): band [48 000, 60 000) after 1 April, sum
    105 000 > 60 000 → both suspicious; Q3 2026-02-01 50 000 (301): 40 000 threshold then, above it → no.
    count 2026: 2/3 → 66.6667 %; value: 105 000 / 155 000 → 67.7419 %.
    """
    def at(id: str, day: str, amount: int, cpv: str | None, **fields: Any) -> dict[str, Any]:
        return marche(id, dateNotification=day, datePublicationDonnees=day, montant=amount, codeCPV=cpv, **fields)

    records = [
        at("P1", "2025-02-01", 35000, "30192000"),
        at("P2", "2025-09-01", 39999, "30197000"),
        at("P3", "2025-03-01", 40000, "30190000"),
        at("P4", "2025-03-01", 31999, "30191000"),
        at("P5", "2025-03-01", 36000, "79000000"),
        at("P6", "2025-03-01", 38000, "30192000", acheteur_id=BUYER_2),
        at("P7", "2024-03-01", 35000, "30192000"),
        at("P8", "2025-03-01", 35000, None),
        at("P9", "2025-03-01", 0, "30192000"),
        at("R1", "2025-03-01", 180000, "72210000"),
        at("R2", "2025-04-01", 200000, "72220000"),
        at("R3", "2025-05-01", 221000, "72200000"),
        at("Q1", "2026-05-01", 50000, "30192000"),
        at("Q2", "2026-06-01", 55000, "30192000"),
        at("Q3", "2026-02-01", 50000, "30192000"),
    ]
    settings = build(tmp_path, records)
    found = computed(settings, "splitting_suspicion")
    assert figures(found[("count", 2025, "all", None)]) == expect(4, 9, 44.4444, 0.8182, population=11, known=9)
    assert figures(found[("value", 2025, "all", None)]) == expect(454999, 821998, 55.3528, 0.8182, population=11,
                                                                   known=9)
    assert figures(found[("count", 2024, "all", None)]) == expect(0, 1, 0.0, 1.0, population=1, known=1)
    assert figures(found[("count", 2026, "all", None)]) == expect(2, 3, 66.6667, 1.0, population=3, known=3)
    assert figures(found[("value", 2026, "all", None)]) == expect(105000, 155000, 67.7419, 1.0, population=3,
                                                                   known=3)


@covers("supplier_concentration")
def test_supplier_concentration_hhi(tmp_path: Path) -> None:
    """Suppliers are SIRENs: ALPHA_1 and ALPHA_2 are two establishments of one company ALPHA.

    H1 [ALPHA_1] 100 000; H2 [ALPHA_2] 100 000; H3 [BETA] 200 000; H4 [ALPHA_1, GAMMA] 100 000 (½ each);
    H5 [GAMMA] amount 0 (suspicious); H6 no titulaire, 50 000.
    count weights: ALPHA 1 + 1 + 0.5 = 2.5, BETA 1, GAMMA 0.5 + 1 = 1.5; Σ 5; shares 0.5, 0.2, 0.3;
      HHI = 0.25 + 0.04 + 0.09 = 0.38 → numerator 0.38, denominator 1, value 3 800.
      population 6, known 5 (a titulaire), coverage 0.8333.
    value weights: ALPHA 100 000 + 100 000 + 50 000 = 250 000, BETA 200 000, GAMMA 50 000 (H5 has no usable
      amount); Σ 500 000; shares 0.5, 0.4, 0.1; HHI = 0.25 + 0.16 + 0.01 = 0.42 → 4 200.
      known 4, excluded 1 (H5), coverage 4/6 = 0.6667.
    """
    alpha_1, alpha_2 = siret(46000001, 1), siret(46000001, 2)
    beta, gamma = siret(46000002), siret(46000003)
    records = [
        marche("H1", montant=100000, titulaires=titulaires(alpha_1)),
        marche("H2", montant=100000, titulaires=titulaires(alpha_2)),
        marche("H3", montant=200000, titulaires=titulaires(beta)),
        marche("H4", montant=100000, titulaires=titulaires(alpha_1, gamma)),
        marche("H5", montant=0, titulaires=titulaires(gamma)),
        marche("H6", montant=50000, titulaires=None),
    ]
    settings = build(tmp_path, records)
    count, value = both(settings, "supplier_concentration", 2024)
    assert count == expect(0.38, 1, 3800.0, 0.8333, population=6, known=5)
    assert value == expect(0.42, 1, 4200.0, 0.6667, population=6, known=4, excluded=1)


# --- publication and data quality ---------------------------------------------------------------------------------


def publication_records() -> list[dict[str, Any]]:
    def published(id: str, notified: str, published: str | None, amount: int) -> dict[str, Any]:
        return marche(id, dateNotification=notified, datePublicationDonnees=published, montant=amount)

    return [
        published("L1", "2024-01-01", "2024-03-01", 100000),  # 60 days (2024 is a leap year)
        published("L2", "2024-01-01", "2024-03-02", 200000),  # 61 days
        published("L3", "2024-05-01", "2024-05-01", 300000),  # 0 days
        published("L4", "2024-06-01", "2024-05-20", 50000),  # −12 days: unknown
        published("L5", "2024-07-01", None, 50000),  # no publication date: unknown
        published("L6", "2024-02-01", "2024-12-31", 99999999),  # 334 days, suspicious amount
    ]


@covers("publication_delay")
def test_publication_delay(tmp_path: Path) -> None:
    """Late = published more than 60 days after notification; negative delays and missing dates unknown.

    L1 60 days 100 000 (not late); L2 61 days 200 000 (late); L3 0 days 300 000; L4 −12 days 50 000
    (unknown); L5 no publication date 50 000 (unknown); L6 334 days (1 Feb → 31 Dec 2024), 99 999 999
    (late; value excluded).

    count: population 6, known 4, numerator 2 (L2, L6) → 50 %; coverage 4/6 = 0.6667.
    value: known 3, excluded 1; numerator 200 000; denominator 600 000 → 33.3333 %; coverage 3/6 = 0.5.
    """
    settings = build(tmp_path, publication_records())
    count, value = both(settings, "publication_delay", 2024)
    assert count == expect(2, 4, 50.0, 0.6667, population=6, known=4)
    assert value == expect(200000, 600000, 33.3333, 0.5, population=6, known=3, excluded=1)


@covers("publication_delay_days")
def test_publication_delay_days(tmp_path: Path) -> None:
    """Same contracts as test_publication_delay.

    count: numerator 60 + 61 + 0 + 334 = 455 days over 4 contracts → 113.75 days; coverage 0.6667.
    value: numerator 60 × 100 000 + 61 × 200 000 + 0 × 300 000 = 18 200 000; denominator 600 000
    → 30.3333 days; known 3, excluded 1, coverage 0.5.
    """
    settings = build(tmp_path, publication_records())
    count, value = both(settings, "publication_delay_days", 2024)
    assert count == expect(455, 4, 113.75, 0.6667, population=6, known=4)
    assert value == expect(18200000, 600000, 30.3333, 0.5, population=6, known=3, excluded=1)


@covers("data_completeness")
def test_data_completeness(tmp_path: Path) -> None:
    """Complete = valid buyer SIRET, every titulaire with a valid identifier, CPV, place of execution and both
    considerations filled (no COG and no CPV table loaded: the place and the CPV are not checked further).

    C1 complete 100 000; C2 a titulaire SIRET failing the Luhn check 50 000; C3 buyer SIRET failing the Luhn
    check 50 000; C4 no CPV 100 000; C5 no place of execution 100 000; C6 no social considerations 100 000;
    C7 complete with a TVA titulaire 200 000; C8 no titulaire 300 000; C9 complete, amount 0.

    count: population 9, known 9, numerator 3 (C1, C7, C9) → 33.3333 %; coverage 1.
    value: known 8, excluded 1 (C9); numerator 100 000 + 200 000 = 300 000; denominator 1 000 000 → 30 %;
    coverage 8/9 = 0.8889.
    """
    bad_siret = SUPPLIER[:-1] + str((int(SUPPLIER[-1]) + 1) % 10)
    bad_buyer = BUYER[:-1] + str((int(BUYER[-1]) + 1) % 10)
    filled = {"considerationsSociales": social("Pas de considération sociale"),
              "considerationsEnvironnementales": environmental("Clause environnementale")}
    records = [
        marche("C1", montant=100000, **filled),
        marche("C2", montant=50000, titulaires=titulaires(bad_siret), **filled),
        marche("C3", montant=50000, acheteur_id=bad_buyer, **filled),
        marche("C4", montant=100000, codeCPV=None, **filled),
        marche("C5", montant=100000, lieuExecution=None, **filled),
        marche("C6", montant=100000, considerationsEnvironnementales=filled["considerationsEnvironnementales"]),
        marche("C7", montant=200000, titulaires=titulaires("FR40123456789", kind="TVA"), **filled),
        marche("C8", montant=300000, titulaires=None, **filled),
        marche("C9", montant=0, **filled),
    ]
    settings = build(tmp_path, records)
    count, value = both(settings, "data_completeness", 2024)
    assert count == expect(3, 9, 33.3333, 1.0, population=9, known=9)
    assert value == expect(300000, 1000000, 30.0, 0.8889, population=9, known=8, excluded=1)


# --- value measure, scopes, filters -------------------------------------------------------------------------------


def test_a_missing_amount_is_counted_in_excluded(tmp_path: Path) -> None:
    """W1 Clause sociale 100 000; W2 Clause sociale, no amount at all.

    value: known 1 (W2 has no usable amount), excluded 1 (W2: « Contracts whose amount is missing or flagged
    suspicious ... are left out, and counted in `excluded` »), numerator 100 000, denominator 100 000 → 100 %.
    """
    records = [marche("W1", montant=100000, considerationsSociales=social("Clause sociale")),
               marche("W2", montant=None, considerationsSociales=social("Clause sociale"))]
    settings = build(tmp_path, records)
    _, value = both(settings, "social_consideration", 2024)
    assert value == expect(100000, 100000, 100.0, 0.5, population=2, known=1, excluded=1)


def test_a_group_where_no_contract_fills_the_field_has_zero_known_and_zero_coverage(tmp_path: Path) -> None:
    """2024: V1 and V2 without environmental considerations (like every 2019-format record).

    count: population 2, known 0, numerator 0, denominator 0, no value, coverage 0/2 = 0.
    """
    settings = build(tmp_path, [marche("V1"), marche("V2")])
    count, value = both(settings, "env_consideration", 2024)
    assert count == expect(0, 0, None, 0.0, population=2, known=0)
    assert (value["known"], value["excluded"], value["coverage"]) == (0, 0, 0.0)


@pytest.fixture(scope="module")
def scoped(tmp_path_factory: pytest.TempPathFactory) -> Settings:
    """Three buyers, two regions, three CPV divisions, four procedures, three natures (2024).

    BUYER's establishment is in Rennes (35, région 53), BUYER_3's in Paris (75, 11); BUYER_2 is not in SIRENE,
    so its contract takes the région of its place of execution, Brest (29, 53).
    | id | buyer | CPV | procedure | nature | place | amount | sans publicité |
    |---|---|---|---|---|---|---:|---|
    | Z1 | BUYER | 30 | sans publicité | Marché | Paris (the buyer's région wins) | 10 000 | yes |
    | Z2 | BUYER | 45 | open | Marché | Rennes | 100 000 | no |
    | Z3 | BUYER_2 | 30 | sans publicité | Marché de partenariat | Brest | 20 000 | yes |
    | Z4 | BUYER_3 | 72 | MAPA | Marché | Paris | 50 000 | no |
    | Z5 | BUYER_3 | 72 | sans publicité | Marché | Paris | 30 000 | yes |
    | K1 | BUYER | — | non négociée ouverte | Concession de service | — | 500 000 | no |
    """
    paris = {"code": PARIS[0], "typeCode": "Code commune"}
    records = [
        marche("Z1", montant=10000, procedure=NO_PUBLICITY, codeCPV="30190000", lieuExecution=paris),
        marche("Z2", montant=100000, procedure=OPEN, codeCPV="45000000"),
        marche("Z3", montant=20000, procedure=NO_PUBLICITY, acheteur_id=BUYER_2, nature="Marché de partenariat",
               lieuExecution={"code": BREST[0], "typeCode": "Code commune"}),
        marche("Z4", montant=50000, procedure=MAPA, acheteur_id=BUYER_3, codeCPV="72000000", lieuExecution=paris),
        marche("Z5", montant=30000, procedure=NO_PUBLICITY, acheteur_id=BUYER_3, codeCPV="72000000",
               lieuExecution=paris),
    ]
    return build(tmp_path_factory.mktemp("scopes"), records, concessions=[concession("K1")],
                 etablissements=[(BUYER, RENNES[0]), (BUYER_3, PARIS[0])], communes=COMMUNES)


SCOPE_CASES = [
    # scope, every scope id, one scope id, its count figures, its value figures
    ("buyer", {BUYER, BUYER_2, BUYER_3}, BUYER,
     expect(1, 3, 33.3333, 1.0, population=3, known=3),  # Z1 of Z1, Z2, K1
     expect(10000, 610000, 1.6393, 1.0, population=3, known=3)),  # 10 000 / (10 000 + 100 000 + 500 000)
    ("region", {"53", "11"}, "53",
     expect(2, 4, 50.0, 1.0, population=4, known=4),  # Z1, Z3 of Z1, Z2, Z3, K1
     expect(30000, 630000, 4.7619, 1.0, population=4, known=4)),  # 30 000 / 630 000
    ("departement", {"35", "29", "75"}, "29",
     expect(1, 1, 100.0, 1.0, population=1, known=1),  # Z3
     expect(20000, 20000, 100.0, 1.0, population=1, known=1)),
    ("cpv_division", {"30", "45", "72", None}, "72",
     expect(1, 2, 50.0, 1.0, population=2, known=2),  # Z5 of Z4, Z5
     expect(30000, 80000, 37.5, 1.0, population=2, known=2)),
    ("procedure", {NO_PUBLICITY, OPEN, MAPA, "Procédure non négociée ouverte"}, NO_PUBLICITY,
     expect(3, 3, 100.0, 1.0, population=3, known=3),  # Z1, Z3, Z5
     expect(60000, 60000, 100.0, 1.0, population=3, known=3)),
    ("nature", {"Marché", "Marché de partenariat", "Concession de service"}, "Marché",
     expect(2, 4, 50.0, 1.0, population=4, known=4),  # Z1, Z5 of Z1, Z2, Z4, Z5
     expect(40000, 190000, 21.0526, 1.0, population=4, known=4)),  # 40 000 / 190 000
]


@pytest.mark.parametrize(("scope", "scope_ids", "scope_id", "count_expected", "value_expected"), SCOPE_CASES,
                         ids=[case[0] for case in SCOPE_CASES])
def test_scope(scoped: Settings, scope: str, scope_ids: set[str | None], scope_id: str,
               count_expected: dict[str, Any], value_expected: dict[str, Any]) -> None:
    """no_publication per scope on the ``scoped`` fixture (see its table): the scope ids found and one group's
    figures, computed in the comment beside each case."""
    found = computed(scoped, "no_publication", scopes=[scope])
    assert {key[2] for key in found} == {scope}
    assert {key[3] for key in found} == scope_ids
    assert figures(found[("count", 2024, scope, scope_id)]) == count_expected
    assert figures(found[("value", 2024, scope, scope_id)]) == value_expected


def test_buyer_restriction_keeps_only_that_buyers_contracts(scoped: Settings) -> None:
    """compute(buyer=BUYER): Z1, Z2 and K1 only. All: 1/3 → 33.3333 %, 10 000 / 610 000 → 1.6393 % in value;
    by région: only 53 (BUYER's); by buyer: only BUYER."""
    found = computed(scoped, "no_publication", scopes=["all", "region", "buyer"], buyer=BUYER)
    assert figures(found[("count", 2024, "all", None)]) == expect(1, 3, 33.3333, 1.0, population=3, known=3)
    assert figures(found[("value", 2024, "all", None)]) == expect(10000, 610000, 1.6393, 1.0, population=3,
                                                                   known=3)
    assert {(scope, scope_id) for (_, _, scope, scope_id) in found} == {("all", None), ("region", "53"),
                                                                         ("buyer", BUYER)}
    assert found[("count", 2024, "region", "53")].population == 3


def test_years_filter_keeps_the_history_of_new_suppliers(tmp_path: Path) -> None:
    """compute(years=[2024]) on the new_suppliers fixture: only 2024 results, and still 1/3 → 33.3333 % (the
    2020-2023 history decides that s6 is new and s2, s3 are not)."""
    settings = build(tmp_path, new_suppliers_records())
    found = computed(settings, "new_suppliers", years=[2024])
    assert {year for (_, year, _, _) in found} == {2024}
    assert figures(found[("count", 2024, "all", None)]) == expect(1, 3, 33.3333, 1.0, population=3, known=3)
    assert figures(found[("value", 2024, "all", None)]) == expect(80000, 210000, 38.0952, 1.0, population=3,
                                                                   known=3)


def test_contracts_without_a_year_form_the_unknown_year(tmp_path: Path) -> None:
    """Y1 no notification date, Clause environnementale, 100 000; Y2 notified « 0218-05-01 » (an impossible
    year, dropped), Pas de considération, 300 000; Y3 2024 Clause environnementale 50 000.

    year None: population 2, numerator 1 → 50 % in count; 100 000 / 400 000 → 25 % in value.
    year 2024: 1/1 → 100 %.
    """
    records = [
        marche("Y1", dateNotification=None, montant=100000,
               considerationsEnvironnementales=environmental("Clause environnementale")),
        marche("Y2", dateNotification="0218-05-01", montant=300000,
               considerationsEnvironnementales=environmental("Pas de considération environnementale")),
        marche("Y3", montant=50000, considerationsEnvironnementales=environmental("Clause environnementale")),
    ]
    settings = build(tmp_path, records)
    found = computed(settings, "env_consideration")
    assert {year for (_, year, _, _) in found} == {None, 2024}
    assert figures(found[("count", None, "all", None)]) == expect(1, 2, 50.0, 1.0, population=2, known=2)
    assert figures(found[("value", None, "all", None)]) == expect(100000, 400000, 25.0, 1.0, population=2,
                                                                   known=2)
    assert figures(found[("count", 2024, "all", None)]) == expect(1, 1, 100.0, 1.0, population=1, known=1)


def test_every_catalogue_indicator_has_a_fixture_test() -> None:
    """Adding an indicator to the catalogue without a hand-computed fixture test above fails here."""
    catalogue_ids = set(by_id())
    assert catalogue_ids == TESTED, (f"untested: {sorted(catalogue_ids - TESTED)}; "
                                     f"not in the catalogue: {sorted(TESTED - catalogue_ids)}")
