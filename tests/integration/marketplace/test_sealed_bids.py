"""Sealed bids: nobody reads a bid before the deadline, by any path; deposits are timed by the server; the
last deposit counts; receipts verify offline; the opening is logged."""

from __future__ import annotations

import datetime as dt
import json
from decimal import Decimal
from pathlib import Path

import pytest
from sqlalchemy import MetaData, select, text

from spaser.audit import AuditEntry, verify
from spaser.errors import AuthenticationError, ConflictError, InputError, PermissionDeniedError
from spaser.marketplace import bids
from spaser.marketplace.bids import UploadedFile
from spaser.marketplace.models import Bid, BidFile, ConsultationKey
from spaser.marketplace.receipts import _raw, verify_receipt
from spaser.marketplace.sealing import SealingError, open_sealed, unwrap_private_key
from tests.marketplace_world import World
from tests.platform_fixtures import ENGINES

pytestmark = pytest.mark.parametrize("empty_database", ENGINES, indirect=True)

SECRET = b"OFFRE-SECRETE-ARMOR: prix unitaire des chaises 41,37 EUR"


def _deposit(world: World, consultation_id: int, user: object = None, *, amount: str = "398000",
             content: bytes = SECRET, backup: bool = False) -> bids.Deposit:
    with world.platform.db.begin() as session:
        return bids.deposit(session, world.ctx(user or world.supplier_a), consultation_id,  # type: ignore[arg-type]
                            [UploadedFile("memoire-technique.pdf", "application/pdf", content)],
                            amount=Decimal(amount), is_backup=backup)


def test_deposit_seals_files_and_returns_a_receipt_verifiable_offline(world: World) -> None:
    consultation = world.published()
    deposit = _deposit(world, consultation.id)
    public = _raw(world.platform.secrets.signing_key)
    receipt = verify_receipt(json.loads(json.dumps(deposit.receipt)), trusted_public_key=public)
    assert receipt.deposited_at == world.clock.now
    assert receipt.consultation_ref == consultation.reference and receipt.bid_sequence == 1
    assert [f.filename for f in receipt.files] == ["memoire-technique.pdf", "offre.json"]
    assert receipt.files[0].size == len(SECRET)


def test_nobody_reads_a_bid_before_the_deadline(world: World) -> None:
    """Buyer, organisation admin, evaluator, platform operator and another supplier: each path is refused."""
    consultation = world.published()
    deposit = _deposit(world, consultation.id)
    file_id = deposit.bid.files[0].id
    for user in (world.buyer, world.admin):
        with pytest.raises(ConflictError, match="it must be closed"), world.platform.db.begin() as session:
            bids.open_bids(session, world.ctx(user), consultation.id)
    for user in (world.buyer, world.admin, world.evaluator):
        with pytest.raises(PermissionDeniedError, match="not been opened"), world.platform.db.begin() as session:
            bids.read_bid_file(session, world.ctx(user), file_id)
    for user in (world.operator, world.supplier_b, world.other_buyer):
        with pytest.raises(PermissionDeniedError), world.platform.db.begin() as session:
            bids.read_bid_file(session, world.ctx(user), file_id)
    with pytest.raises(AuthenticationError), world.platform.db.begin() as session:
        bids.read_bid_file(session, world.ctx(None), file_id)
    with pytest.raises(PermissionDeniedError, match="sealed until the deadline"), \
            world.platform.db.begin() as session:
        bids._private_key(session, world.ctx(world.buyer), consultation, opening=True)


def test_the_database_and_the_file_store_hold_no_readable_bid(world: World, tmp_path: Path) -> None:
    """Someone who copies every table and every stored file, but not the secrets folder, learns nothing."""
    consultation = world.published()
    _deposit(world, consultation.id)
    dump = bytearray()
    metadata = MetaData()
    metadata.reflect(world.platform.engine)
    with world.platform.engine.connect() as connection:
        for table in metadata.sorted_tables:
            for row in connection.execute(table.select()):
                dump += repr(tuple(row)).encode()
    stored = [p for p in world.platform.settings.platform_files_dir.rglob("*") if p.is_file()]
    assert stored
    for path in stored:
        dump += path.read_bytes()
    assert SECRET not in bytes(dump) and b"398000" not in bytes(dump)
    with world.platform.db() as session:
        key = session.get(ConsultationKey, consultation.id)
        assert key is not None
        for guess in (b"\x00" * 32, key.public_key, key.wrapped_private_key[:32]):
            with pytest.raises(SealingError):
                unwrap_private_key(guess, consultation.reference, key.wrapped_private_key)


def test_a_deposit_at_the_deadline_is_refused_one_microsecond_before_is_accepted(world: World) -> None:
    consultation = world.published()
    assert consultation.deadline is not None
    world.clock.now = consultation.deadline - dt.timedelta(microseconds=1)
    accepted = _deposit(world, consultation.id)
    assert accepted.bid.deposited_at == consultation.deadline - dt.timedelta(microseconds=1)
    world.clock.now = consultation.deadline
    with pytest.raises(ConflictError, match=r"deposit refused: received at .* is closed"):
        _deposit(world, consultation.id, world.supplier_b)
    with world.platform.db() as session:
        assert session.execute(select(Bid.id)).scalars().all() == [accepted.bid.id]


def test_a_later_deposit_replaces_the_earlier_and_the_last_counts(world: World) -> None:
    consultation = world.published()
    first = _deposit(world, consultation.id, amount="420000")
    world.clock.advance(days=1)
    second = _deposit(world, consultation.id, amount="398000", content=b"version 2")
    assert second.receipt["receipt"]["bid_sequence"] == 2
    assert consultation.deadline is not None
    world.clock.now = consultation.deadline + dt.timedelta(minutes=1)
    with world.platform.db.begin() as session:
        opened = bids.open_bids(session, world.ctx(world.buyer), consultation.id)
        assert [b.id for b in opened] == [second.bid.id]
        assert opened[0].amount == Decimal("398000")
        statuses = {bid_id: status for bid_id, status in session.execute(select(Bid.id, Bid.status))}
    assert statuses == {first.bid.id: "replaced", second.bid.id: "submitted"}


def test_opening_after_the_deadline_by_the_opening_role_reads_the_bid_and_is_logged(world: World) -> None:
    consultation = world.published()
    deposit = _deposit(world, consultation.id)
    _deposit(world, consultation.id, world.supplier_b, amount="455000.50")
    assert consultation.deadline is not None
    world.clock.now = consultation.deadline + dt.timedelta(seconds=1)
    with pytest.raises(PermissionDeniedError), world.platform.db.begin() as session:
        bids.open_bids(session, world.ctx(world.evaluator), consultation.id)  # scoring role, not opening
    with world.platform.db.begin() as session:
        opened = bids.open_bids(session, world.ctx(world.buyer), consultation.id)
    assert sorted(str(b.amount) for b in opened) == ["398000.00", "455000.50"]
    with world.platform.db.begin() as session:
        item, content = bids.read_bid_file(session, world.ctx(world.evaluator), deposit.bid.files[0].id)
    assert content == SECRET and item.filename == "memoire-technique.pdf"
    with world.platform.db() as session:
        actions = session.execute(select(AuditEntry.action, AuditEntry.actor).order_by(AuditEntry.id)).all()
        assert ("consultation.open", "buyer@bretagne.bzh") in actions
        assert ("bid.read", "evaluator@bretagne.bzh") in actions
        assert verify(session, world.platform.secrets.audit_key).ok


def test_a_bid_file_moved_to_another_supplier_does_not_open(world: World) -> None:
    """Swapping storage keys between two bids (database edit) fails: the envelope is bound to its supplier."""
    consultation = world.published()
    a = _deposit(world, consultation.id)
    b = _deposit(world, consultation.id, world.supplier_b, amount="1")
    with world.platform.db.begin() as session:
        file_a = session.get(BidFile, a.bid.files[0].id)
        file_b = session.get(BidFile, b.bid.files[0].id)
        assert file_a is not None and file_b is not None
        file_b.storage_key = file_a.storage_key
    assert consultation.deadline is not None
    world.clock.now = consultation.deadline + dt.timedelta(seconds=1)
    with world.platform.db.begin() as session:
        bids.open_bids(session, world.ctx(world.buyer), consultation.id)
    with pytest.raises(SealingError), world.platform.db.begin() as session:
        bids.read_bid_file(session, world.ctx(world.buyer), b.bid.files[0].id)


def test_backup_copy_stays_sealed_until_opened_for_a_legal_reason(world: World) -> None:
    consultation = world.published()
    _deposit(world, consultation.id, amount="400000")
    backup = _deposit(world, consultation.id, amount="400000", content=b"copie de sauvegarde", backup=True)
    assert backup.receipt["receipt"]["is_backup"] is True
    assert consultation.deadline is not None
    world.clock.now = consultation.deadline + dt.timedelta(seconds=1)
    with world.platform.db.begin() as session:
        opened = bids.open_bids(session, world.ctx(world.buyer), consultation.id)
        assert backup.bid.id not in [b.id for b in opened]
    with pytest.raises(PermissionDeniedError, match="backup copy"), world.platform.db.begin() as session:
        bids.read_bid_file(session, world.ctx(world.buyer), backup.bid.files[0].id)
    with pytest.raises(InputError, match="reason"), world.platform.db.begin() as session:
        bids.open_backup(session, world.ctx(world.buyer), backup.bid.id, "curiosity")
    with world.platform.db.begin() as session:
        bids.open_backup(session, world.ctx(world.buyer), backup.bid.id, "unreadable")
        _, content = bids.read_bid_file(session, world.ctx(world.buyer), backup.bid.files[0].id)
        assert [b.id for b in bids.active_bids(session, consultation.id)] == [backup.bid.id]
    assert content == b"copie de sauvegarde"


def test_deposit_input_errors_name_the_field(world: World) -> None:
    consultation = world.published()
    cases = [([], "files: a bid needs at least one file"),
             ([UploadedFile("a.pdf", "application/pdf", b"")], "files: a.pdf is empty"),
             ([UploadedFile("offre.json", "application/json", b"{}")], "offer form"),
             ([UploadedFile("a.pdf", "", b"1"), UploadedFile("a.pdf", "", b"2")], "same name")]
    for files, message in cases:
        with pytest.raises(InputError, match=message), world.platform.db.begin() as session:
            bids.deposit(session, world.ctx(world.supplier_a), consultation.id, files, amount=Decimal(1))
    with pytest.raises(InputError, match="amount"), world.platform.db.begin() as session:
        bids.deposit(session, world.ctx(world.supplier_a), consultation.id,
                     [UploadedFile("a.pdf", "", b"1")], amount=Decimal(0))
    with pytest.raises(PermissionDeniedError), world.platform.db.begin() as session:
        bids.deposit(session, world.ctx(world.buyer), consultation.id, [UploadedFile("a.pdf", "", b"1")],
                     amount=Decimal(1))


def test_the_stored_envelope_opens_only_with_the_consultation_key_after_the_deadline(world: World) -> None:
    consultation = world.published()
    deposit = _deposit(world, consultation.id)
    with world.platform.db() as session:
        key = session.get(ConsultationKey, consultation.id)
        assert key is not None
        wrapped = key.wrapped_private_key
        count = session.execute(text("select count(*) from bid_file")).scalar_one()
    assert count == 2
    envelope = world.platform.store.get(deposit.bid.files[0].storage_key)
    private = unwrap_private_key(world.platform.secrets.master_key, consultation.reference, wrapped)
    plain = open_sealed(envelope, private, consultation_ref=consultation.reference,
                        supplier_siret=deposit.receipt["receipt"]["supplier_siret"], filename="memoire-technique.pdf")
    assert plain == SECRET
