"""French full-text search in the platform database, the same on SQLite and PostgreSQL.

Why this design: each searchable table keeps a ``search_terms`` column, the French terms of the row (folded,
stop words dropped, Snowball-stemmed by :func:`spaser.warehouse.search_text.normalise_terms`) computed in Python.
The engine only indexes words: an FTS5 external-content table kept in step by triggers on SQLite, a stored
generated ``tsvector`` column with a GIN index on PostgreSQL. Stemming once in Python means both engines find exactly
the same rows for a query, and no PostgreSQL extension (``unaccent``) is needed.

The migration creates these objects (:func:`create`, :func:`drop`); the schema comparison ignores them
(:func:`is_fulltext_object`).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Final

from sqlalchemy import Connection, text
from sqlalchemy.orm import Session

from spaser.warehouse.search_text import normalise_terms, words_of

#: Tables with a ``search_terms`` column and an integer ``id``.
TABLES: Final = ("supplier_profile", "purchase_plan")
#: Longest query kept (terms): a pasted paragraph must not become a 500-term query.
MAX_QUERY_TERMS: Final = 12


#: PostgreSQL: the stored ``tsvector`` of ``search_terms`` (a generated column), so that neither the index's
#: recheck nor the ranking recomputes it row by row (that doubled the p95 of bench/search_sourcing.py).
VECTOR = "search_vector"


def is_fulltext_object(name: str | None) -> bool:
    """FTS5 shadow tables, the PostgreSQL vector columns and GIN indexes: unknown to the SQLAlchemy models."""
    return name is not None and (name == VECTOR or any(name.startswith(f"{t}_fts") or name == f"ix_{t}_fts"
                                                       for t in TABLES))


def terms_of(*texts: str) -> str:
    """The ``search_terms`` value of a row made of these texts."""
    return " ".join(term for part in texts for term in normalise_terms(part or ""))


def create(connection: Connection) -> None:
    for table in TABLES:
        for statement in _create_statements(connection.dialect.name, table):
            connection.execute(text(statement))


def drop(connection: Connection) -> None:
    for table in TABLES:
        if connection.dialect.name == "sqlite":
            for suffix in ("ai", "ad", "au"):
                connection.execute(text(f"DROP TRIGGER IF EXISTS {table}_fts_{suffix}"))
            connection.execute(text(f"DROP TABLE IF EXISTS {table}_fts"))
        else:
            connection.execute(text(f"DROP INDEX IF EXISTS ix_{table}_fts"))
            connection.execute(text(f"ALTER TABLE {table} DROP COLUMN IF EXISTS {VECTOR}"))


def _create_statements(dialect: str, table: str) -> list[str]:
    if dialect != "sqlite":
        return [f"ALTER TABLE {table} ADD COLUMN {VECTOR} tsvector "
                f"GENERATED ALWAYS AS (to_tsvector('simple', search_terms)) STORED",
                f"CREATE INDEX ix_{table}_fts ON {table} USING gin ({VECTOR})"]
    fts = f"{table}_fts"
    return [
        f"CREATE VIRTUAL TABLE {fts} USING fts5(search_terms, content='{table}', content_rowid='id', "
        "tokenize='unicode61 remove_diacritics 2')",
        f"CREATE TRIGGER {fts}_ai AFTER INSERT ON {table} BEGIN "
        f"INSERT INTO {fts}(rowid, search_terms) VALUES (new.id, new.search_terms); END",
        f"CREATE TRIGGER {fts}_ad AFTER DELETE ON {table} BEGIN "
        f"INSERT INTO {fts}({fts}, rowid, search_terms) VALUES ('delete', old.id, old.search_terms); END",
        f"CREATE TRIGGER {fts}_au AFTER UPDATE OF search_terms ON {table} BEGIN "
        f"INSERT INTO {fts}({fts}, rowid, search_terms) VALUES ('delete', old.id, old.search_terms); "
        f"INSERT INTO {fts}(rowid, search_terms) VALUES (new.id, new.search_terms); END",
        f"INSERT INTO {fts}({fts}) VALUES ('rebuild')",
    ]


def tune(session: Session) -> None:
    """PostgreSQL: cost random reads as on SSD storage for this transaction (``random_page_cost`` 1.1 instead of
    4), so that a common word (13 % of 100 000 profiles) is read through the GIN index (20 ms) rather than a
    sequential scan testing every row (67 ms, then 100 ms with the page's other query); SQLite needs nothing."""
    if session.get_bind().dialect.name == "postgresql":
        session.execute(text("SET LOCAL random_page_cost = 1.1"))


def query_terms(query: str) -> list[str]:
    """The stems a query looks for; the last word, when the user may still be typing it, is a prefix.

    Every word must match (AND): "menuiserie bois" finds joiners working wood, not every wood company."""
    words = words_of(query)
    terms = normalise_terms(query)[:MAX_QUERY_TERMS]
    if terms and words and len(words[-1]) >= 3 and terms[-1] != words[-1]:
        # "menuis" stems to "menuis", "menuiser" to "menuis": the unstemmed typed prefix is the safer prefix.
        terms[-1] = min(terms[-1], words[-1], key=len)
    return list(dict.fromkeys(terms))


def match(dialect: str, table: str, terms: Sequence[str], ranked: bool = True) -> tuple[str, dict[str, str]]:
    """A ``SELECT id[, rank]`` over ``table``'s rows matching every term (the last one as a prefix), and its
    parameters; a lower rank is a better match. Unranked is for counting: computing BM25 for thousands of rows
    only to count them doubled the search's time (bench/search_sourcing.py). Terms are folded alphanumerics, so
    quoting them is enough."""
    if not terms:
        raise ValueError("no search terms")
    if dialect == "sqlite":
        fts = f"{table}_fts"
        expression = " AND ".join(f'"{t}"' for t in terms[:-1])
        expression = f'{expression} AND "{terms[-1]}"*' if expression else f'"{terms[-1]}"*'
        rank = f", bm25({fts}) AS rank" if ranked else ""
        return f"SELECT rowid AS id{rank} FROM {fts} WHERE {fts} MATCH :q", {"q": expression}
    expression = " & ".join([*terms[:-1], f"{terms[-1]}:*"])
    rank = f", -ts_rank({VECTOR}, to_tsquery('simple', :q)) AS rank" if ranked else ""
    return f"SELECT id{rank} FROM {table} WHERE {VECTOR} @@ to_tsquery('simple', :q)", {"q": expression}


def best(dialect: str, table: str, terms: Sequence[str]) -> tuple[str, dict[str, str]]:
    """The ids of the best matches, best first, for ``LIMIT :limit OFFSET :offset``: FTS5 sorts by its own
    ``rank`` without materialising every match's score (three times faster on common words)."""
    if dialect == "sqlite":
        sql, params = match(dialect, table, terms, ranked=False)
        return f"{sql} ORDER BY rank, rowid LIMIT :limit OFFSET :offset", params
    sql, params = match(dialect, table, terms)
    return f"SELECT id FROM ({sql}) m ORDER BY rank, id LIMIT :limit OFFSET :offset", params
