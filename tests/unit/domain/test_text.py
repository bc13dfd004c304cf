"""``user_text``: what a person typed in a form, cleaned or refused with the field named."""

from __future__ import annotations

import pytest

from spaser.domain.text import user_text
from spaser.errors import InputError


def test_trims_and_normalises_line_ends() -> None:
    assert user_text("  Bonjour,\r\nà demain\r ", "body", 100) == "Bonjour,\nà demain"


def test_removes_what_databases_and_office_files_refuse() -> None:
    # NUL (PostgreSQL), a lone surrogate (not UTF-8), U+FFFE/U+FFFF (DOCX and ODT writers).
    assert user_text("a\x00b\ud800c\ufffed\uffffe\x07", "title", 100) == "abcde"


def test_keeps_tabs_and_every_real_character() -> None:
    assert user_text("œuvre\t€ 😀 « ok »", "title", 100) == "œuvre\t€ 😀 « ok »"


def test_empty_and_too_long_are_errors_naming_the_field() -> None:
    with pytest.raises(InputError, match="subject: write the text"):
        user_text(" \x00 ", "subject", 10)
    assert user_text("", "note", 10, required=False) == ""
    with pytest.raises(InputError, match="note: 11 characters, the limit is 10"):
        user_text("x" * 11, "note", 10, required=False)
