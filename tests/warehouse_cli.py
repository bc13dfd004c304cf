"""Run the ``spaser`` command in-process and query the published snapshot, for integration tests."""

from __future__ import annotations

from typer.testing import CliRunner

from spaser.cli import app
from spaser.config import Settings
from spaser.warehouse import snapshot

runner = CliRunner()


def cli(settings: Settings, *args: str) -> tuple[int, str]:
    """Exit code and output of ``spaser --data-dir <settings.data_dir> ARGS``."""
    result = runner.invoke(app, ["--data-dir", str(settings.data_dir), *args])
    return result.exit_code, result.output


def query(settings: Settings, sql: str) -> list[tuple[object, ...]]:
    """Rows of ``sql`` on the current snapshot, opened read-only like any reader."""
    con = snapshot.open_current(settings.warehouse_dir)
    try:
        return con.execute(sql).fetchall()
    finally:
        con.close()
