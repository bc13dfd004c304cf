"""The observatory's side of the loop: read the platform's DECP feed and ingest it as the ``platform`` source.

The feed is written to ``<data dir>/feeds/platform-decp.json`` and ingested through the one ingestion path
(same validation, deduplication and snapshot publication as any file); the file stays as the record of what was
ingested. Re-ingesting an unchanged feed changes nothing (the ingestion is idempotent).
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path

from spaser.config import Settings
from spaser.marketplace.feed import write_feed_file
from spaser.platform_db.context import Platform
from spaser.warehouse.ingest import Progress, ingest
from spaser.warehouse.report import RunReport

SOURCE = "platform"


def feed_path(settings: Settings) -> Path:
    return settings.data_dir / "feeds" / "platform-decp.json"


def ingest_platform_feed(settings: Settings, platform: Platform | None = None, *, progress: Progress | None = None,
                         today: dt.date | None = None) -> RunReport:
    owned = platform is None
    platform = platform or Platform.open(settings)
    try:
        with platform.db() as session:
            write_feed_file(session, feed_path(settings))
    finally:
        if owned:
            platform.close()
    return ingest([feed_path(settings)], settings, source=SOURCE, progress=progress, today=today)
