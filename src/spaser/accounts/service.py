"""Accounts: organisations, users, login with rate limiting, server-side sessions, password reset via the outbox.

Every change is audited in the caller's transaction. Messages that name no account (unknown e-mail, wrong
password) are the same, so the login form does not reveal who has an account.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import re
import secrets
from collections.abc import Iterable
from dataclasses import dataclass

from sqlalchemy import func, select, update
from sqlalchemy.orm import InstrumentedAttribute, Session

from spaser.accounts.models import (
    BUYER_ROLES,
    ORGANISATION_KINDS,
    SUPPLIER_ROLES,
    LoginAttempt,
    Organisation,
    OutboxMessage,
    PasswordResetToken,
    User,
    UserSession,
)
from spaser.accounts.passwords import DUMMY_HASH, hash_password, needs_rehash, verify_password
from spaser.accounts.roles import require
from spaser.domain.siret import is_valid_siret
from spaser.errors import (
    ConflictError,
    InputError,
    NotFoundError,
    PermissionDeniedError,
    TooManyRequestsError,
)
from spaser.platform_db.context import Context

_EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")
RESET_HOURS = 2


WRONG_CREDENTIALS = "wrong e-mail address or password"


def _token_hash(token: str) -> str:
    return hashlib.sha256(token.encode("ascii", "replace")).hexdigest()


def clean_email(value: str) -> str:
    email = value.strip().lower()
    if not _EMAIL.match(email) or len(email) > 320:
        raise InputError(f"email: not an e-mail address: {value!r}")
    return email


def clean_siret(value: str) -> str:
    digits = re.sub(r"[\s.\-/]+", "", value)
    if not is_valid_siret(digits):
        raise InputError(f"siret: {value!r} is not a valid SIRET (14 digits passing the INSEE check)")
    return digits


def create_organisation(session: Session, ctx: Context, *, kind: str, siret: str, name: str,
                        sme: bool | None = None, departement: str | None = None) -> Organisation:
    """Platform operators (or the CLI, with no user) create buyer organisations; a supplier company is created
    by its own sign-up."""
    if kind not in ORGANISATION_KINDS:
        raise InputError(f"kind: {kind!r} is not one of {', '.join(ORGANISATION_KINDS)}")
    if kind == "buyer" and ctx.user is not None and not ctx.user.is_platform_admin:
        raise PermissionDeniedError("only a platform administrator creates buyer organisations")
    siret = clean_siret(siret)
    name = name.strip()
    if not name:
        raise InputError("name: the organisation needs a name")
    if session.execute(select(Organisation.id).where(Organisation.siret == siret)).first() is not None:
        raise ConflictError(f"siret: an organisation with SIRET {siret} already exists")
    organisation = Organisation(kind=kind, siret=siret, name=name, sme=sme, departement=departement,
                                created_at=ctx.now)
    session.add(organisation)
    session.flush()
    ctx.audit(session, "organisation.create", "organisation", organisation.id,
              after={"kind": kind, "siret": siret, "name": name, "sme": sme})
    return organisation


def create_user(session: Session, ctx: Context, *, email: str, full_name: str, password: str,
                organisation: Organisation | None, role: str | None, is_platform_admin: bool = False) -> User:
    email = clean_email(email)
    if organisation is not None:
        allowed = BUYER_ROLES if organisation.kind == "buyer" else SUPPLIER_ROLES
        if role not in allowed:
            raise InputError(f"role: {role!r} is not a role of a {organisation.kind} organisation "
                             f"({', '.join(allowed)})")
    elif not is_platform_admin:
        raise InputError("organisation: a user belongs to an organisation unless it is a platform administrator")
    if session.execute(select(User.id).where(User.email == email)).first() is not None:
        raise ConflictError(f"email: an account with {email} already exists")
    user = User(email=email, full_name=full_name.strip() or email, password_hash=hash_password(password),
                organisation_id=None if organisation is None else organisation.id, role=role,
                is_platform_admin=is_platform_admin, created_at=ctx.now)
    session.add(user)
    session.flush()
    ctx.audit(session, "user.create", "user", user.id,
              after={"email": email, "role": role, "organisation_id": user.organisation_id,
                     "is_platform_admin": is_platform_admin})
    return user


def add_member(session: Session, ctx: Context, *, email: str, full_name: str, password: str, role: str) -> User:
    """An organisation admin adds a colleague to its own organisation."""
    admin = require(ctx.user, "manage_users")
    organisation = session.get(Organisation, admin.organisation_id)
    if organisation is None:
        raise NotFoundError("your organisation no longer exists")
    return create_user(session, ctx, email=email, full_name=full_name, password=password,
                       organisation=organisation, role=role)


def register_supplier(session: Session, ctx: Context, *, siret: str, company_name: str, email: str,
                      full_name: str, password: str, sme: bool | None = None) -> User:
    """Self-service sign-up of a supplier company and its first user."""
    organisation = create_organisation(session, ctx, kind="supplier", siret=siret, name=company_name, sme=sme)
    return create_user(session, ctx, email=email, full_name=full_name, password=password,
                       organisation=organisation, role="supplier")


def _recent_failures(session: Session, column: InstrumentedAttribute[str], value: str, since: dt.datetime) -> int:
    return session.execute(
        select(func.count()).select_from(LoginAttempt)
        .where(column == value, LoginAttempt.at >= since, LoginAttempt.succeeded.is_(False))
    ).scalar_one()


def authenticate(session: Session, ctx: Context, *, email: str, password: str, client: str) -> User | None:
    """The user with these credentials, or None; every attempt is recorded in the caller's transaction, which
    must commit before it reports a failure (else the rate limiter never sees it). Raises only when throttled."""
    settings = ctx.settings
    email = email.strip().lower()
    client = client[:64]
    since = ctx.now - dt.timedelta(minutes=settings.login_window_minutes)
    if (_recent_failures(session, LoginAttempt.email, email, since) >= settings.login_max_failures
            or _recent_failures(session, LoginAttempt.client, client, since)
            >= settings.login_max_failures_per_client):
        raise TooManyRequestsError(
            f"too many failed logins: try again in {settings.login_window_minutes} minutes, "
            "or reset your password", retry_after_s=settings.login_window_minutes * 60)
    user = session.execute(select(User).where(User.email == email)).scalar_one_or_none()
    ok = verify_password(user.password_hash if user is not None else DUMMY_HASH, password)
    ok = ok and user is not None and user.active
    session.add(LoginAttempt(email=email, client=client, at=ctx.now, succeeded=ok))
    if not ok or user is None:
        session.flush()
        return None
    if needs_rehash(user.password_hash):
        user.password_hash = hash_password(password)
    user.last_login_at = ctx.now
    return user


@dataclass(frozen=True)
class OpenedSession:
    token: str
    csrf_token: str
    expires_at: dt.datetime


def open_session(session: Session, ctx: Context, user: User) -> OpenedSession:
    token = secrets.token_urlsafe(32)
    csrf = secrets.token_urlsafe(32)
    expires = ctx.now + dt.timedelta(hours=ctx.settings.session_hours)
    session.add(UserSession(token_hash=_token_hash(token), user_id=user.id, csrf_token=csrf, created_at=ctx.now,
                            expires_at=expires))
    session.flush()
    return OpenedSession(token, csrf, expires)


def session_user(session: Session, token: str, now: dt.datetime) -> tuple[User, UserSession] | None:
    row = session.execute(select(UserSession).where(UserSession.token_hash == _token_hash(token))).scalar_one_or_none()
    if row is None or row.revoked_at is not None or row.expires_at <= now or not row.user.active:
        return None
    return row.user, row


def revoke_sessions(session: Session, user_id: int, now: dt.datetime, *, token: str | None = None) -> None:
    """Logout (one token) or every session of the user (password change)."""
    query = update(UserSession).where(UserSession.user_id == user_id, UserSession.revoked_at.is_(None))
    if token is not None:
        query = query.where(UserSession.token_hash == _token_hash(token))
    session.execute(query.values(revoked_at=now))


def queue_message(session: Session, ctx: Context, *, kind: str, recipient: str, subject: str, body: str,
                  consultation_id: int | None = None) -> OutboxMessage:
    message = OutboxMessage(kind=kind, recipient=recipient, subject=subject, body=body, created_at=ctx.now,
                            consultation_id=consultation_id)
    session.add(message)
    session.flush()
    return message


def request_password_reset(session: Session, ctx: Context, email: str) -> None:
    """Queues a link valid two hours when the address has an account; answers the same either way."""
    user = session.execute(select(User).where(User.email == email.strip().lower())).scalar_one_or_none()
    if user is None or not user.active:
        return
    token = secrets.token_urlsafe(32)
    session.add(PasswordResetToken(user_id=user.id, token_hash=_token_hash(token), created_at=ctx.now,
                                   expires_at=ctx.now + dt.timedelta(hours=RESET_HOURS)))
    link = f"{ctx.settings.public_url.rstrip('/')}/compte/reinitialiser?jeton={token}"
    queue_message(session, ctx, kind="password_reset", recipient=user.email,
                  subject="spaser : réinitialisation de votre mot de passe",
                  body=f"Bonjour,\n\npour choisir un nouveau mot de passe, ouvrez ce lien dans les "
                       f"{RESET_HOURS} heures :\n{link}\n\nSi vous n'avez rien demandé, ignorez ce message.\n")
    ctx.audit(session, "user.password_reset_requested", "user", user.id)


def reset_password(session: Session, ctx: Context, token: str, new_password: str) -> User:
    row = session.execute(
        select(PasswordResetToken).where(PasswordResetToken.token_hash == _token_hash(token))).scalar_one_or_none()
    if row is None or row.used_at is not None or row.expires_at <= ctx.now:
        raise InputError("token: this reset link is unknown, used or expired; ask for a new one")
    user = session.get(User, row.user_id)
    if user is None:
        raise NotFoundError("the account of this reset link no longer exists")
    user.password_hash = hash_password(new_password)
    row.used_at = ctx.now
    revoke_sessions(session, user.id, ctx.now)
    ctx.audit(session, "user.password_reset", "user", user.id)
    return user


def user_names(session: Session, ids: Iterable[int | None]) -> dict[int, str]:
    """User id → full name, for the pages that show who proposed, reviewed or answered."""
    wanted = {i for i in ids if i}
    if not wanted:
        return {}
    return {i: name for i, name in session.execute(select(User.id, User.full_name).where(User.id.in_(wanted)))}


def organisation_names(session: Session, ids: Iterable[int | None]) -> dict[int, str]:
    wanted = {i for i in ids if i}
    if not wanted:
        return {}
    return {i: name for i, name in session.execute(select(Organisation.id, Organisation.name)
                                                    .where(Organisation.id.in_(wanted)))}
