"""The store: manifests and their counts, idempotent imports, rejects kept whole, atomic files readable while
another process imports, removal, and the restaurants registry."""

from __future__ import annotations

import datetime as dt
import json
import re
import subprocess
import sys
import time
from decimal import Decimal
from pathlib import Path

import duckdb
import pyarrow.parquet as pq
import pytest

from spaser.config import Settings
from spaser.errors import InputError, NotFoundError
from spaser.indicators.egalim.registry import Restaurant
from spaser.indicators.egalim.store import CONFLICTS_SCHEMA, LINES_SCHEMA, REJECTS_SCHEMA, EgalimStore
from tests.integration.egalim.egalim_files import NATIONAL, fixture, lines, write_xlsx

NOW = dt.datetime(2025, 2, 3, 9, 15, 7, tzinfo=dt.UTC)


@pytest.fixture
def store(tmp_path: Path) -> EgalimStore:
    return EgalimStore.of(Settings(data_dir=tmp_path / "data"))


def temporaries(store: EgalimStore) -> list[Path]:
    return sorted(store.root.rglob("*.tmp"))


def parquet_files(store: EgalimStore) -> list[Path]:
    return [p for folder in (store.lines_dir, store.rejects_dir, store.conflicts_dir) for p in folder.glob("*.parquet")]


def test_import_writes_lines_rejects_and_manifest(store: EgalimStore) -> None:
    report = store.import_file(fixture("achats_erreurs.csv"), actor="marie.le-goff", now=NOW)
    m = report.manifest
    assert re.fullmatch(r"20250203T091507Z-[0-9a-f]{12}", m.id) and m.id.endswith(m.sha256[:12])
    assert (m.file, m.format, m.separator, m.encoding, m.actor, m.imported_at) == (
        "achats_erreurs.csv", "csv", ";", "utf-8", "marie.le-goff", "2025-02-03T09:15:07Z")
    assert (m.lines_read, m.accepted, m.rejected, m.conflicts) == (18, 2, 16, 0)
    assert m.lines_read == m.accepted + m.rejected
    assert json.loads((store.imports_dir / f"{m.id}.json").read_text(encoding="utf-8"))["accepted"] == 2
    assert store.manifest(m.id) == m and store.imports() == [m]
    assert not report.already_imported and report.status == "importé"
    assert report.errors[0].message == (
        "ligne 2, colonne siret : « 19290012400013 » n'est pas un SIRET valide (clé de contrôle fausse)")

    lines_table = pq.read_table(store.lines_dir / f"{m.id}.parquet")
    assert lines_table.schema.equals(LINES_SCHEMA)
    assert lines_table.column("line_no").to_pylist() == [19, 20]
    assert lines_table.column("prix_ht").to_pylist() == [Decimal("15.00"), Decimal("1.50")]
    assert lines_table.column("groupe_egalim").to_pylist() == ["BIO", "NON_EGALIM"]
    assert lines_table.column("year").to_pylist() == [2024, 2024]

    rejects = pq.read_table(store.rejects_dir / f"{m.id}.parquet")
    assert rejects.schema.equals(REJECTS_SCHEMA)
    assert sorted(set(rejects.column("line_no").to_pylist())) == list(range(2, 18))
    by_line = {r["line_no"]: r for r in store.rejects(m.id)}
    assert by_line[7]["column"] == "prix_ht" and by_line[7]["value"] == "12,345"
    assert by_line[7]["reason"] == "n'est pas un montant (2 décimales au plus)"
    assert by_line[7]["raw"] == ("19290012400012;Lentilles vertes;Épicerie Centrale;2024-01-10;12,345;AUTRES;;;;;;")
    assert by_line[16]["raw"].endswith(";;;;;;;en trop")
    assert pq.read_table(store.conflicts_dir / f"{m.id}.parquet").schema.equals(CONFLICTS_SCHEMA)
    assert temporaries(store) == []


def test_a_line_with_several_errors_is_one_rejected_line(store: EgalimStore, tmp_path: Path) -> None:
    path = tmp_path / "deux_erreurs.csv"
    path.write_text(",".join(NATIONAL) + "\n19290012400013,,Ferme,2024-02-30,1,AUTRES,,,,,,\n", encoding="utf-8")
    m = store.import_file(path).manifest
    assert (m.lines_read, m.accepted, m.rejected) == (1, 0, 1)
    assert [r["column"] for r in store.rejects(m.id)] == ["siret", "description", "date"]
    assert store.lines_files() == [store.lines_dir / f"{m.id}.parquet"]  # an empty file, same schema
    assert pq.read_table(store.lines_files()[0]).num_rows == 0


def test_importing_the_same_file_twice_is_a_no_op(store: EgalimStore, tmp_path: Path) -> None:
    first = store.import_file(fixture("achats_complet.csv"), now=NOW)
    copy = tmp_path / "copie.csv"
    copy.write_bytes(fixture("achats_complet.csv").read_bytes())
    second = store.import_file(copy, now=NOW + dt.timedelta(hours=1))
    assert second.already_imported and second.status == "déjà importé"
    assert second.manifest == first.manifest and len(store.imports()) == 1
    assert len(list(store.lines_dir.glob("*.parquet"))) == 1 and len(lines(store)) == 11


def test_lines_already_imported_by_another_file_are_reported_not_dropped(store: EgalimStore, tmp_path: Path) -> None:
    """Overlapping exports (January–June, then the whole year): the second import warns that its lines repeat the
    first import's, and keeps them all (two identical lines may be two deliveries)."""
    first = store.import_file(fixture("achats_complet.csv"), now=NOW).manifest
    assert first.warnings == ()
    rows = fixture("achats_complet.csv").read_text(encoding="utf-8").splitlines()
    # the first three lines, the first once more written differently (same values once read) and once as is, and a
    # new line: five of the six lines repeat the first import
    text = "\n".join([rows[0], *rows[1:4], rows[1].replace("2024-01-08", "08/01/2024"),
                      "19290012400012,Riz,Grossiste,2024-03-01,10.00,AUTRES,,,,,,,", *rows[1:2]]) + "\n"
    overlapping = tmp_path / "achats-annee.csv"
    overlapping.write_text(text, encoding="utf-8")
    second = store.import_file(overlapping, now=NOW + dt.timedelta(days=1)).manifest
    assert second.accepted == 6 and len(lines(store)) == 11 + 6  # nothing dropped
    assert second.warnings == (
        f"5 ligne(s) identique(s) à des lignes déjà importées (« achats_complet.csv » ({first.id}) : 5) : si ce "
        "fichier recouvre un import précédent, ces achats comptent deux fois ; supprimez alors l'import en double",)
    # a file with nothing in common warns of nothing
    other = tmp_path / "autre.csv"
    other.write_text(rows[0] + "\n19290012400012,Pâtes,Grossiste,2024-03-02,20.00,AUTRES,,,,,,,\n", encoding="utf-8")
    assert store.import_file(other, now=NOW + dt.timedelta(days=2)).manifest.warnings == ()


def test_remove_import_then_import_again(store: EgalimStore) -> None:
    m = store.import_file(fixture("achats_complet.csv"), now=NOW).manifest
    assert store.remove_import(m.id) == m
    assert store.imports() == [] and store.lines_files() == []
    assert parquet_files(store) == []
    with pytest.raises(NotFoundError, match="aucun import"):
        store.remove_import(m.id)
    with pytest.raises(NotFoundError):
        store.manifest("../../etc/passwd")
    again = store.import_file(fixture("achats_complet.csv"))
    assert not again.already_imported and again.manifest.accepted == 11


def test_lines_files_are_read_by_duckdb(store: EgalimStore) -> None:
    store.import_file(fixture("achats_complet.csv"))
    store.import_file(fixture("achats_tabulation.csv"))
    files = [str(p) for p in store.lines_files()]
    con = duckdb.connect()
    rows = con.execute("SELECT year, groupe_egalim, sum(prix_ht), count(*) FROM read_parquet(?) GROUP BY ALL "
                       "ORDER BY ALL", [files]).fetchall()
    con.close()
    assert (2024, "BIO", Decimal("1177.75"), 4) in rows  # conversion bio counts as bio
    assert sum(r[3] for r in rows) == 14


def test_a_file_failing_half_way_leaves_nothing(store: EgalimStore, tmp_path: Path) -> None:
    path = tmp_path / "casse.csv"
    path.write_text(",".join(NATIONAL) + "\n"
                    "19290012400012,Carottes,Ferme,2024-01-10,12.00,FRUITS_ET_LEGUMES,,,,,,\n"
                    '19290012400012,"Navets' + "x" * (200 * 1024) + "\n", encoding="utf-8")
    with pytest.raises(InputError, match="CSV illisible à la ligne 3"):
        store.import_file(path)
    assert store.imports() == [] and temporaries(store) == []
    assert parquet_files(store) == []


def test_leftovers_of_a_killed_import_are_ignored_then_removed(store: EgalimStore) -> None:
    kept = store.import_file(fixture("achats_complet.csv")).manifest
    orphan = store.lines_dir / "20250101T000000Z-0123456789ab.parquet"
    orphan.write_bytes((store.lines_dir / f"{kept.id}.parquet").read_bytes())
    partial = store.lines_dir / ".20250101T000000Z-0123456789ab.parquet.1a2b3c4d.tmp"
    partial.write_bytes(b"PAR1 half")
    assert store.lines_files() == [store.lines_dir / f"{kept.id}.parquet"]  # no manifest, not an import
    store.import_file(fixture("achats_tabulation.csv"))  # takes the lock: cleans up first
    assert not orphan.exists() and not partial.exists()
    assert len(store.lines_files()) == 2


def test_readers_see_whole_imports_while_another_process_imports(store: EgalimStore, tmp_path: Path) -> None:
    path = tmp_path / "gros.csv"
    body = "".join(f"19290012400012,Repas {n},Ferme de Kerlaz,2024-01-{n % 28 + 1:02d},{n % 97}.50,AUTRES,BIO,,,,,\n"
                   for n in range(6000))
    path.write_text(",".join(NATIONAL) + "\n" + body, encoding="utf-8")
    store.import_file(fixture("achats_complet.csv"))
    script = ("import sys; from pathlib import Path; from spaser.indicators.egalim.store import EgalimStore; "
              "EgalimStore(Path(sys.argv[1])).import_file(Path(sys.argv[2]))")
    process = subprocess.Popen([sys.executable, "-c", script, str(store.root), str(path)])
    seen = set()
    try:
        while process.poll() is None:
            for manifest in store.imports():
                table = pq.read_table(store.lines_dir / f"{manifest.id}.parquet")
                assert table.num_rows == manifest.accepted  # never half a file
                seen.add(manifest.accepted)
            time.sleep(0.01)
    finally:
        process.wait(timeout=120)
    assert process.returncode == 0
    assert sorted(m.accepted for m in store.imports()) == [11, 6000] and 11 in seen


def test_restaurants_registry(store: EgalimStore, tmp_path: Path) -> None:
    assert store.restaurants() == [] and store.restaurants_file() is None
    report = store.load_restaurants(fixture("restaurants.csv"))
    assert (report.lines_read, report.loaded, report.errors, report.replaced) == (6, 6, [], True)
    restaurants = store.restaurants()
    assert restaurants[1] == Restaurant("19290098300029", "Lycée Chaptal", "Lycées du Finistère", "29", False)
    assert restaurants[2].groupe is None and restaurants[4].departement == "974" and restaurants[5].etat
    assert store.restaurants_file() == store.restaurants_path
    assert pq.read_table(store.restaurants_path).column_names == ["siret", "nom", "groupe", "departement", "etat"]

    refused = store.load_restaurants(fixture("restaurants_erreurs.csv"))
    assert not refused.replaced and refused.loaded == 0
    assert [e.message for e in refused.errors] == [
        "ligne 3, colonne siret : « 19290012400013 » n'est pas un SIRET valide (clé de contrôle fausse)",
        "ligne 4, colonne nom : valeur manquante (obligatoire)",
        "ligne 5, colonne departement : « 99 » n'est pas un code de département INSEE (29, 2A, 974…)",
        "ligne 6, colonne etat : « peut-être » n'est pas oui ou non (OUI, x, 1 / NON, 0 ou vide)",
    ]
    assert len(store.restaurants()) == 6  # unchanged

    xlsx = write_xlsx(tmp_path / "registre.xlsx", [
        ["siret", "nom", "groupe", "departement", "etat"],
        [19290012400012, "Lycée de Cornouaille", "Lycées du Finistère", 29, None],
        ["21290019500018", "Cantine de Saint-Pierre", None, "975", True],
        ["21290019500018", "Cantine (doublon)", None, "2a", None],
    ])
    duplicate = store.load_restaurants(xlsx)
    assert [e.message for e in duplicate.errors] == [
        "ligne 4, colonne siret : « 21290019500018 » est déjà à la ligne 3"]
    xlsx = write_xlsx(tmp_path / "registre.xlsx", [
        ["siret", "nom", "groupe", "departement", "etat"],
        [19290012400012, "Lycée de Cornouaille", "Lycées du Finistère", 29, None],
        ["21290019500018", "Cantine de Saint-Pierre", None, "975", True],
        ["19350023800012", "Lycée Chateaubriand", None, "2a", None],
    ])
    assert store.load_restaurants(xlsx).loaded == 3
    assert [(r.siret, r.departement, r.etat) for r in store.restaurants()] == [
        ("19290012400012", "29", False), ("21290019500018", "975", True), ("19350023800012", "2A", False)]


def test_registry_needs_its_columns(store: EgalimStore, tmp_path: Path) -> None:
    path = tmp_path / "registre.csv"
    path.write_text("siret;nom\n19290012400012;Lycée\n", encoding="utf-8")
    with pytest.raises(InputError, match="colonnes obligatoires absentes : groupe, departement"):
        store.load_restaurants(path)


class Recorder:
    """An :class:`ImportProgress` that remembers what it was told."""

    def __init__(self) -> None:
        self.calls: list[tuple[str, object]] = []

    def start(self, path: Path, total_rows: int | None) -> None:
        self.calls.append(("start", total_rows))

    def advance(self, rows: int) -> None:
        self.calls.append(("advance", rows))

    def stop(self) -> None:
        self.calls.append(("stop", None))


def test_progress_is_told_the_expected_and_done_rows(store: EgalimStore, tmp_path: Path) -> None:
    path = tmp_path / "achats.csv"
    path.write_text(",".join(NATIONAL) + "\n" + "".join(
        f"19290012400012,Repas {n},Ferme de Kerlaz,2024-01-10,1.00,AUTRES,,,,,,\n" for n in range(2500)),
        encoding="utf-8")
    recorder = Recorder()
    store.import_file(path, progress=recorder)
    assert recorder.calls[0] == ("start", 2500) and recorder.calls[-1] == ("stop", None)
    assert sum(n for kind, n in recorder.calls if kind == "advance") == 2500  # type: ignore[misc]
