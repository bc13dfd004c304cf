"""What every ``spaser`` sub-command shares: the consoles, the settings, the error printer, the warehouse,
the ingestion progress bar and report."""

from __future__ import annotations

import contextlib
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import duckdb
import typer
from rich.console import Console, RenderableType
from rich.progress import (
    BarColumn,
    DownloadColumn,
    Progress,
    ProgressColumn,
    Task,
    TextColumn,
    TimeElapsedColumn,
    TimeRemainingColumn,
)
from rich.table import Table
from rich.text import Text

from spaser.config import Settings
from spaser.errors import SpaserError
from spaser.warehouse.report import RunReport

# Wide enough for file names and messages when the output is a file or a pipe (rich assumes 80 columns).
err = Console(stderr=True, soft_wrap=True, width=None if sys.stderr.isatty() else 160)
out = Console(soft_wrap=True, width=None if sys.stdout.isatty() else 160)


class _State:
    settings: Settings | None = None


state = _State()


@contextlib.contextmanager
def user_errors() -> Iterator[None]:
    """Print a domain error as one red line and exit with 1 (no traceback for the user's mistakes)."""
    try:
        yield
    except SpaserError as exc:
        err.print(f"[red]error:[/red] {exc.message}")
        raise typer.Exit(1) from None


@contextlib.contextmanager
def warehouse() -> Iterator[duckdb.DuckDBPyConnection]:
    """The published warehouse snapshot, read-only."""
    from spaser.warehouse.snapshot import open_current

    con = open_current(settings().warehouse_dir)
    try:
        yield con
    finally:
        con.close()


def settings() -> Settings:
    if state.settings is None:
        state.settings = Settings()
    return state.settings


class _RecordsRate(ProgressColumn):
    def render(self, task: Task) -> Text:
        elapsed = task.elapsed or 0.0
        records = task.fields.get("records", 0)
        rate = records / elapsed if elapsed > 0 else 0.0
        return Text(f"{records:,} records  {rate:,.0f} rec/s".replace(",", " "), style="cyan")


class _ReadingOnly(ProgressColumn):
    """A column of the reading bar, left blank on a phase line (a phase has no bytes, records or remaining time)."""

    def __init__(self, column: ProgressColumn) -> None:
        super().__init__()
        self.column = column

    def render(self, task: Task) -> RenderableType:
        return Text("") if task.fields.get("phase") else self.column.render(task)


class RichProgress:
    """One line per phase of an ingestion, kept with its duration: checking the inputs, reading (a bar over the
    bytes, with records/s), then each step of the snapshot build, which takes a third of a national run."""

    def __init__(self, console: Console) -> None:
        self.bar = Progress(
            TextColumn("[bold]{task.description}"), BarColumn(), _ReadingOnly(DownloadColumn()),
            _ReadingOnly(_RecordsRate()), TimeElapsedColumn(), _ReadingOnly(TimeRemainingColumn()),
            console=console, transient=False,
        )
        self.task: Any = None  # the reading bar
        self.phase: Any = None  # the phase being shown
        self.shown = False
        self.reading = False
        self.files = 0
        self.records = 0

    def _show(self) -> None:
        if not self.shown:
            self.bar.start()
            self.shown = True

    def _end_phase(self) -> None:
        if self.phase is not None:
            self.bar.update(self.phase, total=1, completed=1)  # full bar, elapsed time frozen
            self.phase = None
        if self.reading:  # the reading bar stays as it ended (a truncated file never reaches 100 %)
            self.bar.update(self.task, description=f"read {self.files} file(s)")
            self.bar.stop_task(self.task)
            self.reading = False

    def step(self, name: str) -> None:
        self._show()
        self._end_phase()
        self.phase = self.bar.add_task(name, total=None, phase=True)

    def start(self, total_bytes: int, files: int) -> None:
        self._end_phase()
        if files:
            self._show()
            self.task = self.bar.add_task(f"ingesting {files} file(s)", total=total_bytes, records=0)
            self.reading = True
            self.files = files

    def file(self, path: str) -> None:
        if self.task is not None:
            self.bar.update(self.task, description=Path(path).name[:40])

    def advance(self, size: int, records: int) -> None:
        if self.task is not None:
            self.records += records
            self.bar.update(self.task, advance=size, records=self.records)

    def stop(self) -> None:
        self._end_phase()
        if self.shown:
            self.bar.stop()
            self.shown = False


def print_report(report: RunReport, console: Console) -> None:
    table = Table(title=f"Ingestion {report.run_id}", show_lines=False)
    for column in ("file", "format", "status", "read", "loaded", "duplicates", "quarantined"):
        table.add_column(column, justify="right" if column in ("read", "loaded", "duplicates", "quarantined")
                         else "left")
    for f in report.files:
        table.add_row(Path(f.path).name, f.format, f.status, str(f.records_read), str(f.loaded), str(f.duplicates),
                      str(f.quarantined))
    table.add_section()
    table.add_row("total", "", "", str(report.records_read), str(report.loaded), str(report.duplicates),
                  str(report.quarantined), style="bold")
    console.print(table)
    if report.by_reason:
        console.print("quarantine reasons: " + ", ".join(f"{k}: {v}" for k, v in report.by_reason.most_common(8)))
    rate = f"{report.records_per_second:,.0f}".replace(",", " ")
    console.print(f"{report.records_read} records in {report.duration_s:.1f} s ({rate} records/s), "
                  f"{report.workers or 'no'} worker process(es); "
                  + (f"snapshot published: {report.snapshot} ({report.contracts_total} contracts)"
                     if report.snapshot_changed else "snapshot unchanged (nothing new to ingest)"))
    for f in report.files:
        if f.error:
            colour = "yellow" if f.status == "skipped" else "red"
            console.print(f"[{colour}]{f.status}:[/{colour}] {f.path}: {f.error}"
                          + (f" at {f.position}" if f.position else ""))
