"""The guichet vert's views (plain dicts for pages, JSON twins and the API, built inside the session) and the
search parameters its pages and API share; the RC/CCTP downloads are in ``guichet_documents``.

Why one module for pages and API: a search or a clause means the same thing in both; the parameters are checked
once, here, and a bad one is an error naming the parameter and the value (400).
"""

from __future__ import annotations

import datetime as dt
import difflib
import re
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any, Final

from sqlalchemy.orm import Session

from spaser.accounts.models import Organisation, User
from spaser.accounts.service import user_names
from spaser.clauses import helpdesk, library
from spaser.clauses.catalogue import KINDS, LEVELS, THEMES
from spaser.clauses.models import Clause, ClauseVersion
from spaser.clauses.search import Hit
from spaser.errors import InputError
from spaser.marketplace import consultations
from spaser.marketplace.models import Consultation
from spaser.reference.tables import CPV_DIVISIONS
from spaser.sourcing.profiles import clean_cpv_prefix
from spaser.web.guichet_documents import safe, template_links

#: Results shown for a search (the whole catalogue is listed when there is no query and no CPV code).
SEARCH_LIMIT: Final = 30
MAX_QUERY: Final = 1000


# --------------------------------------------------------------------------------------------------
# Clauses


def categories_view(categories: Iterable[str], lang: str) -> list[dict[str, str]]:
    """CPV prefixes with the label of their division."""
    index = 1 if lang == "en" else 0
    return [{"code": code, "label": CPV_DIVISIONS[code[:2]][index] if code[:2] in CPV_DIVISIONS else ""}
            for code in categories]


def clause_view(version: ClauseVersion, lang: str = "fr") -> dict[str, Any]:
    return {"id": version.clause_id, "version": version.number, "title": version.title, "kind": version.kind,
            "theme": version.theme, "level": version.level, "categories": list(version.categories),
            "category_labels": categories_view(version.categories, lang),
            "legal_basis": list(version.legal_basis), "keywords": list(version.keywords), "text": version.text,
            "verification": version.verification, "status": version.status,
            "url": f"/guichet-vert/clauses/{version.clause_id}"}


def hit_view(hit: Hit | None, version: ClauseVersion, lang: str) -> dict[str, Any]:
    return clause_view(version, lang) | {"score": round(hit.score, 4) if hit else None,
                                         "reasons": list(hit.reasons) if hit else []}


def version_history(session: Session, clause: Clause, viewer: User | None) -> list[dict[str, Any]]:
    """The clause's versions, newest first. Everyone sees the validated ones; a platform administrator also
    sees the proposals and rejections, and who proposed and reviewed each version."""
    admin = viewer is not None and viewer.is_platform_admin
    names: dict[int, str] = {}
    if admin:
        names = user_names(session, (i for v in clause.versions for i in (v.proposed_by, v.reviewed_by)))
    rows = []
    for version in sorted(clause.versions, key=lambda v: -v.number):
        if not admin and version.status not in ("validated", "superseded"):
            continue
        row: dict[str, Any] = {"number": version.number, "title": version.title, "status": version.status,
                               "created_at": version.created_at, "reviewed_at": version.reviewed_at,
                               "origin": "library" if version.proposed_by is None else "buyer"}
        if admin:
            row |= {"proposed_by": names.get(version.proposed_by or 0, ""),
                    "reviewed_by": names.get(version.reviewed_by or 0, ""),
                    "proposal_note": version.proposal_note, "review_note": version.review_note}
        rows.append(row)
    return rows


def word_diff(old: str, new: str) -> list[tuple[str, str]]:
    """(op, text) segments from ``old`` to ``new`` word by word: ``equal``, ``delete`` or ``insert``."""
    before, after = re.findall(r"\s+|\S+", old), re.findall(r"\s+|\S+", new)
    segments: list[tuple[str, str]] = []
    for op, i1, i2, j1, j2 in difflib.SequenceMatcher(a=before, b=after, autojunk=False).get_opcodes():
        if op == "equal":
            segments.append(("equal", "".join(before[i1:i2])))
            continue
        if i2 > i1:
            segments.append(("delete", "".join(before[i1:i2])))
        if j2 > j1:
            segments.append(("insert", "".join(after[j1:j2])))
    return segments


def _shown(value: Any) -> str:
    return "\n".join(value) if isinstance(value, list) else str(value)


def proposal_view(session: Session, version: ClauseVersion) -> dict[str, Any]:
    """A pending proposal beside the clause's current version: each field, whether it changed, a word diff."""
    clause = version.clause
    current = next((v for v in clause.versions if v.number == clause.current_version), None)
    proposer = session.get(User, version.proposed_by) if version.proposed_by is not None else None
    organisation = (session.get(Organisation, proposer.organisation_id)
                    if proposer is not None and proposer.organisation_id is not None else None)
    fields = []
    for name in library.EDITABLE:
        new = version.fields()[name]
        old = current.fields()[name] if current is not None else None
        fields.append({"name": name, "current": None if old is None else _shown(old), "proposed": _shown(new),
                       "changed": old != new,
                       "diff": word_diff(_shown(old), _shown(new)) if old is not None and old != new else []})
    return {"id": version.id, "clause_id": version.clause_id, "number": version.number, "title": version.title,
            "new_clause": current is None, "current_number": current.number if current else None,
            "created_at": version.created_at, "note": version.proposal_note,
            "proposed_by": proposer.full_name if proposer else "",
            "organisation": organisation.name if organisation else "", "fields": fields}


# --------------------------------------------------------------------------------------------------
# Search


@dataclass(frozen=True)
class Filters:
    q: str = ""
    kind: str = ""
    theme: str = ""
    cpv: str = ""  # the CPV code or prefix as typed (kept for the form)
    level: str = ""

    @property
    def searching(self) -> bool:
        return bool(self.q.strip() or self.cpv)


def parse_filters(q: str = "", kind: str = "", theme: str = "", cpv: str = "", level: str = "", *,
                  names: tuple[str, str, str, str, str] = ("q", "type", "theme", "cpv", "niveau")) -> Filters:
    """The search filters, each checked; ``names`` are the parameter names the errors cite (pages and API differ)."""
    q_name, kind_name, theme_name, cpv_name, level_name = names
    q = safe(q)
    if len(q) > MAX_QUERY:
        raise InputError(f"{q_name}: {len(q)} characters, the limit is {MAX_QUERY}")
    for name, value, allowed in ((kind_name, kind, KINDS), (theme_name, theme, THEMES), (level_name, level, LEVELS)):
        if value and value not in allowed:
            raise InputError(f"{name}: {safe(value)[:80]!r} is not one of {', '.join(allowed)}")
    cpv = cpv.strip()
    if cpv:
        try:
            clean_cpv_prefix(cpv)
        except InputError:
            raise InputError(f"{cpv_name}: {safe(cpv)[:40]!r} is not a CPV code or prefix (2 to 8 digits, e.g. 55 "
                             "or 55523100)") from None
    return Filters(q=q.strip(), kind=kind, theme=theme, cpv=cpv, level=level)


def run_search(session: Session, filters: Filters, lang: str, limit: int = SEARCH_LIMIT
               ) -> tuple[str, list[dict[str, Any]]]:
    """(mode, hits): the ranked search when there is a query or a CPV code, else the catalogue in title order
    (mode ``catalogue``), filtered by kind, theme and level."""
    if not filters.searching:
        listed = [v for v in library.current_versions(session)
                  if (not filters.kind or v.kind == filters.kind) and (not filters.theme or v.theme == filters.theme)
                  and (not filters.level or v.level == filters.level)]
        return "catalogue", [hit_view(None, v, lang) for v in listed[:limit]]
    result, versions = library.search(session, filters.q, cpv=clean_cpv_prefix(filters.cpv) if filters.cpv else None,
                                      kind=filters.kind or None, theme=filters.theme or None,
                                      limit=1000 if filters.level else limit)  # level: filtered below
    hits = [hit_view(hit, versions[hit.key], lang) for hit in result.hits if hit.key in versions
            and (not filters.level or versions[hit.key].level == filters.level)]
    return result.mode, hits[:limit]


def suggestions(session: Session, cpv: str | None, text: str, lang: str, limit: int
                ) -> tuple[str, list[dict[str, Any]]]:
    result, versions = library.suggest(session, cpv, safe(text)[:MAX_QUERY], limit)
    return result.mode, [hit_view(hit, versions[hit.key], lang) for hit in result.hits if hit.key in versions]


# --------------------------------------------------------------------------------------------------
# The help desk's public figures


def duration_text(hours: float | None, lang: str) -> str:
    """« 5,5 h » under two days, « 3,2 j » beyond (``d`` in English); « — » without a value."""
    if hours is None:
        return "—"
    if hours < 48:
        text, unit = f"{hours:.1f}", "h"
    else:
        text, unit = f"{hours / 24:.1f}", "j" if lang == "fr" else "d"
    return (text.replace(".", ",") if lang == "fr" else text) + f"\u00a0{unit}"


def desk_figures(session: Session, now: dt.datetime, lang: str) -> dict[str, Any]:
    figures = helpdesk.stats(session, now)
    return {"total": figures.total, "by_status": figures.by_status, "answered": figures.answered,
            "median_response_hours": figures.median_response_hours,
            "median_response": duration_text(figures.median_response_hours, lang),
            "median_open_hours": figures.median_open_hours,
            "median_open": duration_text(figures.median_open_hours, lang)}


# --------------------------------------------------------------------------------------------------
# The buyer's consultations (selects of the clause page, the help desk and the template page)


def own_consultations(session: Session, user: User | None, *, drafts_only: bool = False) -> list[dict[str, Any]]:
    """The consultations of the user's organisation, newest first (drafts only when asked)."""
    found = consultations.of_organisation(session, user, drafts_only=drafts_only)
    return [{"id": c.id, "reference": c.reference, "title": c.title, "status": c.status} for c in found]


def library_section(session: Session, consultation: Consultation, lang: str, limit: int = 6) -> dict[str, Any]:
    """The editor's guichet vert section: suggestions for a draft (CPV and object), the library clauses already
    in the consultation, and the RC/CCTP downloads built from the consultation."""
    references = [c.library_clause for c in consultation.clauses if c.library_clause]
    added_ids = {reference.partition("@")[0] for reference in references}
    added = [clause_view(v, lang) for v in library.versions_of(session, references)]
    suggested: list[dict[str, Any]] = []
    mode = ""
    if consultation.status == "draft":
        mode, suggested = suggestions(session, consultation.cpv,
                                      f"{consultation.title} {consultation.description}", lang, limit)
        for item in suggested:
            item["added"] = item["id"] in added_ids
            item["addable"] = item["kind"] in library.ADDABLE_KINDS
    return {"mode": mode, "suggestions": suggested, "added": added,
            "downloads": template_links({"consultation": str(consultation.id)}, lang)}
