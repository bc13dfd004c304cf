"""``spaser egalim``: import purchase lines in the national canteen tool's format, load supplier article matrices
and the restaurants registry, list and remove imports, export back to the national format.

Exit codes of ``import``: 0 every line accepted; 1 some line refused (the others are imported); 2 some file was
unreadable (the other files are imported). Each new import, removal and load is written to the platform's audit
log (action ``egalim.*``), like every other change of the platform's state.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn, TimeRemainingColumn
from rich.table import Table

from spaser.cli_common import err, out, settings, user_errors
from spaser.errors import InputError

if TYPE_CHECKING:
    from spaser.indicators.egalim.store import EgalimStore

egalim_app = typer.Typer(help="Egalim: purchase lines of collective catering (national canteen tool format), "
                              "supplier article matrices, restaurants registry.", no_args_is_help=True)

#: Files with more rows than this get a progress bar.
PROGRESS_ROWS = 50_000
#: Errors printed per file (all are in the rejects file and in --report-json's first 200).
SHOWN_ERRORS = 10


def _store() -> EgalimStore:
    from spaser.indicators.egalim.store import EgalimStore

    return EgalimStore.of(settings())


def _audit(actor: str, entries: list[tuple[str, str, str, dict[str, Any]]]) -> None:
    """Append (action, entity type, entity id, after) entries to the platform's audit log, in one transaction."""
    if not entries:
        return
    from spaser.cli_platform import open_platform

    platform = open_platform()
    try:
        with platform.db.begin() as session:
            context = platform.context(None, actor=actor)
            for action, entity_type, entity_id, after in entries:
                context.audit(session, action, entity_type, entity_id, after=after)
    finally:
        platform.close()


def _publish(store: EgalimStore, force: bool = False) -> None:
    """Recompute the published results after a change (pages and API read them)."""
    import time

    from spaser.indicators.egalim.published import refresh

    started = time.perf_counter()
    if refresh(store, force=force):
        out.print(f"Egalim results recomputed in {time.perf_counter() - started:.1f} s")


class _Bar:
    """A progress bar for the big files only (short imports print just their table)."""

    def __init__(self) -> None:
        self.bar: Progress | None = None
        self.task: Any = None

    def start(self, path: Path, total_rows: int | None) -> None:
        if total_rows is not None and total_rows > PROGRESS_ROWS:
            self.bar = Progress(TextColumn("[bold]{task.description}"), BarColumn(), MofNCompleteColumn(),
                                TimeElapsedColumn(), TimeRemainingColumn(), console=err)
            self.bar.start()
            self.task = self.bar.add_task(path.name[:40], total=total_rows)

    def advance(self, rows: int) -> None:
        if self.bar is not None:
            self.bar.update(self.task, advance=rows)

    def stop(self) -> None:
        if self.bar is not None:
            self.bar.stop()
            self.bar = None


@egalim_app.command("import")
def import_command(
    files: Annotated[list[Path], typer.Argument(help="Purchase files: CSV (, ; or tab) or XLSX, national format.")],
    actor: Annotated[str, typer.Option("--actor", help="Who imports (kept in the manifest and the audit log).")]
    = "cli",
    report_json: Annotated[Path | None, typer.Option("--report-json", help="Write the import reports as JSON.")]
    = None,
) -> None:
    """Import purchase lines (idempotent: a file already imported is not imported twice)."""
    from spaser.indicators.egalim.access import audit_after

    store = _store()
    reports: list[Any] = []
    unreadable: list[tuple[Path, str]] = []
    for path in files:
        try:
            reports.append(store.import_file(path, actor=actor, progress=_Bar()))
        except InputError as exc:
            unreadable.append((path, exc.message))
    with user_errors():
        _audit(actor, [("egalim.import", "egalim_import", r.manifest.id, audit_after(r.manifest))
                       for r in reports if not r.already_imported])
    if any(not r.already_imported for r in reports):
        with user_errors():
            _publish(store)
    table = Table("file", "status", "import", "read", "accepted", "rejected", "conflicts", title="Egalim import")
    for r in reports:
        m = r.manifest
        table.add_row(Path(r.path).name, r.status, m.id, str(m.lines_read), str(m.accepted), str(m.rejected),
                      str(m.conflicts))
    for path, _ in unreadable:
        table.add_row(path.name, "illisible", "", "", "", "", "")
    out.print(table)
    for r in reports:
        shown = [] if r.already_imported else r.errors[:SHOWN_ERRORS]
        for warning in () if r.already_imported else r.manifest.warnings:
            out.print(f"[yellow]{Path(r.path).name}:[/yellow] {warning}")
        for error in shown:
            out.print(f"[red]{Path(r.path).name}:[/red] {error.message}")
        if not r.already_imported and r.manifest.rejected and r.manifest.rejected > len(shown):
            out.print(f"{Path(r.path).name}: … every refused cell is in {store.rejects_dir / r.manifest.id}.parquet")
        for conflict in [] if r.already_imported else r.conflicts[:SHOWN_ERRORS]:
            out.print(f"[yellow]{Path(r.path).name}:[/yellow] {conflict.message}")
    for path, message in unreadable:
        err.print(f"[red]error:[/red] {message}" if str(path) in message else f"[red]error:[/red] {path}: {message}")
    if report_json is not None:
        report_json.parent.mkdir(parents=True, exist_ok=True)
        document = {"files": [r.to_json() for r in reports],
                    "unreadable": [{"file": str(p), "error": m} for p, m in unreadable]}
        report_json.write_text(json.dumps(document, ensure_ascii=False, indent=2) + "\n", encoding="utf-8")
    if unreadable:
        raise typer.Exit(2)
    if any(r.manifest.rejected and not r.already_imported for r in reports):
        raise typer.Exit(1)


@egalim_app.command("matrix")
def matrix_command(
    file: Annotated[Path, typer.Argument(help="The supplier's article matrix (CSV or XLSX).")],
    fournisseur: Annotated[str, typer.Option("--fournisseur", help="The supplier's name, as purchase lines "
                                             "write it (case, accents and punctuation ignored).")],
) -> None:
    """Load a supplier's article matrix, replacing its previous one."""
    with user_errors():
        report = _store().load_matrix(file, fournisseur)
        _audit("cli", [("egalim.matrix", "egalim_matrix", report.info.slug, {
            "supplier": report.info.supplier, "sha256": report.info.sha256, "articles": report.info.articles})])
    info = report.info
    out.print(f"matrix of {info.supplier}: {info.articles} articles stored ({report.lines_read} lines read, "
              f"{len(report.errors)} refused cells, {len(report.conflicts)} conflicting codes left out)"
              + (", replacing the previous one" if report.replaced else ""))
    for warning in report.warnings:
        out.print(f"[yellow]warning:[/yellow] {warning}")
    for error in report.errors[:SHOWN_ERRORS]:
        out.print(f"[red]{file.name}:[/red] {error.message}")
    for conflict in report.conflicts[:SHOWN_ERRORS]:
        out.print(f"[yellow]{file.name}:[/yellow] {conflict.message}")
    if report.errors or report.conflicts:
        raise typer.Exit(1)


@egalim_app.command("matrices")
def matrices_command() -> None:
    """List the stored supplier matrices."""
    table = Table("supplier", "file", "articles", "loaded at", "sha256")
    for info in _store().matrix_infos():
        table.add_row(info.supplier, info.file, str(info.articles), info.loaded_at, info.sha256[:12])
    out.print(table)


@egalim_app.command("restaurants")
def restaurants_command(
    file: Annotated[Path, typer.Argument(help="Registry: siret, nom, groupe, departement[, etat] (CSV or XLSX).")],
) -> None:
    """Load the restaurants registry, replacing the previous one (nothing changes when a line is wrong)."""
    with user_errors():
        store = _store()
        report = store.load_restaurants(file)
        if report.replaced:
            _audit("cli", [("egalim.restaurants", "egalim_registry", "restaurants", {"restaurants": report.loaded})])
            _publish(store)
    for warning in report.warnings:
        out.print(f"[yellow]warning:[/yellow] {warning}")
    if report.errors:
        for error in report.errors[:SHOWN_ERRORS * 2]:
            out.print(f"[red]{file.name}:[/red] {error.message}")
        out.print(f"registry unchanged: {len(report.errors)} errors in {report.lines_read} lines")
        raise typer.Exit(1)
    out.print(f"restaurants registry: {report.loaded} restaurants loaded")


@egalim_app.command("imports")
def imports_command() -> None:
    """List the imports."""
    table = Table("import", "file", "imported at", "actor", "read", "accepted", "rejected", "conflicts")
    for m in _store().imports():
        table.add_row(m.id, m.file, m.imported_at, m.actor, str(m.lines_read), str(m.accepted), str(m.rejected),
                      str(m.conflicts))
    out.print(table)


@egalim_app.command("remove")
def remove_command(
    import_id: Annotated[str, typer.Argument(help="The import to delete (see spaser egalim imports).")],
) -> None:
    """Delete an import (to correct a mistake: then import the right file)."""
    with user_errors():
        store = _store()
        manifest = store.remove_import(import_id)
        _audit("cli", [("egalim.remove", "egalim_import", manifest.id, {"file": manifest.file,
                                                                         "accepted": manifest.accepted})])
        _publish(store)
    out.print(f"import {manifest.id} ({manifest.file}, {manifest.accepted} lines) removed")


@egalim_app.command("export")
def export_command(
    output: Annotated[Path, typer.Option("--output", help="File to write (.csv, or .xlsx with --xlsx).")],
    year: Annotated[int | None, typer.Option("--year", help="Only the lines of this calendar year.")] = None,
    siret: Annotated[str | None, typer.Option("--siret", help="Only this restaurant's lines.")] = None,
    groupe: Annotated[str | None, typer.Option("--groupe", help="Only the lines of this group of restaurants "
                                               "(registry).")] = None,
    separator: Annotated[str, typer.Option("--separator", help="CSV separator: ',' ';' or 'tab'.")] = ",",
    xlsx: Annotated[bool, typer.Option("--xlsx", help="Write XLSX (also when --output ends with .xlsx).")] = False,
    code_article: Annotated[bool, typer.Option("--code-article", help="Add the code_article column.")] = False,
) -> None:
    """Export stored lines in the national canteen tool's format."""
    from spaser.indicators.egalim.export import Selection, export_lines

    with user_errors():
        fmt = "xlsx" if xlsx or output.suffix.lower() == ".xlsx" else "csv"
        sep = "\t" if separator.lower() in ("tab", "\\t") else separator
        count = export_lines(_store(), output, Selection(year=year, siret=siret, groupe=groupe), fmt=fmt,
                             separator=sep, with_code_article=code_article)
    out.print(f"{count} lines written to {output}")


@egalim_app.command("compute")
def compute_command(
    force: Annotated[bool, typer.Option("--force", help="Recompute even when the results are current.")] = False,
) -> None:
    """Recompute the published Egalim results (imports do it already) and print each year's figures."""
    from spaser.indicators.egalim import published

    store = _store()
    with user_errors():
        _publish(store, force=force)
        reading = published.read(store, scope="ensemble")
    if reading is None:
        out.print("no purchase imported yet: run `spaser egalim import FILE`")
        return
    table = Table("year", "restaurants", "total HT", "Egalim %", "bio %", "meat & fish %", "France %", "local %",
                  "short circuit %", title="Egalim, all restaurants")
    for s in reading.results.trend("ensemble"):
        table.add_row(str(s.year), str(s.restaurants), f"{s.total:,.2f}", *(
            "—" if part.rounded is None else f"{part.rounded:.1f}"
            for part in (s.egalim, s.bio, s.meat_and_fish, s.france, s.local, s.short_circuit)))
    out.print(table)
