"""Worker processes and inline normalisation produce the same warehouse."""

from __future__ import annotations

from pathlib import Path

import duckdb
import pytest

from spaser.config import Settings
from spaser.warehouse.ingest import ingest
from spaser.warehouse.snapshot import current_path
from tests.conftest import REAL, TODAY, needs_shared, shared

pytestmark = [pytest.mark.shared_data, needs_shared]

SQL = {
    "contracts": "SELECT contract_key, record_uid, montant, quality_flags, n_versions FROM contracts ORDER BY 1",
    "titulaires": "SELECT * FROM titulaires ORDER BY record_uid, modification_rank, rank",
    "quarantine": "SELECT record_uid, reasons FROM quarantine ORDER BY 1",
}


def test_two_workers_equal_inline(tmp_path: Path) -> None:
    shared("decp/real/v2019")
    results = []
    for workers in (-1, 2):
        settings = Settings(data_dir=tmp_path / f"w{workers}", ingest_workers=workers, ingest_batch_records=500)
        report = ingest([REAL], settings, today=TODAY)
        assert report.workers == max(workers, 0)
        con = duckdb.connect(str(current_path(settings.warehouse_dir)), read_only=True)
        results.append({name: con.execute(sql).fetchall() for name, sql in SQL.items()})
        con.close()
    assert results[0] == results[1]
    assert len(results[0]["contracts"]) > 8000


class RecordingProgress:
    def __init__(self) -> None:
        self.total = 0
        self.size = 0
        self.records = 0
        self.files: list[str] = []
        self.events: list[str] = []  # phases, "read" and "stop", in order

    def step(self, name: str) -> None:
        self.events.append(name)

    def start(self, total_bytes: int, files: int) -> None:
        self.total = total_bytes
        self.events.append("read")

    def file(self, path: str) -> None:
        self.files.append(path)

    def advance(self, size: int, records: int) -> None:
        self.size += size
        self.records += records

    def stop(self) -> None:
        self.events.append("stop")


PHASES = ["checking 3 input(s) (SHA-256)", "read", "copying the current snapshot", "loading the staged records",
          "deduplicating", "indicators and search index", "publishing the snapshot", "stop"]


@pytest.mark.parametrize("workers", [-1, 2])
def test_progress_reaches_the_end(workers: int, tmp_path: Path) -> None:
    """The progress bar advances by the bytes and records of every batch, with or without workers."""
    progress = RecordingProgress()
    settings = Settings(data_dir=tmp_path / "d", ingest_workers=workers, ingest_batch_records=500)
    report = ingest([REAL / "v2019"], settings, progress=progress, today=TODAY)
    assert progress.records == report.records_read > 9000
    assert progress.size == progress.total > 8_000_000
    assert len(progress.files) == 3
    # every phase is shown, the snapshot build's steps too (a third of a national run), and stop comes last
    assert progress.events == PHASES


def test_progress_stops_when_the_run_fails(tmp_path: Path) -> None:
    """A failed run still stops the progress display (a terminal would otherwise keep a hidden cursor)."""
    progress = RecordingProgress()
    settings = Settings(data_dir=tmp_path / "d", ingest_workers=-1)
    settings.warehouse_dir.mkdir(parents=True)
    (settings.warehouse_dir / "current.duckdb").write_bytes(b"not a DuckDB file")
    with pytest.raises(duckdb.Error):
        ingest([REAL / "v2019"], settings, progress=progress, today=TODAY)
    assert progress.events[-1] == "stop" and progress.events.count("stop") == 1


def test_nothing_new_to_read_shows_only_the_check(tmp_path: Path) -> None:
    settings = Settings(data_dir=tmp_path / "d", ingest_workers=-1)
    ingest([REAL / "v2019"], settings, today=TODAY)
    progress = RecordingProgress()
    report = ingest([REAL / "v2019"], settings, progress=progress, today=TODAY)
    assert {f.status for f in report.files} == {"already_ingested"}
    assert progress.events == ["checking 3 input(s) (SHA-256)", "read", "stop"]
