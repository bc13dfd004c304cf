"""The platform's operations from the command line: migrations, first users, audit verification, offline
receipt verification, the outbox, the public key, and ingesting the marketplace's feed."""

from __future__ import annotations

import datetime as dt
import json
from decimal import Decimal
from pathlib import Path

import pytest
from sqlalchemy import update

from spaser.audit import AuditEntry
from spaser.config import Settings
from spaser.marketplace import bids
from spaser.marketplace.bids import UploadedFile
from spaser.platform_db.engine import make_engine
from spaser.platform_db.migrate import upgrade
from tests.marketplace_world import PASSWORD, World, build_world
from tests.warehouse_cli import cli


@pytest.fixture
def cli_world(tmp_path: Path) -> World:
    """A world on the SQLite file the CLI opens for this data folder."""
    settings = Settings(data_dir=tmp_path / "data")
    engine = make_engine(settings.platform_url)
    upgrade(engine)
    return build_world(engine, settings.data_dir)


def test_create_admin_and_buyer(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    settings = Settings(data_dir=tmp_path / "data")
    monkeypatch.setenv("SPASER_NEW_PASSWORD", PASSWORD)
    code, output = cli(settings, "users", "create-admin", "--email", "Ops@Region.bzh", "--name", "Ops")
    assert code == 0, output
    assert "platform administrator ops@region.bzh created" in output
    code, output = cli(settings, "users", "create-buyer", "--siret", "23350001600041", "--organisation",
                       "Région Bretagne", "--email", "achats@bretagne.bzh")
    assert code == 1 and "is not a valid SIRET" in output
    code, output = cli(settings, "users", "create-admin", "--email", "ops@region.bzh")
    assert code == 1 and "already exists" in output
    code, output = cli(settings, "users", "create-admin", "--email", "x@region.bzh", "--password", "short")
    assert code == 1 and "at least 12 characters" in output
    code, output = cli(settings, "db", "upgrade")
    assert code == 0 and "at revision 0002" in output


def test_audit_verify_detects_an_edited_row(cli_world: World) -> None:
    settings = cli_world.platform.settings
    code, output = cli(settings, "audit", "verify")
    assert code == 0 and "audit log intact: 11 entries" in output, output
    with cli_world.platform.db.begin() as session:
        session.execute(update(AuditEntry).where(AuditEntry.id == 4).values(actor="someone else"))
    code, output = cli(settings, "audit", "verify")
    assert code == 1 and "row 4: content does not match its hash" in output


def test_verify_receipt_offline_with_the_published_key(cli_world: World, tmp_path: Path) -> None:
    consultation = cli_world.published()
    with cli_world.platform.db.begin() as session:
        deposit = bids.deposit(session, cli_world.ctx(cli_world.supplier_a), consultation.id,
                               [UploadedFile("offre.pdf", "application/pdf", b"%PDF-1.4 offre")],
                               amount=Decimal("1000"))
    settings = cli_world.platform.settings
    receipt = tmp_path / "accuse.json"
    receipt.write_text(json.dumps(deposit.receipt, indent=2), encoding="utf-8")
    code, pem = cli(settings, "keys", "receipt-public")
    assert code == 0 and pem.startswith("-----BEGIN PUBLIC KEY-----")
    key = tmp_path / "platform.pem"
    key.write_text(pem.split("fingerprint:")[0], encoding="utf-8")
    code, output = cli(settings, "verify-receipt", str(receipt), "--public-key", str(key))
    assert code == 0, output
    assert "valid receipt: Menuiserie Armor" in output and "offre.pdf" in output
    forged = json.loads(receipt.read_text())
    forged["receipt"]["deposited_at"] = "2026-09-01T07:59:59.000000Z"
    receipt.write_text(json.dumps(forged), encoding="utf-8")
    code, output = cli(settings, "verify-receipt", str(receipt), "--public-key", str(key))
    assert code == 1 and "error:" in output
    code, output = cli(settings, "verify-receipt", str(tmp_path / "missing.json"))
    assert code == 1 and "missing.json" in output


def test_outbox_list_and_send_without_smtp(cli_world: World) -> None:
    from spaser.accounts import service

    with cli_world.platform.db.begin() as session:
        service.request_password_reset(session, cli_world.ctx(None), "offres@armor.fr")
    settings = cli_world.platform.settings
    code, output = cli(settings, "outbox", "list", "--pending")
    assert code == 0 and "password_reset" in output and "offres@armor.fr" in output
    code, output = cli(settings, "outbox", "send")
    assert code == 1 and "SPASER_SMTP_URL is not set" in output


def test_ingest_source_platform_reads_the_feed(cli_world: World) -> None:
    settings = cli_world.platform.settings
    code, output = cli(settings, "ingest", "--source", "platform", "--quiet")
    assert code == 0, output
    code, output = cli(settings, "ingest")
    assert code == 1 and "--source platform" in output
    assert (settings.data_dir / "feeds" / "platform-decp.json").read_text().startswith("{")
    assert cli_world.clock.now < dt.datetime(2027, 1, 1, tzinfo=dt.UTC)
