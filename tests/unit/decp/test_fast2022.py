"""The typed fast path gives exactly the general path's rows for every record it accepts."""

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

from spaser.decp.fast2022 import normalise_fast
from spaser.decp.fast_rows import simple_rows
from spaser.decp.normalise import Normalised, RecordContext, normalise
from spaser.warehouse.schema import column_names
from tests.conftest import DECP, ROOT, TODAY

SIMPLE_TAKEN: list[bool] = []


def ctx(container: str = "marche") -> RecordContext:
    return RecordContext("abc:7", 7, "src", "src.json", "abc", container, False, TODAY)


def assert_simple_same(raw: bytes, general: Normalised) -> bool:
    """The tuple path, when it takes the record, stages exactly the general path's rows."""
    simple = simple_rows(raw, "abc:7", 7, ("src", "src.json", "abc"), TODAY, 1e9)
    if simple is None:
        return False
    assert dict(zip(column_names("records"), simple.record, strict=True)) == {
        name: general.record.get(name) for name in column_names("records")}
    for table, rows, expected in (("titulaires", simple.titulaires, general.titulaires),
                                  ("modifications", simple.modifications, general.modifications),
                                  ("actes_sous_traitance", simple.actes, general.actes_sous_traitance)):
        assert [dict(zip(column_names(table), row, strict=True)) for row in rows] == expected, table
    assert not general.modifications_actes_sous_traitance
    return True


def assert_same(raw: bytes, container: str = "marche") -> bool:
    """True when the fast path accepted the record (and then its output equals the general path's)."""
    general_result = normalise(json.loads(raw), ctx(container))
    if isinstance(general_result, Normalised) and container == "marche":
        SIMPLE_TAKEN.append(assert_simple_same(raw, general_result))
    fast = normalise_fast(raw, ctx(container))
    if fast is None:
        return False
    general = normalise(json.loads(raw), ctx(container))
    assert isinstance(general, Normalised)
    for name in column_names("records"):
        assert fast.record.get(name) == general.record.get(name), name
    assert fast.titulaires == general.titulaires
    assert fast.modifications == general.modifications
    assert fast.actes_sous_traitance == general.actes_sous_traitance
    assert fast.modifications_actes_sous_traitance == general.modifications_actes_sous_traitance
    return True


@pytest.fixture(scope="module")
def generated(tmp_path_factory: pytest.TempPathFactory) -> list[bytes]:
    out = tmp_path_factory.mktemp("gen") / "decp.json"
    subprocess.run([sys.executable, str(ROOT / "bench" / "generate_decp.py"), "--records", "3000", "--output",
                    str(out), "--seed", "7", "--quiet"], check=True, timeout=120)
    marches = json.loads(out.read_bytes())["marches"]["marche"]
    return [json.dumps(r, ensure_ascii=False).encode() for r in marches]


def test_generated_national_like_records(generated: list[bytes]) -> None:
    SIMPLE_TAKEN.clear()
    accepted = sum(assert_same(raw) for raw in generated)
    assert accepted > 0.85 * len(generated)  # the clean bulk takes the fast path
    assert sum(SIMPLE_TAKEN) > 0.6 * len(generated)  # and most of it the tuple path


def test_official_examples_and_megalis() -> None:
    examples = DECP / "schemas" / "examples" / "v2.0.3" / "json" / "marches_avec_modifications.json"
    megalis = DECP / "real" / "v2024" / "megalis-bretagne_decp-59920013600241-2024-07-09-01.json"
    if not examples.exists():
        pytest.skip("needs ../shared/data")
    for record in json.loads(examples.read_bytes())["marches"]["marche"]:
        assert_same(json.dumps(record).encode())
    for record in json.loads(megalis.read_bytes())["marches"]["marche"]:
        assert normalise_fast(json.dumps(record).encode(), ctx()) is None  # "_type" is not v2.0.3
        record.pop("_type")
        assert_same(json.dumps(record).encode())


def test_records_outside_the_typed_shape_are_refused(generated: list[bytes]) -> None:
    record = json.loads(generated[0])
    changes: tuple[dict[str, object], ...] = (
        {"montant": "30000.00"}, {"procedure": "APPEL D'OFFRES OUVERT"}, {"inconnu": 1},
        {"techniques": {"technique": []}}, {"offresRecues": 0}, {"objet": None})
    for change in changes:
        assert normalise_fast(json.dumps({**record, **change}).encode(), ctx()) is None


VALUES = {
    "montant": st.sampled_from([0, 1, 39999.99, 99999999, 999999999, 1e12, 76200, -5]),
    "dureeMois": st.sampled_from([0, 1, 12, 360, 365, 1300, -1]),
    "dateNotification": st.sampled_from(["2024-01-31", "2031-05-01", "0218-12-11", "2024-02-30"]),
    "datePublicationDonnees": st.sampled_from(["2024-02-01", "2027-01-01", "5021-01-01"]),
    "codeCPV": st.sampled_from(["45000000", "4500000", "45000000-7", "abc", " 45000000 "]),
    "id": st.sampled_from(["A-1", " A-1 ", "x\u0007y", "\ufffd"]),
    "objet": st.sampled_from(["", "Travaux\nde voirie", "caf\ufffd", " espaces "]),
    "tauxAvance": st.sampled_from([0, 0.0, 0.3, 1]),
}


@settings(max_examples=300, deadline=None)
@given(data=st.data())
def test_any_clean_typed_record_agrees(generated: list[bytes], data: st.DataObject) -> None:
    record: dict[str, Any] = json.loads(data.draw(st.sampled_from(generated[:200])))
    record = copy.deepcopy(record)
    for key in data.draw(st.sets(st.sampled_from(sorted(VALUES)), max_size=4)):
        record[key] = data.draw(VALUES[key])
    if data.draw(st.booleans()):
        titulaire = record["titulaires"][0]["titulaire"]
        titulaire["id"] = data.draw(st.sampled_from(["00000000000000", "12345678901234", "552 045 999 00869",
                                                     record["acheteur"]["id"]]))
    assert_same(msgspec.json.encode(record))



def test_flags_kept_by_the_tuple_path_reach_the_run_report(generated: list[bytes], tmp_path: Any) -> None:
    """Regression: the tuple path keeps future dates with a flag; the report's by_flag must count them."""
    from spaser.warehouse.staging import Batch, BatchItem, StagingWriter, process_batch

    record = json.loads(generated[0])
    record.pop("modifications", None)
    record.pop("actesSousTraitance", None)
    record.pop("modificationsActesSousTraitance", None)
    record["datePublicationDonnees"] = "2031-01-01"
    raw = json.dumps(record).encode()
    assert simple_rows(raw, "abc:0", 0, ("s", "s.json", "abc"), TODAY, 1e9) is not None  # tuple path taken
    writer = StagingWriter(tmp_path, 0)
    result = process_batch(Batch(0, "s", "s.json", "ab" * 32, False, [BatchItem(0, "marche", raw)]), writer,
                           TODAY, 1e9)
    writer.close()
    assert result.by_flag["datePublicationDonnees:future"] == 1
