"""The observatory's charts: Vega-Lite specs built with Altair from plain values, rendered to SVG on the server.

Each builder returns a :class:`Chart` carrying its spec, a summary sentence stating the main fact in the page's
language, and the data table (display text and raw values). Nothing here touches DuckDB or the web framework:
pages query, then call a builder; templates call ``chart.svg()`` and show ``summary``, ``columns`` and ``rows``.

Why ``to_dict(validate=False)``: Altair's JSON-schema validation adds 5–30 ms a chart; the tests validate every
builder's spec against the Vega-Lite schema instead. Why the builders are cached: even unvalidated, Altair takes
15–30 ms to build a chart, and a page shows up to a dozen.
"""

from __future__ import annotations

import functools
import math
from collections.abc import Sequence
from typing import Any, Final, SupportsFloat

import altair as alt

from spaser.web.charts_render import Chart, render_cache_clear, render_cache_info, render_svg, vega_bundle
from spaser.web.charts_style import (
    NBSP,
    PALETTE,
    STATUS_SHAPES,
    STATUSES,
    check_lang,
    format_number,
    format_share,
    format_target,
    format_value,
    full_stop,
    quoted,
    slug,
    status_key,
    status_word,
    unique_labels,
    unit_label,
    vega_config,
    word,
)

__all__ = ["Chart", "breakdown", "distribution", "render_cache_clear", "render_cache_info", "render_svg",
           "targets_vs_actual", "trend", "vega_bundle"]

#: A value as the warehouse may give it: float, int, Decimal, or None / NaN for "missing".
Num = SupportsFloat | None

#: Builders are pure: the same inputs give the same Chart, built once (Altair costs 15–30 ms a chart). A cached
#: Chart is shared between callers: treat it, and its ``spec``, as read-only.
_cached = functools.lru_cache(maxsize=128)

WIDTH: Final = 560
HEIGHT: Final = 240
BAR_STEP: Final = 26  # pixels a horizontal bar takes
MAX_POINT_LABELS: Final = 12  # above this, a trend's points are not labelled (the table has the values)


def _num(value: SupportsFloat | None) -> float | None:
    """float, or None for a missing value (None or NaN): JSON has no NaN, and Decimal is not JSON."""
    if value is None:
        return None
    number = float(value)
    return None if math.isnan(number) else number


def _finish(layers: alt.LayerChart | alt.Chart, lang: str, summary: str, width: int = WIDTH,
            height: int = HEIGHT) -> dict[str, Any]:
    # Padding: browsers may draw the labels in a wider font than the one vl-convert measured with.
    chart = layers.properties(width=width, height=height, description=summary,
                              padding={"left": 28, "right": 28, "top": 6, "bottom": 6}).configure(**vega_config(lang))
    spec: dict[str, Any] = chart.to_dict(validate=False)
    return spec


def _empty(kind: str, chart_id: str, title: str, columns: tuple[str, ...], lang: str,
           rows: tuple[tuple[str, ...], ...] = (), values: tuple[tuple[Any, ...], ...] = ()) -> Chart:
    """No data: a chart that says so (and a summary that says so), never an error."""
    summary = word("no_data", lang)
    message = alt.Chart(alt.InlineData(values=[{"message": summary}])).mark_text(
        fontSize=14, color=PALETTE["muted"]).encode(text="message:N")
    spec = _finish(message, lang, summary, height=60)
    return Chart(chart_id, kind, lang, title, summary, columns, rows, values, spec, empty=True)


def trend(indicator_label: str, unit: str, points: Sequence[tuple[int, Num, Num]], target: Num = None,
          target_year: int | None = None, lang: str = "fr", *, chart_id: str | None = None,
          title: str | None = None) -> Chart:
    """Value by year (line and points), with a dashed target rule.

    ``points`` are ``(year, value, coverage)``; value in ``unit`` (0–100 for "%"), coverage a 0–1 fraction of
    the contracts where the indicator could be computed (in the table and tooltip).
    """
    clean = tuple((int(y), _num(v), _num(c)) for y, v, c in points)
    return _trend(indicator_label, unit, clean, _num(target), target_year, check_lang(lang), chart_id, title)


@_cached
def _trend(indicator_label: str, unit: str, points: tuple[tuple[int, float | None, float | None], ...],
           target: float | None, target_year: int | None, lang: str, chart_id: str | None,
           title: str | None) -> Chart:
    chart_id = chart_id or f"trend-{slug(indicator_label)}"
    title = title or indicator_label
    ordered = sorted(points, key=lambda p: p[0])
    columns = (word("year", lang), word("value", lang), word("coverage", lang))
    rows = tuple((str(y), format_value(v, unit, lang), format_share(c, lang)) for y, v, c in ordered)
    values = tuple((y, v, c) for y, v, c in ordered)
    known = [(y, v, c) for y, v, c in ordered if v is not None]
    if not known:
        return _empty("trend", chart_id, title, columns, lang, rows, values)

    summary = _trend_summary(indicator_label, unit, known, target, target_year, lang)
    data = [{"year": y, "value": v, "value_label": format_value(v, unit, lang), "coverage_label": format_share(c, lang),
             "description": f"{y}{NBSP}: {format_value(v, unit, lang)}" if lang == "fr" else
             f"{y}: {format_value(v, unit, lang)}"} for y, v, c in known]
    base = alt.Chart()
    x = alt.X("year:O", title=word("year", lang), axis=alt.Axis(labelAngle=0))
    y = alt.Y("value:Q", title=unit_label(unit, lang), scale=alt.Scale(zero=True, nice=True),
              axis=alt.Axis(format=",~f", tickCount=5))
    tooltip = [alt.Tooltip("year:O", title=word("year", lang)), alt.Tooltip("value_label:N", title=word("value", lang)),
               alt.Tooltip("coverage_label:N", title=word("coverage", lang))]
    layers: list[alt.Chart] = [
        base.mark_line(color=PALETTE["accent"], strokeWidth=2).encode(x=x, y=y),
        base.mark_point(filled=True, size=70, shape="circle", color=PALETTE["accent"], opacity=1).encode(
            x=x, y=y, tooltip=tooltip, description="description:N"),
    ]
    if len(known) <= MAX_POINT_LABELS:
        layers.append(base.mark_text(dy=-12, color=PALETTE["ink"]).encode(x=x, y=y, text="value_label:N"))
    if target is not None:
        label = f"{word('target', lang)}{NBSP}: " if lang == "fr" else f"{word('target', lang)}: "
        label += format_target(target, unit, lang) + (f" ({target_year})" if target_year is not None else "")
        target_data = alt.InlineData(values=[{"target": target, "target_label": label}])
        target_y = alt.Y("target:Q")
        layers.append(alt.Chart(target_data).mark_rule(color=PALETTE["target"], strokeDash=[6, 4], strokeWidth=2)
                      .encode(y=target_y))
        layers.append(alt.Chart(target_data).mark_text(align="right", baseline="bottom", dy=-4,
                                                       color=PALETTE["target"])
                      .encode(y=target_y, x=alt.value(WIDTH), text="target_label:N"))
    spec = _finish(alt.LayerChart(layer=layers, data=alt.InlineData(values=data)), lang, summary)
    return Chart(chart_id, "trend", lang, title, summary, columns, rows, values, spec)


def _trend_summary(label: str, unit: str, known: Sequence[tuple[int, float | None, float | None]],
                   target: float | None, target_year: int | None, lang: str) -> str:
    year, value, coverage = known[-1]
    fr = lang == "fr"
    text = (f"{label}{NBSP}: {format_value(value, unit, lang)} en {year}" if fr
            else f"{label}: {format_value(value, unit, lang)} in {year}")
    if target is not None:
        goal = format_target(target, unit, lang)
        if target_year is not None:
            goal += f" en {target_year}" if fr else f" by {target_year}"
        text += f" (cible{NBSP}: {goal})" if fr else f" (target: {goal})"
    if len(known) > 1:
        p_year, p_value, _ = known[-2]
        text += (f", contre {format_value(p_value, unit, lang)} en {p_year}" if fr
                 else f", compared with {format_value(p_value, unit, lang)} in {p_year}")
    text += "."
    if coverage is not None:
        text += (f" Couverture des données en {year}{NBSP}: {format_share(coverage, lang)}." if fr
                 else f" Data coverage in {year}: {format_share(coverage, lang)}.")
    return text


def breakdown(indicator_label: str, unit: str, items: Sequence[tuple[str, Num, Num]], lang: str = "fr",
              top: int = 15, *, chart_id: str | None = None, title: str | None = None,
              item_header: str | None = None) -> Chart:
    """Horizontal bars sorted by value, the ``top`` first; the summary says how many others are not shown.

    ``items`` are ``(label, value, denominator)``; items without a value are not ranked (counted as not shown).
    ``item_header`` heads the label column (e.g. « Acheteur »).
    """
    if top < 1:
        raise ValueError("top must be at least 1")
    clean = tuple((str(lb), _num(v), _num(d)) for lb, v, d in items)
    return _breakdown(indicator_label, unit, clean, check_lang(lang), top, chart_id, title, item_header)


@_cached
def _breakdown(indicator_label: str, unit: str, items: tuple[tuple[str, float | None, float | None], ...],
               lang: str, top: int, chart_id: str | None, title: str | None, item_header: str | None) -> Chart:
    chart_id = chart_id or f"breakdown-{slug(indicator_label)}"
    title = title or indicator_label
    columns = (item_header or word("item", lang), word("value", lang), word("denominator", lang))
    ranked = sorted(((lb, v, d) for lb, v, d in items if v is not None), key=lambda i: (-i[1], i[0]))
    if not ranked:
        return _empty("breakdown", chart_id, title, columns, lang)
    shown = ranked[:top]
    labels = unique_labels([lb for lb, _, _ in shown])
    rows = tuple((lb, format_value(v, unit, lang), "—" if d is None else format_number(d, lang))
                 for lb, (_, v, d) in zip(labels, shown, strict=True))
    values = tuple((lb, v, d) for lb, v, d in shown)
    summary = _breakdown_summary(indicator_label, unit, ranked, len(shown), len(items), lang)
    data = [{"label": lb, "value": v, "value_label": format_value(v, unit, lang),
             "denominator_label": "—" if d is None else format_number(d, lang),
             "description": f"{lb}{NBSP}: {format_value(v, unit, lang)}" if lang == "fr"
             else f"{lb}: {format_value(v, unit, lang)}"}
            for lb, (_, v, d) in zip(labels, shown, strict=True)]
    y = alt.Y("label:N", sort=None, title=None)
    x = alt.X("value:Q", title=unit_label(unit, lang), scale=alt.Scale(zero=True, nice=True),
              axis=alt.Axis(format=",~f", tickCount=5))
    tooltip = [alt.Tooltip("label:N", title=columns[0]), alt.Tooltip("value_label:N", title=word("value", lang)),
               alt.Tooltip("denominator_label:N", title=word("denominator", lang))]
    base = alt.Chart()
    layers = alt.LayerChart(layer=[
        base.mark_bar(size=16, color=PALETTE["accent"]).encode(x=x, y=y, tooltip=tooltip,
                                                                description="description:N"),
        base.mark_text(align="left", dx=4, color=PALETTE["ink"]).encode(x=x, y=y, text="value_label:N"),
    ], data=alt.InlineData(values=data))
    spec = _finish(layers, lang, summary, width=WIDTH - 160, height=BAR_STEP * len(shown))
    return Chart(chart_id, "breakdown", lang, title, summary, columns, rows, values, spec)


def _breakdown_summary(label: str, unit: str, ranked: Sequence[tuple[str, float | None, float | None]], shown: int,
                       total: int, lang: str) -> str:
    fr = lang == "fr"
    high_label, high, _ = ranked[0]
    if len(ranked) == 1:
        text = (f"{label}{NBSP}: {format_value(high, unit, lang)} pour {high_label}." if fr
                else f"{label}: {format_value(high, unit, lang)} for {high_label}.")
    else:
        low_label, low, _ = ranked[-1]
        text = (f"{label}{NBSP}: valeur la plus élevée pour {high_label} ({format_value(high, unit, lang)}), "
                f"la plus basse pour {low_label} ({format_value(low, unit, lang)})." if fr
                else f"{label}: highest for {high_label} ({format_value(high, unit, lang)}), "
                f"lowest for {low_label} ({format_value(low, unit, lang)}).")
    others = total - shown
    if others:
        text += (f" Les {shown} premiers sur {total} sont affichés{NBSP}; "
                 f"{others} {'autre n’est' if others == 1 else 'autres ne sont'} pas représenté{'s' * (others > 1)}."
                 if fr else f" The top {shown} of {total} are shown; {others} other{'s' * (others > 1)} "
                 f"{'is' if others == 1 else 'are'} not.")
    return text


def targets_vs_actual(items: Sequence[tuple[str, Num, Num, str | None]], lang: str = "fr", *, unit: str = "%",
                      chart_id: str | None = None, title: str | None = None) -> Chart:
    """A bullet-like chart: a bar for the value, a dark tick for the target, the status in colour *and* as a shape
    and a written label at the end of each row.

    ``items`` are ``(label, value, target, status)`` in display order; status is ``met``, ``on_track``,
    ``off_track`` or ``None`` (not assessed). All items share one axis, so one ``unit`` (percentages, usually).
    """
    clean = tuple((str(lb), _num(v), _num(t), None if s is None else str(s)) for lb, v, t, s in items)
    return _targets_vs_actual(clean, check_lang(lang), unit, chart_id, title)


@_cached
def _targets_vs_actual(items: tuple[tuple[str, float | None, float | None, str | None], ...], lang: str, unit: str,
                       chart_id: str | None, title: str | None) -> Chart:
    chart_id = chart_id or "targets"
    title = title or word("targets_title", lang)
    columns = (word("indicator", lang), word("value", lang), word("target", lang), word("status", lang))
    if not items:
        return _empty("targets", chart_id, title, columns, lang)
    labels = unique_labels([it[0] for it in items])
    rows = tuple((lb, format_value(v, unit, lang), format_target(t, unit, lang), status_word(s, lang))
                 for lb, (_, v, t, s) in zip(labels, items, strict=True))
    values = tuple((lb, v, t, s) for lb, v, t, s in items)
    summary = _targets_summary(items, lang)
    data = [{"label": lb, "value": v, "target": t, "status": status_key(s), "status_label": status_word(s, lang),
             "value_label": format_value(v, unit, lang), "target_label": format_target(t, unit, lang),
             "end_label": f"{format_value(v, unit, lang)} · {status_word(s, lang)}",
             "description": _target_description(lb, v, t, s, unit, lang)}
            for lb, (_, v, t, s) in zip(labels, items, strict=True)]
    plot_width = WIDTH - 280
    y = alt.Y("label:N", sort=None, title=None)
    x = alt.X("value:Q", title=f"{unit_label(unit, lang)} ({word('target_mark', lang)})",
              scale=alt.Scale(zero=True, nice=True),
              axis=alt.Axis(format=",~f", tickCount=5))
    status_colour = alt.Color("status:N", legend=None, scale=alt.Scale(
        domain=list(STATUSES), range=[PALETTE[s] for s in STATUSES]))
    status_shape = alt.Shape("status:N", legend=None, scale=alt.Scale(
        domain=list(STATUSES), range=[STATUS_SHAPES[s] for s in STATUSES]))
    tooltip = [alt.Tooltip("label:N", title=columns[0]), alt.Tooltip("value_label:N", title=columns[1]),
               alt.Tooltip("target_label:N", title=columns[2]), alt.Tooltip("status_label:N", title=columns[3])]
    base = alt.Chart()
    layers = alt.LayerChart(layer=[
        base.mark_bar(size=14).encode(x=x, y=y, color=status_colour, tooltip=tooltip, description="description:N"),
        base.mark_tick(thickness=3, size=26, color=PALETTE["ink"]).encode(x=alt.X("target:Q"), y=y),
        base.mark_point(filled=True, size=80, opacity=1).encode(
            x=alt.value(plot_width + 20), y=y, shape=status_shape, color=status_colour),
        base.mark_text(align="left", color=PALETTE["ink"]).encode(
            x=alt.value(plot_width + 32), y=y, text="end_label:N"),
    ], data=alt.InlineData(values=data))
    spec = _finish(layers, lang, summary, width=plot_width, height=BAR_STEP * len(items))
    return Chart(chart_id, "targets", lang, title, summary, columns, rows, values, spec)


def _target_description(label: str, value: float | None, target: float | None, status: str | None, unit: str,
                        lang: str) -> str:
    """One bar's text for assistive technology in the interactive mode (Vega's ``aria-label``)."""
    if lang == "fr":
        goal = f"cible {format_target(target, unit, lang)}" if target is not None else "sans cible"
        return f"{label}{NBSP}: {format_value(value, unit, lang)}, {goal}, {status_word(status, lang)}"
    goal = f"target {format_target(target, unit, lang)}" if target is not None else "no target"
    return f"{label}: {format_value(value, unit, lang)}, {goal}, {status_word(status, lang)}"


def _targets_summary(items: Sequence[tuple[str, float | None, float | None, str | None]], lang: str) -> str:
    counts = {s: sum(1 for it in items if status_key(it[3]) == s) for s in STATUSES}
    total = len(items)
    late = [it[0] for it in items if it[3] == "off_track"]
    if lang == "fr":
        met = counts["met"]
        text = f"{met} objectif{'s' * (met > 1)} atteint{'s' * (met > 1)} sur {total}"
        text += f", {counts['on_track']} en bonne voie, {counts['off_track']} en retard"
        if counts["none"]:
            text += f", {counts['none']} non évalué{'s' * (counts['none'] > 1)}"
        text += "."
        if late:
            text += full_stop(f" En retard{NBSP}: {_listing(late, lang)}")
        return text
    text = f"{counts['met']} of {total} targets met, {counts['on_track']} on track, {counts['off_track']} off track"
    if counts["none"]:
        text += f", {counts['none']} not assessed"
    text += "."
    if late:
        text += full_stop(f" Off track: {_listing(late, lang)}")
    return text


def _listing(names: list[str], lang: str, limit: int = 3) -> str:
    if len(names) <= limit:
        return ", ".join(names)
    more = len(names) - limit
    return ", ".join(names[:limit]) + (f" et {more} autre{'s' * (more > 1)}" if lang == "fr"
                                       else f" and {more} other{'s' * (more > 1)}")


def distribution(label: str, buckets: Sequence[tuple[str, int]], lang: str = "fr", *,
                 chart_id: str | None = None, title: str | None = None, bucket_header: str | None = None,
                 count_label: str | None = None) -> Chart:
    """A column chart of counts by bucket, in the buckets' given order (e.g. publication delays)."""
    clean = tuple((str(b), int(c)) for b, c in buckets)
    return _distribution(label, clean, check_lang(lang), chart_id, title, bucket_header, count_label)


@_cached
def _distribution(label: str, buckets: tuple[tuple[str, int], ...], lang: str, chart_id: str | None,
                  title: str | None, bucket_header: str | None, count_label: str | None) -> Chart:
    chart_id = chart_id or f"distribution-{slug(label)}"
    title = title or label
    columns = (bucket_header or word("bucket", lang), count_label or word("count", lang), word("share", lang))
    total = sum(count for _, count in buckets)
    if not buckets or total <= 0:
        rows = tuple((b, format_number(c, lang), "—") for b, c in buckets)
        return _empty("distribution", chart_id, title, columns, lang, rows, tuple((b, c, None) for b, c in buckets))
    names = unique_labels([b for b, _ in buckets])
    shares = [count / total for _, count in buckets]
    rows = tuple((n, format_number(c, lang), format_share(s, lang))
                 for n, (_, c), s in zip(names, buckets, shares, strict=True))
    values = tuple((b, c, s) for (b, c), s in zip(buckets, shares, strict=True))
    top_index = max(range(len(buckets)), key=lambda i: buckets[i][1])  # first of the largest
    top_name, top_count = names[top_index], buckets[top_index][1]
    fr = lang == "fr"
    top_text = f"{quoted(top_name, lang)} ({format_number(top_count, lang)}, "
    summary = (f"{label}{NBSP}: {format_number(total, lang)} au total{NBSP}; la classe la plus fréquente est "
               f"{top_text}soit {format_share(shares[top_index], lang)})." if fr
               else f"{label}: {format_number(total, lang)} in total; the most frequent bucket is "
               f"{top_text}i.e. {format_share(shares[top_index], lang)}).")
    data = [{"bucket": n, "count": c, "count_label": format_number(c, lang), "share_label": format_share(s, lang),
             "description": f"{n}{NBSP}: {format_number(c, lang)}" if fr else f"{n}: {format_number(c, lang)}"}
            for n, (_, c), s in zip(names, buckets, shares, strict=True)]
    x = alt.X("bucket:N", sort=None, title=columns[0],
              axis=alt.Axis(labelAngle=0 if len(buckets) <= 6 else -35, labelLimit=120))
    y = alt.Y("count:Q", title=columns[1], scale=alt.Scale(zero=True, nice=True),
              axis=alt.Axis(format=",~f", tickCount=5))
    tooltip = [alt.Tooltip("bucket:N", title=columns[0]), alt.Tooltip("count_label:N", title=columns[1]),
               alt.Tooltip("share_label:N", title=columns[2])]
    base = alt.Chart()
    layers = alt.LayerChart(layer=[
        base.mark_bar(color=PALETTE["accent"]).encode(x=x, y=y, tooltip=tooltip, description="description:N"),
        base.mark_text(dy=-8, color=PALETTE["ink"]).encode(x=x, y=y, text="count_label:N"),
    ], data=alt.InlineData(values=data))
    spec = _finish(layers, lang, summary)
    return Chart(chart_id, "distribution", lang, title, summary, columns, rows, values, spec)
