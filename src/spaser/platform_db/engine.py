"""Engines and sessions for SQLite and PostgreSQL with the settings each needs.

SQLite: foreign keys on (off by default), WAL so web readers do not block a writer, a busy timeout instead of
"database is locked" errors under concurrent deposits. PostgreSQL: psycopg 3 whatever the URL's driver says.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from sqlalchemy import Engine, create_engine, event
from sqlalchemy.engine import make_url
from sqlalchemy.orm import Session, sessionmaker
from sqlalchemy.pool import StaticPool

from spaser.errors import ConfigurationError


def normalise_url(url: str) -> str:
    """``postgres://`` and ``postgresql://`` mean psycopg 3 here; other schemes pass unchanged."""
    for prefix in ("postgres://", "postgresql://"):
        if url.startswith(prefix):
            return "postgresql+psycopg://" + url[len(prefix):]
    return url


def make_engine(url: str, *, echo: bool = False, connect_args: dict[str, Any] | None = None) -> Engine:
    url = normalise_url(url)
    try:
        parsed = make_url(url)
    except Exception as exc:
        raise ConfigurationError(f"SPASER_DATABASE_URL: cannot parse {url!r}: {exc}") from exc
    options: dict[str, Any] = {"echo": echo}
    if parsed.get_backend_name() == "sqlite":
        database = parsed.database or ""
        in_memory = database in ("", ":memory:")
        options["connect_args"] = {"check_same_thread": False, "timeout": 30}
        if in_memory:
            options["poolclass"] = StaticPool
        else:
            Path(database).parent.mkdir(parents=True, exist_ok=True)
        engine = create_engine(url, **options)
        event.listen(engine, "connect", _sqlite_pragmas(wal=not in_memory))
        event.listen(engine, "begin", _sqlite_begin_immediate)
        return engine
    if parsed.get_backend_name() == "postgresql":
        options["pool_pre_ping"] = True
        if connect_args:
            options["connect_args"] = connect_args
        return create_engine(url, **options)
    raise ConfigurationError(
        f"SPASER_DATABASE_URL: unsupported database {parsed.get_backend_name()!r} (use sqlite or postgresql)")


def _sqlite_pragmas(*, wal: bool) -> Any:
    def connect(dbapi_connection: Any, _record: Any) -> None:
        # The driver's own implicit BEGIN is off: SQLAlchemy's "begin" event below opens every transaction.
        dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.execute("PRAGMA busy_timeout=30000")
        if wal:
            cursor.execute("PRAGMA journal_mode=WAL")
            cursor.execute("PRAGMA synchronous=NORMAL")
        cursor.close()

    return connect


def _sqlite_begin_immediate(connection: Any) -> None:
    """Take SQLite's write lock when a transaction starts. A deferred transaction that reads (the audit chain's
    head, a bid count) and then writes fails with SQLITE_BUSY when another writer committed in between; with
    BEGIN IMMEDIATE the second writer waits its turn (busy timeout) instead."""
    connection.exec_driver_sql("BEGIN IMMEDIATE")


def session_factory(engine: Engine) -> sessionmaker[Session]:
    return sessionmaker(engine, expire_on_commit=False)


@contextmanager
def transaction(factory: sessionmaker[Session]) -> Iterator[Session]:
    """One unit of work: committed when the block ends, rolled back on any error."""
    with factory() as session, session.begin():
        yield session
