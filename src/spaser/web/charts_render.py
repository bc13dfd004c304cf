"""Server-side chart rendering: a Vega-Lite spec → an accessible, responsive SVG, with no JavaScript sent.

Why vl-convert and not Altair's HTML: Altair's default HTML loads Vega from a CDN, and no asset may come from
outside our server. vl-convert runs Vega in-process and returns SVG; ``allowed_base_urls=[]`` forbids any data
URL, so a spec can only use its inline values.

Why a cache on the spec's JSON text: a first render in a process starts the JavaScript runtime (≈ 0.4 s), later
ones take tens of milliseconds; the same page rendered twice (or the same chart in two pages) renders once.
"""

from __future__ import annotations

import functools
import html
import json
import re
from dataclasses import dataclass, field
from typing import Any

import vl_convert as vlc

#: vl-convert's default snippet, written out (its stub wants one): the three globals for the interactive mode.
BUNDLE_SNIPPET = ("window.vegaEmbed = vegaEmbed; window.vegaLite = vegaLite; window.vega = vega; "
                  "window.lodashDebounce = lodashDebounce;")

_ROOT = re.compile(r"<svg\b[^>]*>")
_SIZE_ATTR = re.compile(r'\s(?:width|height)="[^"]*"')
_ID_ATTR = re.compile(r'\bid="([^"]+)"')
_ID_REF = re.compile(r'(url\(#|href="#)([^)"]+)')


@dataclass(frozen=True)
class Chart:
    """A chart and its accessible twins: a one- or two-sentence summary and the data table.

    ``columns`` and ``rows`` are display text (formatted for ``lang``); ``values`` holds the same rows as raw
    values (numbers, ``None`` for missing) for JSON and CSV. ``id`` is stable for given inputs and is used for
    HTML ids (``<id>-title``, ``<id>-desc``).
    """

    id: str
    kind: str
    lang: str
    title: str
    summary: str
    columns: tuple[str, ...]
    rows: tuple[tuple[str, ...], ...]
    values: tuple[tuple[Any, ...], ...]
    spec: dict[str, Any] = field(repr=False)
    empty: bool = False

    def spec_json(self) -> str:
        return spec_json(self.spec)

    def svg(self) -> str:
        """The rendered SVG: ``role="img"``, labelled by its ``<title>`` and ``<desc>``, width from its container."""
        return accessible_svg(render_svg(self.spec_json()), self.id, self.title, self.summary)


def spec_json(spec: dict[str, Any]) -> str:
    """The canonical JSON text of a spec: the cache key."""
    return json.dumps(spec, sort_keys=True, ensure_ascii=False, separators=(",", ":"), allow_nan=False)


@functools.lru_cache(maxsize=256)
def render_svg(spec_text: str) -> str:
    """vl-convert's SVG for a spec's JSON text, cached in-process (see ``render_cache_info``)."""
    return vlc.vegalite_to_svg(spec_text, allowed_base_urls=[])


def render_cache_info() -> functools._CacheInfo:
    return render_svg.cache_info()


def render_cache_clear() -> None:
    render_svg.cache_clear()


def accessible_svg(raw: str, chart_id: str, title: str, summary: str) -> str:
    """Make vl-convert's SVG an accessible, responsive image.

    * the root gets ``role="img"`` and ``aria-labelledby`` → an injected ``<title>`` (title) and ``<desc>``
      (summary); Vega's own per-mark ARIA attributes are then presentational;
    * the root's ``width``/``height`` go, its ``viewBox`` stays: the SVG takes its container's width and keeps
      its proportions (cap it in CSS with ``max-width`` if needed);
    * ids Vega may generate (clip paths, gradients) are prefixed with the chart id, so two inline charts on
      one page cannot point at each other's definitions.
    """
    text = raw
    if 'id="' in text:
        text = _ID_ATTR.sub(lambda m: f'id="{chart_id}-{m.group(1)}"', text)
        text = _ID_REF.sub(lambda m: f"{m.group(1)}{chart_id}-{m.group(2)}", text)
    root = _ROOT.search(text)
    if root is None:
        raise ValueError("vl-convert returned no <svg> element")
    opening = _SIZE_ATTR.sub("", root.group(0)[:-1])
    title_id, desc_id = f"{chart_id}-title", f"{chart_id}-desc"
    new_root = (f'{opening} role="img" aria-labelledby="{title_id} {desc_id}" focusable="false">'
                f'<title id="{title_id}">{html.escape(title)}</title>'
                f'<desc id="{desc_id}">{html.escape(summary)}</desc>')
    return text[:root.start()] + new_root + text[root.end():]


@functools.lru_cache(maxsize=1)
def vega_bundle() -> str:
    """Vega, Vega-Lite and Vega-Embed as one script (≈ 0.9 MB), to serve from our own server for an optional
    interactive mode; built once per process (≈ 1.5 s)."""
    return vlc.javascript_bundle(BUNDLE_SNIPPET)
