"""The consultation's states and the transitions between them (pure).

    draft ──publish──▶ published ──(deadline passes)──▶ closed ──open──▶ opened ──▶ evaluation
      │                    │                                                          │
      └──cancel──▶ cancelled ◀──cancel── (any state before awarded)        award ──▶ awarded
                                                          unsuccessful ◀── declare (no or no acceptable bid)

"closed" is not stored: a published consultation whose deadline has passed is closed by the server's clock,
so no job has to run at the deadline for late deposits to be refused.
"""

from __future__ import annotations

import datetime as dt

from spaser.errors import ConflictError

STORED = ("draft", "published", "opened", "evaluation", "awarded", "cancelled", "unsuccessful")
TRANSITIONS: dict[str, tuple[str, ...]] = {
    "publish": ("draft",),
    "open": ("closed",),
    "start_evaluation": ("opened",),
    "award": ("opened", "evaluation"),
    "cancel": ("draft", "published", "closed", "opened", "evaluation"),
    "declare_unsuccessful": ("closed", "opened", "evaluation"),
}
TARGET = {"publish": "published", "open": "opened", "start_evaluation": "evaluation", "award": "awarded",
          "cancel": "cancelled", "declare_unsuccessful": "unsuccessful"}


def effective_status(stored: str, deadline: dt.datetime | None, now: dt.datetime) -> str:
    if stored == "published" and deadline is not None and now >= deadline:
        return "closed"
    return stored


def transition(stored: str, deadline: dt.datetime | None, now: dt.datetime, action: str) -> str:
    """The stored status after ``action``, or a ConflictError saying why not."""
    current = effective_status(stored, deadline, now)
    if current not in TRANSITIONS[action]:
        allowed = " or ".join(TRANSITIONS[action])
        raise ConflictError(f"cannot {action.replace('_', ' ')} a consultation that is {current} "
                            f"(it must be {allowed})")
    return TARGET[action]
