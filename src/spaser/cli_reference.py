"""``spaser reference ...``: load reference data (CPV, COG, SIRENE) into a new warehouse snapshot."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from spaser.cli_common import out, settings, user_errors

reference_app = typer.Typer(help="Load reference data: CPV nomenclature, INSEE geography (COG), SIRENE.",
                            no_args_is_help=True)


@reference_app.command("load-cpv")
def load_cpv(
    path: Annotated[Path, typer.Argument(help="The CPV 2008 file as the EU publishes it (XLSX or CSV).")],
) -> None:
    """Load the CPV 2008 nomenclature (codes, check digits, levels, parents, French and English labels)."""
    from spaser.reference.cpv import load_cpv as run_load

    with user_errors():
        report = run_load(settings().warehouse_dir, path, settings().duckdb_memory_limit)
    out.print(f"{report.codes} CPV codes in {report.divisions} divisions loaded from {report.path} "
              f"({report.rows_read} rows read)")
    for line, value in report.rejected[:10]:
        out.print(f"[yellow]skipped:[/yellow] line {line}: not a CPV code: {value!r}")
    if len(report.rejected) > 10:
        out.print(f"[yellow]skipped:[/yellow] {len(report.rejected) - 10} more rows without a CPV code")


@reference_app.command("load-cog")
def load_cog(
    paths: Annotated[list[Path], typer.Argument(
        help="INSEE's COG files (v_commune_YYYY.csv, v_departement_YYYY.csv, v_region_YYYY.csv, "
        "v_commune_comer_YYYY.csv) or flat communes/départements/régions CSV files.")],
) -> None:
    """Load the official geography (communes, départements, régions) and resolve every lieuExecution."""
    from spaser.reference.cog import load_cog as run_load

    with user_errors():
        report = run_load(settings().warehouse_dir, paths, settings().duckdb_memory_limit)
    for path, layout, rows in report.files:
        out.print(f"{path}: {rows} rows ({layout})")
    out.print(f"{report.communes} communes, {report.departements} départements, {report.regions} régions loaded; "
              f"{report.lieux_resolved} of {report.lieux} distinct places of execution resolved")
