"""Sealed bids: deposit (sealed with the consultation's public key, signed receipt), replacement, backup copy,
opening after the deadline, and reading opened files.

Who can read a bid before the deadline? Nobody. The envelopes in the file store are AES-GCM ciphertexts under a
key only the consultation's X25519 private key derives; that private key is stored wrapped by the platform master
key, which lives in the secrets folder, not in the database; and the only code path that unwraps it,
``_private_key``, refuses before the deadline by the server's clock and before the opening is recorded, whoever
asks (buyer, admin, API client). The deposit time is the server's time when the upload has been received.
"""

from __future__ import annotations

import hashlib
import json
import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from cryptography.hazmat.primitives.asymmetric.x25519 import X25519PrivateKey
from sqlalchemy import and_, or_, select
from sqlalchemy.orm import Session

from spaser.accounts.models import Organisation
from spaser.accounts.roles import require
from spaser.errors import ConflictError, InputError, NotFoundError, PermissionDeniedError
from spaser.marketplace import consultations, lifecycle
from spaser.marketplace.documents import clean_name
from spaser.marketplace.models import Bid, BidFile, Consultation, ConsultationKey
from spaser.marketplace.receipts import Receipt, ReceiptFile, sign_receipt
from spaser.marketplace.sealing import open_sealed, seal, unwrap_private_key
from spaser.platform_db.context import Context

OFFER_FORM = "offre.json"
#: Cases where the law (R2132-11) lets the buyer open the backup copy.
BACKUP_REASONS = {
    "malware": "a malicious program was detected in the bid",
    "not_received": "the bid was not received in time (transmission started before the deadline)",
    "unreadable": "the bid could not be opened",
}


@dataclass(frozen=True)
class UploadedFile:
    filename: str
    content_type: str
    content: bytes


@dataclass(frozen=True)
class Deposit:
    bid: Bid
    receipt: dict[str, Any]


def _clean_filename(name: str) -> str:
    """The documents' file-name rule (last path part, no control characters or leading dots, NFC, 200 chars)."""
    cleaned = clean_name(name)
    if not cleaned:
        raise InputError(f"files: {name!r} is not a usable file name")
    return cleaned


def _supplier(session: Session, ctx: Context) -> Organisation:
    user = require(ctx.user, "deposit_bid")
    organisation = session.get(Organisation, user.organisation_id)
    if organisation is None:
        raise NotFoundError("your company no longer exists on the platform")
    return organisation


def deposit(session: Session, ctx: Context, consultation_id: int, files: Sequence[UploadedFile], *,
            amount: Decimal, is_backup: bool = False) -> Deposit:
    """Seal and store the files and the offer form, supersede the supplier's previous bid, sign a receipt.

    ``ctx.now`` must be read after the upload was received: it is the deposit time on the receipt."""
    supplier = _supplier(session, ctx)
    consultation = consultations.get_public(session, consultation_id)
    status = lifecycle.effective_status(consultation.status, consultation.deadline, ctx.now)
    assert consultation.deadline is not None or status != "published"
    if status != "published":
        deadline = consultation.deadline.isoformat(timespec="seconds") if consultation.deadline else "none"
        raise ConflictError(
            f"deposit refused: received at {ctx.now.isoformat(timespec='microseconds')} (server time), the "
            f"consultation {consultation.reference} is {status} (deadline {deadline})")
    assert consultation.deadline is not None
    if amount is None or not amount.is_finite() or amount <= 0:
        raise InputError(f"amount: the offer's total amount (EUR HT) is required, got {amount!r}")
    files = _checked_files(ctx, files)
    key = session.get(ConsultationKey, consultation.id)
    if key is None:
        raise ConflictError(f"consultation {consultation.reference} has no bid key (it was never published)")
    offer = json.dumps({"amount": str(amount), "supplier_siret": supplier.siret,
                        "consultation": consultation.reference}, sort_keys=True).encode()
    sealed_files = [*files, UploadedFile(OFFER_FORM, "application/json", offer)]
    previous = session.execute(
        select(Bid).where(Bid.consultation_id == consultation.id, Bid.supplier_org_id == supplier.id,
                          Bid.is_backup.is_(is_backup))).scalars().all()
    sequence = len(previous) + 1
    bid = Bid(consultation_id=consultation.id, supplier_org_id=supplier.id, deposited_by=ctx.user.id,  # type: ignore[union-attr]
              deposited_at=ctx.now, sequence=sequence, is_backup=is_backup, status="submitted", receipt="")
    for item in sealed_files:
        envelope = seal(item.content, key.public_key, consultation_ref=consultation.reference,
                        supplier_siret=supplier.siret, filename=item.filename)
        storage_key = ctx.platform.store.put("bids", consultation.id, envelope)
        bid.files.append(BidFile(filename=item.filename, content_type=item.content_type, size=len(item.content),
                                 sha256=hashlib.sha256(item.content).hexdigest(), storage_key=storage_key))
    for old in previous:
        if old.status == "submitted":
            old.status = "replaced"
    receipt = Receipt(
        receipt_id=str(uuid.uuid4()), consultation_ref=consultation.reference, consultation_title=consultation.title,
        supplier_siret=supplier.siret, supplier_name=supplier.name, deposited_at=ctx.now,
        deadline=consultation.deadline, bid_sequence=sequence, is_backup=is_backup,
        files=tuple(ReceiptFile(f.filename, f.size, f.sha256) for f in bid.files))
    document = sign_receipt(receipt, ctx.platform.secrets.signing_key)
    bid.receipt = json.dumps(document, ensure_ascii=False, sort_keys=True)
    session.add(bid)
    session.flush()
    ctx.audit(session, "bid.backup_deposit" if is_backup else "bid.deposit", "bid", bid.id, after={
        "consultation": consultation.reference, "supplier_siret": supplier.siret, "sequence": sequence,
        "deposited_at": ctx.now.isoformat(), "files": [[f.filename, f.size, f.sha256] for f in bid.files],
        "replaces": [old.id for old in previous if old.status == "replaced"][-1:]})
    return Deposit(bid, document)


def _checked_files(ctx: Context, files: Sequence[UploadedFile]) -> list[UploadedFile]:
    if not files:
        raise InputError("files: a bid needs at least one file")
    limit = ctx.settings.max_bid_file_mb * 1024 * 1024
    checked: list[UploadedFile] = []
    for item in files:
        name = _clean_filename(item.filename)
        if name == OFFER_FORM:
            raise InputError(f"files: {OFFER_FORM} is the name of the offer form, rename your file")
        if not item.content:
            raise InputError(f"files: {name} is empty")
        if len(item.content) > limit:
            raise InputError(f"files: {name} is {len(item.content) / 1e6:.1f} MB, above the "
                             f"{ctx.settings.max_bid_file_mb} MB limit")
        checked.append(UploadedFile(name, item.content_type or "application/octet-stream", item.content))
    names = [f.filename for f in checked]
    if len(set(names)) != len(names):
        raise InputError(f"files: two files have the same name ({sorted(n for n in names if names.count(n) > 1)[0]})")
    return checked


def bids_of_supplier(session: Session, ctx: Context, consultation_id: int) -> list[Bid]:
    """The supplier's own deposits (receipts, statuses): never the content."""
    supplier = _supplier(session, ctx)
    return list(session.execute(
        select(Bid).where(Bid.consultation_id == consultation_id, Bid.supplier_org_id == supplier.id)
        .order_by(Bid.deposited_at)).scalars())


def _private_key(session: Session, ctx: Context, consultation: Consultation, *, opening: bool) -> X25519PrivateKey:
    """The one place the consultation's private key is unwrapped: after the deadline by the server's clock,
    and only for the opening itself or once the opening is recorded."""
    if consultation.deadline is None or ctx.now < consultation.deadline:
        raise PermissionDeniedError(f"bids of {consultation.reference} are sealed until the deadline "
                                    f"({consultation.deadline.isoformat() if consultation.deadline else 'unset'})")
    if not opening and consultation.opened_at is None:
        raise PermissionDeniedError(f"bids of {consultation.reference} have not been opened yet")
    key = session.get(ConsultationKey, consultation.id)
    if key is None:
        raise NotFoundError(f"consultation {consultation.reference} has no bid key")
    return unwrap_private_key(ctx.platform.secrets.master_key, consultation.reference, key.wrapped_private_key)


def _decrypt(ctx: Context, consultation: Consultation, supplier_siret: str, item: BidFile,
             private_key: X25519PrivateKey) -> bytes:
    envelope = ctx.platform.store.get(item.storage_key)
    content = open_sealed(envelope, private_key, consultation_ref=consultation.reference,
                          supplier_siret=supplier_siret, filename=item.filename)
    if hashlib.sha256(content).hexdigest() != item.sha256:
        raise ConflictError(f"{item.filename}: decrypted content does not match the hash on the receipt")
    return content


def open_bids(session: Session, ctx: Context, consultation_id: int) -> list[Bid]:
    """The opening ("ouverture des plis"): by a user with the opening role, after the deadline; reads each
    bid's offer form (its amount) and records who opened and when."""
    consultation = consultations.get_for_buyer(session, ctx, consultation_id, "open_bids")
    new_status = lifecycle.transition(consultation.status, consultation.deadline, ctx.now, "open")
    private_key = _private_key(session, ctx, consultation, opening=True)
    bids = active_bids(session, consultation.id)
    for bid in bids:
        siret = _siret(session, bid)
        form = next(f for f in bid.files if f.filename == OFFER_FORM)
        offer = json.loads(_decrypt(ctx, consultation, siret, form, private_key))
        bid.amount = Decimal(offer["amount"]).quantize(Decimal("0.01"))
        bid.opened_at = ctx.now
    before = {"status": consultation.status, "opened_at": None}
    consultation.status, consultation.opened_at = new_status, ctx.now
    consultation.opened_by = ctx.user.id if ctx.user else None
    ctx.audit(session, "consultation.open", "consultation", consultation.id, before=before, after={
        "status": new_status, "opened_at": ctx.now.isoformat(), "bids": len(bids),
        "amounts": {str(b.id): str(b.amount) for b in bids}})
    return bids


def active_bids(session: Session, consultation_id: int) -> list[Bid]:
    """The bids that count: each supplier's last deposit, or its backup copy once opened in place of it."""
    counted = or_(and_(Bid.status == "submitted", Bid.is_backup.is_(False)), Bid.status == "backup_opened")
    return list(session.execute(
        select(Bid).where(Bid.consultation_id == consultation_id, counted).order_by(Bid.deposited_at, Bid.id))
        .scalars())


def _siret(session: Session, bid: Bid) -> str:
    organisation = session.get(Organisation, bid.supplier_org_id)
    assert organisation is not None
    return organisation.siret


def read_bid_file(session: Session, ctx: Context, bid_file_id: int) -> tuple[BidFile, bytes]:
    """An opened bid's file, for the buyer organisation's evaluators; backups only once opened by reason."""
    item = session.get(BidFile, bid_file_id)
    if item is None:
        raise NotFoundError(f"bid file {bid_file_id} does not exist")
    bid = item.bid
    consultation = consultations.get_for_buyer(session, ctx, bid.consultation_id, "evaluate")
    if bid.opened_at is None:
        raise PermissionDeniedError(f"bid {bid.id} has not been opened"
                                    + (" (a backup copy opens only in the cases of R2132-11)" if bid.is_backup else ""))
    private_key = _private_key(session, ctx, consultation, opening=False)
    content = _decrypt(ctx, consultation, _siret(session, bid), item, private_key)
    ctx.audit(session, "bid.read", "bid_file", item.id, after={"bid": bid.id, "filename": item.filename})
    return item, content


def open_backup(session: Session, ctx: Context, bid_id: int, reason: str) -> Bid:
    """Open a supplier's backup copy, in one of the cases the law lists; it then replaces the main bid."""
    if reason not in BACKUP_REASONS:
        raise InputError(f"reason: {reason!r} is not one of {', '.join(BACKUP_REASONS)}")
    bid = session.get(Bid, bid_id)
    if bid is None or not bid.is_backup:
        raise NotFoundError(f"backup copy {bid_id} does not exist")
    consultation = consultations.get_for_buyer(session, ctx, bid.consultation_id, "open_bids")
    if consultation.opened_at is None:
        raise ConflictError("open the bids first; a backup copy is opened after the main opening")
    private_key = _private_key(session, ctx, consultation, opening=False)
    form = next(f for f in bid.files if f.filename == OFFER_FORM)
    bid.amount = Decimal(json.loads(_decrypt(ctx, consultation, _siret(session, bid), form, private_key))["amount"])
    bid.opened_at = ctx.now
    for main in active_bids(session, consultation.id):
        if main.supplier_org_id == bid.supplier_org_id:
            main.status = "replaced_by_backup"
    bid.status = "backup_opened"
    ctx.audit(session, "bid.backup_open", "bid", bid.id, after={"reason": BACKUP_REASONS[reason]})
    return bid
