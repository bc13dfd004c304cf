#!/usr/bin/env python3
"""SIRENE load benchmark (issue 3): ``spaser reference load-sirene`` on national-scale stock files.

Generates (``bench/sirene_generator.py``, reused when already in ``bench/out/``) a StockEtablissement file of N rows
(30 M by default, ~6 GB) and the matching StockUniteLegale (~0.65 N rows), with INSEE's full headers, optionally
zips them as INSEE publishes them (``--zip``), then times in their own subprocesses (peak RSS of each: psutil polling
of each process's high-water mark VmHWM over the process tree):

a. ``wc -l`` of both files                   reading the bytes once (``unzip -p | wc -l`` for zips);
b. DuckDB ``read_csv`` of the 6 used columns  the parse floor: the same parse, nothing written, no snapshot;
c. spaser                                     ``python -m spaser --data-dir TMP reference load-sirene -q U E``.

Checks the loaded snapshot (row counts, one row per key) and prints PASS/FAIL against the targets: ≤ 5 min and
≤ 4 GB peak RSS for 30 M établissements (time scaled linearly for other N).

Usage::

    python bench/sirene.py [--rows N] [--zip] [--duplicates 0.0001] [--keep] [--write-results]
"""

from __future__ import annotations

import argparse
import datetime as dt
import importlib.metadata
import json
import shutil
import subprocess
import sys
import tempfile
import time
import zipfile
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import duckdb

from ingest import Measure, machine_info  # bench/ingest.py
from sirene_generator import GeneratedFiles, generate, load_truth, paths_for, truth_path

BENCH = Path(__file__).resolve().parent
REPO = BENCH.parent
OUT = BENCH / "out"
RESULTS_MD = BENCH / "RESULTS_sirene.md"

NATIONAL_ROWS = 30_000_000
TARGET_SECONDS = 300.0  # for 30 M établissements
TARGET_RSS_BYTES = 4e9
USED = {
    "unites": ("siren", "categorieEntreprise", "economieSocialeSolidaireUniteLegale", "denominationUniteLegale",
               "activitePrincipaleUniteLegale", "etatAdministratifUniteLegale"),
    "etablissements": ("siret", "siren", "codeCommuneEtablissement", "etablissementSiege",
                       "activitePrincipaleEtablissement", "etatAdministratifEtablissement"),
}


def step_floor(unites: Path, etablissements: Path) -> dict[str, Any]:
    """Child step: DuckDB parses the used columns of both plain files; nothing is written."""
    con = duckdb.connect()
    rows = 0
    for kind, path in (("unites", unites), ("etablissements", etablissements)):
        with path.open(encoding="utf-8") as handle:
            header = handle.readline().strip().split(",")
        columns = ", ".join(f"'{name}': 'VARCHAR'" for name in header)
        counts = ", ".join(f"count({name})" for name in USED[kind])
        row = con.execute(f"SELECT count(*), {counts} FROM read_csv('{path}', header = true, auto_detect = false, "
                          f"delim = ',', quote = '\"', escape = '\"', columns = {{{columns}}})").fetchone()
        rows += int(row[0]) if row else 0
    return {"records": rows}


def _hwm(pid: int) -> int:
    """The process's peak RSS so far (VmHWM), in bytes; 0 once it is gone."""
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) * 1024
    except (OSError, ValueError):
        pass
    return 0


def measure(label: str, cmd: list[str], timeout: float) -> Measure:
    """Run ``cmd``; wall time and peak RSS: the sum over the process tree of each process's VmHWM, polled every
    20 ms (a high-water mark, so no peak between two polls is missed).

    Not ``wait4``'s ru_maxrss as in ``bench/ingest.py``: Python starts children with vfork, so a child's ru_maxrss
    includes this parent's own peak (here ~0.6 GB after generating the files)."""
    import psutil

    m = Measure(label=label, cmd=[str(c) for c in cmd])
    peaks: dict[int, int] = {}
    with tempfile.TemporaryFile() as out, tempfile.TemporaryFile() as err:
        started = time.perf_counter()
        popen = subprocess.Popen(m.cmd, stdout=out, stderr=err, cwd=REPO)
        root = psutil.Process(popen.pid)
        while popen.poll() is None:
            try:
                pids = [popen.pid, *(child.pid for child in root.children(recursive=True))]
            except psutil.Error:
                pids = [popen.pid]
            for pid in pids:
                peaks[pid] = max(peaks.get(pid, 0), _hwm(pid))
            if time.perf_counter() - started > timeout:
                m.timed_out = True
                popen.kill()
                popen.wait()
                break
            time.sleep(0.02)
        m.wall_s = time.perf_counter() - started
        m.rc = popen.returncode
        m.peak_rss_poll = sum(peaks.values())
        out.seek(0)
        err.seek(0)
        stdout = out.read().decode("utf-8", "replace")
        m.stderr_tail = err.read().decode("utf-8", "replace")[-2000:]
    for line in stdout.splitlines():
        if line.startswith("STEP_RESULT "):
            m.child = json.loads(line[len("STEP_RESULT ") :])
    return m


def ensure_files(args: argparse.Namespace) -> tuple[GeneratedFiles, float | None]:
    target = paths_for(args.rows, OUT, args.seed, args.duplicates)
    files = load_truth(target)
    if files is not None:
        print(f"reusing {files.etablissements.name} and {files.unites.name}")
        return files, None
    started = time.perf_counter()
    files = generate(args.rows, OUT, args.seed, args.duplicates)
    seconds = time.perf_counter() - started
    print(f"generated {files.rows} établissements, {files.unites_rows} unités légales in {seconds:.0f} s")
    return files, seconds


def zipped(path: Path, member: str) -> Path:
    """``path`` zipped as INSEE publishes it (one CSV member), built once; level 1 (INSEE's level is not
    documented; inflating costs about the same whatever the level)."""
    target = path.with_suffix(".zip")
    if target.exists() and target.stat().st_mtime >= path.stat().st_mtime:
        return target
    partial = target.with_suffix(".zip.partial")
    with zipfile.ZipFile(partial, "w", compression=zipfile.ZIP_DEFLATED, compresslevel=1) as archive:
        archive.write(path, member)
    partial.replace(target)
    return target


def _warm(paths: Sequence[Path]) -> None:
    for path in paths:
        with path.open("rb", buffering=0) as handle:
            while handle.read(16 << 20):
                pass


def check_snapshot(data_dir: Path, files: GeneratedFiles) -> list[str]:
    """The loaded tables against the generator's counts; an empty list when everything holds."""
    con = duckdb.connect(str(data_dir / "warehouse" / "current.duckdb"), read_only=True)
    try:
        etabs, distinct_sirets = con.execute(
            "SELECT count(*), count(DISTINCT siret) FROM ref_sirene_etablissements").fetchone() or (0, 0)
        unites, distinct_sirens = con.execute(
            "SELECT count(*), count(DISTINCT siren) FROM ref_sirene_unites").fetchone() or (0, 0)
        loads = con.execute("SELECT name, rows FROM reference_loads WHERE name LIKE 'sirene%'").fetchall()
    finally:
        con.close()
    problems = []
    if etabs != files.rows - files.duplicates or distinct_sirets != etabs:
        problems.append(f"établissements: {etabs} rows, {distinct_sirets} SIRETs, expected "
                        f"{files.rows - files.duplicates}")
    if unites != files.unites_rows or distinct_sirens != unites:
        problems.append(f"unités légales: {unites} rows, {distinct_sirens} SIRENs, expected {files.unites_rows}")
    if sorted(name for name, _ in loads) != ["sirene_etablissements", "sirene_unites"]:
        problems.append(f"reference_loads: {loads}")
    return problems


def _gb(n: float) -> str:
    return f"{n / 1e9:.2f}"


def run(args: argparse.Namespace) -> int:
    OUT.mkdir(parents=True, exist_ok=True)
    machine = machine_info()
    machine["pyarrow"] = importlib.metadata.version("pyarrow")
    print(f"machine: {machine['cpu']}, {machine['usable_cores']}/{machine['cores']} cores, "
          f"{machine['ram_bytes'] / 2**30:.1f} GiB RAM, duckdb {machine['duckdb']}, python {machine['python']}")
    files, generation_s = ensure_files(args)
    inputs = [files.unites, files.etablissements]
    if args.zip:
        started = time.perf_counter()
        inputs = [zipped(files.unites, "StockUniteLegale_utf8.csv"),
                  zipped(files.etablissements, "StockEtablissement_utf8.csv")]
        print(f"zips ready in {time.perf_counter() - started:.0f} s: "
              + ", ".join(f"{p.name} {_gb(p.stat().st_size)} GB" for p in inputs))
    text_bytes = files.unites.stat().st_size + files.etablissements.stat().st_size
    _warm(inputs)
    python = sys.executable
    steps: list[Measure] = []
    if args.zip:
        wc = " ; ".join(f"unzip -p {p} | wc -l" for p in inputs)
    else:
        wc = f"wc -l {files.unites} {files.etablissements}"
    steps.append(measure("unzip -p | wc -l" if args.zip else "wc -l", ["sh", "-c", wc], args.timeout))
    if not args.zip:
        steps.append(measure("duckdb read_csv (floor)", [python, str(Path(__file__).resolve()), "--child-floor",
                                                          str(files.unites), str(files.etablissements)], args.timeout))
    data_dir = Path(tempfile.mkdtemp(prefix="sirene-bench-", dir=OUT))
    try:
        spaser = measure("spaser load-sirene", [python, "-m", "spaser", "--data-dir", str(data_dir), "reference",
                                                "load-sirene", "-q", *map(str, inputs)], args.timeout)
        steps.append(spaser)
        problems = check_snapshot(data_dir, files) if spaser.ok else [f"spaser failed: {spaser.stderr_tail}"]
        snapshot_bytes = (data_dir / "warehouse" / "current.duckdb").stat().st_size if spaser.ok else 0
    finally:
        shutil.rmtree(data_dir, ignore_errors=True)
    rows = files.rows + files.unites_rows
    baseline = steps[-2]  # the DuckDB parse floor; for zips (DuckDB cannot read them) unzip | wc -l
    scale = args.rows / NATIONAL_ROWS  # as asked: duplicates add rows to the file
    target_s = TARGET_SECONDS * scale
    time_ok = spaser.ok and spaser.wall_s <= target_s
    rss_ok = spaser.ok and spaser.peak_rss <= TARGET_RSS_BYTES
    zipped_gb = " + ".join(_gb(p.stat().st_size) for p in inputs)
    lines = [
        f"SIRENE load, {files.rows:,} établissements + {files.unites_rows:,} unités légales".replace(",", " ")
        + f" ({_gb(text_bytes)} GB of CSV" + (f", zipped: {zipped_gb} GB" if args.zip else "")
        + f"; {files.duplicates} duplicate SIRETs injected)",
        "",
        "| step | wall s | rows/s | peak RSS MB |",
        "|---|---:|---:|---:|",
    ]
    for m in steps:
        rate = f"{rows / m.wall_s:,.0f}".replace(",", " ") if m.ok and m.wall_s else "—"
        status = "" if m.ok else (" (timed out)" if m.timed_out else f" (exit {m.rc})")
        label = m.label.replace("|", "\\|")  # a pipe inside a Markdown table cell
        lines.append(f"| {label}{status} | {m.wall_s:.1f} | {rate} | {m.peak_rss / 1e6:,.0f} |".replace(",", " "))
    lines += [
        "",
        f"ratio spaser / {baseline.label}: {spaser.wall_s / baseline.wall_s:.2f}×" if baseline.ok and spaser.ok
        else f"ratio spaser / {baseline.label}: —",
        f"time: {spaser.wall_s:.1f} s, target ≤ {target_s:.0f} s"
        + (" (scaled from 300 s for 30 M)" if scale != 1 else "") + f": {'PASS' if time_ok else 'FAIL'}",
        f"peak RSS: {spaser.peak_rss / 1e9:.2f} GB, target ≤ 4 GB: {'PASS' if rss_ok else 'FAIL'}",
        f"snapshot: {snapshot_bytes / 1e6:,.0f} MB; checks: {'OK' if not problems else '; '.join(problems)}",
        f"machine: {machine['cpu']}, {machine['usable_cores']} usable cores, {machine['ram_bytes'] / 2**30:.1f} GiB "
        f"RAM, {machine['platform']}, duckdb {machine['duckdb']}, pyarrow {machine['pyarrow']}",
    ]
    print("\n".join(lines))
    stamp = dt.datetime.now().strftime("%Y%m%dT%H%M%S")
    report = {"rows": files.rows, "unites_rows": files.unites_rows, "duplicates": files.duplicates, "zip": args.zip,
              "text_bytes": text_bytes, "generation_s": generation_s, "machine": machine,
              "steps": [{"label": m.label, "wall_s": m.wall_s, "peak_rss": m.peak_rss, "rc": m.rc} for m in steps],
              "snapshot_bytes": snapshot_bytes, "problems": problems, "time_pass": time_ok, "rss_pass": rss_ok}
    (OUT / f"sirene_{files.rows}{'_zip' if args.zip else ''}_{stamp}.json").write_text(json.dumps(report, indent=2))
    if args.write_results:
        with RESULTS_MD.open("a", encoding="utf-8") as handle:
            handle.write(f"\n## {stamp}{' (zip)' if args.zip else ''}\n\n" + "\n".join(lines) + "\n")
    if not args.keep and generation_s is not None:
        for path in {*inputs, files.unites, files.etablissements, truth_path(files.etablissements)}:
            path.unlink(missing_ok=True)
    return 1 if args.strict and (problems or not time_ok or not rss_ok) else 0


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rows", type=int, default=NATIONAL_ROWS, help="établissements (30 000 000)")
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--duplicates", type=float, default=0.0, help="share of SIRETs written twice (0)")
    parser.add_argument("--zip", action="store_true", help="load the files zipped, as INSEE publishes them")
    parser.add_argument("--keep", action="store_true", help="keep the files generated by this run")
    parser.add_argument("--timeout", type=float, default=1800.0, help="seconds per step (1800)")
    parser.add_argument("--write-results", action="store_true", help=f"append the results to {RESULTS_MD.name}")
    parser.add_argument("--strict", action="store_true", help="exit 1 when a target or a check fails")
    parser.add_argument("--child-floor", nargs=2, type=Path, help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.child_floor:
        result = step_floor(*args.child_floor)
        print("STEP_RESULT " + json.dumps(result), flush=True)
        return 0
    return run(args)


if __name__ == "__main__":
    sys.exit(main())
