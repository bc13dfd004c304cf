"""An ingestion killed with SIGKILL at any point leaves the previous snapshot readable and unchanged."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import duckdb
import pytest

from spaser.warehouse.snapshot import FAULT_ENV, current_path
from tests.conftest import REAL, needs_shared, sha256_of, shared

pytestmark = [pytest.mark.shared_data, pytest.mark.slow, needs_shared]

FAULT_POINTS = ["after_copy", "after_staging", "after_load", "after_dedupe", "before_publish"]


def spaser(data_dir: Path, *paths: Path, env: dict[str, str] | None = None) -> subprocess.Popen[bytes]:
    environment = {**os.environ, "SPASER_INGEST_WORKERS": "2", "SPASER_TEST_MARKER": str(data_dir), **(env or {})}
    return subprocess.Popen([sys.executable, "-m", "spaser", "--data-dir", str(data_dir), "ingest", "-q",
                             *map(str, paths)], env=environment, stdout=subprocess.DEVNULL,
                            stderr=subprocess.DEVNULL)


def contracts(data_dir: Path) -> int:
    con = duckdb.connect(str(current_path(data_dir / "warehouse")), read_only=True)
    try:
        row = con.execute("SELECT count(*) FROM contracts").fetchone()
        assert row is not None
        return int(row[0])
    finally:
        con.close()


@pytest.fixture(scope="module")
def base(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A warehouse holding the Croix file, to be protected from the killed runs."""
    data_dir = tmp_path_factory.mktemp("base")
    process = spaser(data_dir, shared("decp/real/v2019/marches-securises_ville-de-croix_2019-2021.json"))
    assert process.wait(timeout=120) == 0
    return data_dir


def copy_of(base: Path, target: Path) -> Path:
    (target / "warehouse").mkdir(parents=True)
    (target / "warehouse" / "current.duckdb").write_bytes((base / "warehouse" / "current.duckdb").read_bytes())
    return target


@pytest.mark.parametrize("point", FAULT_POINTS)
def test_kill_at_each_step_keeps_the_previous_snapshot(point: str, base: Path, tmp_path: Path) -> None:
    data_dir = copy_of(base, tmp_path / "d")
    before = sha256_of(current_path(data_dir / "warehouse"))
    count = contracts(data_dir)
    process = spaser(data_dir, REAL / "v2019" / "marches-publics.info_2019-03-07.json", env={FAULT_ENV: point})
    assert process.wait(timeout=120) == -signal.SIGKILL
    assert sha256_of(current_path(data_dir / "warehouse")) == before
    assert contracts(data_dir) == count
    # The next run cleans what the killed one left and ingests normally.
    retry = spaser(data_dir, REAL / "v2019" / "marches-publics.info_2019-03-07.json")
    assert retry.wait(timeout=120) == 0
    assert contracts(data_dir) > count
    assert not list((data_dir / "warehouse").glob(".building-*"))
    assert not list((data_dir / "warehouse").glob(".staging-*"))


def test_kill_after_publish_leaves_the_new_snapshot_complete(base: Path, tmp_path: Path) -> None:
    data_dir = copy_of(base, tmp_path / "d")
    count = contracts(data_dir)
    process = spaser(data_dir, REAL / "v2024", env={FAULT_ENV: "after_publish"})
    assert process.wait(timeout=120) == -signal.SIGKILL
    assert contracts(data_dir) == count + 6


@pytest.mark.parametrize("delay", [0.3, 0.9, 1.6, 2.4])
def test_kill_at_arbitrary_times(delay: float, base: Path, tmp_path: Path) -> None:
    """Killed while reading, normalising in workers or building: the snapshot is the old or the new one."""
    data_dir = copy_of(base, tmp_path / "d")
    before = sha256_of(current_path(data_dir / "warehouse"))
    count = contracts(data_dir)
    process = spaser(data_dir, REAL / "v2019")
    time.sleep(delay)
    process.send_signal(signal.SIGKILL)
    code = process.wait(timeout=60)
    after = contracts(data_dir)
    if code == -signal.SIGKILL and sha256_of(current_path(data_dir / "warehouse")) == before:
        assert after == count
    else:
        assert after > count  # it had published before the signal arrived
    _wait_no_orphans(data_dir)


def test_workers_of_a_killed_run_exit_by_themselves(base: Path, tmp_path: Path) -> None:
    data_dir = copy_of(base, tmp_path / "d")
    process = spaser(data_dir, REAL / "v2019")
    deadline = time.time() + 30
    while time.time() < deadline and len(_orphans(data_dir)) < 3:  # the ingestion and its 2 workers
        time.sleep(0.05)
    assert len(_orphans(data_dir)) >= 3
    process.send_signal(signal.SIGKILL)
    process.wait(timeout=30)
    _wait_no_orphans(data_dir)


def _wait_no_orphans(data_dir: Path) -> None:
    deadline = time.time() + 15
    while time.time() < deadline and _orphans(data_dir):
        time.sleep(0.2)
    assert not _orphans(data_dir)


def _orphans(data_dir: Path) -> list[str]:
    """Processes still running with this test's marker in their environment (inherited by workers)."""
    marker = f"SPASER_TEST_MARKER={data_dir}".encode()
    found = []
    for proc in Path("/proc").iterdir():
        if not proc.name.isdigit():
            continue
        try:
            environ = (proc / "environ").read_bytes().split(b"\0")
            state = (proc / "stat").read_text().split(") ")[-1][:1]
        except OSError:
            continue
        if marker in environ and state != "Z":
            found.append(proc.name)
    return found
