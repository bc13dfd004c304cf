"""Append-only, hash-chained audit log of every state change on the platform.

Each row stores who, what, when, and the state before and after, plus ``prev_hash`` and ``hash`` where
``hash = HMAC-SHA256(audit key, prev_hash || canonical row)``. The row id is part of the hashed content and a
one-row ``audit_head`` table keeps the last id, hash and count, updated in the same transaction. So
``verify`` detects a row edited (its hash no longer matches), inserted or deleted (the next row's
``prev_hash`` breaks, ids leave a gap, or the head disagrees), even at the end of the chain. The key lives in
the secrets folder, not in the database: someone who can write the database cannot recompute the chain.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import hmac
import json
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import ForeignKey, Integer, String, Text, select
from sqlalchemy.orm import Mapped, Session, mapped_column

from spaser.platform_db.base import Base, utcnow

GENESIS = "0" * 64


class AuditEntry(Base):
    __tablename__ = "audit_log"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=False)
    at: Mapped[dt.datetime]
    actor_user_id: Mapped[int | None] = mapped_column(ForeignKey("app_user.id"), default=None)
    actor: Mapped[str] = mapped_column(String(320))
    action: Mapped[str] = mapped_column(String(80))
    entity_type: Mapped[str] = mapped_column(String(40))
    entity_id: Mapped[str] = mapped_column(String(80))
    before: Mapped[str | None] = mapped_column(Text, default=None)
    after: Mapped[str | None] = mapped_column(Text, default=None)
    prev_hash: Mapped[str] = mapped_column(String(64))
    hash: Mapped[str] = mapped_column(String(64))


class AuditHead(Base):
    """The chain's end: one row (id 1). Locked while appending, so concurrent appends are serialised."""

    __tablename__ = "audit_head"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=False)
    last_id: Mapped[int] = mapped_column(Integer)
    last_hash: Mapped[str] = mapped_column(String(64))
    count: Mapped[int] = mapped_column(Integer)


@dataclass(frozen=True)
class Actor:
    """Who did it: a user (id and e-mail) or a named system process (``cli``, ``scheduler``)."""

    label: str
    user_id: int | None = None


SYSTEM = Actor("system")


def _canonical(value: Any) -> str:
    return json.dumps(value, sort_keys=True, separators=(",", ":"), ensure_ascii=False, default=_json_default)


def _json_default(value: Any) -> Any:
    if isinstance(value, dt.datetime | dt.date):
        return value.isoformat()
    if isinstance(value, bytes):
        return value.hex()
    return str(value)


def _content(entry: AuditEntry) -> str:
    return _canonical({
        "id": entry.id, "at": entry.at.astimezone(dt.UTC).isoformat(), "actor_user_id": entry.actor_user_id,
        "actor": entry.actor, "action": entry.action, "entity_type": entry.entity_type,
        "entity_id": entry.entity_id, "before": entry.before, "after": entry.after,
    })


def chain_hash(key: bytes, prev_hash: str, entry: AuditEntry) -> str:
    return hmac.new(key, (prev_hash + "\n" + _content(entry)).encode("utf-8"), hashlib.sha256).hexdigest()


def record(session: Session, key: bytes, actor: Actor, action: str, entity_type: str, entity_id: object,
           before: Mapping[str, Any] | None = None, after: Mapping[str, Any] | None = None,
           at: dt.datetime | None = None) -> AuditEntry:
    """Append one entry in the caller's transaction: the change and its audit row commit (or roll back) together."""
    head = session.execute(select(AuditHead).where(AuditHead.id == 1).with_for_update()).scalar_one_or_none()
    if head is None:
        head = AuditHead(id=1, last_id=0, last_hash=GENESIS, count=0)
        session.add(head)
    entry = AuditEntry(
        id=head.last_id + 1, at=at or utcnow(), actor_user_id=actor.user_id, actor=actor.label, action=action,
        entity_type=entity_type, entity_id=str(entity_id),
        before=None if before is None else _canonical(dict(before)),
        after=None if after is None else _canonical(dict(after)),
        prev_hash=head.last_hash, hash="")
    entry.hash = chain_hash(key, head.last_hash, entry)
    session.add(entry)
    head.last_id, head.last_hash, head.count = entry.id, entry.hash, head.count + 1
    session.flush()
    return entry


def changes(before: Mapping[str, Any], after: Mapping[str, Any]) -> tuple[dict[str, Any], dict[str, Any]]:
    """Only the fields that changed, as (before, after): the log says what moved, not the whole object."""
    keys = [k for k in after if before.get(k) != after.get(k)] + [k for k in before if k not in after]
    return {k: before.get(k) for k in keys}, {k: after.get(k) for k in keys}


@dataclass
class Verification:
    entries: int = 0
    last_hash: str = GENESIS
    problems: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.problems


def _rows(session: Session, batch: int = 5000) -> Iterator[AuditEntry]:
    last = 0
    while True:
        rows = session.execute(
            select(AuditEntry).where(AuditEntry.id > last).order_by(AuditEntry.id).limit(batch)).scalars().all()
        if not rows:
            return
        yield from rows
        last = rows[-1].id
        session.expunge_all()


def verify(session: Session, key: bytes) -> Verification:
    """Walk the chain in id order; every broken link is reported with the row it concerns."""
    result = Verification()
    expected_id, prev = 1, GENESIS
    for entry in _rows(session):
        if entry.id != expected_id:
            result.problems.append(
                f"row {entry.id}: rows {expected_id}..{entry.id - 1} are missing (deleted)")
        if entry.prev_hash != prev:
            result.problems.append(f"row {entry.id}: prev_hash does not match the previous row's hash "
                                   "(a row was inserted, deleted or replaced before it)")
        if not hmac.compare_digest(entry.hash, chain_hash(key, entry.prev_hash, entry)):
            result.problems.append(f"row {entry.id}: content does not match its hash (the row was edited)")
        prev, expected_id = entry.hash, entry.id + 1
        result.entries += 1
    result.last_hash = prev
    head = session.get(AuditHead, 1)
    if head is None:
        if result.entries:
            result.problems.append("audit_head is missing while the log has rows")
    else:
        if head.last_id != expected_id - 1 or head.last_hash != prev:
            result.problems.append(
                f"the chain ends at row {expected_id - 1} but audit_head says row {head.last_id}: "
                "rows were deleted from or added at the end")
        if head.count != result.entries:
            result.problems.append(f"audit_head counts {head.count} rows, the log holds {result.entries}")
    return result
