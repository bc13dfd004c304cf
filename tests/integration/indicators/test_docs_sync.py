"""docs/indicateurs.md is generated from the catalogue: the published definitions are the computed ones."""

from __future__ import annotations

import re

from spaser.indicators.catalogue import catalogue
from spaser.indicators.docs import render
from tests.conftest import ROOT

DOC = ROOT / "docs" / "indicateurs.md"


def test_the_indicator_docs_are_the_generated_ones() -> None:
    assert DOC.exists(), f"{DOC} is missing: run `make docs`"
    assert DOC.read_text(encoding="utf-8") == render(), (
        f"{DOC.relative_to(ROOT)} differs from the catalogue: run `make docs` "
        "(python -m spaser.indicators.docs docs/indicateurs.md) and commit the result")


def test_every_indicator_has_a_section() -> None:
    text = DOC.read_text(encoding="utf-8")
    sections = re.findall(r"^### `([a-z0-9_]+)` — ", text, flags=re.MULTILINE)
    assert sections == [entry.id for entry in catalogue()]
    for entry in catalogue():
        assert f"| `{entry.id}` | {entry.label_fr} |" in text, f"{entry.id} is missing from the summary table"
