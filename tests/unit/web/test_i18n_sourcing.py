"""The sourcing space's words: every key its templates use exists in French and in English, and none replaces a
word of the observatory's pages (``MESSAGES.update`` would silently do so)."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from spaser.sourcing import alerts, plans
from spaser.web.i18n import MESSAGES, translator
from spaser.web.i18n_sourcing import SOURCING_MESSAGES

TEMPLATES = Path(__file__).resolve().parents[3] / "src" / "spaser" / "web" / "templates"
USED = re.compile(r"""\bt\(\s*["']([a-z0-9_]+)["']\s*\)""")
#: Keys built in the templates from a prefix and a value: the values they take.
BUILT = {"src_status_": plans.STATUSES, "src_target_": alerts.TARGETS, "src_kind_": ("plan", "consultation")}
FILES = [*sorted((TEMPLATES / "sourcing").glob("*.html")), TEMPLATES / "market" / "supplier_home.html",
         TEMPLATES / "buyer" / "home.html"]


def used_keys() -> set[str]:
    keys = {key for path in FILES for key in USED.findall(path.read_text(encoding="utf-8"))}
    keys |= {prefix + value for prefix, values in BUILT.items() for value in values}
    return keys


def test_every_key_used_by_the_sourcing_templates_exists_in_both_languages() -> None:
    keys = used_keys()
    assert len(keys) > 100
    missing = sorted(k for k in keys if k not in MESSAGES)
    assert missing == []
    empty = sorted(k for k in keys if not all(MESSAGES[k]))
    assert empty == []


def test_the_sourcing_words_are_ours_only() -> None:
    assert all(key.startswith("src_") for key in SOURCING_MESSAGES)
    unused = sorted(set(SOURCING_MESSAGES) - used_keys())
    assert unused == []
    for key, (fr, en) in SOURCING_MESSAGES.items():
        assert MESSAGES[key] == (fr, en)
        assert fr.strip() == fr and en.strip() == en, key


@pytest.mark.parametrize(("lang", "expected"), [("fr", "Achats prévus"), ("en", "Planned purchases")])
def test_translation(lang: str, expected: str) -> None:
    assert translator(lang)("src_plans_title") == expected
