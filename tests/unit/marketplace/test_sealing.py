"""Sealed bids with real cryptography: round trips, bindings, tampering, key wrapping and key files."""

from __future__ import annotations

import os
import stat
import unicodedata
from pathlib import Path

import pytest
from cryptography.hazmat.primitives.asymmetric.x25519 import X25519PrivateKey
from cryptography.hazmat.primitives.serialization import Encoding, NoEncryption, PrivateFormat
from hypothesis import given, settings
from hypothesis import strategies as st

from spaser.errors import ConfigurationError, InputError, SpaserError
from spaser.marketplace import sealing
from spaser.marketplace.sealing import (
    MAGIC,
    OVERHEAD,
    SealedKey,
    SealingError,
    create_secret_file,
    generate_consultation_key,
    generate_master_key,
    load_or_create_master_key,
    open_sealed,
    seal,
    unwrap_private_key,
)

REF = "2026-DCE-0042"
SIRET = "35600000000048"
NAME = "offre-technique.pdf"
MARKER = b"PRIX-UNITAIRE-CONFIDENTIEL-4817.25-EUR"
BOUND = {"consultation_ref": REF, "supplier_siret": SIRET, "filename": NAME}


def _raw(private: X25519PrivateKey) -> bytes:
    return private.private_bytes(Encoding.Raw, PrivateFormat.Raw, NoEncryption())


@pytest.fixture(scope="module")
def master() -> bytes:
    return generate_master_key()


@pytest.fixture(scope="module")
def sealed_key(master: bytes) -> SealedKey:
    return generate_consultation_key(master, REF)


@pytest.fixture(scope="module")
def private(master: bytes, sealed_key: SealedKey) -> X25519PrivateKey:
    return unwrap_private_key(master, REF, sealed_key)


@pytest.fixture(scope="module")
def envelope(sealed_key: SealedKey) -> bytes:
    return seal(b"header " + MARKER + b" footer", sealed_key.public_key, **BOUND)


def test_round_trip(envelope: bytes, private: X25519PrivateKey) -> None:
    assert open_sealed(envelope, private, **BOUND) == b"header " + MARKER + b" footer"


def test_envelope_layout(envelope: bytes) -> None:
    assert envelope[:4] == MAGIC
    assert envelope[4] == 1
    assert len(envelope) == len(b"header " + MARKER + b" footer") + OVERHEAD


def test_sealing_twice_gives_different_envelopes(sealed_key: SealedKey, private: X25519PrivateKey) -> None:
    first, second = (seal(b"same", sealed_key.public_key, **BOUND) for _ in range(2))
    assert first != second
    assert open_sealed(first, private, **BOUND) == open_sealed(second, private, **BOUND) == b"same"


def test_empty_file_round_trips(sealed_key: SealedKey, private: X25519PrivateKey) -> None:
    assert open_sealed(seal(b"", sealed_key.public_key, **BOUND), private, **BOUND) == b""


@pytest.mark.parametrize(
    ("field", "other"),
    [
        ("consultation_ref", "2026-DCE-0043"),
        ("supplier_siret", "73282932000074"),
        ("filename", "offre-financiere.pdf"),
        ("filename", "offre-technique.PDF"),
    ],
)
def test_other_associated_data_is_refused(envelope: bytes, private: X25519PrivateKey, field: str, other: str) -> None:
    with pytest.raises(SealingError, match="another consultation"):
        open_sealed(envelope, private, **{**BOUND, field: other})


def test_associated_data_fields_cannot_shift(sealed_key: SealedKey, private: X25519PrivateKey) -> None:
    sealed = seal(b"x", sealed_key.public_key, consultation_ref="A1", supplier_siret="23", filename="f")
    with pytest.raises(SealingError):
        open_sealed(sealed, private, consultation_ref="A", supplier_siret="123", filename="f")


def test_unicode_normalisation_of_names(sealed_key: SealedKey, private: X25519PrivateKey) -> None:
    decomposed = unicodedata.normalize("NFD", "mémoire-été.pdf")
    sealed = seal(b"x", sealed_key.public_key, consultation_ref=REF, supplier_siret=SIRET, filename=decomposed)
    composed = unicodedata.normalize("NFC", decomposed)
    assert composed != decomposed
    assert open_sealed(sealed, private, consultation_ref=REF, supplier_siret=SIRET, filename=composed) == b"x"


def test_another_consultation_key_cannot_open(envelope: bytes, master: bytes) -> None:
    other = unwrap_private_key(master, "OTHER", generate_consultation_key(master, "OTHER"))
    with pytest.raises(SealingError, match="another consultation key"):
        open_sealed(envelope, other, **BOUND)


@pytest.mark.parametrize("length", [0, 3, 4, 5, 48, 49, OVERHEAD - 1, -1, -16])
def test_truncated_envelope_is_refused(envelope: bytes, private: X25519PrivateKey, length: int) -> None:
    with pytest.raises(SealingError):
        open_sealed(envelope[:length], private, **BOUND)


@pytest.mark.parametrize(
    "position",
    [0, 3, 4, 5, 20, 36, 37, 48, 49, 60, -17, -16, -1],
    ids=lambda p: f"byte{p}",
)
def test_flipped_bit_is_refused(envelope: bytes, private: X25519PrivateKey, position: int) -> None:
    altered = bytearray(envelope)
    altered[position] ^= 0x01
    with pytest.raises(SealingError):
        open_sealed(bytes(altered), private, **BOUND)


def test_unknown_version_is_named(envelope: bytes, private: X25519PrivateKey) -> None:
    with pytest.raises(SealingError, match="format 2 is unsupported"):
        open_sealed(envelope[:4] + b"\x02" + envelope[5:], private, **BOUND)


def test_not_an_envelope(private: X25519PrivateKey) -> None:
    with pytest.raises(SealingError, match="not a sealed bid"):
        open_sealed(b"%PDF-1.7" + bytes(100), private, **BOUND)


def test_ciphertext_reveals_neither_plaintext_nor_keys(
    envelope: bytes, sealed_key: SealedKey, private: X25519PrivateKey
) -> None:
    for blob in (envelope, sealed_key.wrapped_private_key):
        assert MARKER not in blob
        assert MARKER[:12] not in blob
        assert _raw(private) not in blob
        assert _raw(private)[:8] not in blob


def test_five_megabyte_file_round_trips(sealed_key: SealedKey, private: X25519PrivateKey) -> None:
    data = os.urandom(5 * 1024 * 1024) + MARKER
    sealed = seal(data, sealed_key.public_key, **BOUND)
    assert len(sealed) == len(data) + OVERHEAD
    assert MARKER not in sealed
    assert open_sealed(sealed, private, **BOUND) == data


def test_oversized_file_is_refused(sealed_key: SealedKey, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(sealing, "MAX_PLAINTEXT_SIZE", 10)
    with pytest.raises(InputError, match="more than the 10"):
        seal(bytes(11), sealed_key.public_key, **BOUND)


@pytest.mark.parametrize("public", [b"", bytes(31), bytes(33), bytes(32)], ids=["empty", "31", "33", "zero-point"])
def test_unusable_public_key_is_refused(public: bytes) -> None:
    with pytest.raises(SealingError):
        seal(b"x", public, **BOUND)


# -- consultation keys -----------------------------------------------------------------------------------------------


def test_sealed_key_shape(sealed_key: SealedKey) -> None:
    assert len(sealed_key.public_key) == 32
    assert len(sealed_key.wrapped_private_key) == 12 + 32 + 16
    assert sealed_key.version == 1


def test_unwrap_from_raw_bytes(master: bytes, sealed_key: SealedKey, private: X25519PrivateKey) -> None:
    assert _raw(unwrap_private_key(master, REF, sealed_key.wrapped_private_key)) == _raw(private)


def test_wrong_master_key_cannot_unwrap(sealed_key: SealedKey) -> None:
    with pytest.raises(SealingError, match="wrong master key"):
        unwrap_private_key(generate_master_key(), REF, sealed_key)


def test_other_consultation_cannot_unwrap(master: bytes, sealed_key: SealedKey) -> None:
    with pytest.raises(SealingError, match="another consultation"):
        unwrap_private_key(master, "2026-DCE-0043", sealed_key)


def test_swapped_public_key_is_detected(master: bytes, sealed_key: SealedKey) -> None:
    other = generate_consultation_key(master, REF)
    swapped = SealedKey(public_key=other.public_key, wrapped_private_key=sealed_key.wrapped_private_key)
    with pytest.raises(SealingError, match="does not match"):
        unwrap_private_key(master, REF, swapped)


@pytest.mark.parametrize("cut", [0, 1, 59, 61])
def test_malformed_wrapped_key(master: bytes, sealed_key: SealedKey, cut: int) -> None:
    blob = (sealed_key.wrapped_private_key + b"\0")[:cut]
    with pytest.raises(SealingError, match="malformed"):
        unwrap_private_key(master, REF, blob)


def test_master_key_of_wrong_size_is_a_configuration_error() -> None:
    with pytest.raises(ConfigurationError, match="32 bytes"):
        generate_consultation_key(b"short", REF)


def test_errors_belong_to_the_tree() -> None:
    assert issubclass(SealingError, SpaserError)
    assert SealingError("x").http_status == 403


# -- key files -------------------------------------------------------------------------------------------------------


def test_master_key_file_created_private_and_reused(tmp_path: Path) -> None:
    path = tmp_path / "keys" / "master.key"
    first = load_or_create_master_key(path)
    assert len(first) == 32
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert path.read_text().strip() == first.hex()
    assert load_or_create_master_key(path) == first
    assert [p.name for p in path.parent.iterdir()] == ["master.key"]  # no temporary file left behind


def test_master_key_file_with_raw_bytes(tmp_path: Path) -> None:
    path = tmp_path / "master.key"
    key = generate_master_key()
    path.write_bytes(key)
    assert load_or_create_master_key(path) == key


@pytest.mark.parametrize("content", [b"", b"abc", bytes(31), bytes(33), b"zz" * 32, b"00" * 33])
def test_master_key_file_of_wrong_content_names_the_path(tmp_path: Path, content: bytes) -> None:
    path = tmp_path / "master.key"
    path.write_bytes(content)
    with pytest.raises(ConfigurationError, match=str(path)):
        load_or_create_master_key(path)


def test_secret_file_never_overwrites(tmp_path: Path) -> None:
    path = tmp_path / "secret"
    assert create_secret_file(path, b"first")
    assert not create_secret_file(path, b"second")
    assert path.read_bytes() == b"first"


# -- property ----------------------------------------------------------------------------------------------------------

PROPERTY_KEY = X25519PrivateKey.generate()


@settings(max_examples=60, deadline=None)
@given(data=st.binary(max_size=2048), ref=st.text(), siret=st.text(), filename=st.text())
def test_round_trip_property(data: bytes, ref: str, siret: str, filename: str) -> None:
    public = PROPERTY_KEY.public_key().public_bytes_raw()
    bound = {"consultation_ref": ref, "supplier_siret": siret, "filename": filename}
    sealed = seal(data, public, **bound)
    assert open_sealed(sealed, PROPERTY_KEY, **bound) == data
    with pytest.raises(SealingError):
        open_sealed(sealed, PROPERTY_KEY, **{**bound, "filename": filename + "x"})
