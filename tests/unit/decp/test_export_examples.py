"""The official examples (schemas v2.0.3 and v1.5) ingested then exported come back as published."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from spaser.config import Settings
from spaser.decp.export_decp import FILE_2019, FILE_2022, export_decp
from spaser.warehouse.ingest import ingest
from spaser.warehouse.snapshot import open_current
from tests.conftest import DECP, TODAY, shared

pytestmark = pytest.mark.shared_data
SCHEMAS = DECP / "schemas"
EXAMPLES_2022 = SCHEMAS / "examples" / "v2.0.3" / "json"


def load(path: Path) -> Any:
    return json.loads(path.read_text(encoding="utf-8"))


def build(tmp: Path, *paths: Path) -> Settings:
    settings = Settings(data_dir=tmp / "data", ingest_workers=-1)
    ingest(list(paths), settings, today=TODAY)
    return settings


def without_cpv_check_digit(record: dict[str, Any]) -> dict[str, Any]:
    if "codeCPV" in record:
        return record | {"codeCPV": record["codeCPV"].split("-")[0]}
    return record


def test_official_2022_examples_round_trip(tmp_path: Path) -> None:
    """The v2.0.3 JSON examples, ingested then exported, come back equal to the originals except that:

    * ``codeCPV`` "45000000-7" is written "45000000": the warehouse stores the 8-digit root (the schema
      accepts both and advises omitting the check digit);
    * concessions.json's two concessions are earlier versions (before their modification and execution data)
      of two concessions of concessions_avec_modifications.json: deduplication keeps the latest version.
    """
    shared("decp/schemas/examples/v2.0.3/json/marches_concessions.json")
    settings = build(tmp_path, EXAMPLES_2022)
    con = open_current(settings.warehouse_dir)
    try:
        report = export_decp(con, tmp_path / "out", SCHEMAS)
    finally:
        con.close()
    assert report.rejected_total == 0
    exported = load(tmp_path / "out" / FILE_2022)["marches"]
    for container in ("marche", "contrat-concession"):
        originals: list[dict[str, Any]] = []
        for name in ("marches_avec_modifications.json", "marches_concessions.json",
                     "concessions_avec_modifications.json"):
            for record in load(EXAMPLES_2022 / name)["marches"].get(container, []):
                if without_cpv_check_digit(record) not in originals:
                    originals.append(without_cpv_check_digit(record))

        def key(r: dict[str, Any]) -> tuple[str, str]:
            return (r.get("acheteur") or r["autoriteConcedante"])["id"], r["id"]
        assert sorted(exported[container], key=key) == sorted(originals, key=key)


def test_official_2019_examples_round_trip(tmp_path: Path) -> None:
    """The v1.5 JSON examples come back as published except: dates lose their "+02:00" suffix (the warehouse
    stores the date), codeCPV its check digit, a single-record file without "_type" gains it, and of the
    versions with and without "uid" of one contract (paquet.json / paquet-avec-uid.json) the chosen one is
    written."""
    folder = shared("decp/schemas/examples/v1.5/json")
    settings = build(tmp_path, folder)
    con = open_current(settings.warehouse_dir)
    try:
        report = export_decp(con, tmp_path / "out", SCHEMAS)
    finally:
        con.close()
    assert report.rejected_total == 0 and report.written_total == 7

    def normal(record: dict[str, Any]) -> dict[str, Any]:
        out = {k: v.split("+")[0] if k.startswith("date") and isinstance(v, str) else v
               for k, v in without_cpv_check_digit(record).items() if k not in ("uid", "_type")}
        out["modifications"] = [{k: v.split("+")[0] if k.startswith("date") else v for k, v in m.items()}
                                for m in record.get("modifications", [])]
        return out
    originals = []
    for path in sorted(folder.glob("*.json")):
        document = load(path)
        originals += [normal(r) for r in document.get("marches", [document])]
    for record in load(tmp_path / "out" / FILE_2019)["marches"]:
        assert normal(record) in originals, record["id"]
