"""The streaming scanner cuts exactly the records a full JSON parse finds, whatever the chunking."""

from __future__ import annotations

import io
import json
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from spaser.decp.json_scan import JsonScanError, RawSlice, scan_json
from tests.conftest import REAL_FILES


def scan(data: bytes, chunk_size: int = 1 << 20) -> list[RawSlice]:
    return [s for batch in scan_json(io.BytesIO(data), chunk_size=chunk_size) for s in batch]


TRICKY = {"id": "a}{[\"]", "objet": "braces } ] { [ and \\\" escapes \\\\", "n": [1, {"x": [2]}], "e": {}}


@pytest.mark.parametrize(
    ("document", "containers"),
    [
        ({"marches": [TRICKY, {"id": "2"}]}, ["marches", "marches"]),
        ({"marches": {"marche": [TRICKY], "contrat-concession": [{"id": "c"}]}}, ["marche", "contrat-concession"]),
        ({"$schema": "x", "marches": [TRICKY]}, ["marches"]),
        ([TRICKY, {"id": "2"}], ["", ""]),
        ({"marches": {"marche": TRICKY}}, ["marche"]),
        ({"meta": {"marches": [1]}, "marches": []}, []),
    ],
)
def test_layouts_and_tricky_strings(document: object, containers: list[str]) -> None:
    data = json.dumps(document).encode()
    for chunk_size in (1, 7, 64, 1 << 20):
        slices = scan(data, chunk_size)
        assert [s.container for s in slices] == containers
        decoded = [json.loads(s.data) for s in slices]
        if containers and containers[0] in ("marches", "marche", ""):
            assert decoded[0] == TRICKY


def test_ndjson_one_record_per_line() -> None:
    data = b'{"id": "1"}\n{"id": "2", "x": "}{"}\n\n{"id": "3"}\n'
    assert [json.loads(s.data)["id"] for s in scan(data, 5)] == ["1", "2", "3"]


def test_values_that_are_not_objects_are_records_too() -> None:
    data = b'{"marches": [{"id": "1"}, "a string, with comma", 42, null, [1, 2], {"id": "2"}]}'
    slices = scan(data, 3)
    assert [s.data for s in slices] == [b'{"id": "1"}', b'"a string, with comma"', b"42", b"null", b"[1, 2]",
                                        b'{"id": "2"}']
    assert [s.index for s in slices] == list(range(6))


def test_bom_is_skipped() -> None:
    assert len(scan(b'\xef\xbb\xbf{"marches": [{"id": "1"}]}')) == 1


def test_truncated_document_keeps_complete_records_and_reports_the_tail() -> None:
    data = b'{"marches": [\n{"id": "1"},\n{"id": "2", "objet": "cut'
    got: list[RawSlice] = []
    with pytest.raises(JsonScanError) as info:
        for batch in scan_json(io.BytesIO(data), chunk_size=8):
            got.extend(batch)
    assert [json.loads(s.data)["id"] for s in got] == ["1"]
    assert info.value.tail.startswith(b'{"id": "2"')
    assert info.value.line == 3
    assert "truncated" in str(info.value)


def test_missing_closing_brackets_is_truncation() -> None:
    with pytest.raises(JsonScanError, match="closing brackets are missing"):
        scan(b'{"marches": [{"id": "1"}')


@pytest.mark.parametrize("data", [b"", b"   \n"])
def test_empty_document(data: bytes) -> None:
    with pytest.raises(JsonScanError, match="empty document"):
        scan(data)


def test_content_after_the_document() -> None:
    with pytest.raises(JsonScanError, match="unexpected"):
        scan(b'{"marches": []} }')


@pytest.mark.parametrize("path", [p for p in REAL_FILES if p.suffix == ".json"], ids=lambda p: p.name)
def test_real_files_match_a_full_parse(path: Path) -> None:
    data = path.read_bytes()
    document = json.loads(data)
    marches = document["marches"]
    expected = marches if isinstance(marches, list) else [r for k in ("marche", "contrat-concession")
                                                           for r in marches.get(k, [])]
    for chunk_size in (100, 4096):
        assert [json.loads(s.data) for s in scan(data, chunk_size)] == expected


@settings(max_examples=60, deadline=None)
@given(
    records=st.lists(
        st.dictionaries(st.text(max_size=5), st.recursive(
            st.none() | st.booleans() | st.integers() | st.text(alphabet='{}[]"\\,: aé\n', max_size=8),
            lambda children: st.lists(children, max_size=3) | st.dictionaries(st.text(max_size=3), children,
                                                                              max_size=3),
            max_leaves=8), max_size=5),
        max_size=6),
    chunk_size=st.integers(min_value=1, max_value=50),
    indent=st.sampled_from([None, 0, 2]),
)
def test_any_records_any_chunking(records: list[dict[str, object]], chunk_size: int, indent: int | None) -> None:
    data = json.dumps({"marches": {"marche": records}}, indent=indent, ensure_ascii=False).encode()
    assert [json.loads(s.data) for s in scan(data, chunk_size)] == records


def test_regions_cut_at_record_separators_equal_the_slices() -> None:
    """One record per line (the national files' layout): most of the file goes through validated regions."""
    from spaser.decp.json_scan import RawRegion, scan_json_batches

    records = [{"id": str(i), "objet": "a },\\n{ b", "titulaires": [{"titulaire": {"id": "1"}}, {}]}
               for i in range(2000)]
    data = ("{\"marches\": {\"marche\": [\n" + ",\n".join(json.dumps(r) for r in records) + "\n]}}").encode()
    batches = list(scan_json_batches(io.BytesIO(data), chunk_size=4096))
    assert any(isinstance(b, RawRegion) for b in batches)
    expanded = [s for b in batches for s in (b.slices() if isinstance(b, RawRegion) else b)]
    assert [json.loads(s.data) for s in expanded] == records
    assert [s.index for s in expanded] == list(range(2000))


def test_truncated_file_with_regions() -> None:
    data = ("[\n" + ",\n".join(json.dumps({"id": str(i)}) for i in range(500)) + ',\n{"id": "cut').encode()
    got: list[RawSlice] = []
    with pytest.raises(JsonScanError, match="truncated"):
        for batch in scan_json(io.BytesIO(data), chunk_size=512):
            got.extend(batch)
    assert len(got) == 500
