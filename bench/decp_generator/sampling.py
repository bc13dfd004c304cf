"""Drawing primitives: cumulative distributions, vectorised draws and a pool of scalar uniforms.

Records are drawn in batches with numpy (one vectorised call per field and batch), and the few scalar
draws of the record loop come from ``UniformPool`` because a numpy scalar call costs ~2 µs. The order
of the draws on each generator is what makes a seed reproducible: callers must keep it.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence

import numpy as np

from .settings import DATE_ORIGIN, NOTIF_LAST


def make_cdf(weights: Sequence[float]) -> np.ndarray:
    """The cumulative distribution of ``weights`` (normalised, last value 1)."""
    w = np.asarray(weights, dtype=np.float64)
    return np.cumsum(w / w.sum())


def draw(rng: np.random.Generator, cdf: np.ndarray, n: int) -> np.ndarray:
    """``n`` indices drawn with the distribution ``cdf``."""
    return np.minimum(np.searchsorted(cdf, rng.random(n), side="right"), len(cdf) - 1)


def day_cdf() -> np.ndarray:
    """Notification dates 2024-01-01..2026-10-31: weekdays, quieter in August, busier in December."""
    n_days = (NOTIF_LAST - DATE_ORIGIN).days + 1
    w = np.empty(n_days)
    for i in range(n_days):
        d = DATE_ORIGIN + dt.timedelta(days=i)
        x = 1.0 if d.weekday() < 5 else 0.08
        if d.month == 8:
            x *= 0.6
        elif d.month == 12:
            x *= 1.35
        w[i] = x
    return make_cdf(w.tolist())


def zipf_cdf(n: int, exponent: float, offset: float) -> np.ndarray:
    """A Zipf-like law over ``n`` ranks: a few big buyers / suppliers and a long tail."""
    ranks = np.arange(1, n + 1, dtype=np.float64)
    return make_cdf((1.0 / (ranks + offset) ** exponent).tolist())


class UniformPool:
    """Pre-drawn uniforms for the scalar draws of the record loop (numpy scalar calls cost ~2 µs each)."""

    def __init__(self, rng: np.random.Generator, size: int = 1 << 16) -> None:
        self.rng = rng
        self.size = size
        self.buf: list[float] = []
        self.pos = 0

    def u(self) -> float:
        if self.pos >= len(self.buf):
            self.buf = self.rng.random(self.size).tolist()
            self.pos = 0
        x = self.buf[self.pos]
        self.pos += 1
        return x

    def randint(self, lo: int, hi: int) -> int:
        """An integer in [lo, hi)."""
        return lo + int(self.u() * (hi - lo))

    def pick(self, cdf: np.ndarray | list[float]) -> int:
        u = self.u()
        for i, c in enumerate(cdf):
            if u < c:
                return i
        return len(cdf) - 1
