"""The column-wise path stages exactly the tuple path's rows, and hands back every record it does not stage."""

from __future__ import annotations

import copy
import json
import subprocess
import sys
from typing import Any

import msgspec
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from spaser.decp.columnar import ZERO_INCONNU, bulk_rows
from spaser.decp.fast_rows import simple_rows
from spaser.warehouse.schema import column_names
from tests.conftest import DECP, ROOT, TODAY

SOURCE = ("src", "src.json", "ab" * 32)


@pytest.fixture(scope="module")
def generated(tmp_path_factory: pytest.TempPathFactory) -> list[dict[str, Any]]:
    """National-like records (about 1 % defective, some with modifications or acts)."""
    out = tmp_path_factory.mktemp("gen") / "decp.json"
    subprocess.run([sys.executable, str(ROOT / "bench" / "generate_decp.py"), "--records", "2000", "--output",
                    str(out), "--seed", "11", "--quiet"], check=True, timeout=120)
    return [r for r in json.loads(out.read_bytes())["marches"]["marche"] if isinstance(r, dict)]


def assert_same_as_tuple_path(records: list[Any], first_index: int = 100) -> int:
    """Stage ``records`` column-wise; every staged row equals the tuple path's; returns how many were staged."""
    raws = [msgspec.json.encode(r) for r in records]
    bulk = bulk_rows(raws, range(first_index, first_index + len(raws)), "pfx", SOURCE, TODAY, 1e9)
    handed_back = [pos for pos, _ in bulk.rest]
    assert handed_back == sorted(handed_back)
    staged_positions = [pos for pos in range(len(raws)) if pos not in set(handed_back)]
    assert bulk.staged == len(staged_positions)
    if not bulk.staged:
        assert bulk.tables == {}
        return 0
    staged_records = bulk.tables["records"].to_pylist()
    staged_titulaires = bulk.tables["titulaires"].to_pylist()
    staged_modifications = bulk.tables["modifications"].to_pylist()
    assert [r["record_index"] for r in staged_records] == [first_index + pos for pos in staged_positions]
    expected_titulaires: list[dict[str, Any]] = []
    expected_modifications: list[dict[str, Any]] = []
    expected_actes: list[dict[str, Any]] = []
    for pos, row in zip(staged_positions, staged_records, strict=True):
        uid = f"pfx:{first_index + pos}"
        simple = simple_rows(raws[pos], uid, first_index + pos, SOURCE, TODAY, 1e9)
        assert simple is not None, "a staged record must be one the tuple path accepts"
        assert row == dict(zip(column_names("records"), simple.record, strict=True))
        expected_titulaires += [dict(zip(column_names("titulaires"), t, strict=True)) for t in simple.titulaires]
        expected_modifications += [dict(zip(column_names("modifications"), m, strict=True))
                                   for m in simple.modifications]
        expected_actes += [dict(zip(column_names("actes_sous_traitance"), a, strict=True)) for a in simple.actes]
    assert staged_titulaires == expected_titulaires
    assert staged_modifications == expected_modifications
    assert bulk.tables["actes_sous_traitance"].to_pylist() == expected_actes
    assert bulk.zero_inconnu == sum(ZERO_INCONNU in r["quality_flags"] for r in staged_records)
    return bulk.staged


def test_generated_records(generated: list[dict[str, Any]]) -> None:
    plain = [r for r in generated if "modificationsActesSousTraitance" not in r]
    assert sum("modifications" in r for r in plain) > 100
    staged = assert_same_as_tuple_path(plain)
    assert staged > 0.9 * len(plain)  # the clean bulk is staged column-wise, modifications included


def test_foreign_titulaires_are_staged_column_wise(generated: list[dict[str, Any]]) -> None:
    """TVA numbers and HORS-UE identifiers (~2 % of national records) are cleaned per distinct pair, not handed
    back; an invalid SIRET still is."""
    foreign = [r for r in generated if "actesSousTraitance" not in r
               and any(t["titulaire"]["typeIdentifiant"] != "SIRET" for t in r["titulaires"])]
    assert len(foreign) > 10
    bad_siret = copy.deepcopy(foreign[0])
    bad_siret["titulaires"].append({"titulaire": {"typeIdentifiant": "SIRET", "id": "12345678901234"}})
    records = [*foreign, bad_siret]
    assert assert_same_as_tuple_path(records) == len(foreign)
    bulk = bulk_rows([msgspec.json.encode(r) for r in records], range(len(records)), "pfx", SOURCE, TODAY, 1e9)
    assert [pos for pos, _ in bulk.rest] == [len(foreign)]
    kinds = set(bulk.tables["titulaires"].column("type_identifiant").to_pylist())
    assert {"TVA", "HORS-UE"} <= kinds


def test_records_with_acts_are_staged_column_wise(generated: list[dict[str, Any]]) -> None:
    """Acts (4 % of national records) are staged here, equal to the tuple path's rows; a record with an act a
    rule flags (a future date, an invalid sub-contractor SIRET) or with modificationsActesSousTraitance (not
    decoded by the simple struct) is handed back."""
    with_acts = [r for r in generated if "actesSousTraitance" in r and "modificationsActesSousTraitance" not in r]
    assert len(with_acts) > 20
    future = copy.deepcopy(with_acts[0])
    future["actesSousTraitance"][0]["acteSousTraitance"]["dateNotification"] = "2099-01-01"
    bad_siret = copy.deepcopy(with_acts[1])
    bad_siret["actesSousTraitance"][0]["acteSousTraitance"]["sousTraitant"] = {"typeIdentifiant": "SIRET",
                                                                               "id": "12345678901234"}
    blank_id = copy.deepcopy(with_acts[2])
    blank_id["actesSousTraitance"][-1]["acteSousTraitance"]["id"] = " "
    with_amendment = next(r for r in generated if "modificationsActesSousTraitance" in r)
    records = [*with_acts, future, bad_siret, blank_id, with_amendment]
    staged = assert_same_as_tuple_path(records)
    assert staged > 0.9 * len(with_acts)  # the few others carry one of the generator's ~1 % defects
    bulk = bulk_rows([msgspec.json.encode(r) for r in records], range(len(records)), "pfx", SOURCE, TODAY, 1e9)
    n = len(with_acts)
    assert [(pos, struct is None) for pos, struct in bulk.rest if pos >= n] == [
        (n, False), (n + 1, False), (n + 2, False), (n + 3, True)]
    handed_back = {pos for pos, _ in bulk.rest}
    acts = bulk.tables["actes_sous_traitance"].to_pylist()
    assert len(acts) == sum(len(r["actesSousTraitance"]) for pos, r in enumerate(with_acts) if pos not in handed_back)
    first = next(pos for pos in range(n) if pos not in handed_back)
    act = with_acts[first]["actesSousTraitance"][0]["acteSousTraitance"]
    assert acts[0]["record_uid"] == f"pfx:{first}" and acts[0]["rank"] == 1
    assert acts[0]["sous_traitant_id"] == act["sousTraitant"]["id"]
    assert acts[0]["montant"] == act["montant"]


def test_official_example() -> None:
    example = DECP / "schemas" / "examples" / "v2.0.3" / "json" / "marches_avec_modifications.json"
    if not example.exists():
        pytest.skip("needs ../shared/data")
    records = json.loads(example.read_bytes())["marches"]["marche"]
    assert assert_same_as_tuple_path(records) == 0  # a 15-digit SIRET in their modification: handed back
    for record in records:
        record.pop("modifications", None)
        record.pop("actesSousTraitance", None)
        record.pop("modificationsActesSousTraitance", None)
    assert assert_same_as_tuple_path(records) > 0


CHANGES = {
    "montant": st.sampled_from([0, 1, 39999.99, 50_000_000, 99999999, 999999999, 1e12, -5, "30000.00"]),
    "dureeMois": st.sampled_from([0, 1, 12, 360, 1300, -1, 2**70]),
    "dateNotification": st.sampled_from(["2024-01-31", "2031-05-01", "0218-12-11", "2024-02-30", "2024-W21-4"]),
    "datePublicationDonnees": st.sampled_from(["2024-02-01", "2027-01-01", "5021-01-01"]),
    "codeCPV": st.sampled_from(["45000000", "4500000", "45000000-7", "99000000", "abc", " 45000000 "]),
    "id": st.sampled_from(["A-1", " A-1 ", "x\u0007y", "\ufffd", "é"]),
    "objet": st.sampled_from(["Travaux\nde voirie", "caf\ufffd", " espaces ", "Voirie "]),
    "tauxAvance": st.sampled_from([0, 0.0, 0.3, 1]),
    "attributionAvance": st.booleans(),
    "idAccordCadre": st.sampled_from(["AC-1", " AC-1", "\x00"]),
    "offresRecues": st.sampled_from([1, 3, 2**64]),
    "techniques": st.sampled_from([{"technique": ["Sans objet", "Sans objet"]},
                                   {"technique": ["Accord-cadre", "Catalogue électronique"]}]),
}
MODIFICATION_CHANGES = {
    "montant": st.sampled_from([0, 12.5, 50_000_000, 999999999, -1]),
    "dureeMois": st.sampled_from([0, 6, 360, -2]),
    "dateNotificationModification": st.sampled_from(["2024-03-01", "2031-01-01", "2024-02-30"]),
    "datePublicationDonneesModification": st.sampled_from(["2024-03-05", "5021-01-01"]),
    "id": st.sampled_from([1, 2, 7]),
    "titulaires": st.sampled_from([[{"titulaire": {"typeIdentifiant": "SIRET", "id": "55204599900869"}}],
                                   [{"titulaire": {"typeIdentifiant": "SIRET", "id": "12345678901234"}}],
                                   [{"titulaire": {"typeIdentifiant": "TVA", "id": "FR12345678901"}}]]),
}
TITULAIRE_IDS = st.sampled_from(["00000000000000", "12345678901234", "552 045 999 00869", "35600000000048",
                                 "35600000000063", "55204599900869"])


@settings(max_examples=150, deadline=None)
@given(data=st.data())
def test_mutated_batches_agree(generated: list[dict[str, Any]], data: st.DataObject) -> None:
    plain = [r for r in generated if "actesSousTraitance" not in r][:300]
    picks = data.draw(st.lists(st.integers(0, len(plain) - 1), min_size=1, max_size=12))
    batch = [copy.deepcopy(plain[i]) for i in picks]
    for record in batch:
        for key in data.draw(st.sets(st.sampled_from(sorted(CHANGES)), max_size=3)):
            record[key] = data.draw(CHANGES[key])
        titulaires = record.get("titulaires")
        if data.draw(st.booleans()) and isinstance(titulaires, list) and titulaires:
            titulaire = titulaires[0]["titulaire"]
            titulaire["id"] = data.draw(st.one_of(TITULAIRE_IDS, st.just(str(record["acheteur"]["id"]))))
            titulaire["typeIdentifiant"] = data.draw(st.sampled_from(["SIRET", "SIRET", "TVA", "HORS-UE"]))
        if data.draw(st.booleans()):
            record["acheteur"] = {"id": data.draw(TITULAIRE_IDS)}
        modifications = record.get("modifications")
        if isinstance(modifications, list) and modifications and data.draw(st.booleans()):
            modification = modifications[0]["modification"]
            key = data.draw(st.sampled_from(sorted(MODIFICATION_CHANGES)))
            modification[key] = data.draw(MODIFICATION_CHANGES[key])
            if data.draw(st.booleans()):  # out of order: applied by id, not by position
                earlier = copy.deepcopy(modifications[0])
                earlier["modification"].update(id=0, montant=4321.0, dureeMois=9)
                modifications.append(earlier)
    assert_same_as_tuple_path(batch, first_index=data.draw(st.integers(0, 10**6)))


def test_count_beyond_64_bits_is_flagged_not_fatal(generated: list[dict[str, Any]], tmp_path: Any) -> None:
    """Regression (found by the test above): ``offresRecues`` 2**64 reached the int64 column as is and made the
    worker's Parquet write raise, failing the whole run. It is now unreadable, flagged, and the record loaded."""
    from spaser.decp.json_scan import RawRegion
    from spaser.warehouse.staging import Batch, StagingWriter, process_batch

    records = [r for r in generated if "modifications" not in r][:3]
    records[1] = {**records[1], "offresRecues": 2**64}
    data = b"[" + b",\n".join(msgspec.json.encode(r) for r in records) + b"]"
    batch = Batch(0, "s", "s.json", "ab" * 32, False, [], region=RawRegion(0, len(records), data, "marche", 0))
    writer = StagingWriter(tmp_path, 0)
    result = process_batch(batch, writer, TODAY, 1e9)
    files = writer.close()
    assert (result.records, result.normalised, result.quarantined) == (3, 3, 0)
    assert result.by_flag["offresRecues:illisible"] == 1
    import pyarrow.parquet as pq

    staged = pq.read_table(files["records"]).to_pylist()
    assert sorted(r["record_index"] for r in staged) == [0, 1, 2]
    assert [r["offres_recues"] for r in staged if r["record_index"] == 1] == [None]
