"""Indicator benchmark (issue 4): every indicator × both measures × every scope × every year on the
national-scale warehouse built by the ingestion benchmark, next to a ``SELECT count(*)`` of the contracts.

    UV_PYTHON_DOWNLOADS=never uv run python bench/indicators.py                # bench/out/national (built if absent)
    UV_PYTHON_DOWNLOADS=never uv run python bench/indicators.py --data-dir DIR --repeat 5 --write-results

What is timed, each the median of ``--repeat`` runs on the published snapshot opened read-only like a reader:

* ``count(*)``: ``SELECT count(*) FROM contracts`` (the baseline the issue names) and a full scan of one column;
* ``compute``: ``spaser.indicators.engine.compute`` — all indicators, both measures, all scopes, all years,
  from the snapshot's stored fact table; then ``read all``: every result row materialised (value, coverage);
* ``one buyer``: the same for the buyer with most contracts, every scope (what a buyer's page asks);
* ``store facts``: building the fact table, which each ingestion and reference load does once (timed in a
  throw-away copy of the snapshot).

Targets: compute ≤ 5 s on 2 cores (moonshot ≤ 1 s).
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import duckdb

from ingest import machine_info  # bench/ingest.py
from spaser.indicators.catalogue import catalogue
from spaser.indicators.engine import RESULTS, SCOPES, compute
from spaser.indicators.facts import store_facts

REPO = Path(__file__).resolve().parents[1]
OUT = REPO / "bench" / "out"
DEFAULT_DATA = OUT / "national"
DEFAULT_FILE = OUT / "decp_1500000_s42_i0.json"
TARGET_S = 5.0
MOONSHOT_S = 1.0


def timed(repeat: int, action: Callable[[], object]) -> tuple[float, list[float]]:
    runs = []
    for _ in range(repeat):
        started = time.perf_counter()
        action()
        runs.append(time.perf_counter() - started)
    return statistics.median(runs), runs


def ensure_warehouse(data_dir: Path, source: Path) -> float | None:
    """Ingest the national file when the data folder has no snapshot yet (returns the ingestion time)."""
    if (data_dir / "warehouse" / "current.duckdb").exists():
        return None
    if not source.exists():
        print(f"generating {source} (1.5 M records)…", flush=True)
        subprocess.run([sys.executable, str(REPO / "bench" / "generate_decp.py"), "--records", "1500000",
                        "--output", str(source)], check=True)
    print(f"ingesting {source} into {data_dir}…", flush=True)
    started = time.perf_counter()
    subprocess.run([sys.executable, "-m", "spaser", "--data-dir", str(data_dir), "ingest", str(source)], check=True,
                   stdout=subprocess.DEVNULL)
    return time.perf_counter() - started


def time_store_facts(current: Path) -> float:
    with tempfile.TemporaryDirectory(dir=OUT) as scratch:
        copy = Path(scratch) / "copy.duckdb"
        shutil.copyfile(current, copy)
        con = duckdb.connect(str(copy))
        try:
            started = time.perf_counter()
            store_facts(con)
            return time.perf_counter() - started
        finally:
            con.close()


def run(args: argparse.Namespace) -> dict[str, Any]:
    data_dir = Path(args.data_dir)
    ingest_s = ensure_warehouse(data_dir, Path(args.file))
    current = data_dir / "warehouse" / "current.duckdb"
    con = duckdb.connect(str(current), read_only=True)
    contracts = con.execute("SELECT count(*) FROM contracts").fetchone()[0]  # type: ignore[index]
    count_s, _ = timed(args.repeat, lambda: con.execute("SELECT count(*) FROM contracts").fetchone())
    scan_s, _ = timed(args.repeat, lambda: con.execute("SELECT sum(montant) FROM contracts").fetchone())
    compute(con)  # warm-up: thresholds, catalogue, page cache
    compute_s, compute_runs = timed(args.repeat, lambda: compute(con))
    read_s, _ = timed(args.repeat, lambda: con.execute(
        f"SELECT count(*), sum(value), sum(coverage) FROM {RESULTS}").fetchone())
    rows = con.execute(f"SELECT count(*) FROM {RESULTS}").fetchone()[0]  # type: ignore[index]
    years = [y for (y,) in con.execute("SELECT DISTINCT year FROM indicator_facts ORDER BY 1").fetchall()]
    buyer, buyer_contracts = con.execute(
        "SELECT acheteur_id, count(*) FROM contracts GROUP BY 1 ORDER BY 2 DESC, 1 LIMIT 1").fetchone()  # type: ignore[misc]
    buyer_s, _ = timed(args.repeat, lambda: compute(con, buyer=buyer))
    con.close()
    facts_s = time_store_facts(current)
    return {
        "date": dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
        "machine": machine_info(),
        "warehouse": str(current),
        "contracts": contracts,
        "indicators": len(catalogue()),
        "measures": 2,
        "scopes": list(SCOPES),
        "years": years,
        "result_rows": rows,
        "ingest_s": ingest_s,
        "count_star_s": count_s,
        "scan_s": scan_s,
        "compute_s": compute_s,
        "compute_runs_s": compute_runs,
        "read_all_s": read_s,
        "compute_and_read_s": compute_s + read_s,
        "one_buyer": {"acheteur_id": buyer, "contracts": buyer_contracts, "compute_s": buyer_s},
        "store_facts_s": facts_s,
        "target_s": TARGET_S,
        "moonshot_s": MOONSHOT_S,
    }


def _spaced(number: int) -> str:
    return f"{number:,}".replace(",", " ")


def report(result: dict[str, Any]) -> str:
    machine = result["machine"]
    total = result["compute_and_read_s"]
    lines = [
        f"## Indicators — {result['date']}",
        "",
        f"Machine: {machine['cpu']}, {machine['usable_cores']} usable cores, "
        f"{machine['ram_bytes'] / 2**30:.0f} GiB RAM, Python {machine['python']}, DuckDB {machine['duckdb']}.",
        f"Warehouse: {_spaced(result['contracts'])} contracts, years {', '.join(str(y) for y in result['years'])}; "
        f"{result['indicators']} indicators × 2 measures × {len(result['scopes'])} scopes → "
        f"{_spaced(result['result_rows'])} results.",
        "",
        "| step | seconds | × count(*) |",
        "|---|---:|---:|",
        f"| baseline `SELECT count(*) FROM contracts` | {result['count_star_s']:.4f} | 1 |",
        f"| full scan `SELECT sum(montant) FROM contracts` | {result['scan_s']:.4f} | "
        f"{result['scan_s'] / result['count_star_s']:.0f} |",
        f"| compute (all indicators × measures × scopes × years) | {result['compute_s']:.2f} | "
        f"{result['compute_s'] / result['count_star_s']:.0f} |",
        f"| read every result row | {result['read_all_s']:.2f} | |",
        f"| one buyer ({result['one_buyer']['contracts']} contracts), every scope | "
        f"{result['one_buyer']['compute_s']:.3f} | |",
        f"| store the fact table (once per ingestion or reference load) | {result['store_facts_s']:.2f} | |",
        "",
        f"compute + read: {total:.2f} s — target ≤ {TARGET_S:g} s: {'met' if total <= TARGET_S else 'NOT met'}; "
        f"moonshot ≤ {MOONSHOT_S:g} s: {'met' if total <= MOONSHOT_S else 'not met'}.",
    ]
    if result["ingest_s"] is not None:
        lines.append(f"(the warehouse was built for this run: ingestion {result['ingest_s']:.1f} s)")
    return "\n".join(lines) + "\n"


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--data-dir", default=str(DEFAULT_DATA), help="spaser data folder (built if absent)")
    parser.add_argument("--file", default=str(DEFAULT_FILE), help="DECP file ingested when the folder is empty")
    parser.add_argument("--repeat", type=int, default=3, help="runs per step (median)")
    parser.add_argument("--write-results", action="store_true", help="append to bench/RESULTS_indicators.md")
    args = parser.parse_args()
    result = run(args)
    text = report(result)
    print(text)
    OUT.mkdir(parents=True, exist_ok=True)
    stamp = dt.datetime.now(dt.UTC).strftime("%Y%m%dT%H%M%S")
    (OUT / f"indicators_{stamp}.json").write_text(json.dumps(result, indent=2) + "\n", encoding="utf-8")
    if args.write_results:
        with (REPO / "bench" / "RESULTS_indicators.md").open("a", encoding="utf-8") as stream:
            stream.write("\n" + text)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
