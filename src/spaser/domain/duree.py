"""Cleaning of ``dureeMois`` (contract, modification and sub-contracting durations, in months).

Why: durations feed the duration-extension indicator and the annualisation of amounts (emissions), yet real
files carry "NC", strings, decimals, 0, durations in days typed as months (360, 365…) and values above 1 200
months (``../shared/docs/domain.md`` §1 pitfall 5). Readable values are kept and flagged; a value is never
rescaled (360 may be 30 years of a concession, or 360 days): the flag lets indicators decide.

Flags (``"<field>:<defect>"``): ``manquant``, ``nc`` ("NC", value None), ``illisible`` (value None), ``texte``
(string parsed), ``decimal`` (rounded up), ``zero`` (kept), ``negatif`` (value None), ``nan`` (value None),
``jours_probable`` (kept), ``excessive`` (> 1 200, kept).
"""

from __future__ import annotations

import math
import re

from spaser.domain.cleaned import Cleaned

DAYS_FROM = 300  # below this, a multiple of 30 is a plausible number of months (e.g. 120 = 10 years)
EXCESSIVE_FROM = 1200  # 100 years
MAX_MONTHS = 2**31 - 1  # beyond this a value is garbage and would overflow integer columns downstream
# Day counts of whole years, leap days included: 365/366, 730/731, 1095/1096, 1460/1461, 1825/1826.
_YEAR_DAYS = frozenset({366, 731, 1096, 1461, 1826})
_NC = frozenset(
    {"nc", "n/c", "n.c", "n.c.", "n c", "non communique", "non communiqué", "non connu", "inconnu"}
)
_NUMBER = re.compile(r"[+-]?\d+(?:[.,]\d*)?", re.ASCII)


def clean_duree_mois(value: object, field: str = "dureeMois") -> Cleaned[int]:
    """Read a duration in months and flag what is wrong with it; never raises."""
    # Fast path: a plain int in the ordinary range, as in almost every JSON record.
    if type(value) is int and 0 < value < DAYS_FROM:
        return Cleaned(value, ())
    if value is None:
        return Cleaned(None, (f"{field}:manquant",))
    if isinstance(value, bool):
        return Cleaned(None, (f"{field}:illisible",))
    if isinstance(value, int):
        return _check(value, field, ())
    if isinstance(value, float):
        return _from_float(value, field, ())
    if isinstance(value, str):
        return _parse_text(value, field)
    return Cleaned(None, (f"{field}:illisible",))


def _parse_text(value: str, field: str) -> Cleaned[int]:
    # Strings: every duration of the Ville de Croix file is a string ("dureeMois": "36",
    # marches-securises_ville-de-croix_2019-2021.json id 202117F000000000).
    text = value.strip()
    if not text:
        return Cleaned(None, (f"{field}:manquant",))
    if text.lower() in _NC:
        # "dureeMois": "NC": semi-synthetic decp-processing_decp_test_2019.json id 2019-VI2022.242.
        return Cleaned(None, (f"{field}:nc",))
    if not _NUMBER.fullmatch(text):
        return Cleaned(None, (f"{field}:illisible",))
    if text.isdigit():
        return _check(int(text), field, (f"{field}:texte",))
    return _from_float(float(text.replace(",", ".")), field, (f"{field}:texte",))


def _from_float(value: float, field: str, flags: tuple[str, ...]) -> Cleaned[int]:
    if math.isnan(value) or math.isinf(value):
        return Cleaned(None, (f"{field}:nan",))
    if value < 0:
        return Cleaned(None, (*flags, f"{field}:negatif"))
    months = math.ceil(value)
    if months != value:
        # 1.5 months: marches-publics.info_2019-03-07.json id 20180024MP01 (modification). Rounded up: a
        # started month is a month of contract.
        flags = (*flags, f"{field}:decimal")
    return _check(months, field, flags)


def _check(months: int, field: str, flags: tuple[str, ...]) -> Cleaned[int]:
    if months <= 0:
        if months == 0:
            # "dureeMois": "0": Croix file id 2019h6vxx0000022. Kept (a 0 is an answer), flagged.
            return Cleaned(0, (*flags, f"{field}:zero"))
        # Negative: no real record in ../shared/data; a sign typo cannot be told from a garbage value.
        return Cleaned(None, (*flags, f"{field}:negatif"))
    if months > MAX_MONTHS:
        return Cleaned(None, (*flags, f"{field}:illisible"))
    if months >= DAYS_FROM and (months % 30 == 0 or months % 365 == 0 or months in _YEAR_DAYS):
        # 360, 365, 730…: a duration in days typed as months (domain.md §1.5). Kept: 360 months is also a
        # plausible 30-year concession.
        flags = (*flags, f"{field}:jours_probable")
    if months > EXCESSIVE_FROM:
        flags = (*flags, f"{field}:excessive")
    return Cleaned(months, flags)
