"""``spaser demo seed``: fill an empty data folder with the synthetic demonstration dataset (docs/demo.md)."""

from __future__ import annotations

from typing import Annotated

import typer
from rich.table import Table

from spaser.cli_common import RichProgress, err, out, settings, user_errors

demo_app = typer.Typer(help="The synthetic demonstration dataset (what `make run` shows on an empty data folder).",
                       no_args_is_help=True)


@demo_app.command("seed")
def seed(
    seed_value: Annotated[int, typer.Option("--seed", help="Seed of the generator: the same seed gives the same "
                                            "dataset, byte for byte.")] = 2026,
    quiet: Annotated[bool, typer.Option("--quiet", "-q", help="No progress messages.")] = False,
) -> None:
    """Generate the demonstration dataset (~4 000 synthetic contracts, suppliers, geography, SPASER targets) and
    load it into the data folder, which must hold no other data; the web pages then show a demonstration banner."""
    from spaser.demo import seed as run_seed

    def step(message: str) -> None:
        if not quiet:
            err.print(f"[bold]demo:[/bold] {message}…")

    with user_errors():
        report = run_seed(settings(), seed_value, step=step, progress=None if quiet else RichProgress(err))
    files = report.files
    table = Table(title=f"Demonstration dataset, seed {report.seed} (generated in {report.generation_s:.1f} s)")
    for column in ("generated", "file", "loaded"):
        table.add_column(column)
    ingestion = report.ingestion
    table.add_row(f"{files.contracts} contracts ({files.concessions} concessions) by {files.buyers} buyers, "
                  f"{files.records} records with {files.duplicates} republished, {len(files.defects)} with a defect",
                  ", ".join(path.name for path in files.decp),
                  f"{ingestion.loaded} loaded, {ingestion.duplicates} duplicates, {ingestion.quarantined} quarantined"
                  + (f", {already} file(s) already ingested" if (already := sum(
                      f.status == "already_ingested" for f in ingestion.files)) else ""))
    table.add_row("geography (COG) of the places used", ", ".join(path.name for path in files.cog),
                  f"{report.cog.communes} communes, {report.cog.departements} départements, "
                  f"{report.cog.regions} régions")
    table.add_row(f"SIRENE stocks of the buyers and {files.suppliers} suppliers",
                  f"{files.sirene_unites.name}, {files.sirene_etablissements.name}",
                  f"{report.sirene.unites.rows} unités légales, {report.sirene.etablissements.rows} établissements")
    table.add_row("SPASER targets of the Région", ", ".join(path.name for path in files.targets),
                  "copied into <data-dir>/targets/")
    out.print(table)
    out.print(f"{report.contracts} contracts in the warehouse {settings().warehouse_dir} ({report.seconds:.1f} s); "
              "marked as demonstration data. Next: `spaser serve`.")
