"""The guichet vert's web helpers without a database: parameters checked with errors naming them, the word diff
of the validation page, durations, file names, and every interface word in both languages."""

from __future__ import annotations

import re
from decimal import Decimal
from pathlib import Path

import pytest

from spaser.clauses import helpdesk, library
from spaser.clauses.catalogue import KINDS, LEVELS, THEMES
from spaser.errors import InputError
from spaser.web import guichet_documents as documents
from spaser.web import guichet_views as views
from spaser.web.i18n import MESSAGES, translator
from spaser.web.i18n_guichet import GUICHET_MESSAGES

TEMPLATES = Path(views.__file__).parent / "templates"


def test_every_word_has_both_languages_and_every_key_used_exists() -> None:
    assert all(key.startswith("g_") and fr.strip() and en.strip() for key, (fr, en) in GUICHET_MESSAGES.items())
    assert all(MESSAGES[key] == pair for key, pair in GUICHET_MESSAGES.items())
    families = {"g_kind_": KINDS, "g_theme_": THEMES, "g_level_": LEVELS, "g_help_": helpdesk.STATUSES,
                "g_help_kind_": helpdesk.KINDS, "g_status_": ("validated", "superseded", "proposed", "rejected"),
                "g_mode_": ("hybrid", "lexical", "semantic", "catalogue"), "g_origin_": ("library", "buyer"),
                "g_field_": library.EDITABLE}
    for prefix, values in families.items():
        assert [f"{prefix}{v}" for v in values if f"{prefix}{v}" not in MESSAGES] == []
    sources = [*(TEMPLATES / "guichet").glob("*.html"), TEMPLATES / "buyer" / "_library.html",
               TEMPLATES / "buyer" / "_draft.html"]
    used = {key for path in sources for key in re.findall(r"""t\(["'](g_[a-z_]+)["']\)""", path.read_text())}
    assert used and sorted(used - set(MESSAGES)) == []
    assert translator("en")("g_title") == "Green desk" and translator("fr")("g_title") == "Guichet vert"


def test_search_filters_name_the_parameter_and_the_value() -> None:
    assert views.parse_filters(" bio ", "award_criterion", "social", "55523100-3", "basic") == views.Filters(
        q="bio", kind="award_criterion", theme="social", cpv="55523100-3", level="basic")
    assert not views.parse_filters().searching and views.parse_filters(cpv="55").searching
    for args, message in ((("", "x"), "type: 'x' is not one of"), (("", "", "vert"), "theme: 'vert'"),
                          (("", "", "", "", "top"), "niveau: 'top'"), (("", "", "", "1"), "cpv: '1' is not a CPV"),
                          (("x" * 1001,), "q: 1001 characters")):
        with pytest.raises(InputError, match=re.escape(message)):
            views.parse_filters(*args)
    with pytest.raises(InputError, match=r"^kind: 'x'"):
        views.parse_filters("", "x", names=("q", "kind", "theme", "cpv", "level"))


def test_clause_ids_criteria_ids_and_text() -> None:
    assert documents.clause_ids(["a-b, c-d", "a-b e"]) == ("a-b", "c-d", "e")
    with pytest.raises(InputError, match="clause: 'A' is not a clause id"):
        documents.clause_ids(["A"])
    with pytest.raises(InputError, match="clause: 201 clauses, the limit is 200"):
        documents.clause_ids([",".join(f"c{i}" for i in range(201))])
    assert documents.parse_criteria(["Prix;60\n\nValeur technique ; 40", "Délai;12,5"]) == (
        ("Prix", Decimal(60)), ("Valeur technique", Decimal(40)), ("Délai", Decimal("12.5")))
    for line, message in (("Prix", "'Prix' is not 'label;weight'"), (";5", "is not 'label;weight'"),
                          ("Prix;x", "'x' is not a weight in percent"), ("Prix;101", "between 0 and 100"),
                          ("Prix;NaN", "is not a weight in percent")):
        with pytest.raises(InputError, match=re.escape(message)):
            documents.parse_criteria([line])
    assert documents.record_id(" 12 ", "consultation") == 12 and documents.record_id("", "consultation") is None
    for raw in ("x", "0", "²", str(documents.MAX_ID + 1), "-3"):
        with pytest.raises(InputError, match=r"consultation: .* is not a consultation number"):
            documents.record_id(raw, "consultation")
    assert documents.safe("a\x00b\ufffec\ud800d\te\nf") == "abcd\te\nf"
    assert documents.slug("CONS-2026/001 Église") == "cons-2026-001-eglise" and documents.slug("—") == "modele"
    with pytest.raises(InputError, match="format: 'xls' is not one of docx, odt, pdf"):
        documents.check_choice("format", "xls", ("docx", "odt", "pdf"))


def test_word_diff_keeps_every_word_once() -> None:
    old, new = "Le titulaire trie les déchets.", "Le titulaire trie et valorise les biodéchets."
    segments = views.word_diff(old, new)
    assert "".join(t for op, t in segments if op != "insert") == old
    assert "".join(t for op, t in segments if op != "delete") == new
    assert ("insert", "et valorise ") in segments and ("delete", "déchets.") in segments
    assert views.word_diff("même", "même") == [("equal", "même")]


@pytest.mark.parametrize(("hours", "lang", "text"), [
    (None, "fr", "—"), (3.0, "fr", "3,0\u00a0h"), (47.9, "en", "47.9\u00a0h"), (60, "fr", "2,5\u00a0j"),
    (60, "en", "2.5\u00a0d"),
])
def test_durations(hours: float | None, lang: str, text: str) -> None:
    assert views.duration_text(hours, lang) == text


def test_template_links_offer_both_documents_in_every_format() -> None:
    links = documents.template_links([("clause", "a"), ("clause", "b")], "fr")
    assert [(link["document"], link["format"]) for link in links] == [
        (d, f) for d in ("rc", "cctp") for f in ("docx", "odt", "pdf")]
    assert links[0]["href"] == "/guichet-vert/modele/telecharger?clause=a&clause=b&document=rc&format=docx"
    assert links[3]["label"] == "CCTP (DOCX)"
