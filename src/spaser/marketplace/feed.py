"""The platform's DECP feed: every notified contract's v2.0.3 record, append-only, read with a cursor.

The observatory ingests it like any other source (``spaser ingest --source platform``): the marketplace never
writes to the warehouse.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from spaser.errors import InputError
from spaser.marketplace.decp_record import feed_document
from spaser.marketplace.models import DecpFeedEntry

MAX_PAGE = 1000


@dataclass(frozen=True)
class FeedPage:
    records: list[dict[str, Any]]
    next_cursor: str | None


def parse_cursor(cursor: str | None) -> int:
    if cursor in (None, ""):
        return 0
    assert cursor is not None
    if not cursor.isdigit():
        raise InputError(f"cursor: {cursor!r} is not a cursor of this feed (use the next_cursor returned)")
    return int(cursor)


def read_page(session: Session, cursor: str | None, limit: int = 100) -> FeedPage:
    if not 1 <= limit <= MAX_PAGE:
        raise InputError(f"limit: {limit} is outside 1..{MAX_PAGE}")
    after = parse_cursor(cursor)
    rows = session.execute(select(DecpFeedEntry).where(DecpFeedEntry.id > after).order_by(DecpFeedEntry.id)
                           .limit(limit + 1)).scalars().all()
    more = len(rows) > limit
    rows = rows[:limit]
    return FeedPage([json.loads(r.record) for r in rows], str(rows[-1].id) if more and rows else None)


def write_feed_file(session: Session, path: Path) -> int:
    """The whole feed as one DECP v2.0.3 JSON file (what ``ingest --source platform`` reads); returns records."""
    records = [json.loads(text) for text in session.execute(
        select(DecpFeedEntry.record).order_by(DecpFeedEntry.id)).scalars()]
    path.parent.mkdir(parents=True, exist_ok=True)
    temporary = path.with_suffix(".part")
    temporary.write_text(json.dumps(feed_document(records), ensure_ascii=False, indent=1), encoding="utf-8")
    temporary.replace(path)
    return len(records)
