"""The Egalim figures the observatory home shows (a module of its own: the home page imports it, the Egalim pages
import the home page's helpers)."""

from __future__ import annotations

from typing import Any

from spaser.indicators.egalim import published
from spaser.indicators.egalim.store import EgalimStore
from spaser.web.render import Renderer


def home_block(renderer: Renderer) -> tuple[dict[str, Any] | None, str]:
    """All restaurants' latest year (None when no catering purchase was imported) and a tag that changes with
    any Egalim figure, for the home page's ETag."""
    reading = published.read(EgalimStore.of(renderer.settings), scope="ensemble")
    if reading is None:
        return None, ""
    trend = reading.results.trend("ensemble")
    return (published.summary_json(trend[-1]) if trend else None), f"-{reading.tag}"
