"""French full-text search over the contracts: their ``objet``, their buyer's name and their titulaires' names.

Why not DuckDB's ``fts`` extension: it is downloaded at run time, which fails offline. The index is built here,
in plain tables of the snapshot, by :func:`build_search_index` (called by ``refresh_derived`` after every
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
import time
from collections.abc import Collection, Sequence
from dataclasses import dataclass, field
from typing import Final

import duckdb
import numpy as np
import numpy.typing as npt

from spaser.errors import InputError
from spaser.warehouse.search_text import (
    ALNUM_RUN,
    STOP_WORDS,
    fold,
    stem,
    stem_words,
    stemmer_version,
)

#: Field name → weight in the score, also the value stored in ``search_postings.field``.
FIELDS: Final[dict[str, int]] = {"objet": 4, "acheteur": 2, "titulaire": 1}

MAX_QUERY_TERMS: Final = 16
MIN_PREFIX: Final = 2
#: A query term whose term ids form more ranges than this is read in one pass over the postings instead.
MAX_RANGE_SCANS: Final = 8

#: SQL tokeniser: split on ASCII characters other than letters and digits only. Non-ASCII characters stay in the
#: word, and each distinct word goes through normalise_terms, which folds and splits it exactly as a query is:
#: the index and the queries cannot disagree on where words end.
_SQL_SEPARATORS: Final = r"[^a-z0-9\x{80}-\x{10FFFF}]+"


# --------------------------------------------------------------------------------------------------
# Building the index

_INDEX_DDL: Final = """
CREATE OR REPLACE TABLE search_index_info (
    version VARCHAR, built_at TIMESTAMP, contracts BIGINT, words BIGINT, terms BIGINT, postings BIGINT,
    words_stemmed BIGINT, seconds DOUBLE
);
"""
_EMPTY_TABLES: Final = """
CREATE OR REPLACE TABLE search_contracts (contract_id INTEGER, contract_key VARCHAR, date_notification DATE);
CREATE OR REPLACE TABLE search_terms (term VARCHAR, term_id INTEGER);
CREATE OR REPLACE TABLE search_postings (term_id INTEGER, field UTINYINT, contract_id INTEGER);
CREATE OR REPLACE TABLE search_words (word VARCHAR, term VARCHAR);
"""
_TEMP_TABLES: Final = ("_search_base", "_search_titulaires", "_search_sirene", "_search_docs", "_search_texts",
                       "_search_tokens", "_search_text_terms", "_search_known_words")


@dataclass
class IndexStats:
    contracts: int
    words: int
    terms: int
    postings: int
    words_stemmed: int
    seconds: float
    timings: dict[str, float] = field(default_factory=dict)


def _tables(con: duckdb.DuckDBPyConnection) -> set[str]:
    return {name for (name,) in con.execute(
        "SELECT table_name FROM information_schema.tables WHERE table_schema = 'main'").fetchall()}


def _count(con: duckdb.DuckDBPyConnection, sql: str) -> int:
    row = con.execute(sql).fetchone()
    return int(row[0]) if row and row[0] is not None else 0


def _previous_words(con: duckdb.DuckDBPyConnection, tables: set[str], version: str) -> bool:
    """Whether the snapshot's ``search_words`` can be reused (same normaliser and stemmer)."""
    if "search_words" not in tables or "search_index_info" not in tables:
        return False
    row = con.execute("SELECT version FROM search_index_info").fetchone()
    return row is not None and row[0] == version


def build_search_index(con: duckdb.DuckDBPyConnection) -> IndexStats:
    """(Re)build the ``search_*`` tables from ``contracts`` and ``titulaires_actuels`` (empty tables when the
    snapshot has no contracts yet).

    How it stays fast at 1.5 M contracts: one text per contract and field (a contract's titulaires' names
    together), tokenised in SQL once per *distinct* text; only the distinct words the previous build did not know
    are stemmed in Python (snowballstemmer costs ~40 µs a word, so many new words go to worker processes); the
    word → term map goes back to DuckDB as list parameters; postings come out of one join and one sort.
    """
    started = time.perf_counter()
    timings: dict[str, float] = {}
    step = started

    def lap(name: str) -> None:
        nonlocal step
        now = time.perf_counter()
        timings[name] = round(now - step, 3)
        step = now

    version = stemmer_version()
    tables = _tables(con)
    reuse = _previous_words(con, tables, version)
    if reuse:
        con.execute("CREATE OR REPLACE TEMP TABLE _search_known_words AS SELECT * FROM search_words")
    con.execute(_INDEX_DDL)
    if "contracts" not in tables or "titulaires_actuels" not in tables:
        con.execute(_EMPTY_TABLES)
        return _finish(con, version, 0, started, timings)

    con.execute(
        """
        CREATE OR REPLACE TEMP TABLE _search_base AS
        SELECT (row_number() OVER (ORDER BY date_notification DESC NULLS LAST, contract_key) - 1)::INTEGER
                   AS contract_id,
               contract_key, date_notification, objet, acheteur_nom, left(acheteur_id, 9) AS acheteur_siren
        FROM contracts
        """
    )
    con.execute("CREATE OR REPLACE TABLE search_contracts AS SELECT contract_id, contract_key, date_notification "
                "FROM _search_base ORDER BY contract_id")
    lap("contracts")
    _documents(con, tables)
    lap("documents")
    # Tokenise each distinct text once (the lots of one call for tenders, a company's name on all its contracts).
    con.execute("CREATE OR REPLACE TEMP TABLE _search_texts AS "
                "SELECT text, (row_number() OVER ())::INTEGER AS text_id FROM (SELECT DISTINCT text FROM _search_docs)")
    con.execute(
        f"""
        CREATE OR REPLACE TEMP TABLE _search_tokens AS
        SELECT DISTINCT text_id, word FROM (
            SELECT text_id, unnest(string_split_regex(strip_accents(lower(text)), '{_SQL_SEPARATORS}')) AS word
            FROM _search_texts)
        WHERE word <> ''
        """
    )
    lap("tokenise")
    known = "(SELECT word FROM _search_known_words)" if reuse else "(SELECT NULL::VARCHAR WHERE false)"
    new_words = [w for (w,) in con.execute(
        f"SELECT DISTINCT word FROM _search_tokens WHERE word NOT IN {known} ORDER BY word").fetchall()]
    stemmed_words, stemmed_terms = stem_words(new_words)
    lap("stem")
    # Lists as parameters, not an Arrow table: building one from Python objects imports pandas when installed.
    kept = ("SELECT word, term FROM _search_known_words WHERE word IN (SELECT word FROM _search_tokens) UNION ALL "
            if reuse else "")
    con.execute(f"CREATE OR REPLACE TABLE search_words AS SELECT * FROM ({kept}"
                "SELECT unnest(?::VARCHAR[]) AS word, unnest(?::VARCHAR[]) AS term) ORDER BY word, term",
                [stemmed_words, stemmed_terms])
    con.execute(
        """
        CREATE OR REPLACE TABLE search_terms AS
        SELECT term, (row_number() OVER (ORDER BY term) - 1)::INTEGER AS term_id
        FROM (SELECT DISTINCT term FROM search_words WHERE term IS NOT NULL) ORDER BY term_id
        """
    )
    con.execute(
        """
        CREATE OR REPLACE TEMP TABLE _search_text_terms AS
        SELECT DISTINCT k.text_id, t.term_id
        FROM _search_tokens k JOIN search_words w USING (word) JOIN search_terms t USING (term)
        """
    )
    lap("terms")
    # One text per (contract, field) and distinct terms per text: the rows are distinct without a DISTINCT.
    con.execute(
        """
        CREATE OR REPLACE TABLE search_postings AS
        SELECT tt.term_id, d.field, d.contract_id
        FROM _search_docs d JOIN _search_texts x USING (text) JOIN _search_text_terms tt USING (text_id)
        ORDER BY tt.term_id, d.field, d.contract_id
        """
    )
    lap("postings")
    return _finish(con, version, len(new_words), started, timings)


def _documents(con: duckdb.DuckDBPyConnection, tables: set[str]) -> None:
    """``_search_docs(contract_id, field, text)``: one text per contract and field. The names come from the
    published data (2019 format) and, once a SIRENE stock is loaded, from SIRENE; a source that is empty
    everywhere is not joined for nothing."""
    objet, acheteur, titulaire = FIELDS["objet"], FIELDS["acheteur"], FIELDS["titulaire"]
    sirene = "ref_sirene_unites" in tables and _count(con, "SELECT count(*) FROM ref_sirene_unites") > 0
    published_titulaires = _count(con, "SELECT count(denomination_sociale) FROM titulaires") > 0
    titulaires = sirene or published_titulaires
    if titulaires:  # the titulaires in force, computed once
        con.execute(
            """
            CREATE OR REPLACE TEMP TABLE _search_titulaires AS
            SELECT b.contract_id, t.denomination_sociale AS name,
                   CASE WHEN t.type_identifiant = 'SIRET' AND t.siret_valide THEN left(t.id, 9) END AS siren
            FROM titulaires_actuels t JOIN _search_base b USING (contract_key)
            """
        )
    if sirene:
        # Only the SIRENs the contracts name: a semi-join, not a join of every contract with 20 M unités.
        con.execute(
            """
            CREATE OR REPLACE TEMP TABLE _search_sirene AS
            SELECT siren, min(denomination) AS denomination FROM ref_sirene_unites
            WHERE denomination IS NOT NULL AND siren IN (
                SELECT acheteur_siren FROM _search_base UNION SELECT siren FROM _search_titulaires)
            GROUP BY siren
            """
        )
    acheteur_sirene = ("LEFT JOIN _search_sirene u ON u.siren = b.acheteur_siren", "u.denomination") if sirene \
        else ("", "NULL")
    titulaire_sirene = ("LEFT JOIN _search_sirene u USING (siren)", "u.denomination") if sirene else ("", "NULL")
    parts = [f"SELECT contract_id, {objet}::UTINYINT AS field, objet AS text FROM _search_base WHERE objet IS NOT NULL"]
    if sirene or _count(con, "SELECT count(acheteur_nom) FROM _search_base"):
        parts.append(
            f"""SELECT * FROM (
                    SELECT b.contract_id, {acheteur}::UTINYINT AS field,
                           concat_ws(' ', b.acheteur_nom, {acheteur_sirene[1]}) AS text
                    FROM _search_base b {acheteur_sirene[0]})
                WHERE text <> ''""")
    if titulaires:
        parts.append(
            f"""SELECT * FROM (
                    SELECT t.contract_id, {titulaire}::UTINYINT AS field,
                           string_agg(concat_ws(' ', t.name, {titulaire_sirene[1]}), ' ') AS text
                    FROM _search_titulaires t {titulaire_sirene[0]} GROUP BY t.contract_id)
                WHERE text <> ''""")
    con.execute(f"CREATE OR REPLACE TEMP TABLE _search_docs AS {' UNION ALL '.join(parts)}")


def _finish(con: duckdb.DuckDBPyConnection, version: str, stemmed: int, started: float,
            timings: dict[str, float]) -> IndexStats:
    for table in _TEMP_TABLES:
        con.execute(f"DROP TABLE IF EXISTS temp.{table}")
    stats = IndexStats(
        contracts=_count(con, "SELECT count(*) FROM search_contracts"),
        words=_count(con, "SELECT count(DISTINCT word) FROM search_words"),
        terms=_count(con, "SELECT count(*) FROM search_terms"),
        postings=_count(con, "SELECT count(*) FROM search_postings"),
        words_stemmed=stemmed,
        seconds=round(time.perf_counter() - started, 3),
        timings=timings,
    )
    con.execute("INSERT INTO search_index_info VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
                [version, dt.datetime.now(dt.UTC).replace(tzinfo=None), stats.contracts, stats.words, stats.terms,
                 stats.postings, stats.words_stemmed, stats.seconds])
    return stats


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
    n = _count(con, "SELECT count(*) FROM search_contracts")
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
