"""Sending the outbox: messages are stored first (in the same transaction as the change they announce) and sent
later, so a mail server outage loses nothing; a failed send is retried at the next run."""

from __future__ import annotations

import datetime as dt
import smtplib
from dataclasses import dataclass
from email.message import EmailMessage
from urllib.parse import unquote, urlparse

from sqlalchemy import select
from sqlalchemy.orm import Session

from spaser.accounts.models import OutboxMessage
from spaser.config import Settings
from spaser.errors import ConfigurationError

MAX_ATTEMPTS = 10


@dataclass(frozen=True)
class SendReport:
    sent: int
    failed: int
    pending: int


def _smtp(url: str) -> smtplib.SMTP:
    parsed = urlparse(url)
    if parsed.scheme not in ("smtp", "smtps") or not parsed.hostname:
        raise ConfigurationError(f"SPASER_SMTP_URL: {url!r} is not smtp://[user:password@]host[:port] or smtps://...")
    port = parsed.port or (465 if parsed.scheme == "smtps" else 25)
    client: smtplib.SMTP = (smtplib.SMTP_SSL(parsed.hostname, port, timeout=30) if parsed.scheme == "smtps"
                            else smtplib.SMTP(parsed.hostname, port, timeout=30))
    if parsed.scheme == "smtp" and port == 587:
        client.starttls()
    if parsed.username:
        client.login(unquote(parsed.username), unquote(parsed.password or ""))
    return client


def send_pending(session: Session, settings: Settings, now: dt.datetime, *, limit: int = 500) -> SendReport:
    if not settings.smtp_url:
        raise ConfigurationError("SPASER_SMTP_URL is not set: messages stay in the outbox (`spaser outbox list`)")
    pending = session.execute(select(OutboxMessage).where(OutboxMessage.sent_at.is_(None),
                                                          OutboxMessage.attempts < MAX_ATTEMPTS)
                              .order_by(OutboxMessage.id).limit(limit)).scalars().all()
    sent = failed = 0
    if pending:
        client = _smtp(settings.smtp_url)
        try:
            for message in pending:
                email = EmailMessage()
                email["From"], email["To"], email["Subject"] = settings.mail_from, message.recipient, message.subject
                email.set_content(message.body)
                message.attempts += 1
                try:
                    client.send_message(email)
                except smtplib.SMTPException as exc:
                    message.last_error = str(exc)[:500]
                    failed += 1
                else:
                    message.sent_at, message.last_error = now, None
                    sent += 1
        finally:
            client.quit()
    left = session.execute(select(OutboxMessage.id).where(OutboxMessage.sent_at.is_(None))).all()
    return SendReport(sent, failed, len(left))
