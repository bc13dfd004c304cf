"""From a consultation to bids, opening, evaluation, award, notification, the DECP feed, ingestion into the
observatory, and a changed indicator: the platform's whole data loop."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from sqlalchemy import select

from spaser.accounts.models import Organisation, OutboxMessage
from spaser.audit import verify
from spaser.decp.export_decp_schemas import full_validator
from spaser.errors import ConflictError, InputError
from spaser.indicators.engine import compute, results
from spaser.marketplace import bids, consultations, evaluation, feed
from spaser.marketplace.bids import UploadedFile
from spaser.marketplace.decp_record import feed_document
from spaser.marketplace.feed_ingest import ingest_platform_feed
from spaser.marketplace.models import Award, Consultation
from spaser.marketplace.rules import CriterionSpec
from spaser.warehouse import snapshot
from tests.conftest import DECP
from tests.marketplace_world import World
from tests.platform_fixtures import ENGINES

pytestmark = pytest.mark.parametrize("empty_database", ENGINES, indirect=True)


def _run_to_award(world: World, consultation: Consultation, amounts: dict[str, str]) -> Award:
    """Deposits by the named suppliers, deadline passes, opening, prices scored automatically, the other
    criteria scored by the evaluator (80 for everyone), award to the best."""
    suppliers = {"a": world.supplier_a, "b": world.supplier_b}
    for who, amount in amounts.items():
        with world.platform.db.begin() as session:
            bids.deposit(session, world.ctx(suppliers[who]), consultation.id,
                         [UploadedFile("offre.pdf", "application/pdf", f"offre {who}".encode())],
                         amount=Decimal(amount))
    assert consultation.deadline is not None
    world.clock.now = consultation.deadline + dt.timedelta(hours=1)
    with world.platform.db.begin() as session:
        bids.open_bids(session, world.ctx(world.buyer), consultation.id)
        evaluation.score_prices(session, world.ctx(world.evaluator), consultation.id)
        fresh = consultations.get(session, consultation.id)
        for bid in bids.active_bids(session, consultation.id):
            for criterion in fresh.criteria:
                if criterion.kind != "price":
                    evaluation.score(session, world.ctx(world.evaluator), bid.id, criterion.id, Decimal(80))
        best = evaluation.ranking(session, world.ctx(world.evaluator), consultation.id)[0]
        return evaluation.award(session, world.ctx(world.buyer), consultation.id, best.bid.id)


def _notify(world: World, consultation: Consultation) -> None:
    world.clock.advance(days=consultation.standstill_days, minutes=1)
    with world.platform.db.begin() as session:
        evaluation.notify_contract(session, world.ctx(world.buyer), consultation.id)


def test_award_ranks_notifies_and_publishes_a_valid_decp_record(world: World) -> None:
    consultation = world.published()
    decision = _run_to_award(world, consultation, {"a": "400000", "b": "500000"})
    assert decision.amount == Decimal("400000.00")
    with world.platform.db() as session:
        ranked = evaluation.ranking(session, world.ctx(world.buyer), consultation.id)
        # Supplier A: price 100 × 50 % + 80 × 30 % + 80 × 20 % = 90; B: 100 × 400/500 = 80 → 40 + 24 + 16 = 80.
        assert [(r.supplier.name, r.total, r.rank) for r in ranked] == [
            ("Menuiserie Armor", Decimal("90.00"), 1), ("Mobilier Ouest SA", Decimal("80.00"), 2)]
        letters = session.execute(select(OutboxMessage.kind, OutboxMessage.recipient, OutboxMessage.body)
                                  .where(OutboxMessage.kind.like("award_%"))).all()
    assert {(kind, to) for kind, to, _ in letters} == {("award_won", "offres@armor.fr"),
                                                       ("award_lost", "ao@mobilier-ouest.fr")}
    lost = next(body for kind, _, body in letters if kind == "award_lost")
    assert "Menuiserie Armor" in lost and "classée 2e avec 80.00/100" in lost

    with pytest.raises(ConflictError, match="standstill"), world.platform.db.begin() as session:
        evaluation.notify_contract(session, world.ctx(world.buyer), consultation.id)
    _notify(world, consultation)
    with world.platform.db() as session:
        page = feed.read_page(session, None)
        assert verify(session, world.platform.secrets.audit_key).ok
    assert page.next_cursor is None and len(page.records) == 1
    record = page.records[0]
    assert record["offresRecues"] == 2 and record["montant"] == 400000.0
    with world.platform.db() as session:
        winner = session.get(Organisation, world.supplier_a.organisation_id)
        assert winner is not None
    assert record["titulaires"][0]["titulaire"]["id"] == winner.siret
    assert record["considerationsEnvironnementales"]["considerationEnvironnementale"] == [
        "Critère environnemental", "Clause environnementale"]
    assert record["considerationsSociales"]["considerationSociale"] == ["Clause sociale"]
    assert record["dateNotification"] == world.clock.now.date().isoformat()
    schemas = DECP / "schemas"
    if not (schemas / "v2.0.3").exists():
        pytest.skip(f"needs the official DECP schemas in {schemas}")
    errors = [e.message for e in full_validator(schemas, "2022").iter_errors(feed_document(page.records))]
    assert errors == []


def test_feed_cursor_pages_through_every_record(world: World) -> None:
    for index in range(3):
        consultation = world.published(title=f"Lot de mobilier {index}")
        _run_to_award(world, consultation, {"a": "100000"})
        _notify(world, consultation)
        world.clock.now = world.clock.now + dt.timedelta(days=1)
    with world.platform.db() as session:
        first = feed.read_page(session, None, limit=2)
        second = feed.read_page(session, first.next_cursor, limit=2)
        with pytest.raises(InputError, match="cursor"):
            feed.read_page(session, "abc")
    assert len(first.records) == 2 and first.next_cursor is not None
    assert len(second.records) == 1 and second.next_cursor is None
    assert [r["objet"] for r in first.records + second.records] == [f"Lot de mobilier {i}" for i in range(3)]


def _env_share(world: World) -> tuple[float | None, float | None]:
    """env_consideration (count measure) for the Région, notification year 2026: numerator, denominator."""
    con = snapshot.open_current(world.platform.settings.warehouse_dir)
    try:
        compute(con, scopes=["buyer"], indicators=["env_consideration"])
        found = [r for r in results(con, indicator="env_consideration")
                 if r.measure == "count" and r.year == 2026 and r.scope_id == world.region.siret]
    finally:
        con.close()
    assert len(found) == 1
    return found[0].numerator, found[0].denominator


def test_an_award_reaches_the_observatory_and_changes_the_indicator(world: World) -> None:
    """Before art. 35 (May 2026) a price-only consultation is awarded: 0 of 1 contracts with an environmental
    consideration. After it (September 2026), one with an environmental criterion: 1 of 2."""
    world.clock.now = dt.datetime(2026, 5, 4, 9, 0, tzinfo=dt.UTC)
    early = world.consultation(title="Nettoyage des vitres", deadline=world.clock.now + dt.timedelta(days=40),
                               contract_type="Services", cpv="90911300", estimated_value=Decimal(90000))
    with world.platform.db.begin() as session:
        consultations.set_criteria(session, world.ctx(world.buyer), early.id, [CriterionSpec("Prix", "price",
                                                                                              Decimal(100))])
        consultations.set_clauses(session, world.ctx(world.buyer), early.id, [])
        consultations.publish(session, world.ctx(world.buyer), early.id)
    _run_to_award(world, early, {"b": "85000"})
    _notify(world, early)
    report = ingest_platform_feed(world.platform.settings, world.platform)
    assert (report.records_read, report.loaded, report.quarantined) == (1, 1, 0)
    assert _env_share(world) == (0, 1)

    world.clock.now = dt.datetime(2026, 9, 7, 9, 0, tzinfo=dt.UTC)
    later = world.published(deadline=world.clock.now + dt.timedelta(days=40))
    _run_to_award(world, later, {"a": "410000", "b": "430000"})
    _notify(world, later)
    report = ingest_platform_feed(world.platform.settings, world.platform)
    assert (report.records_read, report.loaded, report.duplicates, report.quarantined) == (2, 1, 1, 0)
    assert _env_share(world) == (1, 2)
    again = ingest_platform_feed(world.platform.settings, world.platform)
    assert again.loaded == 0 and _env_share(world) == (1, 2)
