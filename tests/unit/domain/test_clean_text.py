"""Text cleaning rules (spaser.domain.text), each tied to the real record that motivated it."""

from __future__ import annotations

import re

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from spaser.domain.cleaned import Cleaned
from spaser.domain.text import clean_key, clean_text, plain_texts
from tests.real_records import field_value, real_record

CROIX = "v2019/marches-securises_ville-de-croix_2019-2021.json"
AIFE = "v2019/data.gouv.fr_aife_2019-04-04.json"
SEMI_2022 = "fixtures_semi_synthetic/decp-processing_decp_test_2022.json"
MEGALIS = "v2024/megalis-bretagne_decp-59920013600241-2024-07-09-01.json"


# --- rules tied to real records -------------------------------------------------------------------


@pytest.mark.shared_data
def test_replacement_characters_are_kept_and_flagged() -> None:
    rec = real_record(AIFE, id="2018COs68fWklM00")
    assert clean_text(rec["acheteur"]["nom"], "acheteur.nom") == (
        "Soci\ufffdt\ufffd de livraison des ouvrages olympiques (SOLIDEO)", ("acheteur.nom:encodage",)
    )


@pytest.mark.shared_data
@pytest.mark.parametrize(
    ("record_id", "path", "fragment"),
    [
        ("2018n_KyjhmZyf00", "acheteur.nom", "COMMUNAUTE DE COMMUNES CŒUR ET COTEAUX"),
        ("2018rYmEuEWNA200", "objet", "des vœux du Maire"),
        ("2019kPI1cQn5pl00", "acheteur.nom", "Bassin de l’Ard"),
    ],
)
def test_windows_1252_control_characters_are_repaired(record_id: str, path: str, fragment: str) -> None:
    raw = field_value(real_record(AIFE, id=record_id), path)
    value, flags = clean_text(raw, "f")
    assert value is not None and fragment in value
    assert "f:cp1252" in flags
    assert not re.search("[\u0080-\u009f]", value)


@pytest.mark.shared_data
def test_json_nan_is_missing() -> None:
    rec = real_record(SEMI_2022, id="202401L04")
    assert clean_text(rec["concessionnaires"], "concessionnaires") == (None, ("concessionnaires:nan",))


@pytest.mark.shared_data
def test_newlines_are_kept() -> None:
    rec = real_record(MEGALIS, id="H9O2024T0000256")
    value, flags = clean_text(rec["objet"], "objet")
    assert flags == ()
    assert value is not None and "\n" in value and value == rec["objet"].strip()


@pytest.mark.shared_data
def test_key_with_trailing_space() -> None:
    rec = real_record(CROIX, id="202117F000000000", montant="30000.00")
    assert "nom " in rec["lieuExecution"]
    assert {clean_key(k) for k in rec["lieuExecution"]} == {"code", "typeCode", "nom"}


# --- literal rules --------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("Travaux", Cleaned("Travaux", ())),
        ("  Travaux\u00a0", Cleaned("Travaux", ())),
        ("\ufeffTravaux", Cleaned("Travaux", ("f:controle",))),
        ("Tra\x00vaux\x1f", Cleaned("Travaux", ("f:controle",))),
        ("Tra\x81vaux", Cleaned("Travaux", ("f:controle",))),  # 0x81 is undefined in cp1252: removed
        ("a\tb\nc", Cleaned("a\tb\nc", ())),
        ("a\r\nb", Cleaned("a\nb", ())),
        ("a\rb", Cleaned("ab", ("f:controle",))),
        ("", Cleaned(None, ())),
        (" \n ", Cleaned(None, ())),
        (None, Cleaned(None, ())),
        (float("nan"), Cleaned(None, ("f:nan",))),
        (20190100, Cleaned("20190100", ())),
        ([1, 2], Cleaned(None, ("f:illisible",))),
        ({"a": 1}, Cleaned(None, ("f:illisible",))),
    ],
)
def test_literal_texts(raw: object, expected: Cleaned[str]) -> None:
    assert clean_text(raw, "f") == expected


def test_required_adds_manquant() -> None:
    assert clean_text(None, "objet", required=True) == (None, ("objet:manquant",))
    assert clean_text("  ", "objet", required=True) == (None, ("objet:manquant",))
    assert clean_text("\ufeff", "objet", required=True) == (None, ("objet:controle", "objet:manquant"))


def test_max_length_truncates_and_flags() -> None:
    assert clean_text("x" * 300, "objet", max_length=256) == ("x" * 256, ("objet:tronque",))
    assert clean_text("x" * 256, "objet", max_length=256) == ("x" * 256, ())
    assert clean_text("abc def", "objet", max_length=4) == ("abc", ("objet:tronque",))


@pytest.mark.parametrize(
    ("raw", "expected"), [("nom ", "nom"), (" id\t", "id"), ("\ufeffid", "id"), ("id", "id")]
)
def test_clean_key(raw: str, expected: str) -> None:
    assert clean_key(raw) == expected


# --- properties -----------------------------------------------------------------------------------

ANY = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats() | st.text() | st.binary(),
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=4), inner, max_size=3),
    max_leaves=6,
)
NASTY = st.text(
    st.characters(codec="utf-8") | st.sampled_from(["\ufeff", "\ufffd", "\x9c", "\x00", "\r", " "])
)


@pytest.mark.slow
@given(ANY | NASTY, st.none() | st.integers(1, 50))
def test_never_raises_and_output_is_clean_and_stable(raw: object, max_length: int | None) -> None:
    value, flags = clean_text(raw, "f", max_length=max_length)
    assert all(f.startswith("f:") for f in flags)
    if value is not None:
        assert value and value == value.strip()
        assert not re.search("[\x00-\x08\x0b-\x1f\x7f-\u009f\ufeff]", value)
        assert max_length is None or len(value) <= max_length
        again = clean_text(value, "f", max_length=max_length)
        assert again.value == value
        assert set(again.flags) <= {"f:encodage"}


TEXTS = st.one_of(st.text(max_size=12), st.sampled_from([" a", "a ", "a b", "caf\ufffd", "x\u0007y", "\ufeffa",
                                                          "\u00a0a", "Travaux\nde voirie", "ok"]))


@settings(max_examples=400, deadline=None)
@given(st.lists(TEXTS, max_size=8))
def test_plain_texts_agrees_with_the_scalar_rule(values: list[str]) -> None:
    """``plain_texts`` (a whole column at once) holds exactly when every value passes ``clean_text``'s fast
    test, and then every value is clean and kept as is."""
    fast = all(v.isprintable() and v and v[0] != " " and v[-1] != " " and "\ufffd" not in v for v in values)
    assert plain_texts(values) == fast
    if fast:
        assert all(clean_text(v, "objet") == Cleaned(v, ()) for v in values)
