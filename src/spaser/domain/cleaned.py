"""The result of every cleaning rule: a value and the quality flags that explain it.

Why: DECP files are messy (``../shared/docs/domain.md`` §1) and the rule is "load a fixable record *with a
flag naming the defect*, never correct silently". Every ``clean_*`` function therefore returns the cleaned
value (or ``None`` when nothing usable remains) together with the flags raised on the way, e.g.
``"montant:texte"``.

A flag is ``"<field>:<defect>"``; ``flags`` is empty when the input was already clean. ``Cleaned`` is a
NamedTuple (cheap to build, immutable, unpackable: ``value, flags = clean_montant(x)``), so clean results can
be built once and shared (the enum module returns pre-built instances on its fast path)."""

from __future__ import annotations

from typing import Generic, NamedTuple, TypeVar

T = TypeVar("T")


class Cleaned(NamedTuple, Generic[T]):
    """A cleaned value and the flags (``"<field>:<defect>"``) raised while cleaning it."""

    value: T | None
    flags: tuple[str, ...]

