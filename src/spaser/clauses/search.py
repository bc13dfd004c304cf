"""Search the model clauses: French lexical ranking (BM25) fused with sentence-embedding similarity, CPV fit.

Why both: a buyer types the words of the purchase ("repas bio", "recyclé") — BM25 over stems finds the clauses
that say them, accent-insensitive and while typing (the last word is a prefix); but a need is often worded
differently from the clause ("limiter la viande dans les menus" → the vegetarian menu clause), which only the
multilingual sentence model sees. Without the model (not installed, fails to load) the search stays lexical and
says so (``SearchResult.mode``).

Fusion: ``0.5 × lexical + 0.5 × semantic`` (``ALPHA``), the lexical score being the BM25 score as a share of the
query's ideal one (see ``_lexical``) and the semantic one the cosine min-max normalised over the clauses. Chosen
with ``bench/clause_recall.py`` (``bench/RESULTS_clauses.md``) on the 79-clause library and its 63 reference
queries: recall@5 / MRR@10 lexical 0.984 / 0.942, semantic 0.979 / 0.921, this fusion 1.000 / 0.956, reciprocal
rank fusion 0.984 / 0.937; weights 0.3 to 0.6 give the same, 0.7 0.952. With BM25 divided by the best clause's
score instead, 0.5 gave 0.984 / 0.947 ("site web sobre et peu énergivore" lost to clauses sharing only "peu" or
"site"). The naive substring match reaches 0.481 / 0.340. Most reference queries share a word with their clause,
so lexical ranking alone is strong; the model adds the paraphrases.

CPV fit (a consultation's CPV code): a clause made for its group (3 digits) is boosted more than one made for its
division (2 digits); a clause for every purchase (no category) is neutral; another category is penalised, not
removed — a buyer may still want it.
"""

from __future__ import annotations

import bisect
import math
import threading
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Final, Literal, NamedTuple

import numpy as np
import numpy.typing as npt

from spaser.clauses.catalogue import LEVELS, ModelClause
from spaser.clauses.semantic import Embedder, Vectors, as_unit_rows, default_embedder, warn_once
from spaser.warehouse.search_text import ALNUM_RUN, STOP_WORDS, stem, words_of

Mode = Literal["hybrid", "lexical", "semantic"]
Ranking = Literal["hybrid", "lexical", "semantic"]
Fusion = Literal["weighted", "rrf"]
#: "concatenated" (used): one embedding of "title. keywords. text"; "fields": the normalised sum of the embeddings
#: of the title, title + keywords, and text — closer to a short query on a hand-made sample, but worse on the
#: reference queries (semantic recall@5 0.960 vs 0.979, MRR 0.873 vs 0.921), so only kept for the benchmark.
DocumentEmbedding = Literal["fields", "concatenated"]
Floats = npt.NDArray[np.float64]

K1: Final = 1.2
B: Final = 0.75
#: Field weights of the BM25 term frequency: a word of the title says more than one of the body.
TITLE_WEIGHT: Final = 3.0
KEYWORD_WEIGHT: Final = 2.0
TEXT_WEIGHT: Final = 1.0
#: A word that only starts like the one being typed counts a little less than the word itself.
PREFIX_WEIGHT: Final = 0.8
MIN_PREFIX: Final = 3
#: Share of the lexical score in the weighted fusion (the rest is the semantic one).
ALPHA: Final = 0.5
RRF_K: Final = 60
#: A clause with no query word enters the hybrid ranking only when this close in meaning, so that a search returns
#: related clauses, not the whole library in some order: off-topic queries ("le chat est sur le toit", "recette de
#: la tarte aux pommes") reach at most ~0.14 on the library, a paraphrase 0.2-0.35 ("ordinateurs d'occasion" →
#: the refurbished computer clause 0.20). Same figures at 0.25 and 0.3 on the reference queries.
SEMANTIC_FLOOR: Final = 0.2
#: Longer input is cut: a pasted document must not cost seconds of encoding.
MAX_QUERY_CHARS: Final = 1000
#: Score factor per CPV fit, best first (see the module docstring).
FIT_FACTORS: Final = {"group": 1.3, "division": 1.15, "neutral": 1.0, "other": 0.6}
FIT_ORDER: Final = ("group", "division", "neutral", "other")
#: With a CPV code, the clauses made for its group or division are results even when worded differently from the
#: query (after the matches, by similarity): the buyer searches from that consultation.
FIT_CANDIDATES: Final = frozenset({"group", "division"})


@dataclass(frozen=True, slots=True)
class IndexedClause:
    """What the search reads of a clause. Its own type: the platform database also indexes the clause versions
    that buyers proposed, which have these fields but are not :class:`ModelClause` values."""

    key: str
    title: str
    text: str
    keywords: tuple[str, ...]
    categories: tuple[str, ...]
    kind: str
    theme: str
    level: str = "basic"  # only orders suggestions without text (basic first)

    @classmethod
    def of(cls, clause: ModelClause) -> IndexedClause:
        return cls(key=clause.id, title=clause.title, text=clause.text, keywords=tuple(clause.keywords),
                   categories=tuple(clause.categories), kind=clause.kind, theme=clause.theme, level=clause.level)


class Hit(NamedTuple):
    key: str
    score: float
    reasons: tuple[str, ...]  # why it is here, in French, for the page: words, meaning, CPV fit


@dataclass(frozen=True, slots=True)
class SearchResult:
    hits: tuple[Hit, ...]
    mode: Mode  # "lexical": no semantic score was used (no model, or no query text)

    @property
    def keys(self) -> list[str]:
        return [hit.key for hit in self.hits]


def cpv_digits(cpv: str | None) -> str:
    """The leading digits of a CPV code (``"55321000-6"`` → ``"55321000"``); fewer than 2 → no code."""
    if not cpv:
        return ""
    digits = ""
    for char in cpv.strip()[:16]:
        if not char.isdigit():
            break
        digits += char
    return digits if len(digits) >= 2 else ""


def cpv_fit(categories: Sequence[str], digits: str) -> tuple[str, str]:
    """(fit, category that decided it): the most specific category that is a prefix of the code wins.

    A code shorter than a category (``"15"`` for a ``"151"`` clause) is a division-level fit: the purchase is
    broader than the clause, which may still apply."""
    if not categories or not digits:
        return "neutral", ""
    best, why = "other", ""
    for category in categories:
        if digits.startswith(category):
            fit = "group" if len(category) >= 3 else "division"
        elif category.startswith(digits):
            fit = "division"
        else:
            continue
        if FIT_ORDER.index(fit) < FIT_ORDER.index(best):
            best, why = fit, category
    return best, why


def _fit_reason(fit: str, category: str, categories: Sequence[str]) -> str:
    if fit == "group":
        return f"CPV : groupe {category}"
    if fit == "division":
        return f"CPV : division {category}"
    if fit == "neutral":
        return "CPV : tous achats"
    return f"CPV : autre catégorie ({', '.join(categories)})"


def _as_typed(query: str, words: list[str]) -> dict[str, str]:
    """Folded word → the word as typed (lower case, accents kept), for the reasons shown to the buyer."""
    typed: list[str] = ALNUM_RUN.findall(query.lower())
    return dict(zip(words, typed, strict=True)) if len(typed) == len(words) else {}


def _terms_by_field(clause: IndexedClause) -> list[tuple[list[str], float]]:
    return [(words_of(clause.title), TITLE_WEIGHT), (words_of(" ".join(clause.keywords)), KEYWORD_WEIGHT),
            (words_of(clause.text), TEXT_WEIGHT)]


def _document_texts(clause: IndexedClause, embedding: DocumentEmbedding) -> list[str]:
    """The texts whose embeddings make a clause's vector (see ``DocumentEmbedding``)."""
    described = ". ".join(part for part in (clause.title, ", ".join(clause.keywords)) if part)
    if embedding == "concatenated":
        return [f"{described}. {clause.text}"]
    return [clause.title, described, clause.text]


class ClauseIndex:
    """An immutable index over clauses (safe to share between threads): BM25 postings and, when the model
    answers, one embedding per clause computed here, once."""

    def __init__(self, clauses: Iterable[IndexedClause],
                 embedder: Embedder | Literal["default"] | None = "default", *,
                 fusion: Fusion = "weighted", alpha: float = ALPHA,
                 embedding: DocumentEmbedding = "concatenated") -> None:
        self.clauses: tuple[IndexedClause, ...] = tuple(dict((c.key, c) for c in clauses).values())
        self.fusion, self.alpha = fusion, alpha
        self._postings: dict[str, dict[int, float]] = {}
        self._stem_of: dict[str, str] = {}  # folded word → term, for the prefix of the word being typed
        lengths = []
        for doc, clause in enumerate(self.clauses):
            length = 0.0
            for words, weight in _terms_by_field(clause):
                for word in words:
                    if word in STOP_WORDS:
                        continue
                    term = self._stem_of.setdefault(word, stem(word))
                    posting = self._postings.setdefault(term, {})
                    posting[doc] = posting.get(doc, 0.0) + weight
                    length += weight
            lengths.append(length)
        self._lengths = np.asarray(lengths, dtype=np.float64)
        self._average = float(self._lengths.mean()) if lengths and self._lengths.mean() > 0 else 1.0
        self._vocabulary = sorted(self._stem_of)
        self._embedder: Embedder | None = default_embedder() if isinstance(embedder, str) else embedder
        self._vectors: Vectors | None = None
        if self._embedder is not None and self.clauses:
            try:
                texts = [_document_texts(clause, embedding) for clause in self.clauses]
                flat = [text for parts in texts for text in parts]
                parts = as_unit_rows(self._embedder.encode(flat), len(flat))
                summed = parts.reshape(len(self.clauses), len(texts[0]), parts.shape[1]).sum(axis=1)
                self._vectors = as_unit_rows(summed, len(self.clauses))
            except Exception as error:  # EmbedderUnavailable, or anything a model may raise
                warn_once("clause-index", "clause search: sentence model unavailable (%s), searching lexically", error)

    @classmethod
    def of_catalogue(cls, clauses: Iterable[ModelClause],
                     embedder: Embedder | Literal["default"] | None = "default") -> ClauseIndex:
        return cls((IndexedClause.of(clause) for clause in clauses), embedder)

    @property
    def semantic(self) -> bool:
        """Whether the clause embeddings were computed (else every search is lexical)."""
        return self._vectors is not None

    def __len__(self) -> int:
        return len(self.clauses)

    # ------------------------------------------------------------------------------------------------------
    # Scores

    def _query_groups(self, words: list[str]) -> list[tuple[str, dict[str, float]]]:
        """One group per distinct query word: its term, plus for the last word the terms of the index words it
        starts (the word being typed), each with its weight."""
        groups: dict[str, dict[str, float]] = {}
        for position, word in enumerate(words):
            if word in STOP_WORDS:
                continue
            terms = groups.setdefault(word, {})
            terms[stem(word)] = 1.0
            if position == len(words) - 1 and len(word) >= MIN_PREFIX:
                start = bisect.bisect_left(self._vocabulary, word)
                for known in self._vocabulary[start:]:
                    if not known.startswith(word):
                        break
                    terms.setdefault(self._stem_of[known], PREFIX_WEIGHT)
        return list(groups.items())

    def _lexical(self, words: list[str]) -> tuple[Floats, list[list[str]]]:
        """BM25 score per clause as a share of the query's ideal score, and the query words each clause matched.

        Why not divided by the best clause's score: when the best match shares one common word of a six-word query
        ("site web sobre et peu énergivore" → "peu"), it would count as a perfect lexical match and drown the
        semantic ranking. The ideal is each query word at its highest idf with a saturated frequency (K1 + 1); a
        word absent from the index counts as a rare one, so a query of unknown words leans on the meaning."""
        scores = np.zeros(len(self.clauses), dtype=np.float64)
        matched: list[list[str]] = [[] for _ in self.clauses]
        count = len(self.clauses)
        norm = K1 * (1 - B + B * self._lengths / self._average)
        unseen = math.log(1 + (count + 0.5) / 0.5) * (K1 + 1)
        ideal = 0.0
        for word, terms in self._query_groups(words):
            best = np.zeros(len(self.clauses), dtype=np.float64)
            ceiling = 0.0
            for term, weight in terms.items():
                posting = self._postings.get(term)
                if not posting:
                    continue
                idf = math.log(1 + (count - len(posting) + 0.5) / (len(posting) + 0.5))
                ceiling = max(ceiling, weight * idf * (K1 + 1))
                docs = np.fromiter(posting.keys(), dtype=np.int64, count=len(posting))
                tf = np.fromiter(posting.values(), dtype=np.float64, count=len(posting))
                term_scores = weight * idf * tf * (K1 + 1) / (tf + norm[docs])
                np.maximum.at(best, docs, term_scores)
            for doc in np.flatnonzero(best):
                matched[doc].append(word)
            scores += best
            ideal += ceiling or unseen
        return (scores / ideal if ideal > 0 else scores), matched

    def _cosines(self, query: str) -> Floats | None:
        if self._vectors is None or self._embedder is None:
            return None
        try:
            vector = as_unit_rows(self._embedder.encode([query]), 1)[0]
        except Exception as error:
            warn_once("clause-query", "clause search: query embedding failed (%s), searching lexically", error)
            return None
        if vector.shape[0] != self._vectors.shape[1]:
            warn_once("clause-dim", "clause search: query and index embeddings differ in size, searching lexically")
            return None
        cosines: Floats = (self._vectors @ vector).astype(np.float64)
        return cosines

    # ------------------------------------------------------------------------------------------------------
    # Queries

    def search(self, query: str, cpv: str | None = None, kind: str | None = None, theme: str | None = None,
               limit: int = 10, *, ranking: Ranking = "hybrid") -> SearchResult:
        """The clauses for ``query``, best first, filtered by kind and theme, ordered with the CPV fit.

        ``ranking`` other than ``"hybrid"`` is for the benchmark. An empty query (or only stop words and
        punctuation) ranks by CPV fit alone; with no CPV either, nothing is returned."""
        query = query[:MAX_QUERY_CHARS] if isinstance(query, str) else ""
        digits = cpv_digits(cpv)
        docs = [doc for doc, clause in enumerate(self.clauses)
                if (kind is None or clause.kind == kind) and (theme is None or clause.theme == theme)]
        words = words_of(query)
        if limit <= 0 or not docs or all(word in STOP_WORDS for word in words):
            return self._by_fit(docs, digits, limit)
        lexical, matched = self._lexical(words)
        typed = _as_typed(query, words)
        cosines = self._cosines(query) if ranking != "lexical" else None
        mode: Mode = "lexical" if cosines is None else ("semantic" if ranking == "semantic" else "hybrid")
        chosen = np.asarray(docs, dtype=np.int64)
        fits = [cpv_fit(self.clauses[doc].categories, digits) if digits else ("neutral", "") for doc in docs]
        fitting = np.asarray([fit in FIT_CANDIDATES for fit, _ in fits], dtype=bool)
        relevance = self._relevance(lexical[chosen], None if cosines is None else cosines[chosen], mode, fitting)
        hits = []
        for doc, score, (fit, category) in zip(chosen.tolist(), relevance.tolist(), fits, strict=True):
            if score <= 0:
                continue
            clause = self.clauses[doc]
            reasons = []
            if matched[doc] and mode != "semantic":
                reasons.append("mots : " + ", ".join(typed.get(word) or word for word in matched[doc]))
            if cosines is not None and (mode == "semantic" or cosines[doc] >= SEMANTIC_FLOOR):
                reasons.append(f"sens proche : similarité {cosines[doc]:.2f}")
            if digits:
                score *= FIT_FACTORS[fit]
                reasons.append(_fit_reason(fit, category, clause.categories))
            hits.append(Hit(clause.key, score, tuple(reasons)))
        hits.sort(key=lambda hit: (-hit.score, hit.key))
        return SearchResult(tuple(hits[:limit]), mode)

    def _relevance(self, lexical: Floats, cosines: Floats | None, mode: Mode, fitting: npt.NDArray[np.bool_]) -> Floats:
        """Relevance in [0, 1] (0 = not a hit) from the lexical and semantic scores. The candidates: the clauses
        with a query word, those close enough in meaning, and those made for the consultation's CPV category."""
        if cosines is None:
            return np.where((lexical > 0) | fitting, np.maximum(lexical, 1e-9), 0.0)
        low, high = cosines.min(initial=1.0), cosines.max(initial=-1.0)
        semantic_n = (cosines - low) / (high - low) if high > low else np.ones_like(cosines)
        if mode == "semantic":
            return np.asarray(np.maximum(semantic_n, 1e-9), dtype=np.float64)
        candidate = (lexical > 0) | (cosines >= SEMANTIC_FLOOR) | fitting
        if self.fusion == "rrf":
            fused = np.zeros_like(cosines)
            for scores, keep in ((lexical, lexical > 0), (cosines, candidate)):
                order = np.argsort(-scores, kind="stable")
                ranks = np.empty_like(order)
                ranks[order] = np.arange(len(order))
                fused += np.where(keep, 1.0 / (RRF_K + 1 + ranks), 0.0)
            fused /= 2.0 / (RRF_K + 1)
        else:
            fused = self.alpha * lexical + (1 - self.alpha) * semantic_n
        return np.where(candidate, np.maximum(fused, 1e-9), 0.0)

    def _by_fit(self, docs: list[int], digits: str, limit: int) -> SearchResult:
        """No query text: the clauses that fit the CPV code, best fit first, then basic before advanced, by title."""
        if not digits or limit <= 0:
            return SearchResult((), "lexical")
        ranked = []
        for doc in docs:
            clause = self.clauses[doc]
            fit, category = cpv_fit(clause.categories, digits)
            level = LEVELS.index(clause.level) if clause.level in LEVELS else len(LEVELS)
            ranked.append(((FIT_ORDER.index(fit), level, clause.title.casefold(), clause.key), clause, fit, category))
        ranked.sort(key=lambda item: item[0])
        hits = tuple(Hit(clause.key, FIT_FACTORS[fit], (_fit_reason(fit, category, clause.categories),))
                     for _, clause, fit, category in ranked[:limit])
        return SearchResult(hits, "lexical")

    def suggest(self, cpv: str | None, text: str, limit: int = 10) -> SearchResult:
        """The clauses that fit a consultation: its CPV code and its object / description (either may be empty)."""
        return self.search(text or "", cpv=cpv, limit=limit)


_default_index: ClauseIndex | None = None
_default_lock = threading.Lock()


def default_index() -> ClauseIndex:
    """The index over the shipped library, built once per process (the model loads with it, ~1 s)."""
    global _default_index
    with _default_lock:
        if _default_index is None:
            from spaser.clauses.catalogue import catalogue

            _default_index = ClauseIndex.of_catalogue(catalogue())
        return _default_index
