"""Signed deposit receipts with real Ed25519: round trips, tampering, foreign keys and offline verification."""

from __future__ import annotations

import base64
import copy
import datetime as dt
import hashlib
import json
import re
import stat
from pathlib import Path
from typing import Any

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from spaser.errors import ConfigurationError, SpaserError
from spaser.marketplace.receipts import (
    Receipt,
    ReceiptError,
    ReceiptFile,
    canonical_json,
    fingerprint,
    load_or_create_signing_key,
    public_key_pem,
    receipt_from_json,
    sign_receipt,
    verify_receipt,
)

PARIS = dt.timezone(dt.timedelta(hours=1))
DEPOSITED = dt.datetime(2026, 11, 22, 11, 59, 58, 123456, tzinfo=PARIS)
DEADLINE = dt.datetime(2026, 11, 23, 12, 0, tzinfo=dt.UTC)


def _sha(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


RECEIPT = Receipt(
    receipt_id="R-2026-000731",
    consultation_ref="2026-DCE-0042",
    consultation_title="Entretien des espaces verts — lot n°2 (élagage)",
    supplier_siret="35600000000048",
    supplier_name="Jardins & Forêts SARL",
    deposited_at=DEPOSITED,
    deadline=DEADLINE,
    files=(
        ReceiptFile("offre-technique.pdf", 1_048_576, _sha(b"technique")),
        ReceiptFile("bordereau des prix.xlsx", 20_480, _sha(b"prix")),
    ),
    bid_sequence=2,
    is_backup=False,
)


@pytest.fixture(scope="module")
def key() -> Ed25519PrivateKey:
    return Ed25519PrivateKey.generate()


@pytest.fixture(scope="module")
def raw_public(key: Ed25519PrivateKey) -> bytes:
    return key.public_key().public_bytes_raw()


@pytest.fixture()
def document(key: Ed25519PrivateKey) -> dict[str, Any]:
    return sign_receipt(RECEIPT, key)


def test_round_trip(document: dict[str, Any], raw_public: bytes) -> None:
    assert verify_receipt(document) == RECEIPT
    assert verify_receipt(document, trusted_public_key=raw_public) == RECEIPT


def test_document_shape(document: dict[str, Any], key: Ed25519PrivateKey, raw_public: bytes) -> None:
    assert set(document) == {"receipt", "signature", "algorithm", "public_key", "key_fingerprint"}
    assert document["algorithm"] == "Ed25519"
    assert base64.b64decode(document["public_key"]) == raw_public
    assert document["key_fingerprint"] == fingerprint(key.public_key())
    signed = canonical_json(document["receipt"])
    key.public_key().verify(base64.b64decode(document["signature"]), signed)  # any Ed25519 tool can check it
    assert "élagage".encode() in signed  # ensure_ascii=False: UTF-8, not \u escapes
    assert list(json.loads(signed)) == sorted(document["receipt"])
    assert b'": ' not in signed and b', "' not in signed  # no whitespace between tokens


def test_datetimes_keep_microseconds_and_utc(document: dict[str, Any]) -> None:
    assert document["receipt"]["deposited_at"] == "2026-11-22T10:59:58.123456Z"
    assert document["receipt"]["deadline"] == "2026-11-23T12:00:00.000000Z"
    back = receipt_from_json(json.dumps(document))
    assert back.deposited_at == DEPOSITED
    assert back.deposited_at.microsecond == 123456
    assert back.deposited_at.utcoffset() == dt.timedelta(0)
    assert back.deadline.tzinfo is not None and back.deadline.utcoffset() == dt.timedelta(0)


def test_naive_datetime_is_refused() -> None:
    with pytest.raises(ReceiptError, match="timezone-aware"):
        Receipt(**{**RECEIPT.__dict__, "deposited_at": dt.datetime(2026, 11, 22, 12)})


def test_offline_verification_from_json_text(document: dict[str, Any], key: Ed25519PrivateKey) -> None:
    text = json.dumps(document, ensure_ascii=True, indent=2)  # however the supplier's copy was pretty-printed
    pem = public_key_pem(key).encode("ascii")
    assert receipt_from_json(text, trusted_public_key=pem) == RECEIPT
    assert receipt_from_json(text.encode("utf-8")) == RECEIPT


TAMPERED_VALUES: list[tuple[str, Any]] = [
    ("receipt_id", "R-2026-000732"),
    ("consultation_ref", "2026-DCE-0043"),
    ("consultation_title", "Entretien des espaces verts — lot n°3"),
    ("supplier_siret", "73282932000074"),
    ("supplier_name", "Jardins & Forets SARL"),
    ("deposited_at", "2026-11-22T10:59:58.123455Z"),
    ("deadline", "2026-11-24T12:00:00.000000Z"),
    ("files", []),
    ("bid_sequence", 1),
    ("is_backup", True),
    ("receipt_version", 2),
]


@pytest.mark.parametrize(("field", "value"), TAMPERED_VALUES, ids=[f for f, _ in TAMPERED_VALUES])
def test_each_tampered_field_is_refused(document: dict[str, Any], field: str, value: Any) -> None:
    assert document["receipt"][field] != value
    document["receipt"][field] = value
    with pytest.raises(ReceiptError, match="signature is invalid"):
        receipt_from_json(json.dumps(document))


@pytest.mark.parametrize(
    ("name", "value"), [("filename", "offre-technique.PDF"), ("size", 1_048_577), ("sha256", _sha(b"autre"))]
)
def test_tampered_file_entry_is_refused(document: dict[str, Any], name: str, value: Any) -> None:
    document["receipt"]["files"][1][name] = value
    with pytest.raises(ReceiptError, match="signature is invalid"):
        verify_receipt(document)


def test_added_removed_or_reordered_entries_are_refused(document: dict[str, Any]) -> None:
    for change in ("add", "remove", "reorder"):
        altered = copy.deepcopy(document)
        fields = altered["receipt"]
        if change == "add":
            fields["amount"] = "1000.00"
        elif change == "remove":
            del fields["supplier_name"]
        else:
            fields["files"].reverse()
        with pytest.raises(ReceiptError):
            verify_receipt(altered)


def test_altered_signature_is_refused(document: dict[str, Any]) -> None:
    signature = bytearray(base64.b64decode(document["signature"]))
    signature[10] ^= 0x01
    document["signature"] = base64.b64encode(bytes(signature)).decode()
    with pytest.raises(ReceiptError, match="signature is invalid"):
        verify_receipt(document)


def test_resigned_by_another_key_is_refused_when_a_key_is_trusted(raw_public: bytes) -> None:
    forger = Ed25519PrivateKey.generate()
    forged = sign_receipt(RECEIPT, forger)
    assert verify_receipt(forged) == RECEIPT  # intact under its own key: hence the trusted key
    with pytest.raises(ReceiptError, match=f"signed by key {re.escape(fingerprint(forger))}, not by the trusted"):
        verify_receipt(forged, trusted_public_key=raw_public)


def test_swapped_embedded_key_is_refused(document: dict[str, Any]) -> None:
    other = Ed25519PrivateKey.generate()
    document["public_key"] = base64.b64encode(other.public_key().public_bytes_raw()).decode()
    document["key_fingerprint"] = fingerprint(other)
    with pytest.raises(ReceiptError, match="signature is invalid"):
        verify_receipt(document)


def test_fingerprint_mismatch_is_refused(document: dict[str, Any]) -> None:
    document["key_fingerprint"] = fingerprint(Ed25519PrivateKey.generate())
    with pytest.raises(ReceiptError, match="key_fingerprint does not match"):
        verify_receipt(document)


@pytest.mark.parametrize("field", ["receipt", "signature", "algorithm", "public_key", "key_fingerprint"])
def test_missing_document_field_is_named(document: dict[str, Any], field: str) -> None:
    del document[field]
    with pytest.raises(ReceiptError, match=f"lacks {field}"):
        verify_receipt(document)


@pytest.mark.parametrize("field", ["signature", "public_key"])
@pytest.mark.parametrize("value", ["not base64!", "QUJD", 42, "QUJDRA", "QUJDRB=="])
def test_bad_base64_is_refused(document: dict[str, Any], field: str, value: Any) -> None:
    document[field] = value
    with pytest.raises(ReceiptError, match=field):
        verify_receipt(document)


def test_other_algorithm_is_refused(document: dict[str, Any]) -> None:
    document["algorithm"] = "RS256"
    with pytest.raises(ReceiptError, match="'RS256' is not supported"):
        verify_receipt(document)


@pytest.mark.parametrize("text", ["", "{", "[1, 2]", "null", '{"receipt": {}, "receipt": {}}', b"\xff\xfe"])
def test_invalid_json_is_refused_clearly(text: str | bytes) -> None:
    with pytest.raises(ReceiptError, match="JSON"):
        receipt_from_json(text)


def test_wrong_trusted_key_format(document: dict[str, Any]) -> None:
    with pytest.raises(ReceiptError, match="32 raw bytes or PEM"):
        verify_receipt(document, trusted_public_key=b"short")


def test_receipt_error_in_the_tree() -> None:
    assert issubclass(ReceiptError, SpaserError)
    assert ReceiptError("x").http_status == 400


def test_fingerprint_format(key: Ed25519PrivateKey, raw_public: bytes) -> None:
    assert re.fullmatch(r"[0-9a-f]{4}(:[0-9a-f]{4}){3}", fingerprint(key))
    assert fingerprint(key) == fingerprint(key.public_key()) == fingerprint(raw_public)
    assert fingerprint(raw_public).replace(":", "") == hashlib.sha256(raw_public).hexdigest()[:16]


# -- key file ----------------------------------------------------------------------------------------------------------


def test_signing_key_file_created_private_and_reused(tmp_path: Path) -> None:
    path = tmp_path / "keys" / "receipts.pem"
    first = load_or_create_signing_key(path)
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert path.read_text().startswith("-----BEGIN PRIVATE KEY-----")
    second = load_or_create_signing_key(path)
    assert second.public_key().public_bytes_raw() == first.public_key().public_bytes_raw()
    assert public_key_pem(second).startswith("-----BEGIN PUBLIC KEY-----")
    assert verify_receipt(sign_receipt(RECEIPT, first), trusted_public_key=public_key_pem(second).encode()) == RECEIPT


def test_corrupt_signing_key_file_names_the_path(tmp_path: Path) -> None:
    path = tmp_path / "receipts.pem"
    path.write_text("not a key")
    with pytest.raises(ConfigurationError, match=re.escape(str(path))):
        load_or_create_signing_key(path)
