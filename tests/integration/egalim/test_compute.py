"""The Egalim computation on small hand-written purchase lines, written as the store writes them (Parquet, the
store's columns, ``groupe_egalim`` = ``catalogue.group_of(categories)``). Every expected figure is computed by hand
in the comments."""

from __future__ import annotations

import datetime as dt
import os
from decimal import Decimal
from pathlib import Path
from typing import Any

import duckdb
import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from spaser.indicators.egalim.catalogue import FAMILIES, MAINLAND, group_of
from spaser.indicators.egalim.compute import compute, compute_and_write
from spaser.indicators.egalim.results import ENSEMBLE_ID, KNOWN, MIXED, UNKNOWN, EgalimResults, Summary
from spaser.indicators.egalim.results_file import (
    FILE_NAME,
    fingerprint,
    is_current,
    read_results,
    stored_fingerprint,
    write_results,
)

LINES_SCHEMA = pa.schema([
    ("import_id", pa.string()), ("line_no", pa.int32()), ("siret", pa.string()), ("description", pa.string()),
    ("fournisseur", pa.string()), ("date", pa.date32()), ("prix_ht", pa.decimal128(14, 2)),
    ("famille_produits", pa.string()), ("categories_egalim", pa.list_(pa.string())), ("groupe_egalim", pa.string()),
    ("origine", pa.string()), ("est_circuit_court", pa.bool_()), ("est_local", pa.bool_()),
    ("definition_local", pa.string()), ("definition_local_km", pa.int32()), ("code_article", pa.string()),
    ("year", pa.int16()),
])
REGISTRY_SCHEMA = pa.schema([("siret", pa.string()), ("nom", pa.string()), ("groupe", pa.string()),
                             ("departement", pa.string()), ("etat", pa.bool_())])
A, B, C, D, E = "11111111100011", "22222222200022", "33333333300033", "44444444400044", "55555555500055"
D2024 = dt.date(2024, 6, 15)


def line(siret: str, prix: str, categories: tuple[str, ...] = (), famille: str = "AUTRES", date: dt.date = D2024,
         origine: str | None = None, circuit: bool = False, local: bool = False) -> dict[str, Any]:
    return {"siret": siret, "prix_ht": Decimal(prix), "categories_egalim": list(categories),
            "famille_produits": famille, "date": date, "origine": origine, "est_circuit_court": circuit,
            "est_local": local}


def write_lines(path: Path, rows: list[dict[str, Any]]) -> Path:
    full = [{"import_id": path.stem, "line_no": n, "description": "article", "fournisseur": "Fournisseur",
             "groupe_egalim": group_of(r["categories_egalim"]), "definition_local": None,
             "definition_local_km": None, "code_article": None, "year": r["date"].year, **r}
            for n, r in enumerate(rows, start=1)]
    path.parent.mkdir(parents=True, exist_ok=True)
    pq.write_table(pa.Table.from_pylist(full, schema=LINES_SCHEMA), path)
    return path


def write_registry(path: Path, rows: list[tuple[str, str, str | None, str | None, bool | None]]) -> Path:
    table = pa.Table.from_pylist([dict(zip(REGISTRY_SCHEMA.names, r, strict=True)) for r in rows],
                                 schema=REGISTRY_SCHEMA)
    pq.write_table(table, path)
    return path


def run(tmp_path: Path, rows: list[dict[str, Any]],
        registry: list[tuple[str, str, str | None, str | None, bool | None]] | None = None) -> EgalimResults:
    files = [write_lines(tmp_path / "egalim" / "lines" / "import-1.parquet", rows)]
    path = write_registry(tmp_path / "egalim" / "restaurants.parquet", registry) if registry is not None else None
    return compute(files, path)


def restaurant(results: EgalimResults, siret: str, year: int = 2024) -> Summary:
    found = results.get("restaurant", siret, year)
    assert found is not None
    return found


def money(text: str) -> Decimal:
    return Decimal(text)


def test_priority_each_line_counts_once(tmp_path: Path) -> None:
    results = run(tmp_path, [
        line(A, "100.00", ("BIO", "IGP")),  # → BIO (bio before quality signs)
        line(A, "50.00", ("IGP", "HVE")),  # → SIQO (quality sign before other Egalim)
        line(A, "30.00", ("EXTERNALITES",)),  # → EXTERNALITES_PERFORMANCE: Egalim, not bio
        line(A, "20.00", ("CONVERSION_BIO",)),  # → BIO (in conversion counts as bio)
        line(A, "10.00", ("HVE",)),  # → EGALIM_AUTRES
        line(A, "90.00"),  # → NON_EGALIM
        line(B, "40.00", ("EXTERNALITES",)),  # B: Egalim 40 of 100, bio 0
        line(B, "60.00"),
    ], [(A, "Cantine A", None, "35", False), (B, "Cantine B", None, "35", False)])
    a = restaurant(results, A)
    # total 300; BIO 100 + 20 = 120; SIQO 50; EGALIM_AUTRES 10; EXTERNALITES 30; NON 90 (sum 300: each once)
    assert a.total == money("300.00") and a.lines == 6 and a.restaurants == 1
    assert a.group_values == {"BIO": money("120.00"), "SIQO": money("50.00"), "EGALIM_AUTRES": money("10.00"),
                              "EXTERNALITES_PERFORMANCE": money("30.00"), "NON_EGALIM": money("90.00")}
    assert sum(a.group_values.values()) == a.total
    # Egalim 120 + 50 + 10 + 30 = 210 of 300 = 70 %; bio 120 of 300 = 40 %
    assert a.egalim.value == money("210.00") and a.egalim.share == 70.0
    assert a.bio.value == money("120.00") and a.bio.share == 40.0
    assert a.by_group["SIQO"].share == pytest.approx(50 / 3)  # 16.67 %
    assert a.name == "Cantine A" and a.departement == "35"
    b = restaurant(results, B)
    assert b.egalim.share == 40.0 and b.bio.share == 0.0  # EXTERNALITES alone: Egalim, not bio


def test_families_and_meat_and_fish(tmp_path: Path) -> None:
    results = run(tmp_path, [
        line(A, "40.00", ("BIO",), "VIANDES_VOLAILLES"),
        line(A, "20.00", (), "VIANDES_VOLAILLES"),
        line(A, "30.00", ("PECHE_DURABLE",), "PRODUITS_DE_LA_MER"),
        line(A, "10.00", (), "PRODUITS_DE_LA_MER"),
        line(A, "50.00", ("LABEL_ROUGE",), "CHARCUTERIE"),  # Egalim, but not meat and fish
        line(A, "50.00", (), "FRUITS_ET_LEGUMES"),
    ], [(A, "Cantine A", None, "35", False)])
    a = restaurant(results, A)
    # meat and fish: 40 + 20 + 30 + 10 = 100, of which Egalim 40 + 30 = 70 → 70 % (with charcuterie: 120/150 = 80 %)
    assert a.meat_and_fish_total == money("100.00") and a.meat_and_fish_egalim == money("70.00")
    assert a.meat_and_fish.share == 70.0
    check = a.target("meat_and_fish")
    assert check is not None and check.target == 60.0 and check.met is True and check.gap == pytest.approx(10.0)
    # all: total 200, Egalim 40 + 30 + 50 = 120 (60 %), bio 40 (20 %: met exactly)
    assert a.total == money("200.00") and a.egalim.share == 60.0 and a.bio.share == 20.0
    families = {f.family: f for f in a.families}
    assert [f.family for f in a.families] == list(FAMILIES)  # every family, in catalogue order
    assert (families["VIANDES_VOLAILLES"].lines, families["VIANDES_VOLAILLES"].total,
            families["VIANDES_VOLAILLES"].egalim_value, families["VIANDES_VOLAILLES"].bio_value) == (
        2, money("60.00"), money("40.00"), money("40.00"))
    assert families["VIANDES_VOLAILLES"].egalim.rounded == 66.7  # 40 / 60
    assert (families["PRODUITS_DE_LA_MER"].total, families["PRODUITS_DE_LA_MER"].egalim_value,
            families["PRODUITS_DE_LA_MER"].bio_value) == (money("40.00"), money("30.00"), money("0.00"))
    assert (families["CHARCUTERIE"].total, families["CHARCUTERIE"].egalim_value) == (money("50.00"), money("50.00"))
    assert (families["FRUITS_ET_LEGUMES"].total, families["FRUITS_ET_LEGUMES"].egalim_value) == (
        money("50.00"), money("0.00"))
    assert families["BOISSONS"].lines == 0 and families["BOISSONS"].total == 0
    assert families["BOISSONS"].egalim.share is None and families["CHARCUTERIE"].label == "Charcuterie"


def test_french_origin_local_and_short_circuit(tmp_path: Path) -> None:
    results = run(tmp_path, [
        line(A, "60.00", origine="FRANCE", local=True),
        line(A, "30.00", origine="EUROPE", circuit=True),
        line(A, "10.00", local=True, circuit=True),  # origin unknown
    ])
    a = restaurant(results, A)
    # total 100: France 60 (60 %), local 60 + 10 = 70 (70 %), short circuit 30 + 10 = 40 (40 %)
    assert (a.france.value, a.local.value, a.short_circuit.value) == (money("60.00"), money("70.00"), money("40.00"))
    assert (a.france.share, a.local.share, a.short_circuit.share) == (60.0, 70.0, 40.0)
    assert a.egalim.share == 0.0


def test_group_and_whole_are_value_weighted(tmp_path: Path) -> None:
    results = run(tmp_path, [
        line(A, "600.00", ("LABEL_ROUGE",)), line(A, "400.00"),  # A: 600 / 1000 = 60 %
        line(B, "100.00"),  # B: 0 / 100 = 0 %
        line(C, "100.00", ("BIO",)),  # C: no group; 100 %
        line(D, "50.00", ("BIO",)),  # D: not in the registry; 100 %
    ], [(A, "A", "Cuisine centrale", "35", False), (B, "B", "Cuisine centrale", "44", False),
        (C, "C", None, "35", False)])
    group = results.for_group("Cuisine centrale")[2024]
    # 600 / (1000 + 100) = 54.545… % (the mean of the shares would be 30 %, not met)
    assert group.total == money("1100.00") and group.egalim.value == money("600.00")
    assert group.egalim.share == pytest.approx(54.5454545)
    assert group.egalim.rounded == 54.5
    assert group.target("egalim") is not None and group.target("egalim").met is True  # type: ignore[union-attr]
    assert (group.lines, group.restaurants, group.name) == (3, 2, "Cuisine centrale")
    whole = results.overall()[2024]
    # (600 + 100 + 50) / (1000 + 100 + 100 + 50) = 750 / 1250 = 60 %; every line, in the registry or not
    assert whole.total == money("1250.00") and whole.egalim.share == 60.0
    assert (whole.lines, whole.restaurants, whole.scope_id) == (5, 4, ENSEMBLE_ID)
    assert results.groups() == ["Cuisine centrale"]
    assert results.restaurants() == [A, B, C, D]


def test_year_split_on_the_calendar_year(tmp_path: Path) -> None:
    results = run(tmp_path, [
        line(A, "100.00", ("BIO",), date=dt.date(2023, 12, 31)),
        line(A, "50.00", date=dt.date(2024, 1, 1)),
    ], [(A, "A", None, "35", False)])
    assert results.years() == [2023, 2024]
    by_year = results.for_restaurant(A)
    # 2023: 100 of bio (100 %); 2024: 50 of nothing Egalim (0 %)
    assert by_year[2023].total == money("100.00") and by_year[2023].bio.share == 100.0
    assert by_year[2024].total == money("50.00") and by_year[2024].egalim.share == 0.0
    assert [s.year for s in results.trend("restaurant", A)] == [2023, 2024]
    assert [s.year for s in results.trend("ensemble")] == [2023, 2024]
    # meat and fish target from 2024 only; none bought in 2024: nothing to judge
    assert [t.name for t in by_year[2023].targets] == ["egalim", "bio"]
    mf = by_year[2024].target("meat_and_fish")
    assert mf is not None and mf.target == 60.0 and mf.met is None and mf.value is None


def test_overseas_targets(tmp_path: Path) -> None:
    rows = []
    for siret in (A, B, C, D):  # each: total 100, Egalim 10 + 15 = 25 %, bio 10 %
        rows += [line(siret, "10.00", ("BIO",)), line(siret, "15.00", ("HVE",)), line(siret, "75.00")]
    results = run(tmp_path, rows, [(A, "A", None, "974", False), (B, "B", None, "976", False),
                                   (C, "C", None, "975", False), (D, "D", None, "35", False)])

    def checks(siret: str) -> dict[str, tuple[float, bool | None, float | None]]:
        return {t.name: (t.target, t.met, t.gap) for t in restaurant(results, siret).targets}

    # La Réunion 20 / 5, no meat-and-fish target overseas: 25 ≥ 20 (+5), 10 ≥ 5 (+5)
    assert restaurant(results, A).territory.name == "La Réunion"
    assert checks(A) == {"egalim": (20.0, True, 5.0), "bio": (5.0, True, 5.0)}
    # Mayotte 5 / 2: +20, +8
    assert checks(B) == {"egalim": (5.0, True, 20.0), "bio": (2.0, True, 8.0)}
    # Saint-Pierre-et-Miquelon 30 / 10: 25 < 30 (−5), 10 = 10 met (0)
    assert checks(C) == {"egalim": (30.0, False, -5.0), "bio": (10.0, True, 0.0)}
    # mainland in 2024: 50 / 20 / meat and fish 60 (none bought: not judged)
    assert checks(D) == {"egalim": (50.0, False, -25.0), "bio": (20.0, False, -10.0),
                         "meat_and_fish": (60.0, None, None)}
    assert restaurant(results, D).territory.status == KNOWN and restaurant(results, D).territory.note is None


def test_unknown_restaurant_gets_mainland_targets(tmp_path: Path) -> None:
    rows = [line(A, "100.00", ("BIO",)), line(B, "100.00"), line(C, "100.00")]
    results = run(tmp_path, rows, [(B, "B", None, None, None), (C, "C", None, "974", False)])
    for siret in (A, B):  # A: not in the registry; B: no département
        summary = restaurant(results, siret)
        assert summary.territory.name == MAINLAND and summary.territory.status == UNKNOWN
        assert summary.territory.note is not None and "inconnu" in summary.territory.note
        assert (summary.applicable.egalim, summary.applicable.bio, summary.applicable.meat_and_fish) == (50, 20, 60)
    assert restaurant(results, A).name is None
    # without a registry at all
    alone = compute([tmp_path / "egalim" / "lines" / "import-1.parquet"], None)
    assert {s.territory.status for s in alone.summaries} == {UNKNOWN}
    missing = compute([tmp_path / "egalim" / "lines" / "import-1.parquet"], tmp_path / "absent.parquet")
    assert {s.territory.status for s in missing.summaries} == {UNKNOWN}


def test_group_territory_shared_mixed_or_unknown(tmp_path: Path) -> None:
    rows = [line(s, "100.00", ("BIO",)) for s in (A, B, C, D, E)]
    results = run(tmp_path, rows, [
        (A, "A", "Réunion", "974", False), (B, "B", "Réunion", "974", False),  # one territory: its targets
        (C, "C", "Mixte", "974", False), (D, "D", "Mixte", "35", False),  # two territories: mainland + note
        (E, "E", "Inconnu", None, False),  # no département: mainland, unknown
    ])
    reunion = results.for_group("Réunion")[2024]
    assert (reunion.territory.name, reunion.territory.status) == ("La Réunion", KNOWN)
    assert (reunion.applicable.egalim, reunion.applicable.bio, reunion.applicable.meat_and_fish) == (20, 5, None)
    mixed = results.for_group("Mixte")[2024]
    assert (mixed.territory.name, mixed.territory.status) == (MAINLAND, MIXED)
    assert mixed.territory.note is not None and (mixed.applicable.egalim, mixed.applicable.meat_and_fish) == (50, 60)
    assert results.for_group("Inconnu")[2024].territory.status == UNKNOWN
    assert results.overall()[2024].territory.status == MIXED


def test_group_with_a_restaurant_of_unknown_territory_is_mixed(tmp_path: Path) -> None:
    results = run(tmp_path, [line(A, "10.00"), line(B, "10.00")],
                  [(A, "A", "G", "974", False), (B, "B", "G", None, False)])
    assert results.for_group("G")[2024].territory.status == MIXED


def test_zero_total_gives_no_share(tmp_path: Path) -> None:
    results = run(tmp_path, [line(A, "0.00", ("BIO",), "VIANDES_VOLAILLES"), line(A, "0.00")],
                  [(A, "A", None, "35", False)])
    a = restaurant(results, A)
    assert a.total == 0 and a.lines == 2
    assert a.egalim.share is None and a.bio.rounded is None and a.france.share is None
    assert a.meat_and_fish.share is None
    assert all(t.met is None and t.gap is None and t.value is None for t in a.targets)
    assert a.all_met is None


def test_met_exactly_at_the_target(tmp_path: Path) -> None:
    results = run(tmp_path, [
        line(A, "40.00", ("BIO",)), line(A, "60.00", ("AOCAOP",)), line(A, "100.00"),  # 100/200 = 50 %, bio 20 %
        line(B, "4999.99", ("HVE",)), line(B, "5000.01"),  # 49.9999 %: shown 50.0 %, not met
    ], [(A, "A", None, "35", False), (B, "B", None, "35", False)])
    a = restaurant(results, A)
    assert a.egalim.share == 50.0 and a.bio.share == 20.0
    assert {t.name: (t.met, t.gap) for t in a.targets if t.name != "meat_and_fish"} == {
        "egalim": (True, 0.0), "bio": (True, 0.0)}
    b = restaurant(results, B)
    egalim = b.target("egalim")
    assert egalim is not None and b.egalim.rounded == 50.0 and egalim.met is False
    assert egalim.gap == pytest.approx(-0.0001)
    assert b.all_met is False


def test_state_restaurant_meat_and_fish_target(tmp_path: Path) -> None:
    rows = [line(A, "90.00", ("LABEL_ROUGE",), "VIANDES_VOLAILLES"), line(A, "10.00", (), "VIANDES_VOLAILLES"),
            line(B, "100.00", ("BIO",), "PRODUITS_DE_LA_MER")]
    results = run(tmp_path, rows, [(A, "A", "G", "75", True), (B, "B", "G", "75", False)])
    a = restaurant(results, A)
    mf = a.target("meat_and_fish")
    # State restaurant: 100 % of meat and fish; 90 / 100 = 90 % → not met, −10 points
    assert a.state is True and mf is not None and (mf.target, mf.met, mf.gap) == (100.0, False, -10.0)
    group = results.for_group("G")[2024]  # not all State: 60 %; (90 + 100) / 200 = 95 %
    assert group.state is False and group.target("meat_and_fish").target == 60.0  # type: ignore[union-attr]


def test_results_written_and_read_back(tmp_path: Path) -> None:
    rows = [line(A, "12.34", ("BIO",), "VIANDES_VOLAILLES", origine="FRANCE"), line(B, "0.01"),
            line(A, "7.66", date=dt.date(2023, 3, 1))]
    results = run(tmp_path, rows, [(A, "A", "G", "974", False)])
    out = tmp_path / "results"
    path = write_results(results, out)
    assert path == out / FILE_NAME and [p.name for p in out.iterdir()] == [FILE_NAME]  # no temporary left
    back = read_results(out)
    assert back is not None and back.summaries == results.summaries
    assert back.fingerprint == results.fingerprint and back.computed_at == results.computed_at
    one = read_results(out, scope="restaurant", scope_id=A)
    assert one is not None and [s.year for s in one.summaries] == [2023, 2024]
    # readers may query the file with SQL: derived shares are there too
    with duckdb.connect() as con:
        share = con.execute(f"SELECT share_bio, met_bio, gap_egalim, target_egalim FROM read_parquet('{path}') "
                            f"WHERE scope = 'restaurant' AND scope_id = '{A}' AND year = 2024").fetchone()
    assert share == (pytest.approx(100.0), True, pytest.approx(80.0), 20.0)
    assert read_results(tmp_path / "nothing") is None


def test_fingerprint_tells_stale_results(tmp_path: Path) -> None:
    lines_dir = tmp_path / "egalim" / "lines"
    first = write_lines(lines_dir / "import-1.parquet", [line(A, "10.00")])
    registry = write_registry(tmp_path / "egalim" / "restaurants.parquet", [(A, "A", None, "35", False)])
    out = tmp_path / "results"
    results = compute_and_write([first], registry, out)
    assert stored_fingerprint(out) == results.fingerprint == fingerprint([first], registry)
    assert is_current(out, [first], registry)
    second = write_lines(lines_dir / "import-2.parquet", [line(B, "10.00")])
    assert not is_current(out, [first, second], registry)  # a new import
    stat = first.stat()
    os.utime(first, ns=(stat.st_atime_ns, stat.st_mtime_ns + 1_000_000_000))
    assert not is_current(out, [first], registry)  # a file rewritten
    assert fingerprint([first], None) != fingerprint([first], registry)
    assert stored_fingerprint(tmp_path / "none") is None


def test_no_lines(tmp_path: Path) -> None:
    results = compute([], None)
    assert results.summaries == () and results.years() == [] and results.overall() == {}
    write_results(results, tmp_path)
    back = read_results(tmp_path)
    assert back is not None and back.summaries == ()


def test_prices_must_have_two_decimals(tmp_path: Path) -> None:
    schema = pa.schema([(f.name, pa.decimal128(16, 4) if f.name == "prix_ht" else f.type) for f in LINES_SCHEMA])
    path = write_lines(tmp_path / "lines.parquet", [line(A, "1.00")])
    pq.write_table(pq.read_table(path).cast(schema), path)
    with pytest.raises(ValueError, match="prix_ht is DECIMAL"):
        compute([path], None)
