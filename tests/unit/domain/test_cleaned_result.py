"""The Cleaned result type shared by every cleaning rule (spaser.domain.cleaned)."""

from __future__ import annotations

import dataclasses

import pytest

from spaser.domain.cleaned import Cleaned


def test_cleaned_is_an_immutable_pair() -> None:
    result = Cleaned(12.5, ("montant:texte",))
    with pytest.raises(AttributeError):
        result.value = 1.0  # type: ignore[misc]
    value, flags = result
    assert (value, flags) == (12.5, ("montant:texte",))
    assert result.value == 12.5 and result.flags == ("montant:texte",)
    assert result == (12.5, ("montant:texte",))
    assert not dataclasses.is_dataclass(result)


def test_clean_input_has_no_flags() -> None:
    assert Cleaned[str]("Marché", ()).flags == ()
    assert Cleaned[str](None, ("nature:manquant",)).value is None
