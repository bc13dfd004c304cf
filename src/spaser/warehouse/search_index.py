"""Building the full-text search index (the ``search_*`` tables described in :mod:`spaser.warehouse.search`).

Why its own module: the build runs once per snapshot inside ``refresh_derived`` and writes; the queries run on
every request, read-only. The text → terms rule they share is :mod:`spaser.warehouse.search_text`.
"""

from __future__ import annotations

import datetime as dt
import time
from dataclasses import dataclass, field
from typing import Final

import duckdb

from spaser.warehouse.search import FIELDS
from spaser.warehouse.search_text import stem_words, stemmer_version

#: SQL tokeniser: split on ASCII characters other than letters and digits only. Non-ASCII characters stay in the
#: word, and each distinct word goes through normalise_terms, which folds and splits it exactly as a query is:
#: the index and the queries cannot disagree on where words end.
SQL_SEPARATORS: Final = r"[^a-z0-9\x{80}-\x{10FFFF}]+"

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
            SELECT text_id, unnest(string_split_regex(strip_accents(lower(text)), '{SQL_SEPARATORS}')) AS word
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
