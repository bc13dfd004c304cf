"""Cleaning of ``codeCPV``: returns the 8-digit CPV root (no check digit), as used by every CPV join.

Why: per-CPV-division indicators, Egalim scoping and spend-based emissions all key on the CPV, and real files
carry 7-digit codes (a leading zero lost by a spreadsheet), 9 digits without the dash, internal spaces, free
text around the code and empty codes (``../shared/docs/domain.md`` §1 pitfall 7).

Check digit: the CPV 2008 check digits (the ``-K`` suffix) cannot be recomputed. The published Commission
documentation describes a 7-1-3 weighting, but the check digits printed in Regulation (EC) 213/2008 do not
follow it, as the Commission's DG GROW confirmed (OP-TED/ePO discussion #589, March 2024); no tested algorithm
(Luhn, mod 10/11 with any 3-weight cycle) reproduces the 9 454 codes of
``../shared/data/reference/cpv_2008.csv``. So no algorithm is used: without a reference table the suffix is
stripped and trusted; with one (``check_digits``: code8 → official check digit, built by the caller from the
official list) a wrong suffix is flagged ``cpv:cle`` and an unlisted code ``cpv:inconnu``.

Flags: ``cpv:manquant``, ``cpv:illisible`` (value None), ``cpv:zero_manquant`` (7 digits padded),
``cpv:format`` (9 digits without dash, inner spaces, number instead of string), ``cpv:texte`` (code extracted
from free text), ``cpv:inconnu`` (division, or with ``check_digits`` code, not in CPV 2008; kept), ``cpv:cle``
(wrong suffix)."""

from __future__ import annotations

import math
import re
from collections.abc import Mapping

from spaser.domain.cleaned import Cleaned

# The 45 divisions of CPV 2008 (Regulation (EC) 213/2008), constant since 2008.
DIVISIONS = frozenset({
    "03", "09", "14", "15", "16", "18", "19", "22", "24", "30", "31", "32", "33", "34", "35",
    "37", "38", "39", "41", "42", "43", "44", "45", "48", "50", "51", "55", "60", "63", "64",
    "65", "66", "70", "71", "72", "73", "75", "76", "77", "79", "80", "85", "90", "92", "98",
})

_CODE = re.compile(r"(\d{7,9})(?:-(\d))?", re.ASCII)
_DIGITS_AND_SPACES = re.compile(r"[\d\s.]+(?:-\s*\d)?", re.ASCII)
_SPACES = re.compile(r"[\s.]+")
_IN_TEXT = re.compile(r"(?<!\d)(\d{8})(?:\s?-\s?(\d))?(?!\d)", re.ASCII)

_MANQUANT = Cleaned[str](None, ("cpv:manquant",))
_ILLISIBLE = Cleaned[str](None, ("cpv:illisible",))


def clean_cpv(value: object, check_digits: Mapping[str, str] | None = None) -> Cleaned[str]:
    """Extract the 8-digit CPV root from what the record holds and flag what was not clean; never raises."""
    # Fast paths: "45000000" (~95 % of 2019 records) and "45000000-7" (the v1.5 pattern, common in 2022
    # files).
    if type(value) is str and value.isascii():
        if len(value) == 8 and value.isdigit():
            if (value in check_digits) if check_digits is not None else (value[:2] in DIVISIONS):
                return Cleaned(value, ())
        elif len(value) == 10 and value[8] == "-" and value[:8].isdigit() and value[9].isdigit():
            code = value[:8]
            if check_digits is None:
                if code[:2] in DIVISIONS:
                    return Cleaned(code, ())
            elif check_digits.get(code) == value[9]:
                return Cleaned(code, ())
    if value is None:
        return _MANQUANT
    flags: list[str] = []
    if isinstance(value, bool):
        return _ILLISIBLE
    if isinstance(value, float) and math.isfinite(value) and value.is_integer():
        value = int(value)
    if isinstance(value, int):
        text = str(value)
        flags.append("cpv:format")  # a JSON number: leading zeros are gone
    elif isinstance(value, str):
        text = value.strip()  # "71315400-3 ": Croix file, trailing space (no flag: no information lost)
    else:
        return _ILLISIBLE
    if not text:
        # "codeCPV": "": 22 records of the Croix file (e.g. id 2021040000000000).
        return _MANQUANT
    match = None
    if _DIGITS_AND_SPACES.fullmatch(text):
        compact = _SPACES.sub("", text)
        if compact != text:
            # "66516 000": Croix file, id 2021mdxsc0000000.
            flags.append("cpv:format")
        match = _CODE.fullmatch(compact)
    if match is not None:
        digits, check = match[1], match[2]
        if len(digits) == 9:
            if check is not None:
                return _ILLISIBLE
            # "031210005": marches-publics.info_2019-03-07.json id 201918MSG060500: 03121000 + check digit 5
            # without the dash.
            digits, check = digits[:8], digits[8]
            flags.append("cpv:format")
        elif len(digits) == 7:
            # "3111000" (marches-publics.info id 201818AC0010100), "9310000" (AIFE id 2018q6Wc6zDqJJ00): lost
            # leading zero. "4543100-7" (marches-publics.info id 2019010400) lost a trailing zero instead.
            digits = _pad(digits, check, check_digits)
            flags.append("cpv:zero_manquant")
    else:
        found = _IN_TEXT.search(text)
        if found is None:
            # "0": AIFE file, id 2018nbghaVZXQa00.
            return _ILLISIBLE
        # Free text around the code: "45000000-7 Travaux de construction" (domain.md §1.7).
        digits, check = found[1], found[2]
        flags.append("cpv:texte")
    if digits.strip("0") == "":
        return _ILLISIBLE  # "00000000": a placeholder, not division 00
    if check_digits is not None:
        official = check_digits.get(digits)
        if official is None:
            flags.append("cpv:inconnu")
        elif check is not None and check != official:
            # "90620000-1" where CPV 2008 says 90620000-9: marches-publics.info id 20180001-0200.
            flags.append("cpv:cle")
    elif digits[:2] not in DIVISIONS:
        flags.append("cpv:inconnu")
    return Cleaned(digits, tuple(flags))


def _pad(digits: str, check: str | None, check_digits: Mapping[str, str] | None) -> str:
    """Restore the lost zero of a 7-digit code: leading by default (03…/09… divisions), trailing when only
    that gives an existing code (and, with the official table, the same check digit)."""
    left, right = "0" + digits, digits + "0"
    if check_digits is not None:
        for candidate in (left, right):
            if candidate in check_digits and (check is None or check_digits[candidate] == check):
                return candidate
        for candidate in (left, right):
            if candidate in check_digits:
                return candidate
        return left
    if left[:2] not in DIVISIONS and right[:2] in DIVISIONS:
        return right
    return left
