"""The ``spaser`` command. Thin: parse options, call a service, print its result.

Exit codes: 0 success; 1 error (message on stderr); 2 some input file was unreadable (the others
were ingested).
"""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Annotated

import typer
from rich.table import Table

from spaser import __version__
from spaser.cli_common import RichProgress, err, out, print_report, settings, state, user_errors, warehouse
from spaser.cli_demo import demo_app
from spaser.cli_egalim import egalim_app
from spaser.cli_fetch import fetch_app
from spaser.cli_indicators import indicators
from spaser.cli_platform import audit_app, db_app, keys_app, outbox_app, users_app, verify_receipt_command
from spaser.cli_quality import quality
from spaser.cli_reference import reference_app
from spaser.cli_sourcing import clauses_app, sourcing_app
from spaser.config import Settings
from spaser.errors import InputError, SpaserError

app = typer.Typer(
    name="spaser",
    help="spaser: observatory and platform for responsible public procurement (DECP, SPASER).",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)
export_app = typer.Typer(help="Export the warehouse: regulatory DECP JSON, OCDS, Parquet or CSV.",
                         no_args_is_help=True)
app.add_typer(export_app, name="export")
app.add_typer(reference_app, name="reference")
app.add_typer(fetch_app, name="fetch")
app.add_typer(demo_app, name="demo")
app.command("quality")(quality)
app.command("indicators")(indicators)
app.add_typer(db_app, name="db")
app.add_typer(users_app, name="users")
app.add_typer(audit_app, name="audit")
app.add_typer(outbox_app, name="outbox")
app.add_typer(keys_app, name="keys")
app.add_typer(sourcing_app, name="sourcing")
app.add_typer(clauses_app, name="clauses")
app.add_typer(egalim_app, name="egalim")
app.command("verify-receipt")(verify_receipt_command)

@app.callback()
def _root(
    data_dir: Annotated[
        Path | None,
        typer.Option("--data-dir", help="Data folder (default: $SPASER_DATA_DIR, then ./data).",
                     envvar="SPASER_DATA_DIR"),
    ] = None,
    version: Annotated[bool, typer.Option("--version", help="Print the version and exit.")] = False,
) -> None:
    if version:
        out.print(f"spaser {__version__}")
        raise typer.Exit()
    state.settings = Settings(data_dir=data_dir) if data_dir else Settings()


@app.command()
def ingest(
    paths: Annotated[list[Path] | None, typer.Argument(
        help="DECP files or folders (JSON, XML; .gz and .zip accepted; CSV and XLSX with --mapping); none with "
        "--source platform.")] = None,
    source: Annotated[str | None, typer.Option(
        "--source", help="Source name recorded for these files; `platform` with no path ingests the "
        "marketplace's DECP feed.")] = None,
    mapping: Annotated[str | None, typer.Option(
        "--mapping", help="Column mapping for the CSV/XLSX files: a shipped name (decp-info, decp-augmente, "
        "nice-atexo) or a .toml file (docs/tabular.md).")] = None,
    report_json: Annotated[Path | None, typer.Option("--report-json", help="Write the run report as JSON.")] = None,
    quiet: Annotated[bool, typer.Option("--quiet", "-q", help="No progress bar or table.")] = False,
    replace_demo: Annotated[bool, typer.Option(
        "--replace-demo", help="When the warehouse holds the demonstration dataset, drop it first.")] = False,
) -> None:
    """Ingest DECP files into a new warehouse snapshot (idempotent; crash-safe)."""
    from spaser.warehouse.ingest import ingest as run_ingest

    progress = None if quiet else RichProgress(err)
    with user_errors():
        if not paths and source == "platform":
            from spaser.marketplace.feed_ingest import ingest_platform_feed

            report = ingest_platform_feed(settings(), progress=progress)
        elif not paths:
            raise InputError("give DECP files or folders to ingest, or --source platform for the marketplace feed")
        else:
            report = run_ingest(paths, settings(), source=source, progress=progress, mapping=mapping,
                                replace_demo=replace_demo)
    if report_json is not None:
        report_json.parent.mkdir(parents=True, exist_ok=True)
        report_json.write_text(json.dumps(report.to_json(), ensure_ascii=False, indent=2) + "\n", encoding="utf-8")
    if not quiet:
        print_report(report, out)
    if report.unreadable_files:
        raise typer.Exit(2)


@app.command()
def serve(
    host: Annotated[str, typer.Option(help="Interface to listen on.")] = "127.0.0.1",
    port: Annotated[int, typer.Option(help="Port.")] = 8000,
    workers: Annotated[int, typer.Option(help="Worker processes (each opens the snapshot read-only).")] = 1,
) -> None:
    """Serve the platform (web pages and API)."""
    import os

    import uvicorn

    from spaser.web.app import create_app

    current = settings()
    with user_errors():  # migrate once here, before the workers start
        from spaser.platform_db.context import Platform

        Platform.open(current).close()
    out.print(f"spaser: http://{host}:{port}/ (data: {current.data_dir})")
    if workers > 1:
        os.environ["SPASER_DATA_DIR"] = str(current.data_dir)
        uvicorn.run("spaser.web.app:app_from_env", factory=True, host=host, port=port, workers=workers,
                    log_level="warning")
        return
    uvicorn.run(create_app(current), host=host, port=port, log_level="warning")


@app.command("settings")
def show_settings() -> None:
    """List every setting, its environment variable, current value and help."""
    current = settings()
    table = Table(title="Settings")
    for column in ("variable", "value", "help"):
        table.add_column(column)
    for name, spec in Settings.model_fields.items():
        table.add_row(f"SPASER_{name.upper()}", str(getattr(current, name)), spec.description or "")
    out.print(table)


@export_app.command("decp")
def export_decp(
    output: Annotated[Path, typer.Option("--output", "-o", help="Folder for decp-2022.json, decp-2019.json, "
                                         "rejects.json and export-report.json.")],
    schemas: Annotated[Path | None, typer.Option(
        "--schemas", help="Folder of the official schemas (v2.0.3/schema_decp_v2.0.3.json, v1.5_2019/marches.json); "
        "default: $SPASER_DECP_SCHEMAS, then ../shared/data/decp/schemas.")] = None,
    workers: Annotated[int, typer.Option("--workers", help="Processes validating records; 0: one per CPU core "
                                         "from 20 000 contracts, else none.")] = 0,
    quiet: Annotated[bool, typer.Option("--quiet", "-q", help="No summary.")] = False,
) -> None:
    """Export the contracts in the regulatory DECP JSON formats, every record validated (rejects listed)."""
    from spaser.decp.export_decp import export_decp as run_export
    from spaser.decp.export_decp_schemas import resolve_schemas_dir

    with user_errors(), warehouse() as con:
        report = run_export(con, output, resolve_schemas_dir(schemas), workers=workers)
    if quiet:
        return
    table = Table(title=f"DECP export ({report.contracts} contracts)")
    for column in ("file", "marchés", "concessions", "written"):
        table.add_column(column, justify="left" if column == "file" else "right")
    for name, counts in report.written.items():
        table.add_row(name, str(counts["marche"]), str(counts["concession"]), str(sum(counts.values())))
    table.add_section()
    for target, count in sorted(report.rejected.items()):
        table.add_row(f"rejected ({target} format)", "", "", str(count))
    table.add_row("total", "", "", f"{report.written_total} + {report.rejected_total} rejected", style="bold")
    out.print(table)
    if report.reasons:
        out.print("most common rejection reasons:")
        for reason, count in report.reasons.most_common(8):
            out.print(f"  {count:>8}  {reason}")
    out.print(f"files in {output}: {', '.join(report.files)} ({report.duration_s:.1f} s, "
              f"{report.workers or 'no'} worker process(es))")


@export_app.command("parquet")
def export_parquet(
    output: Annotated[Path, typer.Option("--output", "-o", help="Parquet file (a folder with --partition-by-year).")],
    partition_by_year: Annotated[bool, typer.Option(
        "--partition-by-year", help="Write a folder of Hive partitions notification_year=YYYY/.")] = False,
) -> None:
    """Export one row per contract × titulaire in force as Parquet."""
    from spaser.decp.export_tabular import export_parquet as run_export

    with user_errors(), warehouse() as con:
        result = run_export(con, output, partition_by_year=partition_by_year)
    out.print(f"{result.rows} rows ({result.contracts} contracts) written to {result.path}")


@export_app.command("csv")
def export_csv(
    output: Annotated[Path, typer.Option("--output", "-o", help="CSV file; its Table Schema is written beside it "
                                         "(contracts.csv → contracts.schema.json).")],
) -> None:
    """Export one row per contract × titulaire in force as CSV, with its Table Schema."""
    from spaser.decp.export_tabular import export_csv as run_export

    with user_errors(), warehouse() as con:
        result = run_export(con, output)
    out.print(f"{result.rows} rows ({result.contracts} contracts) written to {result.path}; "
              f"Table Schema: {result.schema_path}")


@export_app.command("ocds")
def export_ocds(
    output: Annotated[Path, typer.Option("--output", "-o", help="OCDS 1.1 release package (JSON file).")],
    validate_with: Annotated[Path | None, typer.Option(
        "--validate-with", envvar="SPASER_OCDS_SCHEMAS",
        help="Folder of the OCDS 1.1 schemas (release-package-schema.json, release-schema.json): validate the "
        "written package offline; exit 1 if invalid. Default: $SPASER_OCDS_SCHEMAS, else no validation.")] = None,
    max_errors: Annotated[int, typer.Option("--max-errors", help="Validation errors printed at most.")] = 20,
) -> None:
    """Export one compiled OCDS release per contract as a release package (docs/ocds.md)."""
    from spaser.decp.export_ocds import PackageInfo
    from spaser.decp.export_ocds import export_ocds as run_export
    from spaser.decp.ocds_validate import check_schemas_dir, validate_package

    with user_errors():
        schemas = check_schemas_dir(validate_with) if validate_with is not None else None
        with warehouse() as con:
            result = run_export(con, output, PackageInfo.from_settings(settings()))
    out.print(f"{result.releases} releases ({result.amendments} amendments) written to {result.path} "
              f"({result.duration_s:.1f} s)")
    if schemas is None:
        return
    with user_errors():
        validation = validate_package(output, schemas, max_errors=max_errors)
    if validation.valid:
        out.print(f"valid against the OCDS schemas in {schemas} ({validation.releases} releases checked)")
        return
    err.print(f"[red]invalid:[/red] {validation.error_count} error(s) in {validation.invalid_releases} "
              f"release(s) of {validation.releases} (schemas: {schemas}); first ones:", markup=True)
    for message in validation.errors:
        err.print(f"  {message}", markup=False, highlight=False)
    raise typer.Exit(1)


def main() -> None:
    try:
        app()
    except SpaserError as exc:
        err.print(f"[red]error:[/red] {exc.message}")
        sys.exit(1)
