"""Cleaning of DECP dates (notification, publication, signature, début d'exécution, modifications…).

Why: the schemas ask for ``YYYY-MM-DD`` (v1.5 also allows a ``+hh:mm`` suffix) but real files carry time-zone
suffixes, ``2019-1-1``, ``dd/mm/yyyy``, ``September, 16 2021 00:00:00``, impossible years (``0218``,
``5021``), pandas ``"nan"`` and future dates (``../shared/docs/domain.md`` §1 pitfall 4). Dates drive every
per-year indicator and the publication-delay indicator, so a date is loaded when it can be read and flagged
when it was not clean; an impossible year is dropped (a 0218 notification would land in the wrong century of
every chart).

Flags (``"<field>:<defect>"``): ``manquant``, ``fuseau`` (time-zone suffix, date kept as written), ``format``
(other layout, or a time part), ``annee_impossible`` (year < 1950 or > today.year + 10, value None),
``illisible`` (value None), ``nan`` (NaN / "nan", value None), ``future`` (after ``today``, kept).
"""

from __future__ import annotations

import datetime as dt
import math
import re

from spaser.domain.cleaned import Cleaned

MIN_YEAR = 1950
MAX_YEARS_AHEAD = 10

# ISO-like: year-month-day with 1- or 2-digit month/day, then an optional time and an optional zone.
_ISO = re.compile(
    r"(\d{4})-(\d{1,2})-(\d{1,2})"
    r"(?P<time>[T ]\d{1,2}:\d{2}(?::\d{2}(?:[.,]\d+)?)?)?"
    r"(?P<tz>Z|[+-]\d{2}(?::?\d{2})?)?",
    re.IGNORECASE | re.ASCII,
)
# French layout dd/mm/yyyy (also dd-mm-yyyy, dd.mm.yyyy), optionally followed by a time.
_DMY = re.compile(
    r"(\d{1,2})[/.-](\d{1,2})[/.-](\d{4})(?:[T ]+\d{1,2}[:h]\d{2}(?::\d{2})?)?", re.IGNORECASE | re.ASCII
)
# English month name: "September, 16 2021 00:00:00", "Sep 16, 2021", "September 16 2021".
_MONTH_FIRST = re.compile(
    r"([A-Za-z]{3,9})\.?,?\s+(\d{1,2}),?\s+(\d{4})(?:,?\s+\d{1,2}:\d{2}(?::\d{2})?(?:\s*[AP]M)?)?",
    re.IGNORECASE | re.ASCII,
)
_MONTHS = {
    name: number
    for number, names in enumerate(
        (
            ("january", "jan"), ("february", "feb"), ("march", "mar"), ("april", "apr"), ("may",),
            ("june", "jun"), ("july", "jul"), ("august", "aug"), ("september", "sep", "sept"),
            ("october", "oct"), ("november", "nov"), ("december", "dec"),
        ),
        start=1,
    )
    for name in names
}


def clean_date(value: object, field: str, today: dt.date) -> Cleaned[dt.date]:
    """Read a date in any layout seen in DECP files and flag what was not clean; never raises."""
    # Fast path: an ISO date string, as in almost every record ("2024-05-30").
    if type(value) is str and len(value) == 10 and value[4] == "-" and value[7] == "-" and value[5] != "W":
        try:
            day = dt.date.fromisoformat(value)
        except ValueError:
            pass  # "2019-13-45", "0218-1x-29"…: the slow path says why
        else:
            if day <= today and day.year >= MIN_YEAR:
                return Cleaned(day, ())
            return _check(day.year, day.month, day.day, field, today, ())
    if value is None:
        return Cleaned(None, (f"{field}:manquant",))
    if isinstance(value, dt.datetime):  # from an XML/YAML reader that already typed the value
        value = value.date()
    if isinstance(value, dt.date):
        return _check(value.year, value.month, value.day, field, today, ())
    if isinstance(value, float) and math.isnan(value):
        return Cleaned(None, (f"{field}:nan",))
    if not isinstance(value, str):
        return Cleaned(None, (f"{field}:illisible",))
    return _parse_text(value, field, today)


def _parse_text(value: str, field: str, today: dt.date) -> Cleaned[dt.date]:
    text = value.strip()
    if not text:
        return Cleaned(None, (f"{field}:manquant",))
    if text.lower() == "nan":
        # "dateDebutExecution": "nan" — pandas artefact, semi-synthetic decp_test_2022.json id 2020F00075.
        return Cleaned(None, (f"{field}:nan",))
    iso = _ISO.fullmatch(text)
    if iso:
        flags: tuple[str, ...] = ()
        if len(text) < 10 or iso["time"]:
            # "2019-1-1": marches-publics.info_2019-03-07.json, id 20180300 (dateDebutExecution).
            flags = (f"{field}:format",)
        if iso["tz"]:
            # "2018-11-27+01:00": 173 dates of marches-publics.info_2019-03-07.json (e.g. id 20180001-0200).
            # The date is kept as written: the zone says where the day was, not that it must be shifted.
            flags = (*flags, f"{field}:fuseau")
        return _check(int(iso[1]), int(iso[2]), int(iso[3]), field, today, flags)
    dmy = _DMY.fullmatch(text)
    if dmy:
        # dd/mm/yyyy: domain.md §1.4 (French exports and tabular CSVs); day first, as written in France.
        return _check(int(dmy[3]), int(dmy[2]), int(dmy[1]), field, today, (f"{field}:format",))
    named = _MONTH_FIRST.fullmatch(text)
    if named and named[1].lower() in _MONTHS:
        # "September, 16 2021 00:00:00": domain.md §1.4 (an English-locale export of the national file).
        month = _MONTHS[named[1].lower()]
        return _check(int(named[3]), month, int(named[2]), field, today, (f"{field}:format",))
    return Cleaned(None, (f"{field}:illisible",))


def _check(year: int, month: int, day: int, field: str, today: dt.date,
           flags: tuple[str, ...]) -> Cleaned[dt.date]:
    if year < MIN_YEAR or year > today.year + MAX_YEARS_AHEAD:
        # "0218-10-29": marches-publics.info_2019-03-07.json id 021803cloture00 (typo for 2018); "5021-…" in
        # the national file (domain.md §1.4). No safe repair: 0218 could be 2018 or 2021.
        return Cleaned(None, (*flags, f"{field}:annee_impossible"))
    try:
        date = dt.date(year, month, day)
    except ValueError:
        return Cleaned(None, (*flags, f"{field}:illisible"))
    if date > today:
        # Notification in the future: Nice/Atexo export, id_marche "20253 LOT2" notified 2027-07-22. Kept.
        flags = (*flags, f"{field}:future")
    return Cleaned(date, flags)
