"""``spaser fetch ...``: download published DECP resources, then ingest them.

Exit codes: 0 success; 1 a resource failed (the others are still downloaded and ingested) or a bad option;
2 a downloaded file was unreadable by the ingestion.
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console
from rich.progress import (
    BarColumn,
    DownloadColumn,
    Progress,
    TaskID,
    TextColumn,
    TimeRemainingColumn,
    TransferSpeedColumn,
)
from rich.table import Table

from spaser.cli_common import RichProgress, err, out, print_report, settings, user_errors
from spaser.decp.fetch import FetchReport, Options, PlanItem, fetch, plan
from spaser.decp.fetch_sources import Resource, load_sources, select

fetch_app = typer.Typer(help="Download DECP resources listed in the versioned source file, then ingest them.",
                        no_args_is_help=True)


class RichDownloadProgress:
    """One bar per resource: bytes, speed and time left; retries and restarts are printed above the bars."""

    def __init__(self, console: Console) -> None:
        self.bar = Progress(TextColumn("[bold]{task.description}"), BarColumn(), DownloadColumn(),
                            TransferSpeedColumn(), TimeRemainingColumn(), console=console)
        self.tasks: dict[str, TaskID] = {}
        self.current: TaskID | None = None

    def start(self, name: str, total: int | None, done: int) -> None:
        if not self.bar.live.is_started:
            self.bar.start()
        if name in self.tasks:
            self.current = self.tasks[name]
            self.bar.reset(self.current, total=total, completed=done)
        else:
            self.current = self.tasks[name] = self.bar.add_task(name, total=total, completed=done)

    def advance(self, size: int) -> None:
        if self.current is not None:
            self.bar.advance(self.current, size)

    def note(self, message: str) -> None:
        self.bar.console.print(f"[yellow]{message}[/yellow]")

    def stop(self) -> None:
        if self.bar.live.is_started:
            self.bar.stop()


def _size(value: int | None) -> str:
    if value is None:
        return "?"
    if value < 1000:
        return f"{value} B"
    amount, unit = value / 1000, "KB"
    for bigger in ("MB", "GB"):
        if amount < 1000:
            break
        amount, unit = amount / 1000, bigger
    return f"{amount:.1f} {unit}"


def _print_plan(items: list[PlanItem], source: str) -> None:
    table = Table(title=f"Would fetch ({source})")
    for column in ("resource", "years", "format", "size", "action", "url"):
        table.add_column(column, justify="right" if column == "size" else "left")
    for item in items:
        r = item.resource
        action = f"resume from {_size(item.local_bytes)}" if item.action == "resume" else item.action
        file_format = r.format + (f".{r.compression}" if r.compression else "")
        table.add_row(r.name + ("" if r.verified else " (unverified)"), r.years, file_format, _size(item.size), action,
                      r.url)
    out.print(table)
    pending = [i for i in items if i.action != "up to date"]
    known = [i.size - i.local_bytes for i in pending if i.size is not None]
    total = _size(sum(known)) if known or not pending else "?"
    out.print(f"{len(items)} resource(s), {len(pending)} to download: {total}"
              + (" (some sizes unknown)" if known and len(known) < len(pending) else ""))
    for item in items:
        if item.error:
            err.print(f"[yellow]warning:[/yellow] {item.resource.name}: {item.error}")


def _print_fetch(report: FetchReport) -> None:
    table = Table(title=f"Downloads in {report.downloads_dir}")
    for column in ("resource", "years", "status", "size", "received"):
        table.add_column(column, justify="right" if column in ("size", "received") else "left")
    for result in report.results:
        table.add_row(result.resource.name, result.resource.years, result.status.replace("_", " "),
                      _size(result.size) if result.status != "failed" else "", _size(result.transferred))
    out.print(table)


@fetch_app.command("decp")
def fetch_decp(
    since: Annotated[int | None, typer.Option("--since", help="Only resources covering this year or later.")] = None,
    only: Annotated[list[str] | None, typer.Option(
        "--only", help="Only this resource (repeatable); also selects resources that are not fetched by default.")
    ] = None,
    sources: Annotated[Path | None, typer.Option(
        "--sources", help="Source file to use instead of the packaged sources_decp.toml (see docs/fetch.md).")
    ] = None,
    dry_run: Annotated[bool, typer.Option("--dry-run", help="List what would be fetched, with sizes; download "
                                          "nothing.")] = False,
    no_ingest: Annotated[bool, typer.Option("--no-ingest", help="Download only.")] = False,
    attempts: Annotated[int, typer.Option("--attempts", min=1, help="Attempts per resource on network errors "
                                          "(waiting 2, 4, 8… s between them).")] = 4,
    timeout: Annotated[float, typer.Option("--timeout", min=1.0, help="Seconds without data before an attempt "
                                           "fails.")] = 60.0,
    quiet: Annotated[bool, typer.Option("--quiet", "-q", help="No progress bars or tables (errors still "
                                        "printed).")] = False,
) -> None:
    """Download the national DECP files (data.gouv.fr) listed in the source file, then ingest them.

    Files go to <data-dir>/downloads/; a cut download resumes; the sha256 is checked when the source file gives one.

    A file already there and current is not downloaded again. All fetched files are ingested in one run.
    """
    with user_errors():
        source_file = load_sources(sources)
        chosen = select(source_file.resources, since, only or ())
    if not chosen:
        err.print(f"[red]error:[/red] no resource of {source_file.path} matches"
                  + (f" --since {since}" if since is not None else "") + " (see --only)")
        raise typer.Exit(1)
    downloads = settings().data_dir / "downloads"
    options = Options(attempts=attempts, timeout_s=timeout)
    if dry_run:
        _print_plan(plan(chosen, downloads, options), f"{source_file.path.name} {source_file.version}")
        return
    _warn_unverified(chosen, quiet)
    progress = None if quiet else RichDownloadProgress(err)
    try:
        report = fetch(chosen, downloads, progress, options)
    finally:
        if progress is not None:
            progress.stop()
    if not quiet:
        _print_fetch(report)
    for failed in report.failed:
        err.print(f"[red]error:[/red] {failed.error}")
    unreadable = False
    if not no_ingest and report.fetched:
        unreadable = _ingest([r.path for r in report.fetched], {str(r.path): r.resource.name for r in report.fetched},
                             quiet)
    if report.failed:
        raise typer.Exit(1)
    if unreadable:
        raise typer.Exit(2)


def _warn_unverified(chosen: list[Resource], quiet: bool) -> None:
    unverified = [r.name for r in chosen if not r.verified]
    if unverified and not quiet:
        err.print(f"[yellow]note:[/yellow] unverified URL(s) in the source file: {', '.join(unverified)}")


def _ingest(paths: list[Path], names: dict[str, str], quiet: bool) -> bool:
    """Ingest every fetched file in one run (one new snapshot), each recorded under its resource name."""
    from spaser.warehouse.ingest import ingest as run_ingest

    progress = None if quiet else RichProgress(err)
    with user_errors():
        report = run_ingest(paths, settings(), source=names, progress=progress)
    if not quiet:
        print_report(report, out)
    return bool(report.unreadable_files)
