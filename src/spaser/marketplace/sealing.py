"""Sealed bids: a file encrypted so that only the consultation's key, held by the platform, can open it.

Each consultation has its own X25519 key pair. Its private key is stored wrapped (AES-256-GCM) under a platform
master key, so a database dump alone opens no bid. A bid file is sealed with a fresh ephemeral X25519 key:
ECDH → HKDF-SHA256 → AES-256-GCM, whose associated data binds the consultation, the supplier and the file name, so a
sealed file copied to another consultation or supplier, or renamed, no longer opens.

Envelope::

    offset  size  field
    0       4     magic b"SPSB"
    4       1     format version (1)
    5       32    ephemeral X25519 public key (raw)
    37      12    AES-GCM nonce (random)
    49      n+16  AES-256-GCM ciphertext of the n-byte plaintext, then its 16-byte tag

Associated data (never stored, rebuilt by whoever opens): for each of b"SPSB", the version byte, consultation_ref,
supplier_siret, filename: a 4-byte big-endian length then the bytes (text as NFC-normalised UTF-8). The length
prefixes make the encoding injective: ("ab", "c") and ("a", "bc") differ.

AES key: HKDF-SHA256(ikm = ECDH shared secret, salt = ephemeral public || recipient public,
info = b"spaser/sealed-bid" || version byte), 32 bytes.
"""

from __future__ import annotations

import os
import secrets
import struct
import unicodedata
from dataclasses import dataclass
from pathlib import Path

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric.x25519 import X25519PrivateKey, X25519PublicKey
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.kdf.hkdf import HKDF
from cryptography.hazmat.primitives.serialization import Encoding, NoEncryption, PrivateFormat, PublicFormat

from spaser.errors import ConfigurationError, InputError, SpaserError

MAGIC = b"SPSB"
FORMAT_VERSION = 1
KEY_WRAP_VERSION = 1
MASTER_KEY_SIZE = 32
#: One-shot AES-GCM holds plaintext and ciphertext in memory together: the cap bounds what one deposit may cost.
MAX_PLAINTEXT_SIZE = 200 * 1024 * 1024

_KEY_SIZE = 32
_NONCE_SIZE = 12
_TAG_SIZE = 16
_HEADER = struct.Struct(f">4sB{_KEY_SIZE}s{_NONCE_SIZE}s")
#: Size of the envelope around the plaintext (header + tag): a sealed file is exactly this much larger.
OVERHEAD = _HEADER.size + _TAG_SIZE
_WRAPPED_SIZE = _NONCE_SIZE + _KEY_SIZE + _TAG_SIZE
_WRAP_SALT = b"spaser/consultation-key-wrap"


class SealingError(SpaserError):
    """A sealed bid or a wrapped key that cannot be opened: refused whole, never partially decrypted."""

    http_status = 403


@dataclass(frozen=True)
class SealedKey:
    """A consultation key pair as stored: the public half in clear, the private half wrapped under the master key."""

    public_key: bytes
    wrapped_private_key: bytes
    version: int = KEY_WRAP_VERSION


# -- encoding helpers ----------------------------------------------------------------------------------------------


def _text(value: str, what: str) -> bytes:
    # NFC so that a name typed on macOS (NFD) and the same name stored elsewhere (NFC) bind identically.
    if not isinstance(value, str):
        raise SealingError(f"{what} must be text, not {type(value).__name__}")
    try:
        return unicodedata.normalize("NFC", value).encode("utf-8")
    except UnicodeEncodeError as exc:
        raise SealingError(f"{what} is not valid Unicode text") from exc


def _length_prefixed(*parts: bytes) -> bytes:
    return b"".join(struct.pack(">I", len(part)) + part for part in parts)


def associated_data(consultation_ref: str, supplier_siret: str, filename: str, version: int = FORMAT_VERSION) -> bytes:
    """The canonical bytes a sealed bid is bound to (public so that other tools can check the format)."""
    return _length_prefixed(
        MAGIC,
        bytes([version]),
        _text(consultation_ref, "consultation reference"),
        _text(supplier_siret, "supplier SIRET"),
        _text(filename, "file name"),
    )


def _raw_public(key: X25519PublicKey) -> bytes:
    return key.public_bytes(Encoding.Raw, PublicFormat.Raw)


# -- consultation keys -----------------------------------------------------------------------------------------------


def generate_master_key() -> bytes:
    """32 random bytes from the OS CSPRNG."""
    return secrets.token_bytes(MASTER_KEY_SIZE)


def _wrapping_key(master_key: bytes, consultation_ref: str, version: int) -> bytes:
    """A key per consultation: a wrapped key copied onto another consultation's row cannot be unwrapped there."""
    if not isinstance(master_key, bytes) or len(master_key) != MASTER_KEY_SIZE:
        raise ConfigurationError(f"the master key must be {MASTER_KEY_SIZE} bytes")
    info = _length_prefixed(b"spaser/consultation-key", bytes([version]), _text(consultation_ref, "consultation ref"))
    return HKDF(algorithm=hashes.SHA256(), length=_KEY_SIZE, salt=_WRAP_SALT, info=info).derive(master_key)


def generate_consultation_key(master_key: bytes, consultation_ref: str) -> SealedKey:
    """A fresh X25519 key pair for one consultation, its private half wrapped so that only the platform opens bids."""
    private = X25519PrivateKey.generate()
    raw_private = private.private_bytes(Encoding.Raw, PrivateFormat.Raw, NoEncryption())
    nonce = secrets.token_bytes(_NONCE_SIZE)
    cipher = AESGCM(_wrapping_key(master_key, consultation_ref, KEY_WRAP_VERSION))
    wrapped = nonce + cipher.encrypt(nonce, raw_private, bytes([KEY_WRAP_VERSION]))
    return SealedKey(public_key=_raw_public(private.public_key()), wrapped_private_key=wrapped)


def unwrap_private_key(master_key: bytes, consultation_ref: str, wrapped: SealedKey | bytes) -> X25519PrivateKey:
    """The consultation's private key; SealingError for a wrong master key, another consultation or altered bytes.

    Given the whole SealedKey, also checks that the private key matches the stored public key, which catches a
    public key swapped in the database (bids sealed to it could never be opened).
    """
    public: bytes | None = None
    if isinstance(wrapped, SealedKey):
        if wrapped.version != KEY_WRAP_VERSION:
            raise SealingError(f"wrapped consultation key version {wrapped.version} is not supported")
        public, wrapped = wrapped.public_key, wrapped.wrapped_private_key
    if len(wrapped) != _WRAPPED_SIZE:
        raise SealingError(f"wrapped consultation key is malformed: {len(wrapped)} bytes instead of {_WRAPPED_SIZE}")
    cipher = AESGCM(_wrapping_key(master_key, consultation_ref, KEY_WRAP_VERSION))
    try:
        raw = cipher.decrypt(wrapped[:_NONCE_SIZE], wrapped[_NONCE_SIZE:], bytes([KEY_WRAP_VERSION]))
    except InvalidTag:
        raise SealingError(
            f"cannot unwrap the key of consultation {consultation_ref!r}: wrong master key, "
            "a key belonging to another consultation, or altered data"
        ) from None
    private = X25519PrivateKey.from_private_bytes(raw)
    if public is not None and not secrets.compare_digest(_raw_public(private.public_key()), public):
        raise SealingError(f"the stored public key of consultation {consultation_ref!r} does not match its private key")
    return private


# -- sealing ----------------------------------------------------------------------------------------------------------


def _bid_key(shared: bytes, ephemeral_public: bytes, recipient_public: bytes) -> bytes:
    info = b"spaser/sealed-bid" + bytes([FORMAT_VERSION])
    hkdf = HKDF(algorithm=hashes.SHA256(), length=_KEY_SIZE, salt=ephemeral_public + recipient_public, info=info)
    return hkdf.derive(shared)


def seal(plaintext: bytes, public_key: bytes, *, consultation_ref: str, supplier_siret: str, filename: str) -> bytes:
    """Encrypt one bid file to the consultation's public key; only the holder of its private key can open it."""
    if len(plaintext) > MAX_PLAINTEXT_SIZE:
        raise InputError(f"{filename}: {len(plaintext)} bytes, more than the {MAX_PLAINTEXT_SIZE} a bid file may have")
    if not isinstance(public_key, bytes) or len(public_key) != _KEY_SIZE:
        raise SealingError(f"the consultation public key must be {_KEY_SIZE} raw bytes")
    aad = associated_data(consultation_ref, supplier_siret, filename)
    ephemeral = X25519PrivateKey.generate()
    ephemeral_public = _raw_public(ephemeral.public_key())
    try:
        shared = ephemeral.exchange(X25519PublicKey.from_public_bytes(public_key))
    except ValueError:  # a low-order point: the shared secret would be all zeros, known to everyone
        raise SealingError("the consultation public key is not a usable X25519 key") from None
    nonce = secrets.token_bytes(_NONCE_SIZE)
    ciphertext = AESGCM(_bid_key(shared, ephemeral_public, public_key)).encrypt(nonce, plaintext, aad)
    return _HEADER.pack(MAGIC, FORMAT_VERSION, ephemeral_public, nonce) + ciphertext


def open_sealed(
    envelope: bytes, private_key: X25519PrivateKey, *, consultation_ref: str, supplier_siret: str, filename: str
) -> bytes:
    """Decrypt a sealed bid; SealingError when it is malformed, altered, bound to other data or to another key.

    AES-GCM cannot tell a wrong key from altered bytes or other associated data: one message covers all three.
    """
    if len(envelope) < OVERHEAD:
        raise SealingError(f"{filename}: not a sealed bid: {len(envelope)} bytes, fewer than an envelope's {OVERHEAD}")
    if len(envelope) > MAX_PLAINTEXT_SIZE + OVERHEAD:
        raise SealingError(f"{filename}: larger than any sealed bid ({len(envelope)} bytes)")
    magic, version, ephemeral_public, nonce = _HEADER.unpack_from(envelope)
    if magic != MAGIC:
        raise SealingError(f"{filename}: not a sealed bid (it does not start with {MAGIC!r})")
    if version != FORMAT_VERSION:
        raise SealingError(f"{filename}: sealed bid format {version} is unsupported (expected {FORMAT_VERSION})")
    aad = associated_data(consultation_ref, supplier_siret, filename, version)
    recipient_public = _raw_public(private_key.public_key())
    try:
        shared = private_key.exchange(X25519PublicKey.from_public_bytes(ephemeral_public))
    except ValueError:
        raise SealingError(f"{filename}: the sealed bid is malformed (unusable ephemeral key)") from None
    cipher = AESGCM(_bid_key(shared, ephemeral_public, recipient_public))
    try:
        return cipher.decrypt(nonce, memoryview(envelope)[_HEADER.size :], aad)
    except InvalidTag:
        raise SealingError(
            f"{filename}: the sealed bid cannot be opened: it was altered, or it was sealed for another consultation, "
            "another supplier or another file name, or with another consultation key"
        ) from None


# -- key files -------------------------------------------------------------------------------------------------------


def create_secret_file(path: Path, data: bytes) -> bool:
    """Create a 0o600 file holding data; False, writing nothing, when the path already exists.

    The content goes to a temporary name, is fsynced, then hard-linked into place: a reader never sees a half-written
    key, and two processes racing to create it cannot replace each other's key (the loser reads the winner's one).
    """
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        temporary = path.with_name(f".{path.name}.{secrets.token_hex(8)}.tmp")
        descriptor = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        try:
            with os.fdopen(descriptor, "wb") as handle:
                handle.write(data)
                handle.flush()
                os.fsync(handle.fileno())
            try:
                os.link(temporary, path)
            except FileExistsError:
                return False
        finally:
            temporary.unlink(missing_ok=True)
        directory = os.open(path.parent, os.O_RDONLY)
        try:
            os.fsync(directory)
        finally:
            os.close(directory)
    except OSError as exc:
        raise ConfigurationError(f"{path}: cannot create the key file: {exc.strerror or exc}") from exc
    return True


def read_key_file(path: Path) -> bytes:
    """The bytes of a key file, or a ConfigurationError naming it."""
    try:
        return path.read_bytes()
    except OSError as exc:
        raise ConfigurationError(f"{path}: cannot read the key file: {exc.strerror or exc}") from exc


def load_or_create_master_key(path: Path) -> bytes:
    """The platform master key, created (as hex, mode 0o600) on first use; raw 32 bytes or 64 hex digits are read."""
    if not path.exists():
        key = generate_master_key()
        if create_secret_file(path, key.hex().encode("ascii") + b"\n"):
            return key
    content = read_key_file(path)
    if len(content) == MASTER_KEY_SIZE:
        return content
    text = content.strip()
    if len(text) == 2 * MASTER_KEY_SIZE:
        try:
            return bytes.fromhex(text.decode("ascii"))
        except (UnicodeDecodeError, ValueError):
            pass
    raise ConfigurationError(
        f"{path}: not a master key: expected {MASTER_KEY_SIZE} raw bytes or {2 * MASTER_KEY_SIZE} hex digits, "
        f"found {len(content)} bytes"
    )
