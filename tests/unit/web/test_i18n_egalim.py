"""The Egalim pages' words: every key their templates (and the buyer home's link) use exists in French and in
English, and none replaces a word of the other bricks (``MESSAGES.update`` would silently do so)."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from spaser.web.i18n import MESSAGES, translator
from spaser.web.i18n_egalim import EGALIM_MESSAGES

TEMPLATES = Path(__file__).resolve().parents[3] / "src" / "spaser" / "web" / "templates"
USED = re.compile(r"""\bt\(\s*["']([a-z0-9_]+)["']""")
#: Keys built in the templates from a prefix and a value: the values they take.
BUILT = {"e_ws_kind_": ("difference", "unknown_article"), "e_territory_": ("unknown", "mixed")}


def used_keys() -> set[str]:
    files = [*sorted((TEMPLATES / "egalim").glob("*.html")), TEMPLATES / "buyer" / "home.html"]
    keys = {key for path in files for key in USED.findall(path.read_text(encoding="utf-8"))
            if not key.endswith("_")}  # a prefix: its values are in BUILT
    return keys | {prefix + value for prefix, values in BUILT.items() for value in values}


def test_every_key_of_the_egalim_templates_exists_in_both_languages() -> None:
    keys = used_keys()
    assert {"e_ws_title", "e_ws_link", "e_ws_remove_confirm", "e_title"} <= keys
    assert sorted(k for k in keys if k not in MESSAGES) == []
    assert sorted(k for k in keys if not all(MESSAGES[k])) == []


def test_the_workspace_words_are_ours_and_used() -> None:
    for key, (fr, en) in EGALIM_MESSAGES.items():
        assert key.startswith("e_") or key == "nav_egalim", key
        assert MESSAGES[key] == (fr, en), key
        assert fr.strip() == fr and en.strip() == en, key
    workspace = {k for k in EGALIM_MESSAGES if k.startswith("e_ws_")}
    assert sorted(workspace - used_keys()) == []


@pytest.mark.parametrize(("lang", "expected"), [("fr", "Rapport d'import"), ("en", "Import report")])
def test_translation(lang: str, expected: str) -> None:
    assert translator(lang)("e_ws_report") == expected
