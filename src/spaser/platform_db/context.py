"""The platform's runtime pieces (database, keys, file store, clock) and the per-action context services take.

Why a context object: every state change needs the same four things (who acts, the server's time, the audit
key, the session); passing them as one value keeps service signatures short and makes the server clock the only
clock (tests pass a fixed one).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from functools import cached_property
from typing import Any

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from sqlalchemy import Engine
from sqlalchemy.orm import Session, sessionmaker

from spaser.accounts.models import User
from spaser.audit import Actor, AuditEntry, record
from spaser.config import Settings
from spaser.platform_db.base import utcnow
from spaser.platform_db.engine import make_engine, session_factory
from spaser.platform_db.store import FileStore


@dataclass
class Secrets:
    """Keys kept outside the database, created on first use with owner-only permissions."""

    settings: Settings

    @cached_property
    def master_key(self) -> bytes:
        from spaser.marketplace.sealing import load_or_create_master_key

        return load_or_create_master_key(self.settings.platform_secrets_dir / "master.key")

    @cached_property
    def audit_key(self) -> bytes:
        from spaser.marketplace.sealing import load_or_create_master_key

        return load_or_create_master_key(self.settings.platform_secrets_dir / "audit.key")

    @cached_property
    def signing_key(self) -> Ed25519PrivateKey:
        from spaser.marketplace.receipts import load_or_create_signing_key

        return load_or_create_signing_key(self.settings.platform_secrets_dir / "receipt-signing.pem")


@dataclass
class Platform:
    settings: Settings
    engine: Engine
    db: sessionmaker[Session]
    secrets: Secrets
    store: FileStore
    clock: Callable[[], dt.datetime] = utcnow

    @classmethod
    def open(cls, settings: Settings, *, engine: Engine | None = None, migrate: bool = True,
             clock: Callable[[], dt.datetime] = utcnow) -> Platform:
        """The platform on ``settings``; migrates the database to the head revision unless told not to."""
        engine = engine or make_engine(settings.platform_url)
        if migrate:
            from spaser.platform_db.migrate import is_current, upgrade

            if not is_current(engine):
                upgrade(engine)
        return cls(settings=settings, engine=engine, db=session_factory(engine), secrets=Secrets(settings),
                   store=FileStore(settings.platform_files_dir), clock=clock)

    def context(self, user: User | None, *, actor: str | None = None) -> Context:
        return Context(platform=self, user=user, now=self.clock(), actor_label=actor)

    def close(self) -> None:
        self.engine.dispose()


@dataclass(frozen=True)
class Context:
    """Who acts, when (the server's time, read once per action), on which platform."""

    platform: Platform
    user: User | None
    now: dt.datetime
    actor_label: str | None = field(default=None)

    @property
    def actor(self) -> Actor:
        if self.user is not None:
            return Actor(self.user.email, self.user.id)
        return Actor(self.actor_label or "anonymous")

    @property
    def settings(self) -> Settings:
        return self.platform.settings

    def audit(self, session: Session, action: str, entity_type: str, entity_id: object,
              before: Mapping[str, Any] | None = None, after: Mapping[str, Any] | None = None) -> AuditEntry:
        return record(session, self.platform.secrets.audit_key, self.actor, action, entity_type, entity_id,
                      before=before, after=after, at=self.now)
