"""Property: real records mutated at random never make an exception escape, and nothing is lost."""

from __future__ import annotations

import copy
import json
import math
import os
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from spaser.config import Settings
from spaser.decp.normalise import Normalised, RecordContext, normalise
from spaser.warehouse.ingest import ingest
from tests.conftest import REAL_FILES, TODAY, needs_shared

pytestmark = [pytest.mark.shared_data, needs_shared]


def _sample_records() -> list[dict[str, Any]]:
    sample: list[dict[str, Any]] = []
    for path in REAL_FILES:
        if path.suffix != ".json":
            continue
        marches = json.loads(path.read_bytes())["marches"]
        records = marches if isinstance(marches, list) else [*marches.get("marche", []),
                                                             *marches.get("contrat-concession", [])]
        # Records with modifications and sous-traitance first: they have the deepest structure.
        records.sort(key=lambda r: -len(json.dumps(r)))
        sample.extend(records[:8])
    return sample


SAMPLE = _sample_records() if REAL_FILES else []

garbage = st.one_of(
    st.none(), st.booleans(), st.integers(min_value=-(10**20), max_value=10**20),
    st.floats(allow_nan=True, allow_infinity=True), st.text(max_size=30),
    st.sampled_from(["NC", "", "  ", "0218-12-01", "9999-99-99", "1e308", "N/A", "\ufffd\ufffd", "\x00\x07",
                     "31/02/2020", "SIRET", "Procédure adaptée ", "true", "oui"]),
    st.lists(st.integers(), max_size=3), st.dictionaries(st.text(max_size=5), st.integers(), max_size=3),
)


def _paths(value: Any, prefix: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
    found = [prefix]
    if isinstance(value, dict):
        for key, child in value.items():
            found.extend(_paths(child, (*prefix, key)))
    elif isinstance(value, list):
        for i, child in enumerate(value):
            found.extend(_paths(child, (*prefix, i)))
    return found


@st.composite
def mutated_record(draw: st.DrawFn) -> Any:
    record: Any = copy.deepcopy(draw(st.sampled_from(SAMPLE)))
    for _ in range(draw(st.integers(min_value=1, max_value=6))):
        paths = _paths(record)
        path = draw(st.sampled_from(paths))
        operation = draw(st.sampled_from(["replace", "delete", "wrap", "unwrap", "nest", "rename"]))
        if not path:
            record = draw(garbage) if operation == "replace" else [record] if operation == "wrap" else record
            continue
        parent = record
        for step in path[:-1]:
            parent = parent[step]
        key = path[-1]
        if operation == "replace":
            parent[key] = draw(garbage)
        elif operation == "delete":
            del parent[key]
        elif operation == "wrap":
            parent[key] = [parent[key]]
        elif operation == "unwrap" and isinstance(parent[key], list) and parent[key]:
            parent[key] = parent[key][0]
        elif operation == "nest":
            parent[key] = {"valeur": parent[key]}
        elif operation == "rename" and isinstance(key, str):
            parent[key.upper() + " "] = parent.pop(key)
    return record


EXAMPLES = int(os.environ.get("SPASER_HYPOTHESIS_EXAMPLES", "400"))


@settings(max_examples=EXAMPLES, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(record=mutated_record())
def test_normalise_never_raises(record: Any) -> None:
    result = normalise(record, RecordContext("x:0", 0, "t", "t.json", "x", "", False, TODAY))
    if isinstance(result, Normalised):
        json.dumps(result.record, default=str)  # every value is serialisable
        for value in (result.record["montant"], result.record["montant_initial"]):
            assert value is None or isinstance(value, float)


def _dump(records: list[Any]) -> bytes:
    def clean(value: Any) -> Any:  # json.dumps writes NaN/Infinity: real files do too, keep some
        if isinstance(value, float) and math.isinf(value):
            return str(value)
        return value

    return json.dumps({"marches": [clean(r) for r in records]}, ensure_ascii=False).encode()


@settings(max_examples=15, deadline=None, suppress_health_check=[HealthCheck.too_slow,
                                                                 HealthCheck.function_scoped_fixture])
@given(records=st.lists(mutated_record(), min_size=1, max_size=12))
def test_ingest_of_mutated_records_conserves_them(records: list[Any], tmp_path_factory: pytest.TempPathFactory) -> None:
    folder = tmp_path_factory.mktemp("mutated")
    path = folder / "mutated.json"
    path.write_bytes(_dump(records))
    report = ingest([path], Settings(data_dir=folder / "data", ingest_workers=-1), today=TODAY)
    (entry,) = report.files
    assert entry.records_read == len(records)
    assert entry.records_read == entry.loaded + entry.duplicates + entry.quarantined
    assert report.conserved()


def test_sample_is_not_empty() -> None:
    if not REAL_FILES:
        pytest.skip("needs ../shared/data")
    assert len(SAMPLE) >= 30
    # The deepest records of every file: some carry modifications, some the 2022-only fields.
    assert any(r.get("modifications") for r in SAMPLE)
    assert any("offresRecues" in r or "considerationsSociales" in r for r in SAMPLE)
