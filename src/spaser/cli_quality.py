"""``spaser quality``: per source and per buyer, the flags, completeness and publication delays."""

from __future__ import annotations

import csv
import io
import json
from enum import StrEnum
from pathlib import Path
from typing import Annotated

import typer
from rich.table import Table

from spaser.cli_common import out, user_errors, warehouse
from spaser.warehouse.quality import GroupQuality


class Format(StrEnum):
    table = "table"
    json = "json"
    csv = "csv"


def quality(
    output_format: Annotated[Format, typer.Option("--format", help="table (console), json or csv (one row per "
                                                  "figure: scope, key, metric, name, value).")] = Format.table,
    output: Annotated[Path | None, typer.Option("--output", "-o", help="Write to this file instead of stdout.")] = None,
    limit: Annotated[int, typer.Option("--limit", help="Buyers listed, by number of contracts (0: all).")] = 0,
) -> None:
    """Data quality of the warehouse: flags, completeness and publication delays per source and per buyer."""
    from spaser.warehouse.quality import quality_report

    with user_errors(), warehouse() as con:
        report = quality_report(con, limit or None)
    if output_format is Format.table:
        _print_tables(report.sources, "Sources", limit=None)
        _print_tables(report.acheteurs, "Acheteurs (contracts deduplicated)", limit=limit or 20)
        return
    if output_format is Format.json:
        text = json.dumps(report.to_json(), ensure_ascii=False, indent=2) + "\n"
    else:
        buffer = io.StringIO()
        writer = csv.writer(buffer, lineterminator="\n")
        writer.writerow(["scope", "key", "metric", "name", "value"])
        writer.writerows(report.long_rows())
        text = buffer.getvalue()
    if output is None:
        typer.echo(text, nl=False)
    else:
        output.parent.mkdir(parents=True, exist_ok=True)
        output.write_text(text, encoding="utf-8")
        out.print(f"quality report written to {output}")


def _print_tables(groups: list[GroupQuality], title: str, limit: int | None) -> None:
    table = Table(title=title)
    for column in ("key", "records", "top flags", "least filled fields", "publication delay (median / p90 / late)"):
        table.add_column(column, justify="right" if column == "records" else "left")
    for g in groups[:limit]:
        flags = ", ".join(f"{name} {count}" for name, count in list(g.flags.items())[:3]) or "-"
        empty = ", ".join(f"{name} {share:.0%}" for name, share in sorted(g.completeness.items(),
                                                                          key=lambda item: item[1])[:3])
        delay = g.delay
        delay_text = ("-" if not delay.get("n") else
                      f"{delay['mediane_jours']:.0f} d / {delay['p90_jours']:.0f} d / "
                      f"{delay['part_au_dela_de_2_mois']:.0%} late (n={delay['n']})")
        table.add_row(g.key, str(g.records), flags, empty, delay_text)
    out.print(table)
