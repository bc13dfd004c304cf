"""Text → search terms: folding, stop words, French stemming, digits; and the SQL tokeniser of the index agrees
with the Python normaliser of the queries."""

from __future__ import annotations

import unicodedata

import duckdb
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from spaser.errors import InputError
from spaser.warehouse.search import MAX_QUERY_TERMS, QueryTerm, parse_query
from spaser.warehouse.search_index import SQL_SEPARATORS
from spaser.warehouse.search_text import STOP_WORDS, fold, normalise_terms


def test_accents_and_case_are_removed() -> None:
    assert normalise_terms("Équipements") == ["equip"]
    assert normalise_terms("ÉQUIPEMENTS") == normalise_terms("equipements") == normalise_terms("équipements")
    assert normalise_terms("Sécurité") == normalise_terms("securite") == ["securit"]
    assert fold("ÀÂÄÇÉÈÊËÎÏÔÖÙÛÜŸ") == "aaaceeeeiioouuuy"
    # Decomposed input (e + combining acute) folds like the composed one.
    assert normalise_terms(unicodedata.normalize("NFD", "éléphant réséda")) == ["eleph", "resed"]


def test_ligatures() -> None:
    assert normalise_terms("Maîtrise d'œuvre") == ["maitris", "oeuvr"]
    assert normalise_terms("ŒUVRE") == normalise_terms("oeuvre") == ["oeuvr"]
    assert fold("ex æquo Æ") == "ex aequo ae"
    assert fold("ﬁbre ™") == "fibre tm"  # compatibility forms (NFKD), lower case afterwards


def test_stop_words_are_dropped() -> None:
    assert normalise_terms("Fourniture de repas pour les écoles et la crèche du village") == [
        "fournitur", "rep", "ecol", "crech", "villag"]
    # Elisions leave one-letter words, dropped; "à" folds to the stop word "a".
    assert normalise_terms("l'éclairage d'un site à Paris") == ["eclairag", "sit", "paris"]
    assert normalise_terms("le la les de des du et en au aux un une sur dans par avec") == []
    assert all(word == fold(word) for word in STOP_WORDS)


def test_stemming_brings_inflections_together() -> None:
    assert normalise_terms("restauration scolaire") == ["restaur", "scolair"]
    assert normalise_terms("restaurant scolaires") == ["restaur", "scolair"]
    assert normalise_terms("restaurants") == ["restaur"]
    # Snowball's French stemmer does not bring "travaux" and "travail" together: the index does as it does.
    assert normalise_terms("travaux") == ["traval"]
    assert normalise_terms("travail") == ["travail"]
    assert normalise_terms("prestations") == normalise_terms("prestation") == ["prestat"]


def test_digits_are_kept_as_they_are() -> None:
    assert normalise_terms("Travaux de voirie 2025 – lot n°2") == ["traval", "voir", "2025", "lot", "2"]
    assert normalise_terms("Ramettes A4, 80 g/m²") == ["ramet", "a4", "80", "g", "m2"]
    assert normalise_terms("2024-2027") == ["2024", "2027"]
    assert normalise_terms("0123") == ["0123"]


def test_split_on_anything_not_a_letter_or_digit() -> None:
    assert normalise_terms("gymnase/piscine_municipale—(Rennes)") == ["gymnas", "piscin", "municipal", "ren"]
    assert normalise_terms("l’éclairage\u00a0public") == ["eclairag", "public"]
    assert normalise_terms("") == []
    assert normalise_terms(" -- ") == []


def test_repeats_are_kept_in_order() -> None:
    assert normalise_terms("lot 1 lot 2") == ["lot", "1", "lot", "2"]


def test_parse_query() -> None:
    assert parse_query("Restauration SCOLAIRE") == [QueryTerm("restauration", "restaur", False),
                                                    QueryTerm("scolaire", "scolair", False)]
    assert parse_query("restau* de la") == [QueryTerm("restau", "restau", True)]
    # A prefix is not a stop word ("le*" finds "lecture"…), needs two characters, and is marked by a * right after.
    assert parse_query("le* l* a *b") == [QueryTerm("le", "le", True), QueryTerm("b", "b", False)]
    # Terms are distinct: inflections of one stem count once.
    assert [str(t) for t in parse_query("restaurant restauration restau*")] == ["restaur", "restau*"]
    assert parse_query("le la les") == []
    assert parse_query("\"maîtrise d'œuvre\" OR -berges") == [
        QueryTerm("maitrise", "maitris", False), QueryTerm("oeuvre", "oeuvr", False),
        QueryTerm("or", "or", False), QueryTerm("berges", "berg", False)]


def test_too_many_query_terms() -> None:
    words = " ".join(f"mot{i}" for i in range(MAX_QUERY_TERMS + 1))
    with pytest.raises(InputError, match="at most"):
        parse_query(words)


# The index cuts texts in SQL (lower, strip_accents, split on ASCII separators) and normalises each distinct word
# in Python; a query is normalised as a whole in Python. Both must give the same terms.
_CON = duckdb.connect()


def _index_terms(text: str) -> list[str]:
    words = _CON.execute(
        f"SELECT unnest(string_split_regex(strip_accents(lower(?)), '{SQL_SEPARATORS}'))", [text]).fetchall()
    return [term for (word,) in words for term in normalise_terms(word)]


@pytest.mark.parametrize("text", [
    "Équipements sportifs", "Maîtrise d'œuvre", "ﬁbre optique", "½ journée", "n°2", "Straße", "x²", "Ⅻ", "①",
    "ＡＢＣ", "™", "İstanbul", "Łódź", "μ-ondes", unicodedata.normalize("NFD", "éléphant"), "a\u00a0b\u2009c",
    "café-restaurant", "l’éclairage", "ÀÂÄÇÉÈÊËÎÏÔÖÙÛÜŸ àâäçéèêëîïôöùûüÿ",
])
def test_index_tokeniser_agrees_with_the_query_normaliser(text: str) -> None:
    assert _index_terms(text) == normalise_terms(text)


_FRENCHISH = st.text(
    alphabet=st.sampled_from(list("abcdeéèêëfghiîïjklmnoôœpqrstuùûüvwxyzAÉÈÇŒÆ0123456789 '’-_/.,;:()°²«»\u00a0"
                                  "ﬁ½ßøμ")),
    max_size=60,
)


@settings(max_examples=300, deadline=None)
@given(_FRENCHISH)
def test_index_tokeniser_agrees_on_random_text(text: str) -> None:
    assert _index_terms(text) == normalise_terms(text)
