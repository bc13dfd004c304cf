"""Password hashing with Argon2id (argon2-cffi's defaults, RFC 9106 low-memory profile) and the password rule."""

from __future__ import annotations

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError, VerifyMismatchError

from spaser.errors import InputError

MIN_LENGTH = 12
_HASHER = PasswordHasher()


def check_password_rule(password: str) -> None:
    """Length over composition rules (ANSSI and NIST both favour long passphrases)."""
    if len(password) < MIN_LENGTH:
        raise InputError(f"password: at least {MIN_LENGTH} characters are required (got {len(password)})")
    if len(password) > 1024:
        raise InputError("password: at most 1 024 characters")


def hash_password(password: str) -> str:
    check_password_rule(password)
    return _HASHER.hash(password)


def verify_password(stored_hash: str, password: str) -> bool:
    try:
        return _HASHER.verify(stored_hash, password)
    except (VerifyMismatchError, VerificationError, InvalidHashError):
        return False


def needs_rehash(stored_hash: str) -> bool:
    return _HASHER.check_needs_rehash(stored_hash)


#: Verified against when the e-mail is unknown, so a login takes as long whether or not the account exists.
DUMMY_HASH = _HASHER.hash("spaser-timing-equaliser")
