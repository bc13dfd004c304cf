"""The hash-chained audit log: appends chain, and verify detects an edited, inserted or deleted row."""

from __future__ import annotations

import datetime as dt
import itertools

import pytest
from sqlalchemy import delete, select, text, update
from sqlalchemy.orm import Session, sessionmaker

from spaser.audit import GENESIS, Actor, AuditEntry, AuditHead, record, verify
from tests.platform_fixtures import ENGINES

pytestmark = pytest.mark.parametrize("empty_database", ENGINES, indirect=True)

KEY = b"k" * 32
ALICE = Actor("alice@region.fr", None)


def _fill(db: sessionmaker[Session], n: int = 5) -> None:
    for i in range(n):
        with db() as session, session.begin():
            record(session, KEY, ALICE, "consultation.update", "consultation", 7,
                   before={"title": f"v{i}"}, after={"title": f"v{i + 1}"})


def _verify(db: sessionmaker[Session], key: bytes = KEY) -> list[str]:
    with db() as session:
        return verify(session, key).problems


def test_a_clean_chain_verifies_and_links_each_row_to_the_previous(db: sessionmaker[Session]) -> None:
    _fill(db)
    with db() as session:
        rows = session.execute(select(AuditEntry).order_by(AuditEntry.id)).scalars().all()
        result = verify(session, KEY)
    assert [r.id for r in rows] == [1, 2, 3, 4, 5]
    assert rows[0].prev_hash == GENESIS
    assert all(b.prev_hash == a.hash for a, b in itertools.pairwise(rows))
    assert result.ok and result.entries == 5 and result.last_hash == rows[-1].hash
    assert rows[2].before == '{"title":"v2"}' and rows[2].after == '{"title":"v3"}'
    assert rows[0].at.tzinfo is not None


def test_an_edited_row_is_detected(db: sessionmaker[Session]) -> None:
    _fill(db)
    with db() as session, session.begin():
        session.execute(update(AuditEntry).where(AuditEntry.id == 3).values(after='{"title":"forged"}'))
    problems = _verify(db)
    assert problems == ["row 3: content does not match its hash (the row was edited)"]


def test_an_edited_time_is_detected(db: sessionmaker[Session]) -> None:
    _fill(db)
    with db() as session, session.begin():
        session.execute(update(AuditEntry).where(AuditEntry.id == 2)
                        .values(at=dt.datetime(2020, 1, 1, tzinfo=dt.UTC)))
    assert _verify(db) == ["row 2: content does not match its hash (the row was edited)"]


def test_a_deleted_row_in_the_middle_is_detected(db: sessionmaker[Session]) -> None:
    _fill(db)
    with db() as session, session.begin():
        session.execute(delete(AuditEntry).where(AuditEntry.id == 3))
    problems = _verify(db)
    assert any("rows 3..3 are missing" in p for p in problems)
    assert any(p.startswith("row 4: prev_hash does not match") for p in problems)


def test_a_deleted_last_row_is_detected_by_the_head(db: sessionmaker[Session]) -> None:
    _fill(db)
    with db() as session, session.begin():
        session.execute(delete(AuditEntry).where(AuditEntry.id == 5))
    problems = _verify(db)
    assert any("audit_head says row 5" in p for p in problems)


def test_an_inserted_row_is_detected_even_with_a_plausible_hash(db: sessionmaker[Session]) -> None:
    """The forger renumbers rows 3..5 to make room and writes a row whose hash is computed without the key."""
    _fill(db)
    with db() as session, session.begin():
        for row_id in (5, 4, 3):
            session.execute(update(AuditEntry).where(AuditEntry.id == row_id).values(id=row_id + 1))
        previous = session.get(AuditEntry, 2)
        assert previous is not None
        session.add(AuditEntry(id=3, at=dt.datetime.now(dt.UTC), actor="mallory", action="bid.open",
                               entity_type="consultation", entity_id="7", prev_hash=previous.hash, hash="0" * 64))
    problems = _verify(db)
    assert "row 3: content does not match its hash (the row was edited)" in problems
    assert any(p.startswith("row 4:") for p in problems)


def test_a_chain_rewritten_without_the_key_is_detected(db: sessionmaker[Session]) -> None:
    """Recomputing every hash with another key (the attacker does not have ours) fails on the first row."""
    _fill(db, 3)
    assert _verify(db, key=b"x" * 32)[0] == "row 1: content does not match its hash (the row was edited)"


def test_head_count_tampering_is_detected(db: sessionmaker[Session]) -> None:
    _fill(db, 2)
    with db() as session, session.begin():
        session.execute(update(AuditHead).values(count=7))
    assert _verify(db) == ["audit_head counts 7 rows, the log holds 2"]


def test_a_rolled_back_change_leaves_no_audit_row(db: sessionmaker[Session]) -> None:
    """The entry is written in the caller's transaction: no half-recorded change."""
    with pytest.raises(RuntimeError), db() as session, session.begin():
        record(session, KEY, ALICE, "consultation.publish", "consultation", 1)
        raise RuntimeError("the change failed")
    with db() as session:
        assert session.execute(text("select count(*) from audit_log")).scalar_one() == 0
    assert _verify(db) == []

