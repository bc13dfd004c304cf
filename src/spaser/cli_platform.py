"""``spaser db``, ``users``, ``audit``, ``outbox``, ``keys`` and ``verify-receipt``: the platform's operations."""

from __future__ import annotations

import os
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer
from rich.table import Table
from sqlalchemy import select

from spaser.cli_common import err, out, settings, user_errors

if TYPE_CHECKING:
    from spaser.platform_db.context import Platform

db_app = typer.Typer(help="The platform database: migrations.", no_args_is_help=True)
users_app = typer.Typer(help="Organisations and users of the platform.", no_args_is_help=True)
audit_app = typer.Typer(help="The hash-chained audit log.", no_args_is_help=True)
outbox_app = typer.Typer(help="Messages waiting to be sent (password resets, notices, award letters).",
                         no_args_is_help=True)
keys_app = typer.Typer(help="The platform's public keys.", no_args_is_help=True)


def open_platform() -> Platform:
    from spaser.platform_db.context import Platform

    return Platform.open(settings())


@db_app.command("upgrade")
def db_upgrade() -> None:
    """Migrate the platform database to the latest schema (also done by `spaser serve`)."""
    from spaser.platform_db.migrate import current_revision

    with user_errors():
        platform = open_platform()
        out.print(f"platform database at revision {current_revision(platform.engine)} "
                  f"({platform.engine.url.render_as_string(hide_password=True)})")
        platform.close()


def _password(option: str | None) -> str:
    if option:
        return option
    if os.environ.get("SPASER_NEW_PASSWORD"):
        return os.environ["SPASER_NEW_PASSWORD"]
    return str(typer.prompt("password", hide_input=True, confirmation_prompt=True))


@users_app.command("create-admin")
def create_admin(
    email: Annotated[str, typer.Option(help="E-mail address (the login).")],
    name: Annotated[str, typer.Option(help="Full name.")] = "",
    password: Annotated[str | None, typer.Option(
        help="Password (12+ characters); default: $SPASER_NEW_PASSWORD, else asked.")] = None,
) -> None:
    """Create a platform administrator (creates buyer organisations; never sees bids)."""
    from spaser.accounts import service

    with user_errors():
        platform = open_platform()
        with platform.db.begin() as session:
            user = service.create_user(session, platform.context(None, actor="cli"), email=email,
                                       full_name=name or email, password=_password(password), organisation=None,
                                       role=None, is_platform_admin=True)
        out.print(f"platform administrator {user.email} created (id {user.id})")
        platform.close()


@users_app.command("create-buyer")
def create_buyer(
    siret: Annotated[str, typer.Option(help="The buyer organisation's SIRET.")],
    organisation: Annotated[str, typer.Option("--organisation", help="Organisation name (created if new).")],
    email: Annotated[str, typer.Option(help="E-mail address of its first user.")],
    name: Annotated[str, typer.Option(help="Full name.")] = "",
    role: Annotated[str, typer.Option(help="admin, buyer or evaluator.")] = "admin",
    departement: Annotated[str | None, typer.Option(help="Département code of the organisation.")] = None,
    password: Annotated[str | None, typer.Option(help="Password; default: $SPASER_NEW_PASSWORD, else asked.")] = None,
) -> None:
    """Create a buyer organisation (or reuse it by SIRET) and one of its users."""
    from spaser.accounts import service
    from spaser.accounts.models import Organisation

    with user_errors():
        platform = open_platform()
        ctx = platform.context(None, actor="cli")
        with platform.db.begin() as session:
            clean = service.clean_siret(siret)
            org = session.execute(select(Organisation).where(Organisation.siret == clean)).scalar_one_or_none()
            if org is None:
                org = service.create_organisation(session, ctx, kind="buyer", siret=clean, name=organisation,
                                                  departement=departement)
            user = service.create_user(session, ctx, email=email, full_name=name or email,
                                       password=_password(password), organisation=org, role=role)
        out.print(f"{user.email} ({role}) created in {org.name} (SIRET {org.siret})")
        platform.close()


@audit_app.command("verify")
def audit_verify() -> None:
    """Walk the audit chain; exit 1 when a row was edited, inserted or deleted."""
    from spaser.audit import verify

    with user_errors():
        platform = open_platform()
        with platform.db() as session:
            result = verify(session, platform.secrets.audit_key)
        platform.close()
    if result.ok:
        out.print(f"audit log intact: {result.entries} entries, last hash {result.last_hash}")
        return
    err.print(f"[red]audit log altered[/red]: {len(result.problems)} problem(s) in {result.entries} entries")
    for problem in result.problems[:50]:
        err.print(f"  {problem}", markup=False)
    raise typer.Exit(1)


@outbox_app.command("list")
def outbox_list(pending: Annotated[bool, typer.Option(help="Only messages not sent yet.")] = False) -> None:
    """Messages of the outbox, newest first."""
    from spaser.accounts.models import OutboxMessage

    with user_errors():
        platform = open_platform()
        query = select(OutboxMessage).order_by(OutboxMessage.id.desc()).limit(200)
        if pending:
            query = query.where(OutboxMessage.sent_at.is_(None))
        table = Table(title="Outbox")
        for column in ("id", "created", "kind", "to", "subject", "sent"):
            table.add_column(column)
        with platform.db() as session:
            for m in session.execute(query).scalars():
                table.add_row(str(m.id), m.created_at.isoformat(timespec="seconds"), m.kind, m.recipient, m.subject,
                              m.sent_at.isoformat(timespec="seconds") if m.sent_at else (m.last_error or "pending"))
        out.print(table)
        platform.close()


@outbox_app.command("send")
def outbox_send() -> None:
    """Send the pending messages through $SPASER_SMTP_URL."""
    from spaser.accounts.outbox import send_pending

    with user_errors():
        platform = open_platform()
        with platform.db.begin() as session:
            report = send_pending(session, platform.settings, platform.clock())
        platform.close()
    out.print(f"{report.sent} sent, {report.failed} failed, {report.pending} pending")
    if report.failed:
        raise typer.Exit(1)


@keys_app.command("receipt-public")
def receipt_public_key() -> None:
    """The public key that signs deposit receipts (PEM) and its fingerprint: publish it."""
    from spaser.marketplace.receipts import fingerprint, public_key_pem
    from spaser.platform_db.context import Secrets

    with user_errors():
        key = Secrets(settings()).signing_key
    out.print(public_key_pem(key), end="")
    err.print(f"fingerprint: {fingerprint(key)}")


def verify_receipt_command(
    receipt: Annotated[Path, typer.Argument(help="The receipt JSON file the platform gave on deposit.")],
    public_key: Annotated[Path | None, typer.Option(
        "--public-key", help="The platform's published public key (PEM, from `spaser keys receipt-public`); "
        "without it, only the receipt's integrity under its embedded key is checked.")] = None,
) -> None:
    """Verify a deposit receipt offline: signature, fields, and (with --public-key) that the platform signed it."""
    from spaser.errors import InputError
    from spaser.marketplace.receipts import receipt_from_json

    with user_errors():
        try:
            text = receipt.read_text(encoding="utf-8")
            trusted = public_key.read_bytes() if public_key is not None else None
        except OSError as exc:
            raise InputError(f"{exc.filename}: {exc.strerror}") from None
        checked = receipt_from_json(text, trusted_public_key=trusted)
    out.print(f"valid receipt{'' if public_key else ' (integrity only: pass --public-key to check the signer)'}: "
              f"{checked.supplier_name} ({checked.supplier_siret}) deposited {len(checked.files)} file(s) for "
              f"{checked.consultation_ref} at {checked.deposited_at.isoformat()} (deadline "
              f"{checked.deadline.isoformat()})")
    for item in checked.files:
        out.print(f"  {item.sha256}  {item.size:>12}  {item.filename}", markup=False, highlight=False)

