"""The observatory's charts, rendered for real by vl-convert (no mocks): specs, SVG accessibility, summaries,
number formatting, empty data, palette contrast, render cache."""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET
from collections import Counter
from decimal import Decimal
from typing import Any

import jsonschema
import pytest
from altair.vegalite.v6.schema import load_schema

from spaser.web.charts import (
    Chart,
    breakdown,
    distribution,
    render_cache_clear,
    render_cache_info,
    targets_vs_actual,
    trend,
    vega_bundle,
)
from spaser.web.charts_style import INFORMATIVE, PALETTE, format_number, format_share, format_value

SVG_NS = "{http://www.w3.org/2000/svg}"

TREND_POINTS = [(2024, 35.1, 0.95), (2023, 30.0, 0.9), (2025, 42.3, 0.873)]  # unordered on purpose
BREAKDOWN_ITEMS: list[tuple[str, float | None, float | None]] = [
    ("Ville de Lyon", 42.3, 120), ("Région Bretagne", 12.5, 40), ("CHU de Nantes", 67.0, 300),
    ("Département du Nord", 5.26, 75), ("Sans valeur", None, 0)]
TARGET_ITEMS: list[tuple[str, float | None, float | None, str | None]] = [
    ("Considération environnementale", 42.3, 100.0, "off_track"), ("Considération sociale", 30.0, 25.0, "met"),
    ("PME", 55.0, 60.0, "on_track"), ("Achats innovants", None, 10.0, None)]
BUCKETS_FR = [("0 à 30 jours", 612), ("31 à 60 jours", 300), ("61 à 90 jours", 200), ("plus de 90 jours", 122)]
BUCKETS_EN = [("0–30 days", 612), ("31–60 days", 300), ("61–90 days", 200), ("over 90 days", 122)]


def build_all(lang: str) -> dict[str, Chart]:
    return {
        "trend": trend("Considération environnementale", "%", TREND_POINTS, 100.0, 2030, lang),
        "breakdown": breakdown("Part des PME", "%", BREAKDOWN_ITEMS, lang, top=3),
        "targets": targets_vs_actual(TARGET_ITEMS, lang),
        "distribution": distribution("Délais de publication", BUCKETS_FR if lang == "fr" else BUCKETS_EN, lang),
    }


def build_empty(lang: str) -> dict[str, Chart]:
    return {
        "trend": trend("Considération environnementale", "%", [], 100.0, 2030, lang),
        "trend_all_missing": trend("Considération environnementale", "%", [(2024, None, None)], None, None, lang),
        "breakdown": breakdown("Part des PME", "%", [], lang),
        "targets": targets_vs_actual([], lang),
        "distribution": distribution("Délais de publication", [], lang),
        "distribution_zeros": distribution("Délais de publication", [("0–30", 0), ("31–60", 0)], lang),
    }


@pytest.fixture(scope="module")
def validator() -> jsonschema.protocols.Validator:
    schema = load_schema()
    return jsonschema.validators.validator_for(schema)(schema)


def roles(svg: str) -> Counter[str]:
    return Counter(re.findall(r'aria-roledescription="([^"]*)"', svg))


def data_values(spec: dict[str, Any]) -> list[dict[str, Any]]:
    """The chart's top-level rows (Altair names inline data sets by their hash, under ``datasets``)."""
    data = spec["data"]
    rows: list[dict[str, Any]] = data["values"] if "values" in data else spec["datasets"][data["name"]]
    return rows


def contrast(foreground: str, background: str = "#ffffff") -> float:
    """WCAG 2.x contrast ratio, computed here independently of the module under test."""

    def luminance(colour: str) -> float:
        hex_digits = colour.lstrip("#")
        if len(hex_digits) == 3:
            hex_digits = "".join(d * 2 for d in hex_digits)
        channels = [int(hex_digits[i:i + 2], 16) / 255 for i in (0, 2, 4)]
        linear = [c / 12.92 if c <= 0.04045 else ((c + 0.055) / 1.055) ** 2.4 for c in channels]
        return 0.2126 * linear[0] + 0.7152 * linear[1] + 0.0722 * linear[2]

    high, low = sorted((luminance(foreground), luminance(background)), reverse=True)
    return (high + 0.05) / (low + 0.05)


# --- specs and SVG ------------------------------------------------------------------------------------------

@pytest.mark.parametrize("lang", ["fr", "en"])
def test_every_spec_is_valid_vega_lite_and_renders(lang: str, validator: jsonschema.protocols.Validator) -> None:
    for name, chart in (build_all(lang) | {f"empty_{k}": v for k, v in build_empty(lang).items()}).items():
        errors = [e.message for e in validator.iter_errors(chart.spec)]
        assert errors == [], name
        assert chart.spec["description"] == chart.summary
        assert chart.spec["config"]["locale"]["number"]["decimal"] == ("," if lang == "fr" else ".")
        ET.fromstring(chart.svg())  # well-formed XML


@pytest.mark.parametrize("lang", ["fr", "en"])
def test_svg_is_an_accessible_responsive_image(lang: str) -> None:
    for name, chart in build_all(lang).items():
        svg = chart.svg()
        root = ET.fromstring(svg)
        assert root.get("role") == "img", name
        assert root.get("aria-labelledby") == f"{chart.id}-title {chart.id}-desc"
        assert root.get("width") is None and root.get("height") is None
        assert re.fullmatch(r"0 0 \d+(\.\d+)? \d+(\.\d+)?", root.get("viewBox") or "")
        title, desc = root[0], root[1]
        assert (title.tag, title.get("id"), title.text) == (f"{SVG_NS}title", f"{chart.id}-title", chart.title)
        assert (desc.tag, desc.get("id"), desc.text) == (f"{SVG_NS}desc", f"{chart.id}-desc", chart.summary)
        # nothing is loaded from elsewhere: the only URLs are XML namespaces
        assert set(re.findall(r"https?://[^\"'\s]+", svg)) <= {"http://www.w3.org/2000/svg",
                                                               "http://www.w3.org/1999/xlink"}
        assert "<script" not in svg


def test_ids_are_stable_and_distinct() -> None:
    first, second = build_all("fr"), build_all("fr")
    assert {k: c.id for k, c in first.items()} == {k: c.id for k, c in second.items()} == {
        "trend": "trend-consideration-environnementale", "breakdown": "breakdown-part-des-pme",
        "targets": "targets", "distribution": "distribution-delais-de-publication"}
    assert trend("Part des PME", "%", TREND_POINTS, None, None, "fr", chart_id="home-sme").id == "home-sme"


def test_text_is_escaped_and_the_svg_stays_well_formed() -> None:
    chart = breakdown("Montant <moyen> & co", "€", [("<script>alert(1)</script> & fils", 10.0, 1.0)], "fr")
    root = ET.fromstring(chart.svg())
    assert root[0].text == "Montant <moyen> & co"
    assert "<script>" not in chart.svg()
    assert chart.summary == "Montant <moyen> & co\u00a0: 10\u00a0€ pour <script>alert(1)</script> & fils."


# --- marks ---------------------------------------------------------------------------------------------------

def test_trend_marks() -> None:
    chart = trend("Considération environnementale", "%", TREND_POINTS, 100.0, 2030, "fr")
    counts = roles(chart.svg())
    assert (counts["point"], counts["line mark"], counts["rule mark"]) == (3, 1, 1)
    assert counts["text mark"] == 3 + 1  # a label per point, and the target's label
    assert [d["year"] for d in data_values(chart.spec)] == [2023, 2024, 2025]
    assert 'stroke-dasharray="6,4"' in chart.svg()  # the target rule is dashed
    assert "Cible\u00a0: 100\u202f% (2030)" in chart.svg()
    assert chart.columns == ("Année", "Valeur", "Couverture")
    assert chart.rows == (("2023", "30,0\u202f%", "90,0\u202f%"), ("2024", "35,1\u202f%", "95,0\u202f%"),
                          ("2025", "42,3\u202f%", "87,3\u202f%"))
    assert chart.values == ((2023, 30.0, 0.9), (2024, 35.1, 0.95), (2025, 42.3, 0.873))
    without_target = trend("Considération environnementale", "%", TREND_POINTS, None, None, "fr")
    assert roles(without_target.svg())["rule mark"] == 0


def test_trend_missing_year_stays_in_the_table_not_on_the_line() -> None:
    chart = trend("Délai", "jours", [(2023, 12.0, 1.0), (2024, None, None), (2025, 10.5, 0.5)], None, None, "en")
    assert roles(chart.svg())["point"] == 2
    assert chart.rows[1] == ("2024", "—", "—")
    assert chart.summary == ("Délai: 10.5\u00a0days in 2025, compared with 12.0\u00a0days in 2023. "
                             "Data coverage in 2025: 50.0%.")


def test_breakdown_marks_top_n_sorted() -> None:
    chart = breakdown("Part des PME", "%", BREAKDOWN_ITEMS, "fr", top=3)
    assert roles(chart.svg())["bar"] == 3
    assert [d["label"] for d in data_values(chart.spec)] == ["CHU de Nantes", "Ville de Lyon", "Région Bretagne"]
    assert chart.rows == (("CHU de Nantes", "67,0\u202f%", "300"), ("Ville de Lyon", "42,3\u202f%", "120"),
                          ("Région Bretagne", "12,5\u202f%", "40"))
    many = breakdown("Part", "%", [(f"Acheteur {i:02d}", float(i), 10.0) for i in range(40)], "en")
    assert roles(many.svg())["bar"] == 15
    assert many.summary.endswith("The top 15 of 40 are shown; 25 others are not.")


def test_breakdown_duplicate_labels_do_not_merge() -> None:
    chart = breakdown("Part", "%", [("Mairie", 10.0, 1.0), ("Mairie", 20.0, 1.0)], "fr")
    assert [row[0] for row in chart.rows] == ["Mairie", "Mairie (2)"]
    assert roles(chart.svg())["bar"] == 2


def test_targets_status_is_told_by_colour_shape_and_words() -> None:
    chart = targets_vs_actual(TARGET_ITEMS, "fr")
    svg = chart.svg()
    counts = roles(svg)
    assert counts["bar"] == 3  # no bar without a value
    assert counts["tick"] == 4  # a target tick per row
    assert counts["point"] == 4  # a status symbol per row
    layers = chart.spec["layer"]
    shape = next(layer["encoding"]["shape"] for layer in layers if "shape" in layer["encoding"])
    assert shape["field"] == "status" and len(set(shape["scale"]["range"])) == 4
    colour = layers[0]["encoding"]["color"]
    assert colour["field"] == "status" and len(set(colour["scale"]["range"])) == 4
    for words in ("42,3\u202f% · en retard", "30,0\u202f% · atteint", "55,0\u202f% · en bonne voie", "— · non évalué"):
        assert words in svg
    assert chart.rows == (("Considération environnementale", "42,3\u202f%", "100\u202f%", "en retard"),
                          ("Considération sociale", "30,0\u202f%", "25\u202f%", "atteint"),
                          ("PME", "55,0\u202f%", "60\u202f%", "en bonne voie"),
                          ("Achats innovants", "—", "10\u202f%", "non évalué"))
    fills = {m.group(1) for m in re.finditer(r'aria-roledescription="bar"[^>]*fill="(#[0-9a-f]{6})"', svg)}
    assert fills == {PALETTE["off_track"], PALETTE["met"], PALETTE["on_track"]}


def test_distribution_keeps_bucket_order() -> None:
    buckets = [("plus de 90 jours", 122), ("0 à 30 jours", 612), ("31 à 60 jours", 300)]
    chart = distribution("Délais", buckets, "fr")
    assert roles(chart.svg())["bar"] == 3
    assert [d["bucket"] for d in data_values(chart.spec)] == ["plus de 90 jours", "0 à 30 jours", "31 à 60 jours"]
    assert "3 values: plus de 90 jours, 0 à 30 jours, 31 à 60 jours" in chart.svg()  # Vega's x-axis aria-label
    assert chart.rows[1] == ("0 à 30 jours", "612", "59,2\u202f%")
    assert chart.columns == ("Classe", "Nombre", "Part")


# --- summaries -----------------------------------------------------------------------------------------------

def test_french_summaries() -> None:
    charts = build_all("fr")
    assert charts["trend"].summary == (
        "Considération environnementale\u00a0: 42,3\u202f% en 2025 (cible\u00a0: 100\u202f% en 2030), "
        "contre 35,1\u202f% en 2024. Couverture des données en 2025\u00a0: 87,3\u202f%.")
    assert charts["breakdown"].summary == (
        "Part des PME\u00a0: valeur la plus élevée pour CHU de Nantes (67,0\u202f%), la plus basse pour "
        "Département du Nord (5,3\u202f%). Les 3 premiers sur 5 sont affichés\u00a0; 2 autres ne sont pas représentés.")
    assert charts["targets"].summary == (
        "1 objectif atteint sur 4, 1 en bonne voie, 1 en retard, 1 non évalué. "
        "En retard\u00a0: Considération environnementale.")
    assert charts["distribution"].summary == (
        "Délais de publication\u00a0: 1\u202f234 au total\u00a0; la classe la plus fréquente est "
        "«\u00a00 à 30 jours\u00a0» (612, soit 49,6\u202f%).")


def test_english_summaries() -> None:
    charts = build_all("en")
    assert charts["trend"].summary == (
        "Considération environnementale: 42.3% in 2025 (target: 100% by 2030), compared with 35.1% in 2024. "
        "Data coverage in 2025: 87.3%.")
    assert charts["breakdown"].summary == (
        "Part des PME: highest for CHU de Nantes (67.0%), lowest for Département du Nord (5.3%). "
        "The top 3 of 5 are shown; 2 others are not.")
    assert charts["targets"].summary == (
        "1 of 4 targets met, 1 on track, 1 off track, 1 not assessed. Off track: Considération environnementale.")
    assert charts["distribution"].summary == (
        "Délais de publication: 1,234 in total; the most frequent bucket is “0–30 days” (612, i.e. 49.6%).")
    assert charts["targets"].columns == ("Indicator", "Value", "Target", "Status")


def test_summary_plurals_and_listing() -> None:
    items: list[tuple[str, float | None, float | None, str | None]] = [
        (f"Objectif {i}", 1.0, 2.0, "off_track") for i in range(5)]
    items += [("A", 3.0, 2.0, "met"), ("B", 3.0, 2.0, "met")]
    assert targets_vs_actual(items, "fr").summary == (
        "2 objectifs atteints sur 7, 0 en bonne voie, 5 en retard. "
        "En retard\u00a0: Objectif 0, Objectif 1, Objectif 2 et 2 autres.")
    assert targets_vs_actual(items, "en").summary == (
        "2 of 7 targets met, 0 on track, 5 off track. Off track: Objectif 0, Objectif 1, Objectif 2 and 2 others.")
    one_more = breakdown("Part", "%", [("A", 2.0, 1.0), ("B", 1.0, 1.0)], "fr", top=1)
    assert one_more.summary.endswith("Les 1 premiers sur 2 sont affichés\u00a0; 1 autre n’est pas représenté.")


# --- empty data ----------------------------------------------------------------------------------------------

@pytest.mark.parametrize(("lang", "message"), [("fr", "Pas de données."), ("en", "No data.")])
def test_empty_data_gives_a_chart_that_says_so(lang: str, message: str) -> None:
    for name, chart in build_empty(lang).items():
        assert chart.empty, name
        assert chart.summary == message
        svg = chart.svg()
        assert f"<desc id=\"{chart.id}-desc\">{message}</desc>" in svg
        assert message in re.sub(r"<desc.*?</desc>", "", svg)  # also written in the picture
        assert roles(svg)["bar"] == roles(svg)["point"] == 0
    assert build_empty(lang)["trend_all_missing"].rows == (("2024", "—", "—"),)


# --- formatting ----------------------------------------------------------------------------------------------

def test_numbers_french_and_english() -> None:
    assert format_value(42.3, "%", "fr") == "42,3\u202f%"
    assert format_value(42.3, "%", "en") == "42.3%"
    assert format_value(1234567, "€", "fr") == "1\u202f234\u202f567\u00a0€"
    assert format_value(1234567, "€", "en") == "€1,234,567"
    assert format_value(12.5, "jours", "fr") == "12,5\u00a0jours"
    assert format_value(12.5, "jours", "en") == "12.5\u00a0days"
    assert format_value(1834.4, "HHI", "fr") == "1\u202f834"
    assert format_value(None, "%", "fr") == "—"
    assert format_number(-0.04, "fr", 1) == "0,0"  # never « -0,0 »
    assert format_number(-1234.5, "en", 1) == "-1,234.5"
    assert format_share(0.873, "fr") == "87,3\u202f%"


def test_axis_ticks_use_the_same_separators() -> None:
    chart = breakdown("Montant", "€", [("A", 2_500_000.0, 1.0), ("B", 1_000_000.0, 1.0)], "fr")
    svg = chart.svg()
    assert ">2\u202f000\u202f000</text>" in svg  # Vega's own tick label, through config.locale
    assert ">2\u202f500\u202f000\u00a0€</text>" in svg  # our bar label
    assert ">2,000,000</text>" in breakdown("Amount", "€", [("A", 2_500_000.0, 1.0)], "en").svg()


def test_unknown_language_is_refused() -> None:
    with pytest.raises(ValueError, match="lang"):
        trend("X", "%", [], None, None, "de")
    with pytest.raises(ValueError, match="top"):
        breakdown("X", "%", [("A", 1.0, 1.0)], "fr", top=0)


# --- palette -------------------------------------------------------------------------------------------------

def test_palette_meets_wcag_aa_on_white() -> None:
    for name in INFORMATIVE:
        assert contrast(PALETTE[name]) >= 4.5, name  # text AA (and so graphics ≥ 3:1 too)
    assert contrast("#000000") == pytest.approx(21.0)
    assert contrast("#767676") == pytest.approx(4.54, abs=0.01)  # the classic AA grey, as a check of contrast()


@pytest.mark.parametrize("lang", ["fr", "en"])
def test_rendered_colours_meet_wcag_aa(lang: str) -> None:
    for name, chart in build_all(lang).items():
        svg = chart.svg()
        texts = re.findall(r'<text[^>]*fill="(#[0-9a-fA-F]{3,6})"', svg)
        assert texts, name
        for colour in texts:
            assert contrast(colour) >= 4.5, (name, colour)
        marks = re.findall(r'aria-roledescription="(?:bar|point|line mark|tick|rule mark)"[^>]*?'
                           r'(?:fill|stroke)="(#[0-9a-fA-F]{3,6})"', svg)
        assert marks, name
        for colour in marks:
            assert contrast(colour) >= 3.0, (name, colour)
        assert "Marianne" not in svg and "system-ui" in svg


# --- cache and bundle ----------------------------------------------------------------------------------------

def test_svg_render_is_cached_by_spec() -> None:
    render_cache_clear()
    first = trend("Cache", "%", TREND_POINTS, 50.0, 2030, "fr")
    svg = first.svg()
    assert (render_cache_info().misses, render_cache_info().hits) == (1, 0)
    assert first.svg() == svg
    again = trend("Cache", "%", TREND_POINTS, 50.0, 2030, "fr")  # the same page, built again
    assert again.svg() == svg
    assert (render_cache_info().misses, render_cache_info().hits) == (1, 2)
    trend("Cache", "%", TREND_POINTS, 50.0, 2030, "en").svg()  # another language is another spec
    assert render_cache_info().misses == 2


def test_same_spec_two_ids_do_not_share_html_ids() -> None:
    a = trend("Same", "%", TREND_POINTS, None, None, "fr", chart_id="a")
    b = trend("Same", "%", TREND_POINTS, None, None, "fr", chart_id="b")
    assert a.spec == b.spec
    ids_a = set(re.findall(r'id="([^"]+)"', a.svg()))
    ids_b = set(re.findall(r'id="([^"]+)"', b.svg()))
    assert ids_a == {"a-title", "a-desc"} and not ids_a & ids_b


def test_vega_bundle_is_local_and_cached() -> None:
    bundle = vega_bundle()
    assert "vegaEmbed" in bundle and len(bundle) > 100_000
    assert "cdn.jsdelivr.net" not in bundle
    assert vega_bundle() is bundle


def test_chart_is_plain_data() -> None:
    chart: Any = build_all("fr")["trend"]
    assert chart.kind == "trend" and chart.lang == "fr" and not chart.empty
    assert all(isinstance(cell, str) for row in chart.rows for cell in row)


def test_warehouse_values_are_accepted() -> None:
    """DuckDB gives Decimal for DECIMAL columns and NaN may slip through: both become plain JSON."""
    chart = trend("Part", "%", [(2024, Decimal("35.10"), Decimal("0.5")), (2025, float("nan"), None)], Decimal(50),
                  2030, "fr")
    assert chart.values == ((2024, 35.1, 0.5), (2025, None, None))
    assert chart.rows[1] == ("2025", "—", "—")
    assert roles(chart.svg())["point"] == 1
    bars = breakdown("Part", "%", [("A", Decimal("1.5"), Decimal(3))], "en")
    assert bars.rows == (("A", "1.5%", "3"),)


def test_builders_are_cached() -> None:
    first = targets_vs_actual(TARGET_ITEMS, "fr")
    assert targets_vs_actual(list(TARGET_ITEMS), "fr") is first
    assert targets_vs_actual(TARGET_ITEMS, "en") is not first
