"""The clause library on the platform: seeded from the shipped catalogue, versioned, buyers propose, admins validate.

Why seeding into the database rather than reading the TOML files at each request: a buyer's revision of a shipped
clause and a buyer's new clause live beside the shipped ones, with one history per clause; the catalogue of a new
spaser release becomes a new validated version of the clauses it changed (``seed``), never a silent overwrite.
"""

from __future__ import annotations

import hashlib
import json
import threading
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session, selectinload

from spaser.accounts.roles import require, require_platform_admin
from spaser.clauses.catalogue import KINDS, LEVELS, THEMES, ModelClause, catalogue
from spaser.clauses.models import Clause, ClauseVersion
from spaser.clauses.search import ClauseIndex, IndexedClause, SearchResult
from spaser.domain.cpv import DIVISIONS
from spaser.domain.text import user_text
from spaser.errors import ConflictError, InputError, NotFoundError
from spaser.marketplace.consultations import get_for_buyer
from spaser.marketplace.models import Consultation, ExecutionClause
from spaser.platform_db.context import Context

#: Kinds a consultation stores as execution clauses (conditions and reservations, which the publication rules and
#: the DECP considerations read). Award criteria are set with their weight in the criteria, and technical
#: specifications go in the CCTP: both through the generated RC/CCTP, never as a fake execution condition.
ADDABLE_KINDS = ("execution_condition", "reserved_contract")
EDITABLE = ("title", "kind", "theme", "level", "categories", "legal_basis", "keywords", "text", "verification")


@dataclass(frozen=True)
class SeedReport:
    created: int
    updated: int
    unchanged: int


def fields_of(clause: ModelClause) -> dict[str, Any]:
    return {"title": clause.title, "kind": clause.kind, "theme": clause.theme, "level": clause.level,
            "categories": list(clause.categories), "legal_basis": list(clause.legal_basis),
            "keywords": list(clause.keywords), "text": clause.text, "verification": clause.verification}


def model_of(version: ClauseVersion) -> ModelClause:
    """A database version as the plain value the templates and the search read."""
    return ModelClause(id=version.clause_id, title=version.title, kind=version.kind, theme=version.theme,
                       level=version.level, categories=tuple(version.categories),
                       legal_basis=tuple(version.legal_basis), text=version.text, verification=version.verification,
                       keywords=tuple(version.keywords))


def _list(value: Any, field: str) -> list[str]:
    items = value.split("\n") if isinstance(value, str) else list(value or [])
    cleaned = [user_text(str(x), field, 300, required=False) for x in items]
    return [x for x in cleaned if x]


def clean_fields(data: Mapping[str, Any]) -> dict[str, Any]:
    """Checks a proposed clause like the catalogue loader checks the shipped ones; errors name field and value."""
    unknown = sorted(set(data) - set(EDITABLE))
    if unknown:
        raise InputError(f"clause: unknown field(s) {', '.join(unknown)}")
    fields: dict[str, Any] = {
        "title": user_text(str(data.get("title", "")), "title", 300),
        "text": user_text(str(data.get("text", "")), "text", 20000),
        "verification": user_text(str(data.get("verification", "")), "verification", 5000),
    }
    for name, allowed in (("kind", KINDS), ("theme", THEMES), ("level", LEVELS)):
        value = str(data.get(name, ""))
        if value not in allowed:
            raise InputError(f"{name}: {value!r} is not one of {', '.join(allowed)}")
        fields[name] = value
    categories = _list(data.get("categories"), "categories")
    for category in categories:
        if not (category.isdigit() and len(category) in (2, 3) and category[:2] in DIVISIONS):
            raise InputError(f"categories: {category!r} is not a CPV division (2 digits) or group (3 digits)")
    fields["categories"] = categories
    fields["legal_basis"] = _list(data.get("legal_basis"), "legal_basis")
    if not fields["legal_basis"]:
        raise InputError("legal_basis: cite at least one legal basis (e.g. CCP art. L2112-2)")
    fields["keywords"] = _list(data.get("keywords"), "keywords")
    return fields


def _version(clause_id: str, number: int, fields: Mapping[str, Any], status: str, ctx: Context,
             note: str = "") -> ClauseVersion:
    return ClauseVersion(clause_id=clause_id, number=number, status=status, created_at=ctx.now,
                         proposed_by=ctx.user.id if ctx.user is not None and status == "proposed" else None,
                         proposal_note=note, **fields)


def seed(session: Session, ctx: Context, shipped: Sequence[ModelClause] | None = None) -> SeedReport:
    """Adds the shipped clauses that are new, and a version for each shipped clause whose text changed since the
    version this spaser last shipped: validated (the new current version) when the current one is the shipped
    text, proposed (for the administrators to review) when they validated a buyer's revision since."""
    created = updated = unchanged = 0
    existing = {c.id: c for c in session.execute(select(Clause).options(selectinload(Clause.versions))).scalars()}
    for model in shipped if shipped is not None else catalogue():
        fields = fields_of(model)
        clause = existing.get(model.id)
        if clause is None:
            clause = Clause(id=model.id, origin="library", current_version=1, created_at=ctx.now)
            clause.versions.append(_version(model.id, 1, fields, "validated", ctx))
            session.add(clause)
            created += 1
            continue
        shipped_versions = [v for v in clause.versions if v.proposed_by is None and v.status != "proposed"]
        if shipped_versions and shipped_versions[-1].fields() == fields:
            unchanged += 1
            continue
        if any(v.status == "proposed" and v.proposed_by is None and v.fields() == fields for v in clause.versions):
            unchanged += 1  # this release's text already waits for the administrators' review
            continue
        number = max(v.number for v in clause.versions) + 1
        current = next((v for v in clause.versions if v.number == clause.current_version), None)
        if current is not None and current.proposed_by is not None:
            # The administrators validated a buyer's revision: the new shipped text waits for their review.
            clause.versions.append(_version(clause.id, number, fields, "proposed", ctx,
                                            "nouvelle version livrée avec spaser"))
            clause.versions[-1].proposed_by = None
        else:
            for version in clause.versions:
                if version.status == "validated":
                    version.status = "superseded"
            clause.versions.append(_version(clause.id, number, fields, "validated", ctx))
            clause.current_version = number
        updated += 1
    session.flush()
    if created or updated:
        ctx.audit(session, "clause.seed", "clause", "library", None,
                  {"created": created, "updated": updated, "unchanged": unchanged})
    return SeedReport(created, updated, unchanged)


def current_versions(session: Session) -> list[ClauseVersion]:
    """The validated version of every clause, in title order."""
    return list(session.execute(
        select(ClauseVersion).join(Clause, Clause.id == ClauseVersion.clause_id)
        .where(ClauseVersion.number == Clause.current_version).order_by(ClauseVersion.title)).scalars())


def get_clause(session: Session, clause_id: str) -> tuple[Clause, ClauseVersion]:
    clause = session.get(Clause, clause_id)
    if clause is None or clause.current_version is None:
        raise NotFoundError(f"no clause {clause_id!r} in the library")
    version = next(v for v in clause.versions if v.number == clause.current_version)
    return clause, version


def propose(session: Session, ctx: Context, fields: Mapping[str, Any], clause_id: str | None = None,
            note: str = "") -> ClauseVersion:
    """A buyer proposes a new clause (``clause_id`` None) or a revision; it is visible to all once validated."""
    user = ctx.user
    require(user, "propose_clause", user.organisation_id if user is not None else None)
    clean = clean_fields(fields)
    note = user_text(note, "note", 2000, required=False)
    if clause_id is None:
        number = session.execute(select(func.count()).select_from(Clause).where(Clause.origin == "buyer")
                                 ).scalar_one() + 1
        clause = Clause(id=f"proposition-{number}", origin="buyer", current_version=None, created_at=ctx.now)
        while session.get(Clause, clause.id) is not None:
            number += 1
            clause.id = f"proposition-{number}"
        session.add(clause)
        version = _version(clause.id, 1, clean, "proposed", ctx, note)
    else:
        clause = session.get(Clause, clause_id) or _missing(clause_id)
        version = _version(clause.id, max(v.number for v in clause.versions) + 1, clean, "proposed", ctx, note)
    clause.versions.append(version)
    session.flush()
    ctx.audit(session, "clause.propose", "clause", clause.id, None, {"version": version.number, **clean})
    return version


def _missing(clause_id: str) -> Clause:
    raise NotFoundError(f"no clause {clause_id!r} in the library")


def pending(session: Session, ctx: Context) -> list[ClauseVersion]:
    require_platform_admin(ctx.user, "review clause proposals")
    return list(session.execute(select(ClauseVersion).where(ClauseVersion.status == "proposed")
                                .order_by(ClauseVersion.created_at, ClauseVersion.id)).scalars())


def review(session: Session, ctx: Context, version_id: int, accept: bool, note: str = "") -> ClauseVersion:
    """A platform administrator validates (it becomes the clause's current version) or rejects a proposal."""
    require_platform_admin(ctx.user, "review clause proposals")
    version = session.get(ClauseVersion, version_id)
    if version is None:
        raise NotFoundError(f"no clause version {version_id}")
    if version.status != "proposed":
        raise ConflictError(f"version {version.number} of {version.clause_id!r} is already {version.status}")
    assert ctx.user is not None
    review_note = user_text(note, "note", 2000, required=False)
    if not accept and not review_note:
        raise InputError("note: say why the proposal is rejected (the buyer reads it)")
    version.reviewed_by, version.reviewed_at, version.review_note = ctx.user.id, ctx.now, review_note
    if accept:
        for other in version.clause.versions:
            if other.status == "validated":
                other.status = "superseded"
        version.status = "validated"
        version.clause.current_version = version.number
    else:
        version.status = "rejected"
    session.flush()
    ctx.audit(session, "clause.validate" if accept else "clause.reject", "clause", version.clause_id,
              {"status": "proposed"},
              {"version": version.number, "status": version.status, "note": version.review_note})
    return version


def my_proposals(session: Session, ctx: Context) -> list[ClauseVersion]:
    if ctx.user is None:
        return []
    return list(session.execute(select(ClauseVersion).where(ClauseVersion.proposed_by == ctx.user.id)
                                .order_by(ClauseVersion.created_at.desc())).scalars())


# --------------------------------------------------------------------------------------------------
# Search over the current versions, rebuilt when the library changes


_index_lock = threading.Lock()
_index_cache: dict[str, ClauseIndex] = {}


def _indexed(version: ClauseVersion) -> IndexedClause:
    return IndexedClause(key=version.clause_id, title=version.title, text=version.text,
                         keywords=tuple(version.keywords), categories=tuple(version.categories), kind=version.kind,
                         theme=version.theme, level=version.level)


def index(session: Session) -> tuple[ClauseIndex, dict[str, ClauseVersion]]:
    """The search index of the current versions, shared by every request while they stay the same (keyed by a
    digest of what the index reads), so embeddings are computed once per change of the library."""
    versions = current_versions(session)
    digest = hashlib.sha256(json.dumps([[v.clause_id, v.number, v.fields()] for v in versions],
                                       sort_keys=True, ensure_ascii=False).encode()).hexdigest()
    with _index_lock:
        built = _index_cache.get(digest)
        if built is None:
            built = ClauseIndex(_indexed(v) for v in versions)
            _index_cache.clear()
            _index_cache[digest] = built
    return built, {v.clause_id: v for v in versions}


def search(session: Session, query: str, cpv: str | None = None, kind: str | None = None,
           theme: str | None = None, limit: int = 20) -> tuple[SearchResult, dict[str, ClauseVersion]]:
    built, versions = index(session)
    if kind and kind not in KINDS:
        raise InputError(f"kind: {kind!r} is not one of {', '.join(KINDS)}")
    if theme and theme not in THEMES:
        raise InputError(f"theme: {theme!r} is not one of {', '.join(THEMES)}")
    return built.search(query, cpv=cpv, kind=kind or None, theme=theme or None, limit=limit), versions


def suggest(session: Session, cpv: str | None, text: str, limit: int = 10
            ) -> tuple[SearchResult, dict[str, ClauseVersion]]:
    built, versions = index(session)
    return built.suggest(cpv, text, limit), versions


# --------------------------------------------------------------------------------------------------
# Into a consultation


def consultation_kind(version: ClauseVersion) -> str:
    """The marketplace's clause kind (environmental, social, reserved) of a library clause."""
    if version.kind == "reserved_contract":
        return "reserved"
    return "social" if version.theme == "social" else "environmental"


def add_to_consultation(session: Session, ctx: Context, consultation_id: int, clause_id: str) -> Consultation:
    """Copies the clause's current text into the draft consultation, with a reference to the version used."""
    consultation = get_for_buyer(session, ctx, consultation_id, "edit_consultation")
    if consultation.status != "draft":
        raise ConflictError(f"consultation {consultation.reference} is {consultation.status}: only a draft changes")
    _, version = get_clause(session, clause_id)
    if version.kind not in ADDABLE_KINDS:
        where = ("the criteria, with its weight" if version.kind == "award_criterion"
                 else "the CCTP (download the template made of it)")
        raise InputError(f"clause: {clause_id!r} is a {version.kind.replace('_', ' ')}, not an execution condition: "
                         f"it goes in {where}")
    reference = f"{version.clause_id}@{version.number}"
    if any(c.library_clause == reference for c in consultation.clauses):
        return consultation
    consultation.clauses.append(ExecutionClause(kind=consultation_kind(version), library_clause=reference,
                                                text=f"{version.title}. {version.text}"))
    consultation.updated_at = ctx.now
    session.flush()
    ctx.audit(session, "consultation.clauses", "consultation", consultation.id, None,
              {"added_library_clause": reference})
    return consultation


def versions_of(session: Session, references: Sequence[str]) -> list[ClauseVersion]:
    """The exact versions named ``<id>@<n>`` (a consultation's library clauses), in the order given."""
    found = []
    for reference in references:
        clause_id, _, number = reference.partition("@")
        if not number.isdigit():
            continue  # not a reference this module wrote
        version = session.execute(select(ClauseVersion).where(
            ClauseVersion.clause_id == clause_id, ClauseVersion.number == int(number))).scalar_one_or_none()
        if version is not None:
            found.append(version)
    return found
