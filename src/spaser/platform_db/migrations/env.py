"""Alembic environment: runs with a connection handed over by ``spaser.platform_db.migrate`` (no alembic.ini)."""

from __future__ import annotations

from alembic import context

from spaser.platform_db.engine import make_engine
from spaser.platform_db.fulltext import is_fulltext_object
from spaser.platform_db.models import Base

config = context.config
connection = config.attributes.get("connection")


def _run(conn: object) -> None:
    context.configure(
        connection=conn,  # type: ignore[arg-type]
        target_metadata=Base.metadata,
        render_as_batch=True,  # SQLite alters tables by copying them
        compare_type=True,
        include_name=lambda name, type_, parent: not is_fulltext_object(name),
    )
    with context.begin_transaction():
        context.run_migrations()


if connection is not None:
    _run(connection)
else:
    engine = make_engine(config.get_main_option("sqlalchemy.url") or "sqlite://")
    with engine.begin() as conn:
        _run(conn)
