"""A small marketplace world for tests: a Région buying, two suppliers, a clock the test moves.

The SIRETs are built to pass the INSEE check (Luhn on the SIREN and on the SIRET), like real ones.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path

import pytest
from sqlalchemy import Engine

from spaser.accounts import service as accounts
from spaser.accounts.models import Organisation, User
from spaser.config import Settings
from spaser.marketplace import consultations
from spaser.marketplace.models import Consultation
from spaser.marketplace.rules import CriterionSpec
from spaser.platform_db.context import Context, Platform

PASSWORD = "correct horse battery staple"
START = dt.datetime(2026, 9, 1, 8, 0, tzinfo=dt.UTC)


def _luhn_digit(body: str) -> str:
    for digit in "0123456789":
        candidate = body + digit
        total = 0
        for index, char in enumerate(reversed(candidate)):
            value = int(char) * (2 if index % 2 else 1)
            total += value - 9 if value > 9 else value
        if total % 10 == 0:
            return digit
    raise AssertionError("unreachable")


def make_siret(seed: int) -> str:
    """A valid SIRET: SIREN of 8 digits + its Luhn digit, NIC of 4 digits + the SIRET's Luhn digit."""
    siren8 = f"{seed:08d}"
    siren = siren8 + _luhn_digit(siren8)
    body = siren + "0001"
    return body + _luhn_digit(body)


class Clock:
    """The server's clock as the test sets it."""

    def __init__(self, now: dt.datetime = START) -> None:
        self.now = now

    def __call__(self) -> dt.datetime:
        return self.now

    def advance(self, **delta: float) -> dt.datetime:
        self.now += dt.timedelta(**delta)
        return self.now


@dataclass
class World:
    platform: Platform
    clock: Clock
    region: Organisation
    admin: User
    buyer: User
    evaluator: User
    other_buyer: User
    supplier_a: User
    supplier_b: User
    operator: User

    def ctx(self, user: User | None) -> Context:
        return self.platform.context(user)

    def consultation(self, **overrides: object) -> Consultation:
        """A draft that passes every publication rule (art. 35 included), deadline 40 days ahead."""
        values: dict[str, object] = {
            "title": "Fourniture de mobilier scolaire pour les lycées", "procedure": "Appel d'offres ouvert",
            "contract_type": "Fournitures", "cpv": "39160000", "estimated_value": Decimal("450000"),
            "duree_mois": 24, "lieu_execution": "35", "deadline": self.clock.now + dt.timedelta(days=40),
            "description": "Tables, chaises et rangements pour 12 lycées.",
        }
        values.update(overrides)
        with self.platform.db.begin() as session:
            draft = consultations.create_draft(session, self.ctx(self.buyer), **values)
            consultations.set_criteria(session, self.ctx(self.buyer), draft.id, [
                CriterionSpec("Prix", "price", Decimal(50)),
                CriterionSpec("Valeur technique", "technical", Decimal(30)),
                CriterionSpec("Performance environnementale (bois certifié, réparabilité)", "environmental",
                              Decimal(20)),
            ])
            consultations.set_clauses(session, self.ctx(self.buyer), draft.id, [
                ("environmental", "Reprise et recyclage des emballages."),
                ("social", "Insertion : 5 % des heures travaillées par des personnes éloignées de l'emploi."),
            ])
            return draft

    def published(self, **overrides: object) -> Consultation:
        draft = self.consultation(**overrides)
        with self.platform.db.begin() as session:
            return consultations.publish(session, self.ctx(self.buyer), draft.id)


def build_world(engine: Engine, data_dir: Path) -> World:
    clock = Clock()
    settings = Settings(data_dir=data_dir)
    platform = Platform.open(settings, engine=engine, migrate=False, clock=clock)
    system = platform.context(None, actor="test")
    with platform.db.begin() as session:
        region = accounts.create_organisation(session, system, kind="buyer", siret=make_siret(23500001),
                                              name="Région Bretagne", departement="35")
        other = accounts.create_organisation(session, system, kind="buyer", siret=make_siret(22900002),
                                             name="Département du Finistère", departement="29")
        users = {
            role: accounts.create_user(session, system, email=f"{role}@bretagne.bzh", full_name=role.title(),
                                       password=PASSWORD, organisation=region, role=role)
            for role in ("admin", "buyer", "evaluator")
        }
        other_buyer = accounts.create_user(session, system, email="acheteur@finistere.fr", full_name="Autre",
                                           password=PASSWORD, organisation=other, role="buyer")
        supplier_a = accounts.register_supplier(session, system, siret=make_siret(44300003),
                                                company_name="Menuiserie Armor", email="offres@armor.fr",
                                                full_name="Anne Le Gall", password=PASSWORD, sme=True)
        supplier_b = accounts.register_supplier(session, system, siret=make_siret(55200004),
                                                company_name="Mobilier Ouest SA", email="ao@mobilier-ouest.fr",
                                                full_name="Yann Morvan", password=PASSWORD, sme=False)
        operator = accounts.create_user(session, system, email="ops@plateforme.bzh", full_name="Opérateur",
                                        password=PASSWORD, organisation=None, role=None, is_platform_admin=True)
    return World(platform, clock, region, users["admin"], users["buyer"], users["evaluator"], other_buyer,
                 supplier_a, supplier_b, operator)


@pytest.fixture
def world(platform_engine: Engine, tmp_path: Path) -> Iterator[World]:
    built = build_world(platform_engine, tmp_path / "data")
    yield built
    built.platform.close()
