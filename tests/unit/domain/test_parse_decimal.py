"""Exact numbers typed in forms (bid amounts, estimated values, weights, scores): one parser for all of them."""

from decimal import Decimal

import pytest

from spaser.domain.montant import parse_decimal
from spaser.errors import InputError


@pytest.mark.parametrize(("typed", "expected"), [
    ("1\u202f234,50", Decimal("1234.50")), ("1 234.5", Decimal("1234.5")), ("60 %", Decimal(60)),
    ("98500", Decimal(98500)), ("1\u00a0000", Decimal(1000)), (Decimal("7.25"), Decimal("7.25")),
])
def test_french_and_english_forms_are_read_exactly(typed: object, expected: Decimal) -> None:
    assert parse_decimal(typed, "amount", "an amount in euros") == expected


@pytest.mark.parametrize("typed", ["douze", "", "NaN", "Infinity", "1,2,3"])
def test_anything_else_names_the_field_and_the_value(typed: str) -> None:
    with pytest.raises(InputError, match=f"amount: {typed!r} is not an amount in euros"):
        parse_decimal(typed, "amount", "an amount in euros")
