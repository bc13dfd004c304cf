"""Egalim imports through the platform: who may import purchase files, read an import's report, remove it.

A buyer organisation's ``admin`` and ``buyer`` users (permission ``import_egalim``) import files for their
organisation and see and remove its imports, and only its imports. Platform administrators see and remove every
import (the command line's ones included, which belong to no organisation) but import nothing themselves: like
every buyer action, importing belongs to the buyer's roles. Every function checks the user before it touches the
store; the web layer only calls them.

Why here rather than in the store: the store is files and knows no users (the command line uses it directly).
"""

from __future__ import annotations

import datetime as dt
import re
from pathlib import Path
from typing import TYPE_CHECKING, Any, Final

from spaser.accounts.roles import can, require
from spaser.errors import AuthenticationError, NotFoundError, PermissionDeniedError
from spaser.indicators.egalim.store import EgalimStore, ImportManifest, valid_import_id

if TYPE_CHECKING:
    from spaser.accounts.models import User
    from spaser.indicators.egalim.importer import ImportReport

PERMISSION: Final = "import_egalim"
#: Longest file name kept for display.
NAME_LIMIT: Final = 200
_SEPARATORS: Final = re.compile(r"[\\/]")


def sees_all(user: User | None) -> bool:
    """Platform administrators see (and may remove) every import."""
    return user is not None and user.active and user.is_platform_admin


def may_import(user: User | None) -> bool:
    return user is not None and user.organisation_id is not None and can(user, PERMISSION, user.organisation_id)


def require_reader(user: User | None) -> User:
    """Someone who may open the Egalim workspace: an importer or a platform administrator; 401 / 403 otherwise."""
    if user is None:
        raise AuthenticationError("log in first")
    if sees_all(user):
        return user
    return require(user, PERMISSION)


def require_importer(user: User | None) -> User:
    """Someone who may import for their organisation (401 / 403 otherwise)."""
    found = require(user, PERMISSION)
    if found.organisation_id is None:
        raise PermissionDeniedError("importing purchase files needs a buyer organisation")
    return found


def owns(user: User, manifest: ImportManifest) -> bool:
    """Whether ``user`` may read and remove this import: its organisation's importers, platform administrators."""
    if sees_all(user):
        return True
    return (manifest.organisation_id is not None and manifest.organisation_id == user.organisation_id
            and can(user, PERMISSION, manifest.organisation_id))


def visible_imports(store: EgalimStore, user: User | None) -> list[ImportManifest]:
    """The imports ``user`` may see, newest first."""
    reader = require_reader(user)
    return [m for m in reversed(store.imports()) if owns(reader, m)]


def get_import(store: EgalimStore, user: User | None, import_id: str) -> ImportManifest:
    """One import's manifest: 401 / 403 for who may not use the workspace, 404 for an id that names no import
    (malformed ones included), 403 for another organisation's import."""
    reader = require_reader(user)
    shown = import_id[:40]
    if not valid_import_id(import_id):
        raise NotFoundError(f"import {shown!r} : ce n'est pas un identifiant d'import (voir /acheteur/egalim)")
    try:
        manifest = store.manifest(import_id)
    except NotFoundError:
        raise NotFoundError(f"aucun import {shown!r} (voir /acheteur/egalim)") from None
    if not owns(reader, manifest):
        raise PermissionDeniedError(f"l'import {shown} appartient à une autre organisation")
    return manifest


def import_upload(store: EgalimStore, user: User | None, path: Path, file_name: str,
                  now: dt.datetime | None = None) -> ImportReport:
    """Import an uploaded file for the user's organisation: ``actor`` is the user's e-mail, ``file_name`` the
    name shown in the report (``path`` is where the server staged it). A file already imported is not imported
    again (``report.already_imported``; its manifest may be another organisation's: check :func:`owns` before
    showing it)."""
    importer = require_importer(user)
    return store.import_file(path, actor=importer.email, organisation_id=importer.organisation_id,
                             file_name=file_name, now=now)


def remove(store: EgalimStore, user: User | None, import_id: str) -> ImportManifest:
    """Delete an import the user may see (:func:`get_import`'s rules)."""
    get_import(store, user, import_id)
    return store.remove_import(import_id)


def display_name(raw: str) -> str:
    """An uploaded file's name as the browser sent it, made a display string: its last path component, without
    control characters, 200 characters at most. Never used to build a path."""
    name = _SEPARATORS.split(raw)[-1]
    name = "".join(ch for ch in name if ch.isprintable()).strip()[:NAME_LIMIT]
    return name or "fichier"


def audit_after(manifest: ImportManifest) -> dict[str, Any]:
    """What the audit log keeps of an import."""
    return {"file": manifest.file, "sha256": manifest.sha256, "lines_read": manifest.lines_read,
            "accepted": manifest.accepted, "rejected": manifest.rejected, "conflicts": manifest.conflicts,
            "organisation_id": manifest.organisation_id}
