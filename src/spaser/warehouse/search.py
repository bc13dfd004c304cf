"""French full-text search over the contracts: their ``objet``, their buyer's name and their titulaires' names.

Why not DuckDB's ``fts`` extension: it is downloaded at run time, which fails offline. The index is built here,
in plain tables of the snapshot, by ``search_index.build_search_index`` (called by ``refresh_derived`` after every
ingestion and reference load), and read by :func:`search` on a read-only connection.

What is indexed, per contract (one row of ``contracts``):

* ``objet`` (field ``objet``);
* the buyer's name (field ``acheteur``): ``acheteur_nom`` as published, and the SIRENE denomination of the
  buyer's SIREN when a SIRENE stock is loaded (the 2022 DECP format carries no names at all);
* the names of the titulaires in force (field ``titulaire``, view ``titulaires_actuels``): ``denominationSociale``
  as published, and the SIRENE denomination of each valid SIRET's SIREN when loaded.

Text → terms (``search_text.normalise_terms``, the same for the index and the queries): lower case; accents removed
(NFKD, combining marks dropped; ``œ`` → ``oe``, ``æ`` → ``ae``); split on anything that is not a letter or a digit
(so ``l'éclairage`` gives ``l`` and ``eclairage``, ``n°2`` gives ``n`` and ``2``); French stop words dropped
(:data:`STOP_WORDS`); every word without digits reduced by the French Snowball stemmer (``restauration``,
``restaurant`` and ``restaurants`` all give ``restaur``; ``travaux`` gives ``traval`` but ``travail`` stays
``travail``); words with digits (years, lot numbers, ``a4``) kept as they are.

Query syntax (:func:`search`):

* words separated by spaces or punctuation; every term must match (AND), in any indexed field;
* a word ending with ``*`` is a prefix: it matches every term that starts with its stem, and every term of an
  indexed word that starts with it as typed (folded), so ``restau*`` finds restauration and restaurants and
  ``travau*`` finds travaux; a prefix is never dropped as a stop word and needs at least 2 characters;
* nothing else: no quoted phrases, no ``OR``, no ``-`` exclusion, no field prefix (``objet:``) — such characters
  are separators. A query without any searchable term (empty, or only stop words) returns ``total=None``: no
  full-text constraint, the caller lists contracts its own way (by date).

:func:`matching_sql` gives the same matches as a SQL query (``contract_key``, ``score``) to combine with other
filters and sorts without a limit.

Ranking (deterministic): score descending, then ``date_notification`` descending (unknown dates last), then
``contract_key``. The score sums, over the query's terms, the weights of the fields the term was found in:
objet 4, acheteur 2, titulaire 1 (so a term in the objet outweighs the same term in both names).

Tables (all rebuilt together; ``search_*``):

``search_contracts(contract_id INTEGER, contract_key VARCHAR, date_notification DATE)``
    every contract, numbered 0… in (date_notification DESC NULLS LAST, contract_key) order: ordering by
    ``contract_id`` is the date tie-break of the ranking;
``search_terms(term VARCHAR, term_id INTEGER)``
    the vocabulary, numbered in term order (the terms sharing a prefix are a range of ids);
``search_postings(term_id INTEGER, field UTINYINT, contract_id INTEGER)``
    one row per (term, field, contract) where the term occurs, sorted by (term_id, field, contract_id): a term is
    a contiguous slice that DuckDB's zone maps find without a full scan; ``field`` is the weight (4/2/1, see
    :data:`FIELDS`);
``search_words(word VARCHAR, term VARCHAR)``
    every distinct word of the indexed text (as cut by the SQL tokeniser) and its term(s), NULL for a stop word:
    the cache that spares the next build from stemming known words again, and the word side of prefix queries;
``search_index_info``
    one row: normaliser version (the cache is thrown away when it changes), counts, build time.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Collection, Sequence
from dataclasses import dataclass, field
from typing import Final

import duckdb
import numpy as np
import numpy.typing as npt

from spaser.errors import InputError
from spaser.warehouse.search_text import ALNUM_RUN, STOP_WORDS, fold, stem

#: Field name → weight in the score, also the value stored in ``search_postings.field``.
FIELDS: Final[dict[str, int]] = {"objet": 4, "acheteur": 2, "titulaire": 1}

MAX_QUERY_TERMS: Final = 16
MIN_PREFIX: Final = 2
#: A query term whose term ids form more ranges than this is read in one pass over the postings instead.
MAX_RANGE_SCANS: Final = 8



# --------------------------------------------------------------------------------------------------
# Querying


@dataclass(frozen=True)
class QueryTerm:
    """One term of a query: an exact term (stemmed) or a prefix (``text`` folded as typed, ``stem`` stemmed)."""

    text: str
    stem: str
    prefix: bool

    def __str__(self) -> str:
        return f"{self.stem}*" if self.prefix else self.stem


def parse_query(query: str) -> list[QueryTerm]:
    """The distinct terms of a query, in order; ``*`` right after a word makes it a prefix."""
    terms: dict[tuple[str, bool], QueryTerm] = {}
    folded = fold(query)
    for match in ALNUM_RUN.finditer(folded):
        word = match.group()
        prefix = folded[match.end():match.end() + 1] == "*"
        if prefix:
            if len(word) < MIN_PREFIX:
                continue
            term = QueryTerm(word, stem(word), True)
        elif word in STOP_WORDS:
            continue
        else:
            term = QueryTerm(word, stem(word), False)
        terms.setdefault((term.stem if not prefix else term.text, prefix), term)
    found = list(terms.values())
    if len(found) > MAX_QUERY_TERMS:
        raise InputError(f"q: at most {MAX_QUERY_TERMS} search terms, got {len(found)}")
    return found


@dataclass(frozen=True)
class SearchFilters:
    """Restrictions applied inside the search (the explorer's other filters apply to its result)."""

    fields: Collection[str] = tuple(FIELDS)  # where a term may match
    annee: int | None = None  # year of date_notification
    acheteur_id: str | None = None

    def check(self) -> None:
        unknown = set(self.fields) - set(FIELDS)
        if unknown or not self.fields:
            raise InputError(f"fields: choose among {', '.join(FIELDS)}, got {sorted(self.fields)}")


@dataclass
class SearchPage:
    """One page of a full-text search.

    ``keys``: contract keys, best first; ``total``: contracts matching (all pages), or None when the query had no
    searchable term (no full-text constraint: the caller lists contracts its own way); ``next_after``: the
    ``after`` of the next page, None on the last one; ``terms``: the query as understood (``restaur``, ``equip*``).
    """

    keys: list[str]
    total: int | None
    scores: list[int] = field(default_factory=list)
    next_after: str | None = None
    terms: list[str] = field(default_factory=list)

    @property
    def ranked(self) -> bool:
        return self.total is not None


IntArray = npt.NDArray[np.int64]


def _term_ids(con: duckdb.DuckDBPyConnection, term: QueryTerm) -> list[int]:
    if not term.prefix:
        return [int(i) for (i,) in con.execute("SELECT term_id FROM search_terms WHERE term = ?",
                                               [term.stem]).fetchall()]
    rows = con.execute(
        """
        SELECT term_id FROM search_terms WHERE starts_with(term, ?)
        UNION
        SELECT t.term_id FROM search_words w JOIN search_terms t USING (term) WHERE starts_with(w.word, ?)
        ORDER BY term_id
        """, [term.stem, term.text]).fetchall()
    return [int(i) for (i,) in rows]


def _runs(ids: Sequence[int]) -> list[tuple[int, int]]:
    """Sorted ids as inclusive ranges of consecutive ids."""
    runs: list[tuple[int, int]] = []
    for i in ids:
        if runs and runs[-1][1] == i - 1:
            runs[-1] = (runs[-1][0], i)
        else:
            runs.append((i, i))
    return runs


def _field_mask(con: duckdb.DuckDBPyConnection, term_ids: Sequence[int], fields: int, n: int) -> npt.NDArray[np.uint8]:
    """Per contract, the OR of the field weights where one of the terms occurs (0: absent)."""
    mask = np.zeros(n, np.uint8)
    runs = _runs(term_ids)
    if len(runs) <= MAX_RANGE_SCANS:
        found = [con.execute("SELECT field, contract_id FROM search_postings WHERE term_id BETWEEN ? AND ? "
                             "AND field & ? <> 0", [first, last, fields]).fetchnumpy() for first, last in runs]
    else:  # a prefix whose words' terms are scattered: one pass over the postings
        found = [con.execute("SELECT field, contract_id FROM search_postings WHERE term_id IN "
                             "(SELECT unnest(?::INTEGER[])) AND field & ? <> 0", [list(term_ids), fields]).fetchnumpy()]
    for part in found:
        weights = np.asarray(part["field"], np.uint8)
        contracts = np.asarray(part["contract_id"], np.int64)
        for weight in FIELDS.values():
            if weight & fields:
                # One weight at a time: a contract repeated (several terms of a prefix) gets the same value.
                mask[contracts[weights == weight]] |= np.uint8(weight)
    return mask


def _filter_ids(con: duckdb.DuckDBPyConnection, filters: SearchFilters, candidates: IntArray) -> IntArray:
    if filters.annee is not None:
        row = con.execute("SELECT min(contract_id), max(contract_id) FROM search_contracts "
                          "WHERE date_notification >= ? AND date_notification < ?",
                          [dt.date(filters.annee, 1, 1), dt.date(filters.annee + 1, 1, 1)]).fetchone()
        if row is None or row[0] is None:
            return candidates[:0]
        candidates = candidates[(candidates >= row[0]) & (candidates <= row[1])]
    if filters.acheteur_id is not None:
        allowed = con.execute("SELECT s.contract_id FROM contracts c JOIN search_contracts s USING (contract_key) "
                              "WHERE c.acheteur_id = ?", [filters.acheteur_id]).fetchnumpy()["contract_id"]
        candidates = candidates[np.isin(candidates, np.asarray(allowed, np.int64))]
    return candidates


def _encode_after(score: int, contract_id: int) -> str:
    return f"{score}.{contract_id}"


def _decode_after(after: str) -> tuple[int, int]:
    score, _, contract_id = after.partition(".")
    if not (score.isdigit() and contract_id.isdigit()):
        raise InputError(f"after: {after!r} is not a position returned by a previous search")
    return int(score), int(contract_id)


def search(con: duckdb.DuckDBPyConnection, query: str, *, limit: int | None = 50, after: str | None = None,
           filters: SearchFilters | None = None) -> SearchPage:
    """Contracts matching every term of ``query``, best first (see the module docstring for the syntax and the
    ranking); ``limit`` None: all of them; ``after``: the ``next_after`` of the previous page (valid for the same
    snapshot). Reads only the ``search_*`` tables (and ``contracts`` for an ``acheteur_id`` filter); raises
    ``duckdb.CatalogException`` on a snapshot built before the index existed."""
    if limit is not None and limit < 0:
        raise InputError(f"limit: must be positive, got {limit}")
    filters = filters or SearchFilters()
    filters.check()
    terms = parse_query(query)
    understood = [str(t) for t in terms]
    if not terms:
        return SearchPage([], None, terms=understood)
    fields = 0
    for name in filters.fields:
        fields |= FIELDS[name]
    row = con.execute("SELECT count(*) FROM search_contracts").fetchone()
    n = int(row[0]) if row else 0
    matched = np.zeros(n, np.uint8)
    score = np.zeros(n, np.uint16)
    for term in terms:
        ids = _term_ids(con, term)
        if not ids:
            return SearchPage([], 0, terms=understood)
        mask = _field_mask(con, ids, fields, n)
        score += mask
        matched += mask > 0
    candidates = np.flatnonzero(matched == len(terms)).astype(np.int64)
    candidates = _filter_ids(con, filters, candidates)
    total = int(candidates.size)
    # Best first: score descending, then contract_id ascending (date descending, then contract_key).
    order_key = ((np.int64(0xFFFF) - score[candidates].astype(np.int64)) << np.int64(32)) | candidates
    if after is not None:
        after_score, after_id = _decode_after(after)
        order_key = order_key[order_key > ((0xFFFF - after_score) << 32 | after_id)]
    want = order_key.size if limit is None else min(limit + 1, order_key.size)
    if want < order_key.size:
        order_key = np.partition(order_key, want - 1)[:want]
    order_key = np.sort(order_key)
    page = order_key if limit is None else order_key[:limit]
    more = limit is not None and order_key.size > limit
    ids_page = (page & np.int64(0xFFFFFFFF)).astype(np.int64)
    scores_page = (np.int64(0xFFFF) - (page >> np.int64(32))).astype(np.int64)
    keys = _keys_of(con, ids_page)
    next_after = _encode_after(int(scores_page[-1]), int(ids_page[-1])) if more and page.size else None
    return SearchPage(keys, total, [int(s) for s in scores_page], next_after, understood)


def _keys_of(con: duckdb.DuckDBPyConnection, ids: IntArray) -> list[str]:
    if ids.size == 0:
        return []
    rows = con.execute("SELECT s.contract_id, s.contract_key FROM (SELECT unnest(?::INTEGER[]) AS contract_id) p "
                       "JOIN search_contracts s USING (contract_id)", [ids.tolist()]).fetchall()
    by_id = {int(i): str(k) for i, k in rows}
    return [by_id[i] for i in ids.tolist()]


def matching_sql(con: duckdb.DuckDBPyConnection, query: str, *,
                 fields: Collection[str] = tuple(FIELDS)) -> tuple[str, list[object]] | None:
    """A SQL query of every contract matching ``query`` — columns ``contract_key``, ``score`` — and its
    parameters, to join with other filters and sorts without a limit (the explorer, exports); None when the query
    has no searchable term. Term ids are resolved now, so the SQL is only valid on this snapshot."""
    SearchFilters(fields=fields).check()
    terms = parse_query(query)
    if not terms:
        return None
    field_bits = sum(FIELDS[name] for name in set(fields))
    parts: list[str] = []
    params: list[object] = []
    for position, term in enumerate(terms):
        runs = _runs(_term_ids(con, term))
        if not runs:
            return "SELECT NULL::VARCHAR AS contract_key, NULL::INTEGER AS score WHERE false", []
        ranges = " OR ".join("term_id BETWEEN ? AND ?" for _ in runs)
        parts.append(f"SELECT {position} AS term, field, contract_id FROM search_postings "
                     f"WHERE ({ranges}) AND field & ? <> 0")
        params += [bound for run in runs for bound in run] + [field_bits]
    sql = (f"SELECT s.contract_key, h.score FROM (SELECT contract_id, sum(mask)::INTEGER AS score FROM ("
           f"SELECT term, contract_id, bit_or(field) AS mask FROM ({' UNION ALL '.join(parts)}) "
           f"GROUP BY term, contract_id) GROUP BY contract_id HAVING count(*) = {len(terms)}) h "
           f"JOIN search_contracts s USING (contract_id)")
    return sql, params
