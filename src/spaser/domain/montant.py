"""Cleaning of DECP amounts (``montant``, ``valeurGlobale``, ``montantSubventionPublique``, tarifs…).

Why: a naive national total of DECP amounts reaches ~10 000 billion € because of zeros, placeholders
(999 999 999), values ≥ 1e9 and amounts typed as strings (``../shared/docs/domain.md`` §1 pitfall 3). The rule
is to *flag* suspicious amounts and exclude them from value indicators (:func:`is_suspicious`), never to
"correct" them: the value is only ever parsed, never rescaled (no centimes guess).

Flags (``"<field>:<defect>"``): ``manquant``, ``texte`` (string parsed: fixable), ``illisible`` (value None),
``zero``, ``negatif``, ``placeholder``, ``aberrant`` (≥ ``aberrant``), ``nan`` (NaN/inf, value None).
"""

from __future__ import annotations

import math
import re
from decimal import Decimal, InvalidOperation
from numbers import Real

from spaser.domain.cleaned import Cleaned

# Defects that make an amount unusable for value indicators (counted, but not summed).
SUSPICIOUS_DEFECTS = frozenset({"zero", "negatif", "placeholder", "aberrant", "illisible", "nan"})

# Smallest all-9 placeholder: 9 999 999 (99 999 999, 999 999 999… seen in real files, see _is_placeholder).
PLACEHOLDER_MIN = 9_999_999.0

# Characters dropped before parsing a string amount: spaces used as thousands separators (incl. the no-break
# and narrow no-break spaces French software writes), the euro sign, and apostrophes (Swiss-style "1'234").
_NOISE = re.compile(r"[\s\u00a0\u202f\u2009'€]|(?i:eur(?:os?)?)$")
_NUMBER = re.compile(r"[+-]?(?:\d+(?:\.\d*)?|\.\d+)(?:[eE][+-]?\d+)?")
_GROUPED = re.compile(r"[+-]?\d{1,3}(?:([.,])\d{3})(?:\1\d{3})*")  # "1,234,567" or "1.234.567"


def clean_montant(value: object, field: str = "montant", aberrant: float = 1e9) -> Cleaned[float]:
    """Parse an amount (int, float or French-formatted string) and flag what is wrong; never raises."""
    # Fast path: a plain number in the ordinary range, as in almost every JSON record.
    if type(value) is float or type(value) is int:
        if 0 < value < PLACEHOLDER_MIN and value < aberrant:
            return Cleaned(float(value), ())
        return _check(value, field, aberrant, ())
    if value is None:
        return Cleaned(None, (f"{field}:manquant",))
    if isinstance(value, str):
        return _parse_text(value, field, aberrant)
    # bool is an int subclass: `true` in an amount field is a broken record, not 1 €.
    if isinstance(value, bool):
        return Cleaned(None, (f"{field}:illisible",))
    if isinstance(value, (int, float, Decimal, Real)):  # numpy scalars, Decimal from a strict JSON reader
        return _check(value, field, aberrant, ())
    return Cleaned(None, (f"{field}:illisible",))


def _parse_text(text: str, field: str, aberrant: float) -> Cleaned[float]:
    # Strings: Ville de Croix file (marches-securises_ville-de-croix_2019-2021.json, id 202117F000000000)
    # types every amount as a string ("30000.00"); the Nice/Atexo export has "999999999.0000". Parsed, flagged
    # `texte`.
    stripped = text.strip()
    if not stripped:
        return Cleaned(None, (f"{field}:manquant",))
    number: float | None
    try:
        number = float(stripped)  # "30000.00", "1e12", " 12 "
    except ValueError:
        number = _parse_french(stripped)  # "30 000,50 €"
    if number is None:
        return Cleaned(None, (f"{field}:illisible",))
    return _check(number, field, aberrant, (f"{field}:texte",))


def _parse_french(text: str) -> float | None:
    """'30 000,50 €' → 30000.5; '1.234.567,89' → 1234567.89; '1,234,567' → 1234567.0; else None."""
    compact = _NOISE.sub("", text)
    if "," in compact and "." in compact:
        # Both separators: the last one is the decimal separator, the other groups thousands.
        if compact.rfind(",") > compact.rfind("."):
            compact = compact.replace(".", "").replace(",", ".")
        else:
            compact = compact.replace(",", "")
    elif compact.count(",") == 1:
        compact = compact.replace(",", ".")  # French decimal comma
    elif _GROUPED.fullmatch(compact):
        compact = compact.replace(",", "").replace(".", "")  # "1,234,567" / "1.234.567": grouping only
    if not _NUMBER.fullmatch(compact):
        return None
    return float(compact)


def _check(value: object, field: str, aberrant: float, flags: tuple[str, ...]) -> Cleaned[float]:
    try:
        number = float(value)  # type: ignore[arg-type]
    except (OverflowError, ValueError, TypeError):  # int beyond float range, odd numeric types
        return Cleaned(None, (*flags, f"{field}:illisible"))
    if math.isnan(number) or math.isinf(number):
        # NaN in JSON: MINEF/pandas exports (semi-synthetic decp-processing_decp_test_2022.json has a NaN
        # field). A "nan" string is the same pandas artefact: flagged `nan` only, not also `texte`.
        return Cleaned(None, (f"{field}:nan",))
    if number == 0:
        # 0: 53 marchés of marches-publics.info_2019-03-07.json (e.g. id 2018MC1804600), Croix "0.00".
        return Cleaned(0.0, (*flags, f"{field}:zero"))
    if number < 0:
        # Negative amounts: AIFE file reports montant ≤ 0 (domain.md §1.3); kept, excluded from sums.
        flags = (*flags, f"{field}:negatif")
    elif number >= PLACEHOLDER_MIN:
        # 999 999 999: marches-publics.info_2019-03-07.json id 2018E030000; Nice/Atexo "999999999.0000".
        if _is_placeholder(number):
            flags = (*flags, f"{field}:placeholder")
        # ≥ 1e9: semi-synthetic decp_test_2022.json id 2020F00075 has 1e17; Nice/Atexo 99999999999999.
        if number >= aberrant:
            flags = (*flags, f"{field}:aberrant")
    elif number >= aberrant:  # a caller-chosen threshold below the placeholder range
        flags = (*flags, f"{field}:aberrant")
    return Cleaned(number, flags)


def _is_placeholder(number: float) -> bool:
    """All nines (ignoring a decimal point and trailing zeros): 9 999 999, 99 999 999.99, 999 999 999…"""
    if number > 1e18:
        return False
    digits = f"{number:.2f}".rstrip("0").rstrip(".").replace(".", "")
    return len(digits) >= 7 and digits.strip("9") == ""


def is_suspicious(flags: tuple[str, ...]) -> bool:
    """True when the amount must be excluded from value indicators (zero, negative, placeholder…)."""
    return any(f.rpartition(":")[2] in SUSPICIOUS_DEFECTS for f in flags)


def parse_decimal(value: object, field: str, what: str) -> Decimal:
    """An exact number as a person types it in French or English: « 1 234,50 », "1234.50", "60 %" (spaces,
    narrow no-break spaces and a trailing % ignored, comma or dot as decimal mark); else an InputError naming the
    field and the value. Used for bid amounts, estimated values, weights and scores (exact, unlike the float
    cleaning of DECP amounts above)."""
    from spaser.errors import InputError

    text = str(value).replace("\u202f", "").replace("\u00a0", "").replace(" ", "").rstrip("%").replace(",", ".")
    try:
        number = Decimal(text)
    except InvalidOperation:
        raise InputError(f"{field}: {value!r} is not {what}") from None
    if not number.is_finite():
        raise InputError(f"{field}: {value!r} is not {what}")
    return number
