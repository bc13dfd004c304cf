"""The Egalim benchmark (bench/egalim.py) on a tiny size: the generator, both computations and their consistency
check (the timings are not tested)."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pyarrow.parquet as pq

from spaser.indicators.egalim.catalogue import FAMILIES, group_of

REPO = Path(__file__).resolve().parents[3]
BENCH = REPO / "bench" / "egalim.py"


def test_tiny_run_agrees_with_the_pandas_baseline(tmp_path: Path) -> None:
    figures = tmp_path / "figures.json"
    done = subprocess.run([sys.executable, str(BENCH), "--restaurants", "3", "--years", "2", "--lines", "200",
                           "--repeat", "1", "--out-dir", str(tmp_path), "--json", str(figures)],
                          capture_output=True, text=True, check=False)
    assert done.returncode == 0, done.stdout + done.stderr
    result = json.loads(figures.read_text())
    assert result["check"] == "ok" and result["check_problems"] == []
    assert result["lines"] == 1200 and result["files"] == 6
    assert result["baseline"]["subset"] is False and result["fast"]["summaries"] > 0
    assert "## Egalim" in done.stdout and "Consistency" in done.stdout
    # the generated files are in the store's layout, with the store's derived group
    data = tmp_path / "egalim_r3_y2_l200_s42" / "egalim"
    lines = pq.read_table(sorted((data / "lines").glob("*.parquet"))[0]).to_pylist()
    assert len(lines) == 200 and {r["year"] for r in lines} == {lines[0]["date"].year}
    assert all(r["groupe_egalim"] == group_of(r["categories_egalim"]) for r in lines)
    assert {r["famille_produits"] for r in lines} <= set(FAMILIES)
    registry = pq.read_table(data / "restaurants.parquet").to_pylist()
    assert len(registry) == 3 and "974" in {r["departement"] for r in registry}  # one overseas restaurant


def test_baseline_on_a_subset_is_labelled_and_checked(tmp_path: Path) -> None:
    figures = tmp_path / "figures.json"
    done = subprocess.run([sys.executable, str(BENCH), "--restaurants", "3", "--years", "2", "--lines", "100",
                           "--repeat", "1", "--pandas-subset", "2", "--out-dir", str(tmp_path), "--json", str(figures)],
                          capture_output=True, text=True, check=False)
    assert done.returncode == 0, done.stdout + done.stderr
    result = json.loads(figures.read_text())
    assert result["check"] == "ok"
    assert result["baseline"]["subset"] is True and result["baseline"]["lines"] == 200
    assert "subset of 2 files" in done.stdout
