"""``spaser sourcing`` (daily digest of saved searches, SIRENE refresh of profiles) and ``spaser clauses`` (library
seed, list, RC/CCTP template): the sourcing space's and the guichet vert's operations."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Any

import typer
from rich.table import Table

from spaser.cli_common import out, user_errors
from spaser.cli_platform import open_platform

sourcing_app = typer.Typer(help="The sourcing space: saved-search digests, SIRENE refresh of supplier profiles.",
                           no_args_is_help=True)
clauses_app = typer.Typer(help="The guichet vert's clause library.", no_args_is_help=True)


@sourcing_app.command("digest")
def digest() -> None:
    """Queue the daily digest of every saved search with news (run it once a day, e.g. from cron, then
    `spaser outbox send`). Running it twice the same day sends nothing twice."""
    from spaser.sourcing import alerts

    with user_errors():
        platform = open_platform()
        with platform.db.begin() as session:
            report = alerts.send_digests(session, platform.context(None, actor="cli"))
        out.print(f"{report.searches} saved searches looked at, {report.sent} digests queued "
                  f"({report.items} new items)")
        platform.close()


@sourcing_app.command("enrich")
def enrich() -> None:
    """Copy SIRENE's facts (name, category, NAF, commune) onto every supplier profile, after
    `spaser reference load-sirene` loaded a new stock."""
    from spaser.sourcing import profiles
    from spaser.web.observatory_lookups import sirene_for
    from spaser.web.reader import WarehouseReader

    with user_errors():
        platform = open_platform()
        reader = WarehouseReader(platform.settings.warehouse_dir)
        if reader.identity() is None:
            out.print("no warehouse snapshot yet: load SIRENE with `spaser reference load-sirene` first")
            raise typer.Exit(1)
        with platform.db.begin() as session:
            changed = profiles.refresh_sirene(session, platform.context(None, actor="cli"),
                                              lambda siret: sirene_for(reader, siret))
        reader.close()
        out.print(f"{changed} supplier profiles updated from SIRENE")
        platform.close()


@clauses_app.command("seed")
def seed() -> None:
    """Add the shipped clauses to the platform database, and a new version of those this release changed
    (also done when the web server starts)."""
    from spaser.clauses import library

    with user_errors():
        platform = open_platform()
        with platform.db.begin() as session:
            report = library.seed(session, platform.context(None, actor="cli"))
        out.print(f"clause library: {report.created} added, {report.updated} updated, {report.unchanged} unchanged")
        platform.close()


@clauses_app.command("list")
def list_clauses(
    query: Annotated[str, typer.Argument(help="Words to search (French); empty lists every clause.")] = "",
    cpv: Annotated[str | None, typer.Option(help="CPV code of the purchase: fitting clauses first.")] = None,
    limit: Annotated[int, typer.Option(help="How many to show.")] = 20,
) -> None:
    """Search the clause library (French full text and meaning) or list it."""
    from spaser.clauses import library

    with user_errors():
        platform = open_platform()
        with platform.db.begin() as session:
            library.seed(session, platform.context(None, actor="cli"))
        with platform.db() as session:
            rows: list[tuple[str, str, str, str]]
            if query or cpv:
                result, versions = library.suggest(session, cpv, query, limit) if not query else \
                    library.search(session, query, cpv=cpv, limit=limit)
                rows = [(h.key, versions[h.key].title, versions[h.key].kind, "; ".join(h.reasons))
                        for h in result.hits]
                caption = f"search mode: {result.mode}"
            else:
                rows = [(v.clause_id, v.title, v.kind, "") for v in library.current_versions(session)[:limit]]
                caption = ""
        table = Table("id", "title", "kind", "why", caption=caption)
        for row in rows:
            table.add_row(*row)
        out.print(table)
        platform.close()


@clauses_app.command("template")
def template(
    clause: Annotated[list[str], typer.Option("--clause", help="Clause id (repeat the option).")],
    output: Annotated[Path, typer.Option(help="File to write; its extension (.docx, .odt, .pdf) is the format.")],
    document: Annotated[str, typer.Option(help="rc (règlement de consultation) or cctp.")] = "rc",
    title: Annotated[str, typer.Option(help="Object of the consultation.")] = "",
    buyer: Annotated[str, typer.Option(help="Buyer's name.")] = "",
) -> None:
    """Write a règlement de consultation or CCTP skeleton made of the chosen clauses."""
    from spaser.clauses import library, templates, writers
    from spaser.errors import InputError

    with user_errors():
        if document not in ("rc", "cctp"):
            raise InputError(f"document: {document!r} is not rc or cctp")
        fmt = output.suffix.lstrip(".").lower()
        platform = open_platform()
        with platform.db.begin() as session:
            library.seed(session, platform.context(None, actor="cli"))
            chosen = [library.model_of(library.get_clause(session, c)[1]) for c in clause]
        info = templates.ConsultationInfo(reference="", title=title or "[objet de la consultation]",
                                          buyer=buyer or "[acheteur]", cpv="", procedure="", deadline="",
                                          criteria=())
        build: Any = templates.build_rc if document == "rc" else templates.build_cctp
        output.write_bytes(writers.render(build(info, chosen), fmt))
        out.print(f"{document.upper()} with {len(chosen)} clauses written to {output}")
        platform.close()
