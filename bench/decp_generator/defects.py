"""Injected defects: fixable field defects, unidentifiable records and items that are not objects.

Real DECP files carry such defects (amounts as strings or placeholders, dates with a time zone or in
dd/mm/yyyy, 7-digit CPV codes, SIRETs with spaces or a bad key, upper-case enumerations, records without
identifiers, bare strings in the record list). Ingestion must still load the first kind (repaired or
flagged) and quarantine the others; each injection is counted in the truth so that the benchmark can
check both.
"""

from __future__ import annotations

from typing import Any

import msgspec
import numpy as np

from .enumerations import DEFECT_CDF, DEFECT_KINDS
from .identifiers import break_luhn, digits14
from .sampling import draw
from .settings import Json
from .truth import Truth
from .vocabulary import NON_OBJECT_STRINGS


class DefectInjector:
    """Turns clean records into defective ones, drawing from the main generator ``rng``."""

    def __init__(self, rng: np.random.Generator, cpv_zero_div: list[str], truth: Truth) -> None:
        self.rng = rng
        self.cpv_zero_div = cpv_zero_div
        self.truth = truth

    def apply(self, rec: Json) -> None:
        """Give ``rec`` one fixable defect, of a kind drawn with ``DEFECT_CDF``."""
        rng = self.rng
        kind = DEFECT_KINDS[int(draw(rng, DEFECT_CDF, 1)[0])]
        if kind == "montant_string":
            rec["montant"] = f"{float(rec['montant']):.2f}"
        elif kind == "montant_zero":
            rec["montant"] = 0
        elif kind == "montant_placeholder":
            rec["montant"] = 999_999_999 if rng.random() < 0.6 else 99_999_999
        elif kind == "montant_1e12":
            rec["montant"] = msgspec.Raw(b"1e12") if rng.random() < 0.5 else 1.0e13
        elif kind == "date_tz_suffix":
            rec["dateNotification"] = rec["dateNotification"] + "+01:00"
            if rng.random() < 0.5:
                rec["datePublicationDonnees"] = rec["datePublicationDonnees"] + "+02:00"
        elif kind == "date_bad_year":
            d = rec["dateNotification"]
            rec["dateNotification"] = ("0" + d[1:]) if rng.random() < 0.7 else ("5" + d[1:])
        elif kind == "date_ddmmyyyy":
            y, mo, da = rec["dateNotification"].split("-")
            rec["dateNotification"] = f"{da}/{mo}/{y}"
        elif kind == "duree_nc":
            rec["dureeMois"] = "NC"
        elif kind == "cpv_7_digits":
            code = self.cpv_zero_div[int(rng.integers(0, len(self.cpv_zero_div)))]
            rec["codeCPV"] = code[1:8]
        elif kind == "siret_spaces":
            if rng.random() < 0.5:
                s = rec["acheteur"]["id"]
                rec["acheteur"] = {"id": f"{s[:3]} {s[3:6]} {s[6:9]} {s[9:]}"}
            else:
                t = rec["titulaires"][0]["titulaire"]
                s = t["id"]
                rec["titulaires"][0] = {
                    "titulaire": {
                        "typeIdentifiant": t["typeIdentifiant"],
                        "id": f"{s[:3]} {s[3:6]} {s[6:9]} {s[9:]}",
                    }
                }
        elif kind == "siret_bad_key":
            target = rec["acheteur"]["id"] if rng.random() < 0.4 else None
            if target is not None:
                rec["acheteur"] = {"id": break_luhn(target)}
            else:
                t = rec["titulaires"][0]["titulaire"]
                rec["titulaires"][0] = {"titulaire": {"typeIdentifiant": "SIRET", "id": break_luhn(digits14(t["id"]))}}
        elif kind == "enum_upper":
            field_name = ("procedure", "nature", "ccag", "formePrix")[int(rng.integers(0, 4))]
            rec[field_name] = str(rec[field_name]).upper()
        self.truth.defective[kind] += 1
        self.truth.defective["total"] += 1

    def non_object(self) -> Any:
        """An item that is not an object: a number or a string in place of a record."""
        self.truth.non_object += 1
        r = int(self.rng.integers(0, 4))
        if r == 0:
            return 0
        if r == 1:
            return 20240117
        return NON_OBJECT_STRINGS[int(self.rng.integers(0, len(NON_OBJECT_STRINGS)))]

    def unidentifiable(self, rec: Json) -> Json:
        """``rec`` without ``id`` and without ``acheteur.id``: nothing can identify it."""
        self.truth.unidentifiable += 1
        del rec["id"]
        if self.rng.random() < 0.5:
            del rec["acheteur"]
        else:
            rec["acheteur"] = {}
        return rec
