"""RC/CCTP templates on the web: what a download asks for (from the page's form or the API's query), checked
with errors naming the parameter and the value, the consultation details and library clauses it is built from,
and the download itself (``rc-<reference>.docx``). Also the request-text helpers every guichet module uses.
"""

from __future__ import annotations

import datetime as dt
import re
import unicodedata
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from decimal import Decimal
from typing import Annotated, Final, NamedTuple
from urllib.parse import quote, urlencode

from fastapi import Path
from fastapi.responses import Response
from sqlalchemy.orm import Session

from spaser.accounts.models import Organisation
from spaser.clauses import library, templates, writers
from spaser.clauses.models import Clause, ClauseVersion
from spaser.domain.montant import parse_decimal
from spaser.domain.text import storable, user_text
from spaser.errors import InputError
from spaser.marketplace import consultations
from spaser.marketplace.models import Consultation
from spaser.platform_db.context import Context
from spaser.web.forms import LOCAL

DOCUMENTS: Final = ("rc", "cctp")
#: The clauses a template may hold (the whole library is ~80).
MAX_TEMPLATE_CLAUSES: Final = 200
MAX_CRITERIA: Final = 30
#: Largest row id (the databases' 32-bit integer): a bigger number in a path or a form is a 400, not a crash.
MAX_ID: Final = 2**31 - 1
RecordId = Annotated[int, Path(ge=1, le=MAX_ID)]


def record_id(raw: str, name: str) -> int | None:
    """A row id typed in a form or a query (None when empty), or an error naming the field and the value."""
    raw = raw.strip()
    if not raw:
        return None
    if not (raw.isascii() and raw.isdigit()) or not 1 <= int(raw) <= MAX_ID:
        raise InputError(f"{name}: {safe(raw)[:20]!r} is not a {name} number")
    return int(raw)


#: Request text without what XML and UTF-8 refuse (one rule for the whole platform: domain.text).
safe = storable


@dataclass(frozen=True)
class TemplateRequest:
    """What a template download asks for, from the page's form or the API's query."""

    clauses: tuple[str, ...] = ()
    consultation: int | None = None
    document: str = "rc"
    fmt: str = "docx"
    title: str = ""
    reference: str = ""
    buyer: str = ""
    cpv: str = ""
    procedure: str = ""
    deadline: str = ""
    criteria: tuple[str, ...] = ()  # "label;weight" lines


def clause_ids(values: Iterable[str], name: str = "clause") -> tuple[str, ...]:
    """Clause ids from repeated parameters, each possibly a comma- or space-separated list; order kept, once each."""
    found: list[str] = []
    for value in values:
        found += [part for part in re.split(r"[\s,;]+", safe(value)) if part]
    ids = tuple(dict.fromkeys(found))
    if len(ids) > MAX_TEMPLATE_CLAUSES:
        raise InputError(f"{name}: {len(ids)} clauses, the limit is {MAX_TEMPLATE_CLAUSES}")
    for clause_id in ids:
        if len(clause_id) > 80 or not re.fullmatch(r"[a-z0-9-]+", clause_id):
            raise InputError(f"{name}: {clause_id[:80]!r} is not a clause id (lowercase letters, digits, dashes)")
    return ids


def parse_criteria(lines: Iterable[str], name: str = "criteria") -> tuple[tuple[str, Decimal], ...]:
    """Award criteria typed one per line as ``label;weight`` (``Prix;60``); blank lines ignored."""
    criteria = []
    for raw in lines:
        for line in safe(raw).splitlines():
            if not line.strip():
                continue
            label, sep, weight = line.rpartition(";")
            if not sep or not label.strip() or not weight.strip():
                raise InputError(f"{name}: {line[:120]!r} is not 'label;weight' (e.g. Prix;60)")
            number = parse_decimal(weight.strip(), name, "a weight in percent")
            if not Decimal(0) <= number <= Decimal(100):
                raise InputError(f"{name}: {weight.strip()!r} is not a weight between 0 and 100")
            criteria.append((user_text(label, name, 300), number))
    if len(criteria) > MAX_CRITERIA:
        raise InputError(f"{name}: {len(criteria)} criteria, the limit is {MAX_CRITERIA}")
    return tuple(criteria)


def check_choice(name: str, value: str, allowed: Sequence[str]) -> str:
    if value not in allowed:
        raise InputError(f"{name}: {safe(value)[:40]!r} is not one of {', '.join(allowed)}")
    return value


def _library_versions(session: Session, ids: Sequence[str], name: str) -> list[ClauseVersion]:
    found = []
    for clause_id in ids:
        clause = session.get(Clause, clause_id)
        if clause is None or clause.current_version is None:
            raise InputError(f"{name}: {clause_id!r} is not a clause of the library")
        found.append(next(v for v in clause.versions if v.number == clause.current_version))
    return found


def consultation_details(session: Session, ctx: Context, consultation_id: int) -> tuple[Consultation, list[str]]:
    """The buyer's own consultation and the library references of its clauses (``id@version``)."""
    consultation = consultations.get_for_buyer(session, ctx, consultation_id, "view_buyer_workspace")
    return consultation, [c.library_clause for c in consultation.clauses if c.library_clause]


def _local_date(moment: dt.datetime | None) -> str:
    return "" if moment is None else moment.astimezone(LOCAL).strftime("%d/%m/%Y à %H:%M (heure de Paris)")


class TemplateInputs(NamedTuple):
    info: templates.ConsultationInfo
    versions: list[ClauseVersion]
    from_consultation: frozenset[str]  # ids of the clauses that came from the consultation


def template_inputs(session: Session, ctx: Context, wanted: TemplateRequest, *, names: dict[str, str] | None = None
                    ) -> TemplateInputs:
    """The consultation details and the clause versions of a template: from the buyer's consultation (its
    details and library clauses, plus any clause asked for) or from what was typed."""
    name = (names or {}).get
    versions: list[ClauseVersion] = []
    if wanted.consultation is not None:
        consultation, references = consultation_details(session, ctx, wanted.consultation)
        organisation = session.get(Organisation, consultation.buyer_org_id)
        info = templates.ConsultationInfo(
            reference=consultation.reference, title=consultation.title,
            buyer=organisation.name if organisation else "", cpv=consultation.cpv, procedure=consultation.procedure,
            deadline=_local_date(consultation.deadline),
            criteria=tuple((k.label, k.weight) for k in consultation.criteria))
        versions = library.versions_of(session, references)
    else:
        info = templates.ConsultationInfo(
            reference=user_text(wanted.reference, name("reference", "reference"), 40, required=False),
            title=user_text(wanted.title, name("title", "title"), 300, required=False),
            buyer=user_text(wanted.buyer, name("buyer", "buyer"), 300, required=False),
            cpv=_template_cpv(wanted.cpv, name("cpv", "cpv")),
            procedure=user_text(wanted.procedure, name("procedure", "procedure"), 120, required=False),
            deadline=user_text(wanted.deadline, name("deadline", "deadline"), 80, required=False),
            criteria=parse_criteria(wanted.criteria, name("criteria", "criteria")))
    known = frozenset(v.clause_id for v in versions)
    versions += _library_versions(session, [i for i in wanted.clauses if i not in known], name("clause", "clause"))
    return TemplateInputs(info, versions, known)


def _template_cpv(value: str, name: str) -> str:
    value = safe(value).strip()
    if value and not re.fullmatch(r"[0-9]{2,8}(-[0-9])?", value):
        raise InputError(f"{name}: {value[:40]!r} is not a CPV code (digits, e.g. 55523100 or 55523100-3)")
    return value


def slug(text: str) -> str:
    """ASCII file-name part: « CONS-2026/001 » → ``cons-2026-001``; ``modele`` when nothing is left."""
    ascii_text = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode().lower()
    return re.sub(r"[^a-z0-9]+", "-", ascii_text).strip("-")[:60] or "modele"


def document_response(info: templates.ConsultationInfo, versions: Sequence[ClauseVersion], document: str,
                      fmt: str, *, names: tuple[str, str] = ("document", "format")) -> Response:
    """The RC or CCTP in ``fmt``, as a download named ``rc-<reference>.<fmt>``."""
    check_choice(names[0], document, DOCUMENTS)
    check_choice(names[1], fmt, tuple(writers.FORMATS))
    chosen = [library.model_of(v) for v in versions]
    built = templates.build_rc(info, chosen) if document == "rc" else templates.build_cctp(info, chosen)
    media_type, _ = writers.FORMATS[fmt]
    name = f"{document}-{slug(info.reference)}.{fmt}"
    return Response(writers.render(built, fmt), media_type=media_type, headers={
        "Content-Disposition": f"attachment; filename=\"{name}\"; filename*=UTF-8''{quote(name)}",
        "Cache-Control": "private, no-store"})


def template_links(query: dict[str, str] | list[tuple[str, str]], lang: str) -> list[dict[str, str]]:
    """Download links of the RC and the CCTP in every format for a template query (clauses or consultation)."""
    items = list(query.items()) if isinstance(query, dict) else list(query)
    links = []
    for document in DOCUMENTS:
        for fmt in writers.FORMATS:
            label = ("RC" if document == "rc" else "CCTP") + f" ({fmt.upper()})"
            links.append({"document": document, "format": fmt, "label": label,
                          "href": "/guichet-vert/modele/telecharger?" + urlencode(
                              [*items, ("document", document), ("format", fmt)])})
    del lang
    return links
