"""Reading HTML forms: the body (multipart or urlencoded) with the CSRF check, and typed fields with errors
that name the field and the value."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from zoneinfo import ZoneInfo

from fastapi import Request
from starlette.datastructures import FormData, UploadFile

from spaser.domain.montant import parse_decimal
from spaser.errors import InputError
from spaser.web.auth import Auth

#: Deadlines are typed in the buyer's local time (metropolitan France) and stored in UTC.
LOCAL = ZoneInfo("Europe/Paris")
MAX_FORM_FILES = 20


async def read_form(request: Request, auth: Auth, *, max_part_mb: int = 1) -> FormData:
    form = await request.form(max_files=MAX_FORM_FILES, max_part_size=max_part_mb * 1024 * 1024)
    try:
        auth.check_csrf(request, form)
    except BaseException:
        await form.close()  # the uploaded files' spools, which nobody else would close
        raise
    return form


def text(form: FormData, name: str, *, required: bool = False, default: str = "") -> str:
    value = form.get(name)
    if isinstance(value, UploadFile):
        raise InputError(f"{name}: expected text, got a file")
    result = (value or default).strip()
    if required and not result:
        raise InputError(f"{name}: required")
    return result


def checkbox(form: FormData, name: str) -> bool:
    return form.get(name) in ("on", "true", "1", "oui")


def money(form: FormData, name: str) -> Decimal:
    return parse_decimal(text(form, name, required=True), name, "an amount in euros")


def integer(form: FormData, name: str, default: int | None = None) -> int:
    raw = text(form, name)
    if not raw and default is not None:
        return default
    try:
        return int(raw)
    except ValueError:
        raise InputError(f"{name}: {raw!r} is not a whole number") from None


def local_datetime(form: FormData, name: str) -> dt.datetime | None:
    """``2026-10-12T12:00`` from an ``<input type=datetime-local>``, read as Paris time, returned in UTC."""
    raw = text(form, name)
    if not raw:
        return None
    try:
        naive = dt.datetime.fromisoformat(raw)
    except ValueError:
        raise InputError(f"{name}: {raw!r} is not a date and time (YYYY-MM-DDTHH:MM)") from None
    if naive.tzinfo is None:
        naive = naive.replace(tzinfo=LOCAL)
    return naive.astimezone(dt.UTC)


def to_local_input(value: dt.datetime | None) -> str:
    return "" if value is None else value.astimezone(LOCAL).strftime("%Y-%m-%dT%H:%M")


def files(form: FormData, name: str) -> list[UploadFile]:
    return [item for item in form.getlist(name) if isinstance(item, UploadFile) and item.filename]


def safe_next(target: str | None, default: str) -> str:
    """Only a local path after login (no open redirect to another site)."""
    if target and target.startswith("/") and not target.startswith("//") and "\\" not in target:
        return target
    return default
