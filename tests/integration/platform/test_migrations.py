"""Alembic migrations from empty to head, on SQLite and PostgreSQL, match the models exactly."""

from __future__ import annotations

import pytest
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from sqlalchemy import Engine, inspect

from spaser.platform_db.fulltext import is_fulltext_object
from spaser.platform_db.migrate import current_revision, downgrade, head_revision, is_current, upgrade
from spaser.platform_db.models import Base
from tests.platform_fixtures import ENGINES

pytestmark = pytest.mark.parametrize("empty_database", ENGINES, indirect=True)


def test_empty_to_head_creates_every_table_of_the_models(empty_database: tuple[str, Engine]) -> None:
    _, engine = empty_database
    assert current_revision(engine) is None
    upgrade(engine)
    assert current_revision(engine) == head_revision(engine)
    assert is_current(engine)
    tables = set(inspect(engine).get_table_names())
    assert set(Base.metadata.tables) <= tables


def test_head_matches_the_models_with_no_difference(empty_database: tuple[str, Engine]) -> None:
    """A model changed without its migration shows up here as a difference (table, column, type, index)."""
    _, engine = empty_database
    upgrade(engine)
    with engine.connect() as connection:
        differences = compare_metadata(MigrationContext.configure(connection, opts={
            "compare_type": True, "include_name": lambda name, type_, parent: not is_fulltext_object(name)}),
                                       Base.metadata)
    assert differences == []


def test_downgrade_to_empty_and_back(empty_database: tuple[str, Engine]) -> None:
    _, engine = empty_database
    upgrade(engine)
    downgrade(engine, "base")
    assert not set(Base.metadata.tables) & set(inspect(engine).get_table_names())
    upgrade(engine)
    assert is_current(engine)
