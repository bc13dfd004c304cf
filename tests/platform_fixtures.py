"""Platform database fixtures: every platform test runs on SQLite and, when one answers, on PostgreSQL.

PostgreSQL comes from ``SPASER_TEST_DATABASE_URL``, else ``postgresql://postgres@127.0.0.1:5432/test`` when that
port answers (CI has one). Each test gets its own schema, migrated from empty to head with Alembic, dropped after.
"""

from __future__ import annotations

import os
import socket
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import Engine, text
from sqlalchemy.orm import Session, sessionmaker

from spaser.platform_db.engine import make_engine, normalise_url, session_factory
from spaser.platform_db.migrate import upgrade

DEFAULT_PG = "postgresql://postgres@127.0.0.1:5432/test"


def postgres_url() -> str | None:
    configured = os.environ.get("SPASER_TEST_DATABASE_URL")
    if configured:
        return configured
    try:
        with socket.create_connection(("127.0.0.1", 5432), timeout=0.5):
            return DEFAULT_PG
    except OSError:
        return None


POSTGRES = postgres_url()
ENGINES = [
    "sqlite",
    pytest.param("postgresql", marks=pytest.mark.skipif(
        POSTGRES is None, reason="no PostgreSQL: set SPASER_TEST_DATABASE_URL or run one on 127.0.0.1:5432")),
]


def _postgres_schema_engine(base_url: str, schema: str) -> Engine:
    return make_engine(base_url, connect_args={"options": f"-csearch_path={schema}"})


@pytest.fixture
def empty_database(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[tuple[str, Engine]]:
    """(kind, engine) on an empty database: a SQLite file, or a fresh PostgreSQL schema."""
    kind = request.param if hasattr(request, "param") else "sqlite"
    if kind == "sqlite":
        engine = make_engine(f"sqlite:///{tmp_path / 'platform.sqlite3'}")
        yield kind, engine
        engine.dispose()
        return
    assert POSTGRES is not None
    schema = "t_" + uuid.uuid4().hex[:12]
    admin = make_engine(POSTGRES)
    with admin.begin() as connection:
        connection.execute(text(f'CREATE SCHEMA "{schema}"'))
    engine = _postgres_schema_engine(POSTGRES, schema)
    try:
        yield kind, engine
    finally:
        engine.dispose()
        with admin.begin() as connection:
            connection.execute(text(f'DROP SCHEMA "{schema}" CASCADE'))
        admin.dispose()


@pytest.fixture
def platform_engine(empty_database: tuple[str, Engine]) -> Engine:
    """An engine on a database migrated to the head revision."""
    upgrade(empty_database[1])
    return empty_database[1]


@pytest.fixture
def db(platform_engine: Engine) -> sessionmaker[Session]:
    return session_factory(platform_engine)


def postgres_display_url() -> str:
    return normalise_url(POSTGRES or "")
