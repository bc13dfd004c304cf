"""The synthetic DECP generator of the ingestion benchmark (bench/generate_decp.py)."""

from __future__ import annotations

import json
import subprocess
import sys
from collections import Counter, defaultdict
from pathlib import Path
from typing import Any

import pytest

REPO = Path(__file__).resolve().parents[3]
GENERATOR = REPO / "bench" / "generate_decp.py"
SCHEMA = REPO.parent / "shared" / "data" / "decp" / "schemas" / "v2.0.3" / "schema_decp_v2.0.3.json"
N_RECORDS = 2000

WRAPPED_LISTS = {
    "techniques": "technique",
    "modalitesExecution": "modaliteExecution",
    "typesPrix": "typePrix",
    "considerationsSociales": "considerationSociale",
    "considerationsEnvironnementales": "considerationEnvironnementale",
}


def _generate(out: Path, seed: int, indent: int = 0, records: int = N_RECORDS) -> Path:
    subprocess.run(
        [
            sys.executable,
            str(GENERATOR),
            "--records",
            str(records),
            "--output",
            str(out),
            "--seed",
            str(seed),
            "--indent",
            str(indent),
            "--quiet",
        ],
        check=True,
        capture_output=True,
    )
    return out


@pytest.fixture(scope="module")
def generated(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, dict[str, Any], dict[str, Any]]:
    path = _generate(tmp_path_factory.mktemp("decp") / "decp.json", seed=7, indent=2)
    data = json.loads(path.read_text(encoding="utf-8"))
    truth = json.loads(path.with_name(path.name + ".truth.json").read_text(encoding="utf-8"))
    return path, data, truth


def _key(rec: dict[str, Any]) -> tuple[str, ...]:
    """What identifies one contract: a republication keeps all of it."""
    if "autoriteConcedante" in rec:
        return (
            "C",
            rec["autoriteConcedante"].get("id", ""),
            rec.get("id", ""),
            rec["dateSignature"],
            json.dumps(rec["valeurGlobale"]),
            json.dumps(rec["concessionnaires"], sort_keys=True),
        )
    return (
        "M",
        rec.get("acheteur", {}).get("id", ""),
        rec.get("id", ""),
        str(rec["dateNotification"]),
        json.dumps(rec["montant"]),
        json.dumps(rec["titulaires"], sort_keys=True),
    )


def test_envelope_and_wrapped_lists(generated: tuple[Path, dict[str, Any], dict[str, Any]]) -> None:
    _, data, truth = generated
    assert set(data) == {"marches"}
    marches = data["marches"]
    assert set(marches) == {"marche", "contrat-concession"}
    assert len(marches["marche"]) + len(marches["contrat-concession"]) == N_RECORDS == truth["records"]
    objects = [r for r in marches["marche"] if isinstance(r, dict)]
    for rec in objects:
        for outer, inner in WRAPPED_LISTS.items():
            assert set(rec[outer]) == {inner} and isinstance(rec[outer][inner], list), outer
        assert rec["titulaires"] and all(set(t) == {"titulaire"} for t in rec["titulaires"])
        for mod in rec.get("modifications", []):
            assert set(mod) == {"modification"}
        for acte in rec.get("actesSousTraitance", []):
            assert set(acte) == {"acteSousTraitance"}
    for rec in marches["contrat-concession"]:
        assert all(set(c) == {"concessionnaire"} for c in rec["concessionnaires"])
        assert "codeCPV" not in rec and "lieuExecution" not in rec
    assert sum(1 for r in objects if "modifications" in r) > 0.08 * len(objects)
    assert any("\n" in r["objet"] or "é" in r["objet"] for r in objects)


def test_truth_sidecar_matches_file(generated: tuple[Path, dict[str, Any], dict[str, Any]]) -> None:
    path, data, truth = generated
    marche = data["marches"]["marche"]
    conc = data["marches"]["contrat-concession"]
    assert truth["bytes"] == path.stat().st_size
    assert truth["marches"] == len(marche) and truth["concessions"] == len(conc)
    objects = [r for r in [*marche, *conc] if isinstance(r, dict)]
    assert len(marche) + len(conc) - len(objects) == truth["non_object"] >= 1
    unidentifiable = [r for r in objects if "id" not in r and not r.get("acheteur", {}).get("id")]
    assert len(unidentifiable) == truth["unidentifiable"] >= 1

    identifiable = [r for r in objects if "id" in r]
    keys = Counter(_key(r) for r in identifiable)
    assert sum(n - 1 for n in keys.values()) == truth["duplicates"] > 0
    assert truth["expected"]["loaded"] == len(keys)

    # lots: one (buyer, id) shared by records differing in montant/titulaires
    by_id: dict[tuple[str, str], set[tuple[str, ...]]] = defaultdict(set)
    for k in keys:
        by_id[(k[0] + k[1], k[2])].add(k)
    shared = [v for v in by_id.values() if len(v) > 1]
    assert len(shared) == truth["lots_sharing_ids"]["groups"] > 0
    assert sum(len(v) for v in shared) == truth["lots_sharing_ids"]["records"]
    assert truth["defective"] == sum(truth["defective_by_kind"].values()) > 0


def test_identifiers_and_codes(generated: tuple[Path, dict[str, Any], dict[str, Any]]) -> None:
    sys.path.insert(0, str(GENERATOR.parent))
    try:
        from generate_decp import cpv_check_digit, luhn_valid
    finally:
        sys.path.remove(str(GENERATOR.parent))
    assert cpv_check_digit("45000000") == 7 and cpv_check_digit("03000000") == 1
    assert luhn_valid("79927398713") and not luhn_valid("79927398710")
    _, data, _ = generated
    objects = [r for r in data["marches"]["marche"] if isinstance(r, dict) and r.get("acheteur", {}).get("id")]
    buyers = [r["acheteur"]["id"] for r in objects]
    assert sum(luhn_valid(b) for b in buyers) > 0.99 * len(buyers)
    sirets = [
        t["titulaire"]["id"] for r in objects for t in r["titulaires"] if t["titulaire"]["typeIdentifiant"] == "SIRET"
    ]
    assert sum(luhn_valid(s) for s in sirets) > 0.99 * len(sirets)
    cpvs = [r["codeCPV"] for r in objects if len(r["codeCPV"]) == 10]
    assert cpvs and all(cpv_check_digit(c[:8]) == int(c[9]) for c in cpvs)


@pytest.mark.shared_data
def test_records_validate_against_schema_v2_0_3(
    generated: tuple[Path, dict[str, Any], dict[str, Any]],
) -> None:
    if not SCHEMA.exists():
        pytest.skip("../shared/data is absent")
    jsonschema = pytest.importorskip("jsonschema")
    schema = json.loads(SCHEMA.read_text(encoding="utf-8"))
    definitions = schema["definitions"]
    marche = jsonschema.Draft7Validator({"$ref": "#/definitions/marche", "definitions": definitions})
    concession = jsonschema.Draft7Validator({"$ref": "#/definitions/contrat-concession", "definitions": definitions})
    _, data, truth = generated
    records = [r for r in data["marches"]["marche"] if isinstance(r, dict)]
    valid = sum(marche.is_valid(r) for r in records)
    non_defective = len(records) - truth["defective"] - truth["unidentifiable"]
    assert valid >= 0.95 * non_defective
    conc = data["marches"]["contrat-concession"]
    assert all(concession.is_valid(r) for r in conc)


def test_deterministic_for_a_seed(tmp_path: Path) -> None:
    a = _generate(tmp_path / "a.json", seed=3, records=500)
    b = _generate(tmp_path / "b.json", seed=3, records=500)
    c = _generate(tmp_path / "c.json", seed=4, records=500)
    assert a.read_bytes() == b.read_bytes()
    assert a.read_bytes() != c.read_bytes()
    assert len(json.loads(a.read_bytes())["marches"]["marche"]) + 5 == 500
