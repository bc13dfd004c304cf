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


class _StockBars:
    """One bar per SIRENE stock file, in bytes of CSV text, shown from the first file of 16 MB or more; fed from the
    loader's threads (rich's Progress is thread-safe)."""

    LONG = 16 << 20

    def __init__(self) -> None:
        from rich.progress import (
            BarColumn,
            DownloadColumn,
            Progress,
            TextColumn,
            TimeElapsedColumn,
            TimeRemainingColumn,
        )

        from spaser.cli_common import err

        self.bar = Progress(TextColumn("[bold]{task.description}"), BarColumn(), DownloadColumn(), TimeElapsedColumn(),
                            TimeRemainingColumn(), console=err, transient=True)
        self.tasks: dict[str, int] = {}
        self.started = False

    def __call__(self, path: str, done: int, total: int) -> None:
        from rich.progress import TaskID

        if not self.started and total >= self.LONG:
            self.bar.start()
            self.started = True
        if self.started and path not in self.tasks:
            self.tasks[path] = self.bar.add_task(Path(path).name[:40], total=total)
        if path in self.tasks:
            self.bar.update(TaskID(self.tasks[path]), completed=done, total=total)

    def close(self) -> None:
        if self.started:
            self.bar.stop()


@reference_app.command("load-sirene")
def load_sirene(
    unites: Annotated[Path, typer.Argument(
        help="INSEE's stock of unités légales: StockUniteLegale_utf8.zip as published, or its CSV.")],
    etablissements: Annotated[Path, typer.Argument(
        help="INSEE's stock of établissements: StockEtablissement_utf8.zip as published, or its CSV.")],
    quiet: Annotated[bool, typer.Option("--quiet", "-q", help="No progress bar.")] = False,
) -> None:
    """Load the SIRENE stocks (category, ESS, activity, état of each unité légale; commune, siège, activity, état
    of each établissement): they replace the previous ones and enrich every titulaire and buyer."""
    from spaser.reference.sirene import load_sirene as run_load

    bars = None if quiet else _StockBars()
    try:
        with user_errors():
            report = run_load(settings().warehouse_dir, unites, etablissements, settings().duckdb_memory_limit, bars)
    finally:
        if bars is not None:
            bars.close()
    for load, noun, key in ((report.unites, "unités légales", "SIREN"), (report.etablissements, "établissements",
                                                                           "SIRET")):
        dropped = [f"{load.without_key} without {key}"] if load.without_key else []
        dropped += [f"{load.duplicates} duplicate {key}s dropped"] if load.duplicates else []
        out.print(f"{load.table}: {load.rows} {noun} from {load.path} ({load.rows_read} rows read"
                  + "".join(f", {text}" for text in dropped) + f") in {load.seconds:.1f} s")
    out.print(f"SIRENE loaded in {report.seconds:.1f} s")
