#!/usr/bin/env python3
"""Egalim benchmark (issue 8 item 6): the full Egalim computation on a national-scale set of purchase lines, against
the same computation in pandas, measured in the same run.

    UV_PYTHON_DOWNLOADS=never uv run python bench/egalim.py                      # 115 × 5 × 20 000 = 11.5 M lines
    UV_PYTHON_DOWNLOADS=never uv run python bench/egalim.py --restaurants 20 --years 2 --lines 5000
    UV_PYTHON_DOWNLOADS=never uv run python bench/egalim.py --write-results      # appends to bench/RESULTS_egalim.md

What is generated (numpy + pyarrow, seeded; the time is reported, not counted): ``--restaurants`` restaurants ×
``--years`` calendar years × ``--lines`` purchase lines, one Parquet file per restaurant-year in the store's layout
and columns (``<data>/egalim/lines/*.parquet``) and the registry (``<data>/egalim/restaurants.parquet``): product
families with realistic weights, log-normal prices (pricier for meat and fish, a little for bio), about 30 % of
the value Egalim of which 10-15 % bio (varying by restaurant and rising by year), characteristics that exercise
the priority rule (BIO+IGP, IGP+HVE…), origin, local and short-circuit flags, groups of restaurants (one across
two territories), a few State and overseas restaurants. A generated folder is reused by the next run with the
same sizes and seed.

What is timed, each in its own subprocess (so that its peak RSS is its own; imports not counted):

* ``fast``: ``spaser.indicators.egalim.compute.compute`` + ``write_results`` — from the Parquet files to the results
  file, every scope (restaurant, group, whole) × year; the median of ``--repeat`` runs; then ``read_results``
  (what a page pays);
* ``baseline``: the same computation in pandas — ``pd.read_parquet`` of each file, concatenated, prices as integer
  cents, ``groupby`` sums per restaurant / group / whole × year and per family, shares and targets, results
  written with ``to_parquet``. When it would need more than ``--pandas-memory`` of the RAM it runs on the first
  files only, labelled as a subset; the ratio is then against the fast path's time scaled to the same lines.

Check (exit 1 when it fails): the fast path's sums equal the baseline's to the cent, for every scope-year of the
baseline's files (lines, restaurants, total, each Egalim group, meat and fish, French origin, local, short circuit
and each family's total / Egalim / bio).

Target: full computation ≤ 10 s on 2 cores for 11.5 M lines.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import resource
import statistics
import subprocess
import sys
import time
from decimal import Decimal
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parents[1]
OUT = REPO / "bench" / "out"
TARGET_S = 10.0
MEASURES = ("lines", "restaurants", "total", "bio", "siqo", "egalim_autres", "externalites_performance",
            "non_egalim", "mf_total", "mf_egalim", "france", "local", "short_circuit")


def peak_rss() -> int:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024


# --------------------------------------------------------------------------------------------------
# Generation


def generate(data_dir: Path, restaurants: int, years: int, lines: int, seed: int) -> tuple[float, bool]:
    """Write the lines and the registry under ``data_dir/egalim`` (unless already there); (seconds, generated)."""
    from egalim_generator import generate_store

    marker = data_dir / "egalim" / ".generated"
    if marker.exists():
        return 0.0, False
    started = time.perf_counter()
    generate_store(data_dir / "egalim", restaurants, years, lines, seed)
    marker.write_text(json.dumps({"restaurants": restaurants, "years": years, "lines": lines, "seed": seed}))
    return time.perf_counter() - started, True


def line_files(data_dir: Path) -> list[Path]:
    return sorted((data_dir / "egalim" / "lines").glob("*.parquet"))


# --------------------------------------------------------------------------------------------------
# The two computations (each run in a child process)


def run_fast(data_dir: Path, files: list[Path], output: Path, repeat: int) -> dict[str, Any]:
    from spaser.indicators.egalim.compute import compute, read_results, write_results

    registry = data_dir / "egalim" / "restaurants.parquet"
    runs = []
    for _ in range(repeat):
        started = time.perf_counter()
        results = compute(files, registry)
        write_results(results, output)
        runs.append(time.perf_counter() - started)
    started = time.perf_counter()
    back = read_results(output)
    read_s = time.perf_counter() - started
    assert back is not None and len(back.summaries) == len(results.summaries)
    return {"seconds": statistics.median(runs), "runs": runs, "read_s": read_s, "summaries": len(results.summaries),
            "peak_rss": peak_rss()}


def run_pandas(data_dir: Path, files: list[Path], output: Path) -> dict[str, Any]:
    from egalim_pandas import compute_pandas

    started = time.perf_counter()
    frames = compute_pandas(files, data_dir / "egalim" / "restaurants.parquet")
    output.mkdir(parents=True, exist_ok=True)
    for name, frame in frames.items():
        frame.to_parquet(output / f"{name}.parquet")
    seconds = time.perf_counter() - started
    return {"seconds": seconds, "summaries": len(frames["summaries"]), "peak_rss": peak_rss()}


def child(args: argparse.Namespace) -> int:
    data_dir = Path(args.data_dir)
    files = [Path(f) for f in json.loads(Path(args.files).read_text())]
    if args.step == "fast":
        result = run_fast(data_dir, files, Path(args.output), args.repeat)
    else:
        result = run_pandas(data_dir, files, Path(args.output))
    print("STEP_RESULT " + json.dumps(result), flush=True)
    return 0


def spawn(step: str, data_dir: Path, files: list[Path], output: Path, repeat: int) -> dict[str, Any]:
    listing = output.with_suffix(".files.json")
    listing.parent.mkdir(parents=True, exist_ok=True)
    listing.write_text(json.dumps([str(f) for f in files]))
    started = time.perf_counter()
    done = subprocess.run([sys.executable, __file__, "--step", step, "--data-dir", str(data_dir), "--files",
                           str(listing), "--output", str(output), "--repeat", str(repeat)],
                          capture_output=True, text=True, check=False)
    wall = time.perf_counter() - started
    if done.returncode != 0:
        raise SystemExit(f"step {step} failed:\n{done.stdout}\n{done.stderr}")
    line = next(x for x in done.stdout.splitlines() if x.startswith("STEP_RESULT "))
    return {**json.loads(line.removeprefix("STEP_RESULT ")), "wall_s": wall}


# --------------------------------------------------------------------------------------------------
# Consistency


def _cents(value: Decimal) -> int:
    return int(value * 100)


def fast_cells(data_dir: Path, files: list[Path], results_dir: Path | None) -> dict[tuple[Any, ...], int]:
    """The fast path's figures as integer cents, keyed (scope, scope_id, year, measure[, family])."""
    from spaser.indicators.egalim.compute import compute, read_results

    results = read_results(results_dir) if results_dir is not None else None
    if results is None:
        results = compute(files, data_dir / "egalim" / "restaurants.parquet")
    cells: dict[tuple[Any, ...], int] = {}
    for s in results.summaries:
        key = (s.scope, s.scope_id, s.year)
        groups = {g.lower(): _cents(v) for g, v in s.group_values.items()}
        values = {"lines": s.lines, "restaurants": s.restaurants, "total": _cents(s.total), **groups,
                  "mf_total": _cents(s.meat_and_fish_total), "mf_egalim": _cents(s.meat_and_fish_egalim),
                  "france": _cents(s.france_value), "local": _cents(s.local_value),
                  "short_circuit": _cents(s.short_circuit_value)}
        cells.update({(*key, m): values[m] for m in MEASURES})
        for f in s.families:
            if f.lines:
                cells.update({(*key, "family_lines", f.family): f.lines, (*key, "family_total", f.family):
                              _cents(f.total), (*key, "family_egalim", f.family): _cents(f.egalim_value),
                              (*key, "family_bio", f.family): _cents(f.bio_value)})
    return cells


def pandas_cells(output: Path) -> dict[tuple[Any, ...], int]:
    import pandas as pd

    cells: dict[tuple[Any, ...], int] = {}
    summaries = pd.read_parquet(output / "summaries.parquet")
    for row in summaries.to_dict("records"):
        key = (row["scope"], row["scope_id"], int(row["year"]))
        cells.update({(*key, m): int(row[m]) for m in MEASURES})
    families = pd.read_parquet(output / "families.parquet")
    for row in families.to_dict("records"):
        key = (row["scope"], row["scope_id"], int(row["year"]))
        for m in ("lines", "total", "egalim", "bio"):
            cells[(*key, f"family_{m}", row["famille"])] = int(row[m])
    return cells


def check(fast: dict[tuple[Any, ...], int], baseline: dict[tuple[Any, ...], int]) -> list[str]:
    """Differences between the two (empty: they agree to the cent)."""
    problems = [f"{key}: fast {fast.get(key)} ≠ pandas {baseline.get(key)}"
                for key in sorted(set(fast) | set(baseline), key=str) if fast.get(key) != baseline.get(key)]
    return problems


# --------------------------------------------------------------------------------------------------
# The run and its report


def run(args: argparse.Namespace) -> dict[str, Any]:
    import psutil

    from ingest import machine_info  # bench/ingest.py

    name = f"egalim_r{args.restaurants}_y{args.years}_l{args.lines}_s{args.seed}"
    data_dir = Path(args.out_dir) / name
    generate_s, generated = generate(data_dir, args.restaurants, args.years, args.lines, args.seed)
    files = line_files(data_dir)
    total_lines = args.restaurants * args.years * args.lines
    fast = spawn("fast", data_dir, files, data_dir / "results_fast", args.repeat)
    result: dict[str, Any] = {
        "date": dt.datetime.now(dt.UTC).isoformat(timespec="seconds"), "machine": machine_info(),
        "restaurants": args.restaurants, "years": args.years, "lines_per_restaurant_year": args.lines,
        "lines": total_lines, "files": len(files), "data_mb": sum(f.stat().st_size for f in files) / 1e6,
        "generate_s": generate_s if generated else None, "fast": fast, "target_s": TARGET_S,
    }
    if args.skip_baseline:
        return result
    # pandas holds ~500 bytes a line (Decimal objects, strings, masks and the group-by copies: 5.5 GiB for 11.5 M)
    budget = psutil.virtual_memory().available * args.pandas_memory
    subset = len(files) if total_lines * 500 <= budget else max(1, int(len(files) * budget / (total_lines * 500)))
    if args.pandas_subset is not None:
        subset = min(args.pandas_subset, len(files))
    chosen = files[:subset]
    baseline = spawn("pandas", data_dir, chosen, data_dir / "results_pandas", 1)
    baseline["files"] = subset
    baseline["lines"] = subset * args.lines
    baseline["subset"] = subset < len(files)
    fast_s_same_lines = fast["seconds"] * baseline["lines"] / total_lines
    baseline["ratio"] = baseline["seconds"] / (fast["seconds"] if not baseline["subset"] else fast_s_same_lines)
    problems = check(fast_cells(data_dir, chosen, None if baseline["subset"] else data_dir / "results_fast"),
                     pandas_cells(data_dir / "results_pandas"))
    result["baseline"] = baseline
    result["check"] = "ok" if not problems else "FAILED"
    result["check_problems"] = problems[:20]
    return result


def _spaced(number: float) -> str:
    return f"{number:,.0f}".replace(",", " ")


def report(result: dict[str, Any]) -> str:
    machine = result["machine"]
    fast = result["fast"]
    lines = [
        f"## Egalim — {result['date']}",
        "",
        f"Machine: {machine['cpu']}, {machine['usable_cores']} usable cores, "
        f"{machine['ram_bytes'] / 2**30:.0f} GiB RAM, Python {machine['python']}, DuckDB {machine['duckdb']}, "
        f"pandas {machine['pandas']}.",
        f"Data: {result['restaurants']} restaurants × {result['years']} years × "
        f"{_spaced(result['lines_per_restaurant_year'])} lines = {_spaced(result['lines'])} lines in "
        f"{result['files']} Parquet files ({result['data_mb']:.0f} MB)"
        + (f", generated in {result['generate_s']:.1f} s (not counted)." if result["generate_s"] is not None
           else " (reused)."),
        "",
        "| step | seconds | peak RSS MiB | note |",
        "|---|---:|---:|---|",
        f"| full computation: Parquet → every scope × year → results file | {fast['seconds']:.2f} | "
        f"{fast['peak_rss'] / 2**20:.0f} | median of {len(fast['runs'])}: "
        f"{', '.join(f'{r:.2f}' for r in fast['runs'])}; {fast['summaries']} summaries |",
        f"| read the results back (`read_results`) | {fast['read_s']:.3f} | | what a page pays |",
    ]
    baseline = result.get("baseline")
    if baseline is not None:
        label = (f"subset of {baseline['files']} files, {_spaced(baseline['lines'])} lines; ratio against the fast "
                 "time scaled to those lines" if baseline["subset"] else "all lines")
        lines.append(f"| baseline: the same in pandas | {baseline['seconds']:.2f} | "
                     f"{baseline['peak_rss'] / 2**20:.0f} | {label} |")
        lines += ["", f"Ratio baseline ÷ fast: {baseline['ratio']:.1f}×. Consistency (every sum to the cent, "
                  f"{'every' if not baseline['subset'] else 'the subset’s'} scope-year): {result['check']}."]
    verdict = "met" if fast["seconds"] <= TARGET_S else "NOT met"
    lines += ["", f"Full computation {fast['seconds']:.2f} s — target ≤ {TARGET_S:g} s for 11.5 M lines: {verdict}"
              + ("." if result["lines"] == 11_500_000 else f" (this run: {_spaced(result['lines'])} lines).")]
    return "\n".join(lines) + "\n"


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--restaurants", type=int, default=115)
    parser.add_argument("--years", type=int, default=5)
    parser.add_argument("--lines", type=int, default=20_000, help="lines per restaurant and year")
    parser.add_argument("--seed", type=int, default=42)
    parser.add_argument("--out-dir", default=str(OUT), help="where the data and results go (bench/out)")
    parser.add_argument("--repeat", type=int, default=3, help="runs of the fast computation (median)")
    parser.add_argument("--skip-baseline", action="store_true")
    parser.add_argument("--pandas-subset", type=int, default=None, help="files given to pandas (default: all "
                        "that fit in --pandas-memory)")
    parser.add_argument("--pandas-memory", type=float, default=0.5, help="share of the available RAM pandas may use")
    parser.add_argument("--json", default=None, help="also write the figures to this file")
    parser.add_argument("--write-results", action="store_true", help="append to bench/RESULTS_egalim.md")
    # child mode
    parser.add_argument("--step", choices=("fast", "pandas"), help=argparse.SUPPRESS)
    parser.add_argument("--data-dir", help=argparse.SUPPRESS)
    parser.add_argument("--files", help=argparse.SUPPRESS)
    parser.add_argument("--output", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.step is not None:
        return child(args)
    result = run(args)
    text = report(result)
    print(text)
    if result.get("check_problems"):
        print("\n".join(result["check_problems"]), file=sys.stderr)
    out = Path(args.out_dir)
    out.mkdir(parents=True, exist_ok=True)
    stamp = dt.datetime.now(dt.UTC).strftime("%Y%m%dT%H%M%S")
    (out / f"egalim_{stamp}.json").write_text(json.dumps(result, indent=2) + "\n", encoding="utf-8")
    if args.json:
        Path(args.json).write_text(json.dumps(result, indent=2) + "\n", encoding="utf-8")
    if args.write_results:
        path = REPO / "bench" / "RESULTS_egalim.md"
        if not path.exists():
            path.write_text("# Egalim benchmark results (bench/egalim.py)\n\n", encoding="utf-8")
        with path.open("a", encoding="utf-8") as stream:
            stream.write("\n" + text)
    return 1 if result.get("check") == "FAILED" else 0


if __name__ == "__main__":
    raise SystemExit(main())
