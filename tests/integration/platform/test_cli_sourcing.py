"""``spaser sourcing`` and ``spaser clauses`` from the command line, on the SQLite file the CLI opens."""

from __future__ import annotations

import io
from decimal import Decimal
from pathlib import Path

import docx
import pytest
from sqlalchemy import select

from spaser.accounts.models import OutboxMessage
from spaser.clauses.catalogue import catalogue
from spaser.config import Settings
from spaser.platform_db.engine import make_engine
from spaser.platform_db.migrate import upgrade
from spaser.sourcing import alerts, plans
from tests.marketplace_world import World, build_world
from tests.warehouse_cli import cli


@pytest.fixture
def cli_world(tmp_path: Path) -> World:
    settings = Settings(data_dir=tmp_path / "data")
    engine = make_engine(settings.platform_url)
    upgrade(engine)
    return build_world(engine, settings.data_dir)


def test_clauses_seed_list_and_template(cli_world: World, tmp_path: Path) -> None:
    settings = cli_world.platform.settings
    code, output = cli(settings, "clauses", "seed")
    assert code == 0 and f"{len(catalogue())} added, 0 updated, 0 unchanged" in output
    code, output = cli(settings, "clauses", "seed")
    assert code == 0 and f"0 added, 0 updated, {len(catalogue())} unchanged" in output
    code, output = cli(settings, "clauses", "list", "gobelets jetables", "--limit", "3")
    assert code == 0 and "evenements-vaisselle-reemployable" in output
    code, output = cli(settings, "clauses", "list", "--cpv", "55523100", "--limit", "3")
    assert code == 0 and "restauration-" in output and "search mode: lexical" in output
    target = tmp_path / "rc.docx"
    code, output = cli(settings, "clauses", "template", "--clause", "social-marche-reserve-siae", "--clause",
                       "restauration-critere-approvisionnement-direct", "--output", str(target), "--title",
                       "Restauration des lycées")
    assert code == 0 and "RC with 2 clauses" in output
    text = "\n".join(p.text for p in docx.Document(io.BytesIO(target.read_bytes())).paragraphs)
    assert "Restauration des lycées" in text and "Marché réservé" in text
    code, output = cli(settings, "clauses", "template", "--clause", "inconnue", "--output", str(target))
    assert code == 1 and "no clause 'inconnue'" in output
    code, output = cli(settings, "clauses", "template", "--clause", "papier-recycle", "--output",
                       str(tmp_path / "x.rtf"))
    assert code == 1 and "unknown document format 'rtf'" in output
    code, output = cli(settings, "clauses", "template", "--clause", "papier-recycle", "--output", str(target),
                       "--document", "ccap")
    assert code == 1 and "document: 'ccap' is not rc or cctp" in output


def test_sourcing_digest_queues_once(cli_world: World) -> None:
    with cli_world.platform.db.begin() as session:
        alerts.save_search(session, cli_world.ctx(cli_world.supplier_a), name="Mobilier", target="plans",
                           query="mobilier")
    cli_world.clock.advance(hours=1)
    with cli_world.platform.db.begin() as session:
        plan = plans.create_plan(session, cli_world.ctx(cli_world.buyer), cli_world.region.id, plans.PlanInput(
            title="Mobilier des internats", cpv="39160000", launch_year=2027, launch_quarter=2,
            estimated_amount=Decimal(90000)))
        plans.publish_plan(session, cli_world.ctx(cli_world.buyer), plan.id)
    settings = cli_world.platform.settings
    code, output = cli(settings, "sourcing", "digest")  # the real clock: months after the world's
    assert code == 0 and "1 saved searches looked at, 1 digests queued (1 new items)" in output
    code, output = cli(settings, "sourcing", "digest")
    assert code == 0 and "0 digests queued" in output
    with cli_world.platform.db() as session:
        assert session.execute(select(OutboxMessage.recipient).where(
            OutboxMessage.kind == "saved_search_digest")).scalars().all() == ["offres@armor.fr"]


def test_sourcing_enrich_needs_a_warehouse(cli_world: World) -> None:
    code, output = cli(cli_world.platform.settings, "sourcing", "enrich")
    assert code == 1 and "load SIRENE with `spaser reference load-sirene` first" in output
