"""Deposit receipts: proof, signed by the platform's Ed25519 key, that a supplier deposited given files at a given time.

A signed document is plain JSON, verifiable offline by anyone holding the platform's public key::

    {"receipt": {...}, "signature": "<base64>", "algorithm": "Ed25519",
     "public_key": "<base64 of the raw 32-byte key>", "key_fingerprint": "ab12:cd34:ef56:7890"}

The signature covers the canonical JSON of the "receipt" object: keys sorted, no whitespace, UTF-8 with non-ASCII
characters kept as is (ensure_ascii=False). Datetimes are UTC, always with microseconds and a "Z" suffix, so a given
receipt has exactly one serialisation. Verifying without a trusted key only proves the document is intact under the
key it embeds (anyone can make such a document): pass the platform's key to prove that the platform issued it.
"""

from __future__ import annotations

import base64
import binascii
import datetime as dt
import hashlib
import json
import re
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any, NamedTuple

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey
from cryptography.hazmat.primitives.serialization import (
    Encoding,
    NoEncryption,
    PrivateFormat,
    PublicFormat,
    load_pem_private_key,
    load_pem_public_key,
)

from spaser.errors import ConfigurationError, SpaserError
from spaser.marketplace.sealing import create_secret_file, read_key_file

ALGORITHM = "Ed25519"
RECEIPT_VERSION = 1
_DATETIME = re.compile(r"\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{6}Z")
_SHA256 = re.compile(r"[0-9a-f]{64}")
_DOCUMENT_FIELDS = ("receipt", "signature", "algorithm", "public_key", "key_fingerprint")
_RECEIPT_FIELDS = frozenset(
    {"receipt_version", "receipt_id", "consultation_ref", "consultation_title", "supplier_siret", "supplier_name"}
    | {"deposited_at", "deadline", "files", "bid_sequence", "is_backup"}
)
_FILE_FIELDS = frozenset({"filename", "size", "sha256"})


class ReceiptError(SpaserError):
    """A receipt that is malformed, altered or not signed by the expected key."""

    http_status = 400


class ReceiptFile(NamedTuple):
    """One deposited file: its name, size in bytes and SHA-256 (lowercase hex) of the plaintext, before sealing."""

    filename: str
    size: int
    sha256: str


def _utc(value: dt.datetime, name: str) -> dt.datetime:
    if not isinstance(value, dt.datetime) or value.utcoffset() is None:
        raise ReceiptError(f"{name} must be a timezone-aware datetime")
    return value.astimezone(dt.UTC)


@dataclass(frozen=True)
class Receipt:
    """What the platform attests; datetimes are normalised to UTC, files to ReceiptFile tuples."""

    receipt_id: str
    consultation_ref: str
    consultation_title: str
    supplier_siret: str
    supplier_name: str
    deposited_at: dt.datetime
    deadline: dt.datetime
    files: tuple[ReceiptFile, ...]
    bid_sequence: int = 1
    is_backup: bool = False

    def __post_init__(self) -> None:
        for name in ("receipt_id", "consultation_ref", "consultation_title", "supplier_siret", "supplier_name"):
            if not isinstance(getattr(self, name), str):
                raise ReceiptError(f"{name} must be text")
        object.__setattr__(self, "deposited_at", _utc(self.deposited_at, "deposited_at"))
        object.__setattr__(self, "deadline", _utc(self.deadline, "deadline"))
        object.__setattr__(self, "files", tuple(_file(entry) for entry in self.files))
        if not _is_int(self.bid_sequence) or self.bid_sequence < 1:
            raise ReceiptError("bid_sequence must be an integer from 1")
        if not isinstance(self.is_backup, bool):
            raise ReceiptError("is_backup must be true or false")


def _is_int(value: object) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


def _file(entry: object) -> ReceiptFile:
    if not isinstance(entry, tuple) or len(entry) != 3:
        raise ReceiptError("each file must be (filename, size, sha256)")
    filename, size, digest = entry
    if not isinstance(filename, str) or not _is_int(size) or size < 0:
        raise ReceiptError(f"file {filename!r}: needs a text name and a size in bytes")
    if not isinstance(digest, str) or not _SHA256.fullmatch(digest):
        raise ReceiptError(f"file {filename!r}: sha256 must be 64 lowercase hex digits")
    return ReceiptFile(filename, size, digest)


# -- keys ------------------------------------------------------------------------------------------------------------


def load_or_create_signing_key(path: Path) -> Ed25519PrivateKey:
    """The platform's receipt-signing key, created on first use (PEM PKCS#8, unencrypted, mode 0o600)."""
    if not path.exists():
        key = Ed25519PrivateKey.generate()
        if create_secret_file(path, key.private_bytes(Encoding.PEM, PrivateFormat.PKCS8, NoEncryption())):
            return key
    try:
        loaded = load_pem_private_key(read_key_file(path), password=None)
    except (ValueError, TypeError) as exc:
        raise ConfigurationError(f"{path}: not an unencrypted PEM PKCS#8 private key") from exc
    if not isinstance(loaded, Ed25519PrivateKey):
        raise ConfigurationError(f"{path}: the receipt signing key must be Ed25519, not {type(loaded).__name__}")
    return loaded


def _public(key: Ed25519PrivateKey | Ed25519PublicKey) -> Ed25519PublicKey:
    return key.public_key() if isinstance(key, Ed25519PrivateKey) else key


def _raw(key: Ed25519PrivateKey | Ed25519PublicKey) -> bytes:
    return _public(key).public_bytes(Encoding.Raw, PublicFormat.Raw)


def public_key_pem(key: Ed25519PrivateKey | Ed25519PublicKey) -> str:
    """The public key as PEM SubjectPublicKeyInfo, to publish so that anyone can verify receipts."""
    return _public(key).public_bytes(Encoding.PEM, PublicFormat.SubjectPublicKeyInfo).decode("ascii")


def fingerprint(public_key: Ed25519PrivateKey | Ed25519PublicKey | bytes) -> str:
    """A short name for a key, for humans comparing it by eye: the first 16 hex digits of SHA-256 of the raw
    32-byte public key, in groups of 4 joined by ':' (e.g. "ab12:cd34:ef56:7890"). Never a substitute for the
    full key when deciding trust: verification compares whole keys."""
    raw = public_key if isinstance(public_key, bytes) else _raw(public_key)
    digest = hashlib.sha256(raw).hexdigest()[:16]
    return ":".join(digest[i : i + 4] for i in range(0, 16, 4))


def _trusted_raw(trusted: bytes) -> bytes:
    if trusted.lstrip().startswith(b"-----BEGIN"):
        try:
            loaded = load_pem_public_key(trusted)
        except ValueError as exc:
            raise ReceiptError("the trusted public key is not a valid PEM key") from exc
        if not isinstance(loaded, Ed25519PublicKey):
            raise ReceiptError("the trusted public key is not an Ed25519 key")
        return _raw(loaded)
    if len(trusted) != 32:
        raise ReceiptError("the trusted public key must be 32 raw bytes or PEM")
    return trusted


# -- signing and verifying -------------------------------------------------------------------------------------------


def _timestamp(value: dt.datetime) -> str:
    return value.astimezone(dt.UTC).replace(tzinfo=None).isoformat(timespec="microseconds") + "Z"


def receipt_fields(receipt: Receipt) -> dict[str, Any]:
    """The JSON object that gets signed."""
    return {
        "receipt_version": RECEIPT_VERSION,
        "receipt_id": receipt.receipt_id,
        "consultation_ref": receipt.consultation_ref,
        "consultation_title": receipt.consultation_title,
        "supplier_siret": receipt.supplier_siret,
        "supplier_name": receipt.supplier_name,
        "deposited_at": _timestamp(receipt.deposited_at),
        "deadline": _timestamp(receipt.deadline),
        "files": [{"filename": f.filename, "size": f.size, "sha256": f.sha256} for f in receipt.files],
        "bid_sequence": receipt.bid_sequence,
        "is_backup": receipt.is_backup,
    }


def canonical_json(value: object) -> bytes:
    """One byte string per value, so that signer and verifier hash the same thing."""
    try:
        text = json.dumps(value, sort_keys=True, separators=(",", ":"), ensure_ascii=False, allow_nan=False)
        return text.encode("utf-8")
    except (TypeError, ValueError) as exc:  # UnicodeEncodeError (a lone surrogate) is a ValueError
        raise ReceiptError(f"receipt cannot be serialised canonically: {exc}") from None


def sign_receipt(receipt: Receipt, key: Ed25519PrivateKey) -> dict[str, Any]:
    """The signed, JSON-able receipt document handed to the supplier."""
    fields = receipt_fields(receipt)
    return {
        "receipt": fields,
        "signature": base64.b64encode(key.sign(canonical_json(fields))).decode("ascii"),
        "algorithm": ALGORITHM,
        "public_key": base64.b64encode(_raw(key)).decode("ascii"),
        "key_fingerprint": fingerprint(key),
    }


def _b64(document: Mapping[str, Any], name: str, size: int) -> bytes:
    value = document[name]
    try:
        if not isinstance(value, str):
            raise ValueError
        decoded = base64.b64decode(value.encode("ascii"), validate=True)
    except (ValueError, UnicodeEncodeError, binascii.Error):
        raise ReceiptError(f"receipt {name} is not valid base64") from None
    if base64.b64encode(decoded).decode("ascii") != value:  # other spellings of the same bytes: refuse them too
        raise ReceiptError(f"receipt {name} is not canonical base64")
    if len(decoded) != size:
        raise ReceiptError(f"receipt {name} must decode to {size} bytes, not {len(decoded)}")
    return decoded


def verify_receipt(document: Mapping[str, Any], trusted_public_key: bytes | None = None) -> Receipt:
    """The receipt, once its signature is checked (against trusted_public_key, raw or PEM, when given)."""
    if not isinstance(document, Mapping):
        raise ReceiptError("a signed receipt must be a JSON object")
    missing = [name for name in _DOCUMENT_FIELDS if name not in document]
    if missing:
        raise ReceiptError(f"signed receipt lacks {', '.join(missing)}")
    if document["algorithm"] != ALGORITHM:
        raise ReceiptError(f"receipt algorithm {document['algorithm']!r} is not supported (expected {ALGORITHM})")
    public_key = _b64(document, "public_key", 32)
    signature = _b64(document, "signature", 64)
    if document["key_fingerprint"] != fingerprint(public_key):
        raise ReceiptError("receipt key_fingerprint does not match its public_key")
    if trusted_public_key is not None:
        trusted = _trusted_raw(trusted_public_key)
        if trusted != public_key:
            raise ReceiptError(
                f"receipt signed by key {fingerprint(public_key)}, not by the trusted key {fingerprint(trusted)}"
            )
    fields = document["receipt"]
    if not isinstance(fields, dict):
        raise ReceiptError("receipt must be a JSON object")
    try:
        Ed25519PublicKey.from_public_bytes(public_key).verify(signature, canonical_json(fields))
    except (InvalidSignature, ValueError, TypeError):
        raise ReceiptError("receipt signature is invalid: the receipt was altered or signed by another key") from None
    receipt = _parse(fields)
    if receipt_fields(receipt) != fields:  # signed but not canonical: refuse rather than guess what was meant
        raise ReceiptError("receipt fields are not in canonical form")
    return receipt


def _parse_datetime(value: object, name: str) -> dt.datetime:
    if not isinstance(value, str) or not _DATETIME.fullmatch(value):
        raise ReceiptError(f"receipt {name} must be a UTC timestamp like 2026-11-22T10:00:00.000000Z")
    try:
        return dt.datetime.fromisoformat(value)
    except ValueError:
        raise ReceiptError(f"receipt {name} is not a valid date and time: {value!r}") from None


def _parse(fields: dict[str, Any]) -> Receipt:
    missing = sorted(_RECEIPT_FIELDS - fields.keys())
    unknown = sorted(fields.keys() - _RECEIPT_FIELDS)
    if missing or unknown:
        raise ReceiptError(f"receipt fields: missing {missing or 'none'}, unknown {unknown or 'none'}")
    if fields["receipt_version"] != RECEIPT_VERSION or not _is_int(fields["receipt_version"]):
        raise ReceiptError(f"receipt version {fields['receipt_version']!r} is not supported")
    files = fields["files"]
    if not isinstance(files, list) or not all(isinstance(f, dict) and f.keys() == _FILE_FIELDS for f in files):
        raise ReceiptError("receipt files must be a list of {filename, size, sha256} objects")
    return Receipt(
        receipt_id=fields["receipt_id"],
        consultation_ref=fields["consultation_ref"],
        consultation_title=fields["consultation_title"],
        supplier_siret=fields["supplier_siret"],
        supplier_name=fields["supplier_name"],
        deposited_at=_parse_datetime(fields["deposited_at"], "deposited_at"),
        deadline=_parse_datetime(fields["deadline"], "deadline"),
        files=tuple(ReceiptFile(f["filename"], f["size"], f["sha256"]) for f in files),
        bid_sequence=fields["bid_sequence"],
        is_backup=fields["is_backup"],
    )


def _no_duplicate_keys(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    result = dict(pairs)
    if len(result) != len(pairs):
        raise ReceiptError("receipt JSON repeats a key: ambiguous, refused")
    return result


def receipt_from_json(text: str | bytes, trusted_public_key: bytes | None = None) -> Receipt:
    """Verify a receipt from its JSON text alone, e.g. a file the supplier kept (works offline)."""
    try:
        document = json.loads(text, object_pairs_hook=_no_duplicate_keys)
    except (ValueError, RecursionError) as exc:  # JSONDecodeError and UnicodeDecodeError are ValueErrors
        raise ReceiptError(f"receipt is not valid JSON: {exc}") from None
    return verify_receipt(document, trusted_public_key)
