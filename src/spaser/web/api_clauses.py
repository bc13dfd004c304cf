"""``/api/v1`` for the guichet vert: clauses, search, suggestions, templates, help-desk figures and requests.

Same services and checks as the pages (``guichet_views``); writing needs a buyer's bearer token (``POST
/api/v1/auth/login``). A bad parameter is a 400 naming it and its value."""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Path, Query, Request
from fastapi.responses import Response
from pydantic import BaseModel, Field

from spaser.clauses import helpdesk, library, writers
from spaser.errors import InputError
from spaser.sourcing.profiles import clean_cpv_prefix
from spaser.web.auth import Auth
from spaser.web.guichet_desk import request_rows
from spaser.web.guichet_documents import (
    MAX_ID,
    TemplateRequest,
    clause_ids,
    document_response,
    safe,
    template_inputs,
)
from spaser.web.guichet_views import (
    MAX_QUERY,
    clause_view,
    desk_figures,
    parse_filters,
    run_search,
    suggestions,
    version_history,
)
from spaser.web.render import Renderer

Mode = Literal["hybrid", "lexical", "semantic", "catalogue"]
API_NAMES = ("q", "kind", "theme", "cpv", "level")


class Category(BaseModel):
    code: str = Field(description="CPV division (2 digits) or group (3 digits)")
    label: str = Field(description="Label of the CPV division")


class ClauseOut(BaseModel):
    id: str
    version: int
    title: str
    kind: str = Field(description="technical_specification, award_criterion, execution_condition or "
                                  "reserved_contract")
    theme: str = Field(description="environmental or social")
    level: str = Field(description="basic or advanced")
    categories: list[str] = Field(description="CPV prefixes the clause is made for (empty: every purchase)")
    category_labels: list[Category]
    legal_basis: list[str]
    keywords: list[str]
    text: str
    verification: str
    status: str
    url: str


class ClauseHit(ClauseOut):
    score: float | None = Field(description="Relevance (higher is better); null when the catalogue is listed")
    reasons: list[str] = Field(description="Why the clause is here: words, meaning, CPV fit (French)")


class SearchOut(BaseModel):
    mode: Mode = Field(description="hybrid (words and meaning), lexical (words only: no sentence model), or "
                                   "catalogue (no query and no CPV code: every clause by title)")
    total: int
    items: list[ClauseHit]


class VersionOut(BaseModel):
    number: int
    title: str
    status: str
    origin: str = Field(description="library (shipped with spaser) or buyer (proposed on the platform)")
    created_at: dt.datetime
    reviewed_at: dt.datetime | None
    proposed_by: str | None = Field(None, description="Only for platform administrators")
    reviewed_by: str | None = Field(None, description="Only for platform administrators")
    proposal_note: str | None = Field(None, description="Only for platform administrators")
    review_note: str | None = Field(None, description="Only for platform administrators")


class ClauseDetail(BaseModel):
    clause: ClauseOut
    origin: str
    current_version: int | None
    versions: list[VersionOut]


class DeskStats(BaseModel):
    total: int
    by_status: dict[str, int]
    answered: int
    median_response_hours: float | None = Field(description="Median time from a request to its first answer")
    median_open_hours: float | None = Field(description="Median age of the requests still waiting for an answer")


class ProposalIn(BaseModel):
    clause_id: str | None = Field(None, max_length=80, description="The clause to revise; null: a new clause")
    title: str = Field(max_length=300)
    kind: str = Field(max_length=40)
    theme: str = Field(max_length=40)
    level: str = Field(max_length=40)
    categories: list[Annotated[str, Field(max_length=8)]] = Field(default_factory=list, max_length=50)
    legal_basis: list[Annotated[str, Field(max_length=300)]] = Field(max_length=50)
    keywords: list[Annotated[str, Field(max_length=300)]] = Field(default_factory=list, max_length=50)
    text: str = Field(max_length=20000)
    verification: str = Field(max_length=5000)
    note: str = Field("", max_length=2000, description="Why, for the reviewer")


class ProposalOut(BaseModel):
    id: int
    clause_id: str
    number: int
    title: str
    status: str
    created_at: dt.datetime


class HelpRequestIn(BaseModel):
    kind: str = Field("question", max_length=20, description="question or draft_review")
    subject: str = Field(max_length=300)
    body: str = Field(max_length=20000)
    cpv: str = Field("", max_length=12)
    consultation_id: int | None = Field(None, ge=1, le=MAX_ID, description="Required for a draft_review")


class HelpRequestOut(BaseModel):
    id: int
    kind: str
    subject: str
    status: str = Field(description="new, assigned, answered or closed")
    cpv: str
    consultation_id: int | None
    created_at: dt.datetime
    first_response_at: dt.datetime | None
    response_hours: float | None
    url: str


DOCUMENT_MEDIA = {media: {"schema": {"type": "string", "format": "binary"}} for media, _ in writers.FORMATS.values()}


def clauses_api_router(renderer: Renderer, auth: Auth) -> APIRouter:
    router = APIRouter(prefix="/api/v1")
    platform = auth.platform

    @router.get("/clauses", tags=["clauses"], response_model=SearchOut)
    def search_clauses(
        q: Annotated[str, Query(max_length=MAX_QUERY, description="French words or a need")] = "",
        cpv: Annotated[str, Query(max_length=12, description="CPV code or prefix (e.g. 555 or 55523100)")] = "",
        kind: Annotated[str, Query(max_length=40)] = "",
        theme: Annotated[str, Query(max_length=40)] = "",
        level: Annotated[str, Query(max_length=40)] = "",
        limit: Annotated[int, Query(ge=1, le=200)] = 20,
    ) -> dict[str, Any]:
        """The library's clauses for a query (French full-text fused with meaning), a CPV code, and filters;
        without query and CPV code, every clause in title order (``mode`` catalogue)."""
        filters = parse_filters(q, kind, theme, cpv, level, names=API_NAMES)
        with platform.db() as session:
            mode, hits = run_search(session, filters, "fr", limit)
        return {"mode": mode, "total": len(hits), "items": hits}

    @router.get("/clauses/suggest", tags=["clauses"], response_model=SearchOut)
    def suggest_clauses(
        cpv: Annotated[str, Query(max_length=12, description="The consultation's CPV code")] = "",
        text: Annotated[str, Query(max_length=MAX_QUERY, description="The consultation's object and description")
                        ] = "",
        limit: Annotated[int, Query(ge=1, le=50)] = 10,
    ) -> dict[str, Any]:
        """The clauses that fit a consultation: those made for its CPV category first, then by its text."""
        if not cpv.strip() and not safe(text).strip():
            raise InputError("cpv, text: give the consultation's CPV code, its object, or both")
        prefix = None
        if cpv.strip():
            try:
                prefix = clean_cpv_prefix(cpv)
            except InputError:
                raise InputError(f"cpv: {safe(cpv)!r} is not a CPV code or prefix (2 to 8 digits, e.g. 55523100)"
                                 ) from None
        with platform.db() as session:
            mode, hits = suggestions(session, prefix, text, "fr", limit)
        return {"mode": mode, "total": len(hits), "items": hits}

    @router.get("/clauses/template", tags=["clauses"], response_class=Response,
                responses={200: {"content": DOCUMENT_MEDIA, "description": "The document, as a download"}})
    def clause_template(
        request: Request,
        clause: Annotated[list[str], Query(description="Clause ids (repeat, or comma-separated)")
                          ] = [],  # noqa: B006 - FastAPI copies the default
        fmt: Annotated[str, Query(alias="format", max_length=10, description="docx, odt or pdf")] = "docx",
        document: Annotated[str, Query(max_length=10, description="rc or cctp")] = "rc",
        consultation: Annotated[int | None, Query(ge=1, le=MAX_ID, description="One of your consultations "
                                                  "(bearer token): its details and library clauses")] = None,
        title: Annotated[str, Query(max_length=300)] = "",
        reference: Annotated[str, Query(max_length=40)] = "",
        buyer: Annotated[str, Query(max_length=300)] = "",
        cpv: Annotated[str, Query(max_length=12)] = "",
        procedure: Annotated[str, Query(max_length=120)] = "",
        deadline: Annotated[str, Query(max_length=80)] = "",
        criteria: Annotated[list[str], Query(description="Award criteria as 'label;weight' (repeat)")
                            ] = [],  # noqa: B006 - FastAPI copies the default
    ) -> Response:
        """The règlement de la consultation (RC) or the CCTP built from library clauses, in DOCX, ODT or PDF."""
        wanted = TemplateRequest(clauses=clause_ids(clause), consultation=consultation, document=document, fmt=fmt,
                                 title=title, reference=reference, buyer=buyer, cpv=cpv, procedure=procedure,
                                 deadline=deadline, criteria=tuple(criteria))
        with platform.db() as session:
            info, versions, _ = template_inputs(session, auth.context(request), wanted)
            return document_response(info, versions, document, fmt)

    @router.get("/clauses/{clause_id}", tags=["clauses"], response_model=ClauseDetail)
    def get_clause(clause_id: Annotated[str, Path(max_length=80)], request: Request) -> dict[str, Any]:
        """A clause's current version and its history."""
        with platform.db() as session:
            found, current = library.get_clause(session, clause_id)
            return {"clause": clause_view(current), "origin": found.origin,
                    "current_version": found.current_version,
                    "versions": version_history(session, found, auth.user(request))}

    @router.post("/clauses/proposals", tags=["clauses"], response_model=ProposalOut, status_code=201)
    def propose_clause(proposal: ProposalIn, request: Request) -> dict[str, Any]:
        """A buyer proposes a new clause or a revision; it is public once a platform administrator validates it."""
        ctx = auth.api_writer(request)
        fields = proposal.model_dump(exclude={"clause_id", "note"})
        fields = {k: [safe(x) for x in v] if isinstance(v, list) else safe(v) for k, v in fields.items()}
        with platform.db.begin() as session:
            version = library.propose(session, ctx, fields, proposal.clause_id or None, note=proposal.note)
            return {"id": version.id, "clause_id": version.clause_id, "number": version.number,
                    "title": version.title, "status": version.status, "created_at": version.created_at}

    @router.get("/helpdesk/stats", tags=["clauses"], response_model=DeskStats)
    def desk_stats() -> dict[str, Any]:
        """The help desk's public figures: requests by status, answered, median times in hours."""
        with platform.db() as session:
            return desk_figures(session, platform.clock(), "fr")

    def request_out(row: dict[str, Any]) -> dict[str, Any]:
        return row | {"url": f"/guichet-vert/demandes/{row['id']}"}

    @router.get("/helpdesk/requests", tags=["clauses"], response_model=list[HelpRequestOut])
    def my_help_requests(request: Request) -> list[dict[str, Any]]:
        """Your organisation's help requests, newest first."""
        ctx = auth.context(request)
        with platform.db() as session:
            return [request_out(row) for row in request_rows(session, helpdesk.my_requests(session, ctx), "fr")]

    @router.post("/helpdesk/requests", tags=["clauses"], response_model=HelpRequestOut, status_code=201)
    def submit_help_request(body: HelpRequestIn, request: Request) -> dict[str, Any]:
        """Ask the guichet vert a question, or for the review of a draft consultation."""
        ctx = auth.api_writer(request)
        with platform.db.begin() as session:
            created = helpdesk.submit(session, ctx, kind=body.kind, subject=body.subject, body=body.body,
                                      cpv=body.cpv, consultation_id=body.consultation_id)
            return request_out(request_rows(session, [created], "fr")[0])

    del renderer
    return router
