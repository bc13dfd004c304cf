"""The charts' look and words: our own sober palette, a system font stack, French/English numbers and labels.

Why our own palette: the State design system (DSFR) and its Marianne font are reserved to State websites. Every
colour that carries information has a contrast ratio of at least 4.5:1 on white (WCAG AA for text, so it can
also be used for labels; graphical objects need only 3:1). Grid lines are decorative and exempt.

Why numbers are formatted here and not by Vega: summaries, data tables, bar labels and tooltips must read the
same, and French typography wants narrow no-break spaces (U+202F) for thousands and before « % », a no-break
space (U+00A0) before « € » and units. Axis ticks, which Vega formats itself, get the same separators through
the spec's ``config.locale``.
"""

from __future__ import annotations

import re
import unicodedata
from typing import Any, Final

LANGUAGES: Final = ("fr", "en")

NNBSP: Final = "\u202f"  # narrow no-break space: French thousands separator, and before « % »
NBSP: Final = "\u00a0"  # no-break space: before « € » and units

FONT_STACK: Final = ('system-ui, -apple-system, "Segoe UI", Roboto, "Helvetica Neue", Arial, '
                     '"Liberation Sans", "DejaVu Sans", sans-serif')

#: Colours, all on a white background. Ratios on white: ink 16.9, muted 7.5, accent 7.3, target 7.2,
#: met 6.3, on_track 6.3, off_track 6.6, none 5.8 (tests/unit/web/test_charts.py recomputes them).
PALETTE: Final[dict[str, str]] = {
    "background": "#ffffff",
    "ink": "#1a1d21",  # titles, labels, target ticks
    "muted": "#4d5560",  # axis labels, domain lines, "no data" message
    "grid": "#d5d9de",  # decorative only (exempt from the 3:1 rule)
    "accent": "#1d5a8c",  # the series: lines, points, bars
    "target": "#8a4500",  # dashed target rule and its label
    "met": "#1b6e3c",
    "on_track": "#7a5c00",
    "off_track": "#b42318",
    "none": "#5f6670",
}

#: Colours that carry information (must reach 3:1 as graphics; we hold them to 4.5:1 so they can label too).
INFORMATIVE: Final = ("ink", "muted", "accent", "target", "met", "on_track", "off_track", "none")

#: A status is never told by colour alone: each has a shape and a written label.
STATUSES: Final = ("met", "on_track", "off_track", "none")
STATUS_SHAPES: Final[dict[str, str]] = {
    "met": "circle", "on_track": "diamond", "off_track": "triangle-down", "none": "square",
}

WORDS: Final[dict[str, tuple[str, str]]] = {
    "no_data": ("Pas de données.", "No data."),
    "year": ("Année", "Year"),
    "value": ("Valeur", "Value"),
    "coverage": ("Couverture", "Coverage"),
    "target": ("Cible", "Target"),
    "status": ("Statut", "Status"),
    "indicator": ("Indicateur", "Indicator"),
    "item": ("Élément", "Item"),
    "denominator": ("Dénominateur", "Denominator"),
    "bucket": ("Classe", "Bucket"),
    "count": ("Nombre", "Count"),
    "share": ("Part", "Share"),
    "targets_title": ("Objectifs et réalisé", "Targets and actual"),
    "target_mark": ("trait vertical\u00a0: cible", "vertical mark: target"),
    "status_met": ("atteint", "met"),
    "status_on_track": ("en bonne voie", "on track"),
    "status_off_track": ("en retard", "off track"),
    "status_none": ("non évalué", "not assessed"),
}

#: Units of the indicator catalogue, as shown in each language ("%" and "HHI" are the same in both).
UNITS: Final[dict[str, tuple[str, str]]] = {
    "offres": ("offres", "bids"),
    "jours": ("jours", "days"),
    "contrats": ("contrats", "contracts"),
}

#: d3-format locales, for the numbers Vega writes itself (axis ticks).
NUMBER_LOCALES: Final[dict[str, dict[str, Any]]] = {
    "fr": {"decimal": ",", "thousands": NNBSP, "grouping": [3], "currency": ["", NBSP + "€"],
           "percent": NNBSP + "%", "minus": "\u2212"},
    "en": {"decimal": ".", "thousands": ",", "grouping": [3], "currency": ["€", ""], "percent": "%",
           "minus": "\u2212"},
}


def check_lang(lang: str) -> str:
    if lang not in LANGUAGES:
        raise ValueError(f"lang must be one of {LANGUAGES}, not {lang!r}")
    return lang


def word(key: str, lang: str) -> str:
    return WORDS[key][1 if lang == "en" else 0]


def status_key(status: str | None) -> str:
    return status if status in STATUSES else "none"


def status_word(status: str | None, lang: str) -> str:
    """The written status; an unknown status is shown as given, a missing one as « non évalué »."""
    if status is not None and status not in STATUSES:
        return status
    return word(f"status_{status_key(status)}", lang)


def unit_label(unit: str, lang: str) -> str:
    pair = UNITS.get(unit)
    return pair[1 if lang == "en" else 0] if pair else unit


def default_digits(unit: str) -> int:
    return 0 if unit in ("€", "HHI", "") else 1


def format_number(value: float, lang: str, digits: int = 0) -> str:
    """1234567.8 → « 1 234 568 » (fr, U+202F) or "1,234,568" (en); never « -0 »."""
    rounded = round(float(value), digits)
    if rounded == 0:
        rounded = 0.0  # drops the sign of -0.0
    text = f"{rounded:,.{digits}f}"
    if lang == "fr":
        return text.replace(",", NNBSP).replace(".", ",")
    return text


def format_value(value: float | None, unit: str, lang: str, digits: int | None = None) -> str:
    """A value with its unit: « 42,3 % » / "42.3%", « 1 234 567 € » / "€1,234,567", « 12,5 jours » / "12.5 days"."""
    if value is None:
        return "—"
    number = format_number(value, lang, default_digits(unit) if digits is None else digits)
    if unit == "%":
        return number + (NNBSP + "%" if lang == "fr" else "%")
    if unit == "€":
        return number + NBSP + "€" if lang == "fr" else "€" + number
    if unit in ("HHI", ""):
        return number
    return number + NBSP + unit_label(unit, lang)


def format_target(value: float | None, unit: str, lang: str) -> str:
    """A declared target: round numbers without decimals (« 100 % », not « 100,0 % »)."""
    if value is not None and float(value).is_integer():
        return format_value(value, unit, lang, digits=0)
    return format_value(value, unit, lang)


def full_stop(text: str) -> str:
    """End a sentence once: « … env. » does not get a second full stop."""
    return text if text.endswith((".", "…", "!", "?")) else text + "."


def format_share(fraction: float | None, lang: str) -> str:
    """A 0–1 fraction as a percentage: 0.873 → « 87,3 % »."""
    return "—" if fraction is None else format_value(fraction * 100, "%", lang)


def quoted(text: str, lang: str) -> str:
    return f"«{NBSP}{text}{NBSP}»" if lang == "fr" else f"“{text}”"


def slug(text: str) -> str:
    """ASCII, lowercase, dashes: a stable piece of an HTML id."""
    ascii_text = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode("ascii")
    return re.sub(r"[^a-z0-9]+", "-", ascii_text.lower()).strip("-")[:48].rstrip("-") or "x"


def unique_labels(labels: list[str]) -> list[str]:
    """Two items with the same name would merge into one bar: the second becomes « Name (2) »."""
    seen: dict[str, int] = {}
    result = []
    for label in labels:
        seen[label] = seen.get(label, 0) + 1
        result.append(label if seen[label] == 1 else f"{label} ({seen[label]})")
    return result


def vega_config(lang: str) -> dict[str, Any]:
    """The Vega-Lite ``config`` of every chart: palette, font, locale."""
    ink, muted, grid = PALETTE["ink"], PALETTE["muted"], PALETTE["grid"]
    return {
        "background": PALETTE["background"],
        "font": FONT_STACK,
        "locale": {"number": NUMBER_LOCALES[lang]},
        "view": {"stroke": None},
        "axis": {"labelColor": muted, "titleColor": ink, "domainColor": muted, "tickColor": muted,
                 "gridColor": grid, "labelFontSize": 12, "titleFontSize": 12, "titleFontWeight": "normal",
                 "labelLimit": 220},
        "legend": {"labelColor": ink, "titleColor": ink, "labelFontSize": 12, "titleFontSize": 12},
        "text": {"color": ink, "fontSize": 12},
        "mark": {"color": PALETTE["accent"]},
    }
