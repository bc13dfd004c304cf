"""``spaser indicators``: the SPASER and legal indicators, with their targets, as a table, JSON, CSV or XLSX."""

from __future__ import annotations

import sys
from enum import StrEnum
from pathlib import Path
from typing import Annotated

import typer
from rich.table import Table

from spaser.cli_common import out, settings, user_errors, warehouse
from spaser.errors import InputError


class Format(StrEnum):
    table = "table"
    json = "json"
    csv = "csv"
    xlsx = "xlsx"


def indicators(
    year: Annotated[list[int] | None, typer.Option("--year", "-y", help="Year of notification (repeatable; "
                                                   "default: every year).")] = None,
    scope: Annotated[list[str] | None, typer.Option("--scope", "-s", help="all, buyer, region, departement, "
                                                    "cpv_division, procedure or nature (repeatable; default: all).")]
    = None,
    every_scope: Annotated[bool, typer.Option("--every-scope", help="Every scope (large on national data).")] = False,
    buyer: Annotated[str | None, typer.Option("--buyer", "-b", help="Only this buyer's contracts (SIRET); its "
                                              "organisation's targets apply.")] = None,
    indicator: Annotated[list[str] | None, typer.Option("--indicator", "-i", help="Only these indicators "
                                                        "(repeatable; see --list).")] = None,
    output_format: Annotated[Format, typer.Option("--format", "-f", help="table (console), json, csv or xlsx; CSV "
                                                  "and XLSX files get a Table Schema beside them.")] = Format.table,
    output: Annotated[Path | None, typer.Option("--output", "-o", help="Write to this file (required for xlsx; "
                                                "default: stdout).")] = None,
    targets: Annotated[list[Path] | None, typer.Option("--targets", help="Target file(s) of an organisation, in "
                                                       "addition to <data-dir>/targets/*.toml.")] = None,
    thresholds: Annotated[Path | None, typer.Option("--thresholds", help="Dated thresholds table (default: the "
                                                    "shipped one).")] = None,
    list_only: Annotated[bool, typer.Option("--list", help="List the indicators and exit.")] = False,
) -> None:
    """Compute the indicators per year and scope, in count and in value, against the SPASER targets."""
    from spaser.indicators.catalogue import by_id, catalogue
    from spaser.indicators.engine import SCOPES, compute, results
    from spaser.indicators.output import formatted, write_csv, write_file, write_json
    from spaser.indicators.targets import apply_targets, discover, load_target_set

    if list_only:
        table = Table(title="Indicateurs")
        for column in ("id", "libellé", "unité", "source"):
            table.add_column(column)
        for entry in catalogue():
            table.add_row(entry.id, entry.label_fr, entry.unit, entry.source)
        out.print(table)
        return
    with user_errors():
        chosen_scopes = list(SCOPES) if every_scope else (scope or ["all"])
        if output_format is Format.xlsx and output is None:
            raise InputError("--format xlsx writes a file: give --output FILE.xlsx")
        target_sets = discover(settings().data_dir / "targets") + [load_target_set(p) for p in targets or []]
        with warehouse() as con:
            if buyer is not None and not con.execute(
                    "SELECT 1 FROM contracts WHERE acheteur_id = ? LIMIT 1", [buyer]).fetchone():
                raise InputError(f"--buyer {buyer}: no contract of this buyer in the warehouse")
            compute(con, years=year, scopes=chosen_scopes, buyer=buyer, indicators=indicator, thresholds=thresholds)
            rows = apply_targets(results(con, scope=chosen_scopes), target_sets, buyer=buyer)
            if output is not None:
                count, schema = write_file(rows, output, output_format.value if output_format is not Format.table
                                           else "csv")
                out.print(f"{count} results written to {output}" + (f"; Table Schema: {schema}" if schema else ""))
                return
            if output_format is Format.json:
                write_json(rows, sys.stdout)
                return
            if output_format is Format.csv:
                write_csv(rows, sys.stdout)
                return
            labels = by_id()
            table = Table(title="Indicateurs" + (f" — acheteur {buyer}" if buyer else ""))
            for column in ("indicateur", "mesure", "année", "périmètre", "valeur", "num. / dén.", "couverture",
                           "cible", "statut"):
                table.add_column(column, justify="right" if column in ("valeur", "num. / dén.", "couverture")
                                 else "left")
            for result in rows:
                scope_label = result.scope + (f" {result.scope_id}" if result.scope_id else "")
                table.add_row(labels[result.id].label_fr, "nombre" if result.measure == "count" else "valeur",
                              "inconnue" if result.year is None else str(result.year), scope_label,
                              *formatted(result))
            out.print(table)
