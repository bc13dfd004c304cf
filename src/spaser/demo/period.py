"""The period of the demonstration and the drawing of dates within it.

Contracts are notified from January 2022 to September 2026 (five notification years, the last one partial) and
every date of the files (publications, modifications, subcontracting acts) stops at the end of October 2026, so
that the dataset is the same whatever the day it is generated on.
"""

from __future__ import annotations

import calendar
import datetime as dt
import random
from typing import Final

YEARS: Final = (2022, 2023, 2024, 2025, 2026)
#: Consultations per year relative to 2024 (2026: January to September only).
YEAR_FACTORS: Final[dict[int, float]] = {2022: 0.82, 2023: 0.93, 2024: 1.0, 2025: 1.05, 2026: 0.74}
LAST_NOTIFICATION: Final = dt.date(2026, 9, 30)
LAST_DATE: Final = dt.date(2026, 10, 31)
#: Seasonality of notifications (January … December): few in August, many before the summer and in December.
MONTH_WEIGHTS: Final = (7, 8, 9, 9, 8, 10, 10, 4, 8, 8, 9, 10)
#: Loi Climat et Résilience art. 35 applies to consultations launched from this day.
ARTICLE_35: Final = dt.date(2026, 8, 21)


def notification_day(rng: random.Random, year: int) -> dt.date:
    last_month = LAST_NOTIFICATION.month if year == LAST_NOTIFICATION.year else 12
    month = rng.choices(range(1, last_month + 1), weights=MONTH_WEIGHTS[:last_month])[0]
    day = rng.randint(1, calendar.monthrange(year, month)[1])
    date = dt.date(year, month, day)
    if date.weekday() >= 5:  # notified on a working day: the next Monday, else the Friday before
        monday = date + dt.timedelta(days=7 - date.weekday())
        date = monday if monday.year == year and monday <= LAST_NOTIFICATION else \
            date - dt.timedelta(days=date.weekday() - 4)
    return date


def capped(date: dt.date) -> dt.date:
    return min(date, LAST_DATE)


def later(date: dt.date, days: int) -> dt.date:
    return capped(date + dt.timedelta(days=days))


def iso(date: dt.date) -> str:
    return date.isoformat()
