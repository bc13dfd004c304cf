"""The buyer's Egalim workspace: upload a catering purchase file (national canteen tool's format), read each
import's report (counts, warnings, refused cells, conflicts with the supplier matrices), remove an import.

Thin: ``spaser.indicators.egalim.access`` decides who sees and does what (an organisation's imports for its
admins and buyers, every import for platform administrators) and is called before anything else; then the
store imports, ``published.refresh`` recomputes the figures the Egalim pages show, and the audit log records the
change. The upload is staged under a name of the server's in ``<data dir>/egalim/uploads`` and deleted
afterwards; the browser's file name is only a display string.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import os
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path
from typing import IO, Any, Final
from urllib.parse import quote

from fastapi import APIRouter, Request
from fastapi.responses import RedirectResponse, Response, StreamingResponse
from starlette.concurrency import run_in_threadpool

from spaser.accounts.models import User
from spaser.accounts.service import organisation_names
from spaser.errors import InputError
from spaser.indicators.egalim import access, published
from spaser.indicators.egalim.importer import ImportReport
from spaser.indicators.egalim.lines import KNOWN_COLUMNS, LEGACY_COLUMN, REQUIRED_COLUMNS
from spaser.indicators.egalim.store import EgalimStore, ImportManifest
from spaser.web import forms
from spaser.web.auth import Auth
from spaser.web.i18n import translator
from spaser.web.render import Renderer, csv_stream

HOME: Final = "/acheteur/egalim"
#: Largest purchase file accepted from the web (a year of a group's invoice lines is a few MB).
MAX_UPLOAD_MB: Final = 50
#: Refused cells and conflicts shown in the report's page and JSON (the CSV has every refused cell).
SHOWN: Final = 500
REJECT_COLUMNS: Final = ("line", "column", "value", "reason", "raw")
_COPY_CHUNK: Final = 1 << 20
_FORMULA: Final = ("=", "+", "-", "@", "\t", "\r")
_ZIP: Final = b"PK\x03\x04"  # an XLSX workbook
#: A staged upload older than this was left by a server killed mid-import (an import takes seconds): removed.
STALE_UPLOAD_S: Final = 24 * 3600


def _when(manifest: ImportManifest) -> dt.datetime:
    return dt.datetime.fromisoformat(manifest.imported_at.replace("Z", "+00:00"))


def import_row(manifest: ImportManifest, organisations: dict[int, str]) -> dict[str, Any]:
    return {"id": manifest.id, "file": manifest.file, "imported_at": _when(manifest), "actor": manifest.actor,
            "organisation_id": manifest.organisation_id,
            "organisation": organisations.get(manifest.organisation_id or 0, ""),
            "lines_read": manifest.lines_read, "accepted": manifest.accepted, "rejected": manifest.rejected,
            "conflicts": manifest.conflicts, "url": f"{HOME}/imports/{manifest.id}"}


def _safe_cell(value: Any) -> Any:
    """A CSV cell a spreadsheet will not run as a formula (a refused value may be ``=HYPERLINK(…)``); numbers,
    negative ones included, are left as they are."""
    if isinstance(value, str) and value.startswith(_FORMULA):
        try:
            float(value.replace(",", ".").replace(" ", ""))
        except ValueError:
            return "'" + value
    return value


def reject_rows(rows: Iterator[dict[str, Any]]) -> Iterator[list[Any]]:
    for row in rows:
        yield [row["line_no"], row["column"], _safe_cell(row["value"]), _safe_cell(row["reason"]),
               _safe_cell(row["raw"])]


def stage(source: IO[bytes], folder: Path, limit_bytes: int) -> Path:
    """Copy an upload to a new file of the server's naming in ``folder`` (never the browser's name: its suffix,
    which openpyxl wants, comes from the first bytes); an error naming the limit when it is larger."""
    folder.mkdir(parents=True, exist_ok=True)
    remove_stale_uploads(folder)
    first = source.read(_COPY_CHUNK)
    handle, name = tempfile.mkstemp(prefix="upload-", suffix=".xlsx" if first.startswith(_ZIP) else ".csv",
                                    dir=folder)
    path = Path(name)
    try:
        with os.fdopen(handle, "wb") as target:
            size = 0
            chunk = first
            while chunk:
                size += len(chunk)
                if size > limit_bytes:
                    raise InputError(f"fichier : plus de {limit_bytes // (1024 * 1024)} Mo ; découpez-le (par "
                                     "restaurant ou par année) ou importez-le en ligne de commande")
                target.write(chunk)
                chunk = source.read(_COPY_CHUNK)
    except BaseException:
        path.unlink(missing_ok=True)
        raise
    return path


def remove_stale_uploads(folder: Path) -> None:
    """Delete the staged uploads a killed server left behind (older than :data:`STALE_UPLOAD_S`; younger ones may
    be another worker's import in progress)."""
    limit = time.time() - STALE_UPLOAD_S
    for path in folder.glob("upload-*"):
        with contextlib.suppress(FileNotFoundError):  # another worker removed it first
            if path.stat().st_mtime < limit:
                path.unlink()


def egalim_workspace_router(renderer: Renderer, auth: Auth) -> APIRouter:
    router = APIRouter(include_in_schema=False)
    platform = auth.platform
    store = EgalimStore.of(renderer.settings)
    uploads = store.root / "uploads"
    limit_bytes = MAX_UPLOAD_MB * 1024 * 1024

    def names(user: User, manifests: list[ImportManifest]) -> dict[int, str]:
        with platform.db() as session:
            return organisation_names(session, {m.organisation_id for m in manifests} | {user.organisation_id})

    def show_home(request: Request, *, error: str | None = None, status_code: int = 200) -> Response:
        user = access.require_reader(auth.user(request))
        manifests = access.visible_imports(store, user)
        organisations = names(user, manifests)
        data = {"organisation": organisations.get(user.organisation_id or 0, ""),
                "all_organisations": access.sees_all(user), "may_import": access.may_import(user),
                "max_mb": MAX_UPLOAD_MB, "imports": [import_row(m, organisations) for m in manifests]}
        return renderer.private(request, "egalim/workspace.html", data | {
            "required_columns": REQUIRED_COLUMNS, "legacy_column": LEGACY_COLUMN,
            "optional_columns": [c for c in KNOWN_COLUMNS if c not in REQUIRED_COLUMNS and c != LEGACY_COLUMN],
            "error": error, "message": None if error else request.query_params.get("message")},
            title=translator(renderer.language(request))("e_ws_title"), status_code=status_code,
            json_data=data | ({"error": error} if error else {}))

    def home(request: Request) -> Response:
        return show_home(request)

    router.add_api_route(f"{HOME}.json", home, methods=["GET"])
    router.add_api_route(HOME, home, methods=["GET"])

    def receive(user: User, source: IO[bytes], name: str) -> ImportReport:
        temporary = stage(source, uploads, limit_bytes)
        try:
            return access.import_upload(store, user, temporary, name, now=platform.clock())
        except InputError as exc:  # the reader names the staged file: name the user's instead
            raise InputError(exc.message.replace(str(temporary), name)) from None
        finally:
            temporary.unlink(missing_ok=True)

    def back(target: str, message: str) -> Response:
        return RedirectResponse(f"{target}?message={quote(message)}", status_code=303)

    @router.post(f"{HOME}/imports")
    async def upload(request: Request) -> Response:
        user = access.require_importer(auth.user(request))  # before the body is read
        declared = request.headers.get("content-length", "")
        if declared.isdigit() and int(declared) > limit_bytes + 1024 * 1024:
            return show_home(request, error=f"fichier : plus de {MAX_UPLOAD_MB} Mo ; découpez-le (par restaurant "
                                            "ou par année) ou importez-le en ligne de commande", status_code=400)
        form = await forms.read_form(request, auth, max_part_mb=MAX_UPLOAD_MB)  # CSRF
        try:
            chosen = forms.files(form, "fichier")
            if len(chosen) != 1:
                raise InputError("fichier : choisissez un fichier d'achats (CSV ou XLSX), un seul")
            name = access.display_name(chosen[0].filename or "")
            report = await run_in_threadpool(receive, user, chosen[0].file, name)
        except InputError as exc:
            return show_home(request, error=exc.message, status_code=400)
        finally:
            await form.close()
        manifest = report.manifest
        if report.already_imported:
            if not access.owns(user, manifest):  # another organisation's: say no more
                return back(HOME, f"« {name} » : déjà importé (même contenu) ; rien n'a été ajouté.")
            return back(f"{HOME}/imports/{manifest.id}",
                        f"« {name} » : déjà importé (même contenu que « {manifest.file} », importé le "
                        f"{_when(manifest):%d/%m/%Y}) ; rien n'a été ajouté.")
        await run_in_threadpool(published.refresh, store)
        with platform.db.begin() as session:
            auth.context(request).audit(session, "egalim.import", "egalim_import", manifest.id,
                                        after=access.audit_after(manifest))
        return back(f"{HOME}/imports/{manifest.id}",
                    f"« {name} » importé : {manifest.accepted} ligne(s) acceptée(s), {manifest.rejected} "
                    f"refusée(s), {manifest.conflicts} écart(s) avec les matrices des fournisseurs.")

    def report_data(user: User, manifest: ImportManifest) -> dict[str, Any]:
        rejects = store.rejects(manifest.id, limit=SHOWN)
        conflicts = store.conflicts(manifest.id, limit=SHOWN)
        row = import_row(manifest, names(user, [manifest]))
        return {"import": row | {"sha256": manifest.sha256, "format": manifest.format,
                                 "separator": manifest.separator, "encoding": manifest.encoding,
                                 "warnings": list(manifest.warnings)},
                "rejects": [{"line": r["line_no"], "column": r["column"], "value": r["value"], "reason": r["reason"],
                             "raw": r["raw"]} for r in rejects],
                "rejects_total": store.rejects_count(manifest.id),
                "conflicts_list": [{k: r[k] for k in ("line_no", "fournisseur", "code_article", "column",
                                                      "line_value", "article_value", "kind")} for r in conflicts],
                "conflicts_total": manifest.conflicts, "shown_limit": SHOWN,
                "rejects_csv": f"{HOME}/imports/{manifest.id}.csv"}

    def report(request: Request, import_id: str) -> Response:
        user = access.require_reader(auth.user(request))
        manifest = access.get_import(store, user, import_id)
        data = report_data(user, manifest)
        return renderer.private(request, "egalim/import.html", data | {
            "message": request.query_params.get("message")},
            title=f"{translator(renderer.language(request))('e_ws_report')} — {manifest.file}", json_data=data)

    def rejects_csv(request: Request, import_id: str) -> Response:
        manifest = access.get_import(store, auth.user(request), import_id)
        return StreamingResponse(
            csv_stream(REJECT_COLUMNS, reject_rows(store.iter_rejects(manifest.id))),
            media_type="text/csv; charset=utf-8",
            headers={"Cache-Control": "private, no-store",
                     "Content-Disposition": f'attachment; filename="rejets-{manifest.id}.csv"'})

    router.add_api_route(HOME + "/imports/{import_id}.json", report, methods=["GET"])
    router.add_api_route(HOME + "/imports/{import_id}.csv", rejects_csv, methods=["GET"])
    router.add_api_route(HOME + "/imports/{import_id}", report, methods=["GET"])

    @router.post(HOME + "/imports/{import_id}/supprimer")
    async def remove(import_id: str, request: Request) -> Response:
        user = auth.user(request)
        access.get_import(store, user, import_id)  # who and which organisation, before the body is read
        await forms.read_form(request, auth)  # CSRF
        manifest = await run_in_threadpool(access.remove, store, user, import_id)
        await run_in_threadpool(published.refresh, store)
        with platform.db.begin() as session:
            auth.context(request).audit(session, "egalim.remove", "egalim_import", manifest.id, after={
                "file": manifest.file, "accepted": manifest.accepted, "organisation_id": manifest.organisation_id})
        return back(HOME, f"Import de « {manifest.file} » supprimé : ses {manifest.accepted} ligne(s) ne comptent "
                          "plus dans les résultats Egalim.")

    return router

