"""Scale, shares and calendar of the synthetic DECP file.

Every knob that decides *how much* is generated lives here, apart from the code that draws it, so that
the calibration (record size, national-file volumes, share of each injected phenomenon) can be read and
changed in one place, and every other module imports the same values.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

GENERATOR_VERSION = "1"
DEFAULT_RECORDS = 1_500_000
DEFAULT_SEED = 42
# Size calibration: a compact record (one per line) weighs ~1.09 KB, so 1.5 M records ~ 1.63 GB like the
# national file; fully pretty-printed (indent=2) the same records weigh ~1.79 KB (1.5 M ~ 2.7 GB).
DEFAULT_INDENT = 0
CHUNK_SLOTS = 10_000  # records generated and written per chunk (memory stays flat)

N_BUYERS = 27_000
N_SUPPLIERS = 194_000

# Shares of the injected phenomena (of the total number of records).
SHARE_CONCESSIONS = 0.01
SHARE_DUPLICATES = 0.05
SHARE_DEFECTIVE = 0.0095
SHARE_UNIDENTIFIABLE = 0.0005
SHARE_NON_OBJECT = 0.0001
SHARE_LOT_RECORDS = 0.03

RESERVOIR_SIZE = 20_000  # clean records kept (reservoir sampling) to draw the republications from

Json = dict[str, Any]

# Calendar: every date of the file is an index into DATES (2024-01-01 .. DATE_LAST). DATE_LAST is the day the
# file was extracted: no date in it is later (a later one is clipped to it), as in a real extract. With a calendar
# reaching past the day the benchmark runs, publications, modifications and sub-contracting acts dated after it
# were flagged ``:future`` and sent down the slow path, a share that changed from one day to the next (4.5 % of the
# records on 2026-12-01). Notifications stop at NOTIF_LAST so that most later events still fit before DATE_LAST.
DATE_ORIGIN = dt.date(2024, 1, 1)
NOTIF_LAST = dt.date(2026, 10, 31)
DATE_LAST = dt.date(2026, 11, 15)
DATES: list[str] = [(DATE_ORIGIN + dt.timedelta(days=i)).isoformat() for i in range((DATE_LAST - DATE_ORIGIN).days + 1)]
MAX_DAY = len(DATES) - 1
