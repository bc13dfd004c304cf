"""Consultation documents on SQLite and PostgreSQL: checks at upload, versions, free download, hidden drafts,
tamper detection, and what a change after publication does (suppliers told, deadline pushed when late).

The world's consultation is published at 2026-09-01 08:00 UTC with its deadline 40 days later, 2026-10-11
08:00 UTC; an "Appel d'offres ouvert" gives suppliers 6 days' notice of a change and closes questions 10 days
before the deadline.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import io
import json
import zipfile
from typing import Any

import pytest
from sqlalchemy import select

from spaser.accounts.models import OutboxMessage, User
from spaser.audit import AuditEntry
from spaser.errors import AuthenticationError, ConflictError, InputError, NotFoundError, PermissionDeniedError
from spaser.marketplace import consultations, documents
from spaser.marketplace.documents import StoredFileAlteredError
from spaser.marketplace.models import Consultation, Document, Registration
from tests.marketplace_world import World
from tests.platform_fixtures import ENGINES

pytestmark = pytest.mark.parametrize("empty_database", ENGINES, indirect=True)

PDF = b"%PDF-1.7\n1 0 obj << >> endobj\n%%EOF\n"
MB = 1024 * 1024
UTC = dt.UTC


def _zip(members: dict[str, bytes]) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        for name, data in members.items():
            archive.writestr(name, data)
    return buffer.getvalue()


DOCX = _zip({"[Content_Types].xml": b"<Types/>", "word/document.xml": b"<w:document/>"})
XLSX = _zip({"[Content_Types].xml": b"<Types/>", "xl/workbook.xml": b"<workbook/>"})
ODT = _zip({"mimetype": b"application/vnd.oasis.opendocument.text", "content.xml": b"<office/>"})
ODS = _zip({"mimetype": b"application/vnd.oasis.opendocument.spreadsheet", "content.xml": b"<office/>"})
PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 16
JPEG = b"\xff\xd8\xff\xe0" + b"\x00" * 16


def _upload(world: World, consultation_id: int, name: str = "CCTP.pdf", content: bytes = PDF,
            user: User | None = None, content_type: str = "application/pdf") -> Document:
    with world.platform.db.begin() as session:
        return documents.upload_document(session, world.ctx(user or world.buyer), consultation_id, name=name,
                                         content_type=content_type, content=content)


def _register(world: World, consultation_id: int, *users: User) -> None:
    for user in users:
        with world.platform.db.begin() as session:
            documents.register(session, world.ctx(user), consultation_id)


def _download(world: World, document_id: int, user: User | None) -> tuple[Document, bytes]:
    with world.platform.db() as session:
        return documents.download(session, document_id, user=user, store=world.platform.store)


def _outbox(world: World) -> list[OutboxMessage]:
    with world.platform.db() as session:
        return list(session.execute(select(OutboxMessage).order_by(OutboxMessage.id)).scalars())


def _audit(world: World, action: str) -> list[dict[str, Any]]:
    with world.platform.db() as session:
        rows = session.execute(select(AuditEntry).where(AuditEntry.action == action).order_by(AuditEntry.id))
        return [{"entity_id": r.entity_id, "actor": r.actor, "before": json.loads(r.before or "null"),
                 "after": json.loads(r.after or "null")} for r in rows.scalars()]


def _consultation(world: World, consultation_id: int) -> Consultation:
    with world.platform.db() as session:
        return consultations.get(session, consultation_id)


def test_an_upload_to_a_draft_is_stored_hashed_and_audited(world: World) -> None:
    draft = world.consultation()
    document = _upload(world, draft.id, content_type="application/octet-stream")
    assert (document.name, document.version, document.size) == ("CCTP.pdf", 1, len(PDF))
    assert document.content_type == "application/pdf" and not document.after_publication
    assert document.sha256 == hashlib.sha256(PDF).hexdigest()
    assert world.platform.store.get(document.storage_key) == PDF
    assert document.storage_key.startswith(f"documents/{draft.id}/")
    [entry] = _audit(world, "document.upload")
    assert entry["actor"] == "buyer@bretagne.bzh" and entry["entity_id"] == str(document.id)
    assert {k: entry["after"][k] for k in ("name", "version", "sha256", "size")} == {
        "name": "CCTP.pdf", "version": 1, "sha256": document.sha256, "size": len(PDF)}
    assert _outbox(world) == [] and _audit(world, "consultation.deadline_extended") == []


def test_a_new_upload_under_the_same_name_is_a_new_version_and_the_old_one_stays(world: World) -> None:
    consultation = world.published()
    first = _upload(world, consultation.id, content=PDF + b"v1")
    second = _upload(world, consultation.id, content=PDF + b"v2")
    other = _upload(world, consultation.id, name="RC.pdf")
    assert (first.version, second.version, other.version) == (1, 2, 1)
    with world.platform.db() as session:
        public = consultations.get_public(session, consultation.id)
        assert [(d.name, d.version) for d in documents.list_documents(session, public)] == [
            ("CCTP.pdf", 2), ("RC.pdf", 1)]
        assert [d.version for d in documents.document_history(session, consultation.id, "CCTP.pdf")] == [1, 2]
        with pytest.raises(NotFoundError, match=r"no document named 'DPGF\.xlsx'"):
            documents.document_history(session, consultation.id, "DPGF.xlsx")
    assert _download(world, first.id, None)[1] == PDF + b"v1"
    assert _download(world, second.id, None)[1] == PDF + b"v2"


def test_the_size_limit_is_the_setting_and_the_refusal_names_file_size_and_limit(world: World) -> None:
    world.platform.settings = world.platform.settings.model_copy(update={"max_document_mb": 1})
    draft = world.consultation()
    assert _upload(world, draft.id, name="annexe.txt", content=b"a" * MB).size == MB
    with pytest.raises(InputError) as refused:
        _upload(world, draft.id, name="annexe.txt", content=b"a" * (MB + 1))
    assert refused.value.message == ("annexe.txt: 1.0 MB (1048577 bytes) is over the 1 MB limit for a "
                                     "consultation document")


def test_an_empty_file_is_refused(world: World) -> None:
    draft = world.consultation()
    with pytest.raises(InputError, match=r"^CCTP\.pdf: the file is empty$"):
        _upload(world, draft.id, content=b"")


@pytest.mark.parametrize(("name", "content", "expected_type"), [
    ("CCTP.pdf", PDF, "application/pdf"),
    ("memoire.docx", DOCX, "application/vnd.openxmlformats-officedocument.wordprocessingml.document"),
    ("DPGF.xlsx", XLSX, "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"),
    ("CCAP.odt", ODT, "application/vnd.oasis.opendocument.text"),
    ("BPU.ods", ODS, "application/vnd.oasis.opendocument.spreadsheet"),
    ("plans.zip", _zip({"plan.pdf": PDF}), "application/zip"),
    ("lisez-moi.txt", "Écoles : 12 lycées\n".encode(), "text/plain; charset=utf-8"),
    ("sites.csv", b"\xef\xbb\xbfsite;adresse\nLyc\xc3\xa9e;Rennes\n", "text/csv; charset=utf-8"),
    ("plan.png", PNG, "image/png"),
    ("photo.JPG", JPEG, "image/jpeg"),
    ("photo.jpeg", JPEG, "image/jpeg"),
])
def test_every_allowed_type_is_accepted_when_its_content_matches(world: World, name: str, content: bytes,
                                                                  expected_type: str) -> None:
    assert _upload(world, world.consultation().id, name=name, content=content).content_type == expected_type


@pytest.mark.parametrize(("name", "content", "message"), [
    ("CCTP.pdf", b"MZ\x90\x00 not a pdf",
     r"CCTP\.pdf: the content is not a PDF \(a \.pdf file must start with %PDF-\)"),
    ("memoire.docx", PDF, r"memoire\.docx: the content is not a Word document"),
    ("memoire.docx", XLSX, r"memoire\.docx: the content is not a Word document"),
    ("DPGF.xlsx", b"PK\x03\x04 truncated", r"DPGF\.xlsx: the content is not an Excel workbook"),
    ("CCAP.odt", ODS, r"CCAP\.odt: the content is not an OpenDocument text"),
    ("plans.zip", PDF, r"plans\.zip: the content is not a ZIP archive"),
    ("notes.txt", b"abc\x00def", r"notes\.txt: the content is not a text file"),
    ("sites.csv", "Lycée;Rennes".encode("latin-1"), r"sites\.csv: the content is not a CSV file"),
    ("plan.png", JPEG, r"plan\.png: the content is not a PNG image"),
    ("photo.jpg", PNG, r"photo\.jpg: the content is not a JPEG image"),
])
def test_content_that_does_not_match_its_extension_is_refused(world: World, name: str, content: bytes,
                                                              message: str) -> None:
    draft = world.consultation()
    with pytest.raises(InputError, match="^" + message):
        _upload(world, draft.id, name=name, content=content)
    with world.platform.db() as session:
        assert session.execute(select(Document)).first() is None


@pytest.mark.parametrize("name", ["setup.exe", "README", "archive.tar.gz"])
def test_a_type_outside_the_allow_list_is_refused(world: World, name: str) -> None:
    with pytest.raises(InputError, match=r"this type of file is not accepted; allowed: \.pdf, \.docx"):
        _upload(world, world.consultation().id, name=name)


@pytest.mark.parametrize(("given", "stored"), [
    ("../../etc/CCTP.pdf", "CCTP.pdf"),
    ("C:\\Users\\acheteur\\RC.pdf", "RC.pdf"),
    ("..hidden.pdf", "hidden.pdf"),
    (" .  avis.pdf ", "avis.pdf"),
    ("a\x00b\tc.pdf", "a_b_c.pdf"),
    ("x" * 300 + ".pdf", "x" * 196 + ".pdf"),
])
def test_file_names_are_sanitised(world: World, given: str, stored: str) -> None:
    assert _upload(world, world.consultation().id, name=given).name == stored


def test_a_name_that_sanitises_to_nothing_is_refused(world: World) -> None:
    with pytest.raises(InputError, match="is not a usable file name"):
        _upload(world, world.consultation().id, name="../..")


def test_only_the_buyer_organisation_uploads(world: World) -> None:
    draft = world.consultation()
    for user in (world.other_buyer, world.supplier_a, world.evaluator, world.operator):
        with pytest.raises(PermissionDeniedError):
            _upload(world, draft.id, user=user)
    with world.platform.db.begin() as session, pytest.raises(AuthenticationError):
        documents.upload_document(session, world.ctx(None), draft.id, name="CCTP.pdf", content_type="",
                                  content=PDF)
    assert _upload(world, draft.id, user=world.admin).version == 1


def test_no_upload_once_the_deadline_has_passed_or_the_consultation_is_cancelled(world: World) -> None:
    closed = world.published()
    cancelled = world.published()
    with world.platform.db.begin() as session:
        consultations.cancel(session, world.ctx(world.buyer), cancelled.id, "Besoin abandonné")
    world.clock.advance(days=40)
    with pytest.raises(ConflictError, match=f"consultation {closed.reference} is closed: documents are added only"):
        _upload(world, closed.id)
    with pytest.raises(ConflictError, match=f"consultation {cancelled.reference} is cancelled"):
        _upload(world, cancelled.id)


def test_published_documents_are_free_to_download_anonymously(world: World) -> None:
    consultation = world.published()
    document = _upload(world, consultation.id)
    for user in (None, world.supplier_b, world.other_buyer):
        got, content = _download(world, document.id, user)
        assert (got.id, content) == (document.id, PDF)
    with pytest.raises(NotFoundError, match="document 9999 does not exist"):
        _download(world, 9999, None)


def test_a_drafts_documents_are_hidden_from_the_public_and_from_other_organisations(world: World) -> None:
    draft = world.consultation()
    document = _upload(world, draft.id)
    for user in (None, world.other_buyer, world.supplier_a, world.operator):
        with pytest.raises(NotFoundError, match=f"document {document.id} does not exist"):
            _download(world, document.id, user)
    for user in (world.buyer, world.admin, world.evaluator):
        assert _download(world, document.id, user)[1] == PDF


def test_an_altered_file_store_is_detected_at_download(world: World) -> None:
    consultation = world.published()
    document = _upload(world, consultation.id)
    (world.platform.store.root / document.storage_key).write_bytes(PDF + b"% forged clause\n")
    with pytest.raises(StoredFileAlteredError, match="does not match the SHA-256 recorded at upload") as altered:
        _download(world, document.id, None)
    assert altered.value.http_status == 500 and document.sha256 in altered.value.message
    (world.platform.store.root / document.storage_key).unlink()
    with pytest.raises(NotFoundError, match="is missing"):
        _download(world, document.id, None)


def test_a_change_after_publication_tells_registered_suppliers_only(world: World) -> None:
    """Uploaded 10 days after publication (2026-09-11): 6 days' notice still fit before 2026-10-11, so the
    deadline stays."""
    consultation = world.published()
    _register(world, consultation.id, world.supplier_a)
    world.clock.advance(days=10)
    document = _upload(world, consultation.id, name="CCTP.pdf")
    assert document.after_publication
    [message] = _outbox(world)
    assert (message.kind, message.recipient, message.consultation_id) == (
        "document_changed", "offres@armor.fr", consultation.id)
    assert consultation.reference in message.subject and "CCTP.pdf" in message.subject
    assert consultation.reference in message.body and consultation.title in message.body
    assert "« CCTP.pdf »" in message.body and "reportée" not in message.body
    assert _consultation(world, consultation.id).deadline == dt.datetime(2026, 10, 11, 8, 0, tzinfo=UTC)
    assert _audit(world, "consultation.deadline_extended") == []
    _upload(world, consultation.id, name="CCTP.pdf")
    assert "modifié (version 2)" in _outbox(world)[-1].body


def test_a_late_change_pushes_the_deadline_and_the_questions_cutoff(world: World) -> None:
    """Uploaded on day 36, 2026-10-07 08:00 UTC, i.e. 4 days before the deadline 2026-10-11 08:00: the
    deadline becomes 2026-10-07 08:00 + 6 days = 2026-10-13 08:00 UTC (10:00 in Paris, summer time) and the
    questions cut-off 10 days earlier, 2026-10-03 08:00 UTC (it was 2026-10-01 08:00)."""
    consultation = world.published()
    _register(world, consultation.id, world.supplier_a, world.supplier_b)
    world.clock.advance(days=36)
    _upload(world, consultation.id, name="DPGF.xlsx", content=XLSX)
    after = _consultation(world, consultation.id)
    assert after.deadline == dt.datetime(2026, 10, 13, 8, 0, tzinfo=UTC)
    assert after.questions_cutoff == dt.datetime(2026, 10, 3, 8, 0, tzinfo=UTC)
    [extended] = _audit(world, "consultation.deadline_extended")
    assert extended["before"] == {"deadline": "2026-10-11T08:00:00+00:00",
                                  "questions_cutoff": "2026-10-01T08:00:00+00:00"}
    assert extended["after"] == {"deadline": "2026-10-13T08:00:00+00:00",
                                 "questions_cutoff": "2026-10-03T08:00:00+00:00"}
    messages = _outbox(world)
    assert sorted(m.recipient for m in messages) == ["ao@mobilier-ouest.fr", "offres@armor.fr"]
    assert all("reportée au 13/10/2026 à 10:00 (heure de Paris)" in m.body for m in messages)
    assert all("fixée au 11/10/2026 à 10:00" in m.body for m in messages)


def test_a_change_exactly_six_days_before_the_deadline_does_not_push_it(world: World) -> None:
    """Day 34, 2026-10-05 08:00 UTC + 6 days = 2026-10-11 08:00 UTC: the deadline itself, so it stays."""
    consultation = world.published()
    world.clock.advance(days=34)
    _upload(world, consultation.id)
    assert _consultation(world, consultation.id).deadline == dt.datetime(2026, 10, 11, 8, 0, tzinfo=UTC)
    assert _audit(world, "consultation.deadline_extended") == []


def test_registering_is_for_suppliers_on_open_consultations_and_idempotent(world: World) -> None:
    consultation = world.published()
    _register(world, consultation.id, world.supplier_a, world.supplier_a)
    with world.platform.db() as session:
        rows = session.execute(select(Registration)).scalars().all()
    assert [(r.consultation_id, r.user_id) for r in rows] == [(consultation.id, world.supplier_a.id)]
    assert len(_audit(world, "consultation.register")) == 1
    with pytest.raises(PermissionDeniedError, match="may not ask question"):
        _register(world, consultation.id, world.buyer)
    with world.platform.db.begin() as session, pytest.raises(AuthenticationError):
        documents.register(session, world.ctx(None), consultation.id)
    with pytest.raises(NotFoundError):
        _register(world, world.consultation().id, world.supplier_b)
    world.clock.advance(days=41)
    with pytest.raises(ConflictError, match="is closed: only a published consultation"):
        _register(world, consultation.id, world.supplier_b)
