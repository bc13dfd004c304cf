"""Consultation documents (DCE): versioned uploads by the buyer, free download for everyone, supplier registration.

Why the checks: a buyer profile must offer the documents freely and unchanged, so every version stays
downloadable, its SHA-256 is recorded at upload and checked at each download, and a file whose content does not
match its extension (a renamed executable, a damaged PDF) is refused before any supplier opens it. A change after
publication is announced to the registered suppliers and may push the deadline (``notices``).
"""

from __future__ import annotations

import hashlib
import hmac
import io
import re
import unicodedata
import zipfile
from collections.abc import Callable
from dataclasses import dataclass

from sqlalchemy import and_, func, select
from sqlalchemy.orm import Session

from spaser.accounts.models import User
from spaser.accounts.roles import can, require
from spaser.errors import ConflictError, InputError, NotFoundError, SpaserError
from spaser.marketplace import consultations, lifecycle, notices
from spaser.marketplace.models import Consultation, Document, Registration
from spaser.platform_db.context import Context
from spaser.platform_db.store import FileStore

NAME_MAX = 200
MB = 1024 * 1024


class StoredFileAlteredError(SpaserError):
    """The file store returned bytes that are not those uploaded: a server-side fault, never the user's."""

    http_status = 500


@dataclass(frozen=True)
class FileType:
    content_type: str
    label: str
    check: Callable[[bytes], bool]
    signature: str


def _zip_with(*members: str) -> Callable[[bytes], bool]:
    """An OOXML package: a ZIP holding these parts (reads only the directory, so a ZIP bomb costs nothing)."""
    def check(content: bytes) -> bool:
        if not content.startswith(b"PK\x03\x04"):
            return False
        try:
            with zipfile.ZipFile(io.BytesIO(content)) as archive:
                names = set(archive.namelist())
        except (zipfile.BadZipFile, ValueError):
            return False
        return all(member in names for member in members)
    return check


def _opendocument(mimetype: str) -> Callable[[bytes], bool]:
    """An OpenDocument package: a ZIP whose small ``mimetype`` member names the document kind."""
    def check(content: bytes) -> bool:
        if not content.startswith(b"PK\x03\x04"):
            return False
        try:
            with zipfile.ZipFile(io.BytesIO(content)) as archive:
                info = archive.getinfo("mimetype")
                return info.file_size <= 200 and archive.read(info).strip() == mimetype.encode("ascii")
        except (zipfile.BadZipFile, KeyError, ValueError):
            return False
    return check


def _text(content: bytes) -> bool:
    if b"\x00" in content:
        return False
    try:
        content.decode("utf-8")
    except UnicodeDecodeError:
        return False
    return True


_OOXML = "application/vnd.openxmlformats-officedocument."
_ODF = "application/vnd.oasis.opendocument."
TYPES: dict[str, FileType] = {
    ".pdf": FileType("application/pdf", "a PDF", lambda c: c.startswith(b"%PDF-"), "start with %PDF-"),
    ".docx": FileType(_OOXML + "wordprocessingml.document", "a Word document",
                      _zip_with("[Content_Types].xml", "word/document.xml"), "be a ZIP package with word/document.xml"),
    ".xlsx": FileType(_OOXML + "spreadsheetml.sheet", "an Excel workbook",
                      _zip_with("[Content_Types].xml", "xl/workbook.xml"), "be a ZIP package with xl/workbook.xml"),
    ".odt": FileType(_ODF + "text", "an OpenDocument text", _opendocument(_ODF + "text"),
                     "be a ZIP package whose mimetype is " + _ODF + "text"),
    ".ods": FileType(_ODF + "spreadsheet", "an OpenDocument spreadsheet", _opendocument(_ODF + "spreadsheet"),
                     "be a ZIP package whose mimetype is " + _ODF + "spreadsheet"),
    ".zip": FileType("application/zip", "a ZIP archive", _zip_with(), "start with PK\\x03\\x04 and be a readable ZIP"),
    ".txt": FileType("text/plain; charset=utf-8", "a text file", _text, "be UTF-8 text without NUL bytes"),
    ".csv": FileType("text/csv; charset=utf-8", "a CSV file", _text, "be UTF-8 text without NUL bytes"),
    ".png": FileType("image/png", "a PNG image", lambda c: c.startswith(b"\x89PNG\r\n\x1a\n"),
                     "start with the PNG signature"),
    ".jpg": FileType("image/jpeg", "a JPEG image", lambda c: c.startswith(b"\xff\xd8\xff"),
                     "start with the JPEG signature FF D8 FF"),
    ".jpeg": FileType("image/jpeg", "a JPEG image", lambda c: c.startswith(b"\xff\xd8\xff"),
                      "start with the JPEG signature FF D8 FF"),
}
_UNSAFE = re.compile(r"[\x00-\x1f\x7f/\\:*?\"<>|]")


def clean_name(raw: str) -> str:
    """A file name safe to store and to send back in a Content-Disposition: the last path component, no control
    or reserved characters, no leading dots (hidden files, ``..``), NFC (so a Mac upload versions the same name),
    at most 200 characters keeping the extension."""
    name = unicodedata.normalize("NFC", raw).replace("\\", "/").rsplit("/", 1)[-1]
    name = _UNSAFE.sub("_", name).strip().lstrip(". ").strip()
    stem, dot, extension = name.rpartition(".")
    if not dot:
        return name[:NAME_MAX]
    extension = "." + extension
    return (stem[:max(NAME_MAX - len(extension), 1)].rstrip() + extension)[:NAME_MAX]


def check_file(name: str, content: bytes, max_mb: int) -> FileType:
    """The file's type when the upload is acceptable; else an InputError naming the file and what is wrong."""
    extension = name.rpartition(".")[2].lower()
    file_type = TYPES.get("." + extension) if "." in name else None
    if file_type is None:
        raise InputError(f"{name}: this type of file is not accepted; allowed: {', '.join(TYPES)}")
    if not content:
        raise InputError(f"{name}: the file is empty")
    if len(content) > max_mb * MB:
        raise InputError(f"{name}: {len(content) / MB:.1f} MB ({len(content)} bytes) is over the {max_mb} MB limit "
                         "for a consultation document")
    if not file_type.check(content):
        raise InputError(f"{name}: the content is not {file_type.label} (a .{extension} file must "
                         f"{file_type.signature}); check that the file is not renamed or damaged")
    return file_type


def upload_document(session: Session, ctx: Context, consultation_id: int, *, name: str, content_type: str,
                    content: bytes) -> Document:
    """Add a document, or a new version of one with the same name. The stored type is the one the checked
    content proves (the browser's ``content_type`` is only recorded in the audit)."""
    consultation = notices.lock(session, consultations.get_for_buyer(session, ctx, consultation_id,
                                                                     "edit_consultation"))
    state = lifecycle.effective_status(consultation.status, consultation.deadline, ctx.now)
    if state not in ("draft", "published"):
        raise ConflictError(f"consultation {consultation.reference} is {state}: documents are added only to a "
                            "draft or to a published consultation before its deadline")
    user = require(ctx.user, "edit_consultation", consultation.buyer_org_id)
    clean = clean_name(name)
    if not clean:
        raise InputError(f"name: {name!r} is not a usable file name")
    file_type = check_file(clean, content, ctx.settings.max_document_mb)
    latest = session.execute(select(func.max(Document.version)).where(
        Document.consultation_id == consultation.id, Document.name == clean)).scalar_one()
    sha256 = hashlib.sha256(content).hexdigest()
    document = Document(consultation_id=consultation.id, name=clean, version=(latest or 0) + 1,
                        content_type=file_type.content_type, size=len(content), sha256=sha256,
                        storage_key=ctx.platform.store.put("documents", consultation.id, content),
                        uploaded_at=ctx.now, uploaded_by=user.id, after_publication=state == "published")
    session.add(document)
    session.flush()
    ctx.audit(session, "document.upload", "document", document.id,
              after={"consultation_id": consultation.id, "name": clean, "version": document.version,
                     "sha256": sha256, "size": document.size, "content_type": document.content_type,
                     "declared_type": content_type[:100], "after_publication": document.after_publication})
    if document.after_publication:
        _announce(session, ctx, consultation, document)
    return document


def _announce(session: Session, ctx: Context, consultation: Consultation, document: Document) -> None:
    what = "ajouté" if document.version == 1 else f"modifié (version {document.version})"
    notices.announce_change(
        session, ctx, consultation, kind="document_changed",
        subject=f"Consultation {consultation.reference} : document {what.split(' ')[0]} – {document.name}",
        body=(f"Bonjour,\n\nLe document « {document.name} » de la consultation {notices.heading(consultation)} "
              f"a été {what} le {notices.format_paris(ctx.now)}.\nTéléchargez-le sur la page de la consultation ; "
              "les versions précédentes restent disponibles."))


def list_documents(session: Session, consultation: Consultation) -> list[Document]:
    """The latest version of each document, by name. The caller has already fetched the consultation with the
    access it allows (``get_public`` or ``get_for_buyer``)."""
    latest = (select(Document.name, func.max(Document.version).label("version"))
              .where(Document.consultation_id == consultation.id).group_by(Document.name).subquery())
    query = (select(Document).join(latest, and_(Document.name == latest.c.name, Document.version == latest.c.version))
             .where(Document.consultation_id == consultation.id).order_by(Document.name))
    return list(session.execute(query).scalars())


def document_history(session: Session, consultation_id: int, name: str) -> list[Document]:
    """Every version of one document, oldest first: suppliers see what changed and when."""
    rows = list(session.execute(select(Document).where(Document.consultation_id == consultation_id,
                                                       Document.name == name).order_by(Document.version)).scalars())
    if not rows:
        raise NotFoundError(f"consultation {consultation_id} has no document named {name!r}")
    return rows


def download(session: Session, document_id: int, *, user: User | None, store: FileStore) -> tuple[Document, bytes]:
    """The document and its bytes: free and anonymous once the consultation is published; a draft's documents
    only for its buyer organisation (others are told it does not exist). The bytes are checked against the
    SHA-256 recorded at upload, so an altered file store never serves a changed document."""
    document = session.get(Document, document_id)
    if document is None:
        raise NotFoundError(f"document {document_id} does not exist")
    try:
        consultations.get_public(session, document.consultation_id)
    except NotFoundError:
        consultation = consultations.get(session, document.consultation_id)
        if not can(user, "view_buyer_workspace", consultation.buyer_org_id):
            raise NotFoundError(f"document {document_id} does not exist") from None
    content = store.get(document.storage_key)
    found = hashlib.sha256(content).hexdigest()
    if not hmac.compare_digest(found, document.sha256):
        raise StoredFileAlteredError(
            f"document {document.name} (version {document.version}): the stored file does not match the SHA-256 "
            f"recorded at upload (expected {document.sha256}, found {found}); the file store was altered, restore "
            f"{document.storage_key} from a backup")
    return document, content


def register(session: Session, ctx: Context, consultation_id: int) -> Registration:
    """A supplier user follows a published consultation to be told of changed documents and new answers;
    registering twice returns the same registration."""
    user = require(ctx.user, "ask_question")
    consultation = consultations.get_public(session, consultation_id)
    state = lifecycle.effective_status(consultation.status, consultation.deadline, ctx.now)
    if state != "published":
        raise ConflictError(f"consultation {consultation.reference} is {state}: only a published consultation "
                            "before its deadline can be followed")
    return notices.ensure_registered(session, ctx, consultation, user)
