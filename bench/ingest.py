#!/usr/bin/env python3
"""Ingestion benchmark (issue 2): spaser's DECP ingestion against a parsing floor and naive baselines.

Generates a national-scale DECP 2022 file (``bench/generate_decp.py``) into ``bench/out/`` or reuses
``--file``, then times each step in its own subprocess, so that the peak RSS of every step is measured
separately (psutil polling of the child's process tree every 20 ms, and the exact ``ru_maxrss`` of that
child as returned by ``wait4``):

a. floor       ``msgspec.json.decode(data, type=Envelope)`` with ``list[msgspec.Raw]`` lists: the file
               is scanned and cut into raw record slices, nothing is materialised;
b. json.load   a bare stdlib ``json.load`` of the file;
c. pandas      naive ``json.load`` + ``pandas.json_normalize(records)``; on a subset of the first N
               records (extrapolated) when the full file would not fit in memory;
d. spaser      ``python -m spaser --data-dir TMP ingest FILE --report-json R``.

Usage::

    python bench/ingest.py [--records N] [--file PATH] [--keep] [--skip-baselines] [--pandas-subset N]
                           [--write-results]
"""

from __future__ import annotations

import argparse
import contextlib
import datetime as dt
import importlib.metadata
import json
import os
import platform
import shutil
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

import msgspec

BENCH = Path(__file__).resolve().parent
REPO = BENCH.parent
OUT = BENCH / "out"
RESULTS_MD = BENCH / "RESULTS.md"
GENERATOR = BENCH / "generate_decp.py"

NATIONAL_RECORDS = 1_500_000
TARGET_SECONDS = 60.0  # for 1.5 M records
MOONSHOT_SECONDS = 12.0
TARGET_RSS_BYTES = 2.5e9
TARGET_RATIO = 0.5  # of the bare json.load time
PANDAS_MEMORY_FACTOR = 12  # json.load + json_normalize peak ~ 12 x the file size
PANDAS_RAM_SHARE = 0.70
JSON_MEMORY_FACTOR = 6  # bare json.load peak ~ 5.5 x the file size
POLL_SECONDS = 0.02

Json = dict[str, Any]


# --------------------------------------------------------------------------------------------------
# Child steps (run as ``python bench/ingest.py --step NAME ...``)


class _Marches(msgspec.Struct):
    marche: list[msgspec.Raw] = []
    contrat_concession: list[msgspec.Raw] = msgspec.field(default_factory=list, name="contrat-concession")


class _Envelope(msgspec.Struct):
    marches: _Marches


def _maxrss_self() -> int:
    import resource

    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024


def step_floor(path: Path) -> Json:
    t0 = time.perf_counter()
    data = path.read_bytes()
    t1 = time.perf_counter()
    env = msgspec.json.decode(data, type=_Envelope)
    t2 = time.perf_counter()
    n = len(env.marches.marche) + len(env.marches.contrat_concession)
    return {"records": n, "work_s": t2 - t0, "read_s": t1 - t0, "decode_s": t2 - t1}


def step_json_load(path: Path) -> Json:
    t0 = time.perf_counter()
    with open(path, "rb") as f:
        doc = json.load(f)
    t1 = time.perf_counter()
    m = doc["marches"]
    n = len(m.get("marche", [])) + len(m.get("contrat-concession", []))
    return {"records": n, "work_s": t1 - t0}


def step_pandas(path: Path) -> Json:
    t0 = time.perf_counter()
    import pandas as pd

    t_import = time.perf_counter() - t0
    t0 = time.perf_counter()
    with open(path, "rb") as f:
        doc = json.load(f)
    t1 = time.perf_counter()
    m = doc["marches"]
    # json_normalize cannot take the non-object items: the naive pipeline drops them
    marche = pd.json_normalize([r for r in m.get("marche", []) if isinstance(r, dict)])
    conc = pd.json_normalize([r for r in m.get("contrat-concession", []) if isinstance(r, dict)])
    t2 = time.perf_counter()
    n = len(m.get("marche", [])) + len(m.get("contrat-concession", []))
    return {
        "records": n,
        "work_s": t2 - t0,
        "json_load_s": t1 - t0,
        "normalize_s": t2 - t1,
        "import_s": t_import,
        "rows": len(marche) + len(conc),
        "columns": len(marche.columns),
    }


def step_subset(path: Path, out: Path, n: int) -> Json:
    """Write the first ``n`` records (marchés, and concessions in proportion) to ``out``."""
    env = msgspec.json.decode(path.read_bytes(), type=_Envelope)
    total = len(env.marches.marche) + len(env.marches.contrat_concession)
    n_conc = round(n * len(env.marches.contrat_concession) / total) if total else 0
    marche = env.marches.marche[: n - n_conc]
    conc = env.marches.contrat_concession[:n_conc]
    with open(out, "wb") as f:
        f.write(b'{"marches":{"marche":[\n')
        for i, raw in enumerate(marche):
            if i:
                f.write(b",\n")
            f.write(raw)
        f.write(b'\n],"contrat-concession":[\n')
        for i, raw in enumerate(conc):
            if i:
                f.write(b",\n")
            f.write(raw)
        f.write(b"\n]}}\n")
    return {"records": len(marche) + len(conc), "work_s": 0.0}


def run_child_step(argv: Sequence[str]) -> int:
    name, *rest = argv
    if name == "floor":
        result = step_floor(Path(rest[0]))
    elif name == "json_load":
        result = step_json_load(Path(rest[0]))
    elif name == "pandas":
        result = step_pandas(Path(rest[0]))
    elif name == "subset":
        result = step_subset(Path(rest[0]), Path(rest[1]), int(rest[2]))
    else:
        raise SystemExit(f"unknown step {name!r}")
    result["maxrss_self"] = _maxrss_self()
    print("STEP_RESULT " + json.dumps(result), flush=True)
    return 0


# --------------------------------------------------------------------------------------------------
# Measuring a subprocess


@dataclass
class Measure:
    label: str
    cmd: list[str]
    rc: int = 0
    wall_s: float = 0.0
    peak_rss_poll: int = 0  # sum over the child's process tree, sampled every 20 ms
    maxrss_wait4: int = 0  # exact peak of the child (wait4 ru_maxrss)
    records: int | None = None
    child: Json = field(default_factory=dict)
    stdout_tail: str = ""
    stderr_tail: str = ""
    note: str = ""
    timed_out: bool = False
    extrapolated_wall_s: float | None = None  # for a step run on a subset

    @property
    def peak_rss(self) -> int:
        return max(self.peak_rss_poll, self.maxrss_wait4)

    @property
    def ok(self) -> bool:
        return self.rc == 0 and not self.timed_out


def _tree_rss(proc: Any) -> int:
    import psutil

    total = 0
    try:
        procs = [proc, *proc.children(recursive=True)]
    except psutil.Error:
        return 0
    for p in procs:
        with contextlib.suppress(psutil.Error):
            total += p.memory_info().rss
    return total


def measure(label: str, cmd: list[str], timeout: float, cwd: Path = REPO) -> Measure:
    """Run ``cmd``; wall time, peak RSS (polled tree + wait4 maxrss), the child's STEP_RESULT line."""
    import psutil

    m = Measure(label=label, cmd=[str(c) for c in cmd])
    with tempfile.TemporaryFile() as out, tempfile.TemporaryFile() as err:
        t0 = time.perf_counter()
        popen = subprocess.Popen(m.cmd, stdout=out, stderr=err, cwd=cwd)
        ps = psutil.Process(popen.pid)
        status = 0
        rusage: Any = None
        while True:
            pid, status, rusage = os.wait4(popen.pid, os.WNOHANG)
            if pid == popen.pid:
                break
            m.peak_rss_poll = max(m.peak_rss_poll, _tree_rss(ps))
            if time.perf_counter() - t0 > timeout:
                m.timed_out = True
                popen.kill()
                _, status, rusage = os.wait4(popen.pid, 0)
                break
            time.sleep(POLL_SECONDS)
        m.wall_s = time.perf_counter() - t0
        m.rc = os.waitstatus_to_exitcode(status)
        popen.returncode = m.rc
        m.maxrss_wait4 = int(rusage.ru_maxrss) * 1024 if rusage is not None else 0
        out.seek(0)
        err.seek(0)
        stdout = out.read().decode("utf-8", "replace")
        stderr = err.read().decode("utf-8", "replace")
    m.stdout_tail = stdout[-2000:]
    m.stderr_tail = stderr[-2000:]
    for line in stdout.splitlines():
        if line.startswith("STEP_RESULT "):
            m.child = json.loads(line[len("STEP_RESULT ") :])
            m.records = m.child.get("records")
    return m


def measure_median(label: str, make_cmd: Callable[[int], list[str]], timeout: float, repeat: int) -> Measure:
    """Run a step ``repeat`` times; the median run by wall time, with every run's time in its note and the
    worst peak RSS of all runs."""
    runs = [measure(label, make_cmd(i), timeout) for i in range(max(1, repeat))]
    ok = sorted((m for m in runs if m.ok), key=lambda m: m.wall_s)
    if not ok:
        return runs[0]
    median = ok[(len(ok) - 1) // 2]
    median.peak_rss_poll = max(m.peak_rss_poll for m in ok)
    median.maxrss_wait4 = max(m.maxrss_wait4 for m in ok)
    if len(runs) > 1:
        median.note = f"median of {len(runs)} runs ({', '.join(f'{m.wall_s:.1f}' for m in runs)} s)"
    return median


# --------------------------------------------------------------------------------------------------
# Machine


def machine_info() -> Json:
    import psutil

    cpu = "unknown"
    with contextlib.suppress(OSError):
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break

    def version(dist: str) -> str:
        try:
            return importlib.metadata.version(dist)
        except importlib.metadata.PackageNotFoundError:
            return "not installed"

    try:
        usable = len(os.sched_getaffinity(0))
    except AttributeError:
        usable = os.cpu_count() or 0
    return {
        "cpu": cpu,
        "cores": os.cpu_count(),
        "usable_cores": usable,
        "ram_bytes": psutil.virtual_memory().total,
        "python": platform.python_version(),
        "platform": platform.platform(),
        "duckdb": version("duckdb"),
        "msgspec": version("msgspec"),
        "pandas": version("pandas"),
        "spaser": version("spaser"),
    }


# --------------------------------------------------------------------------------------------------
# The run


def _mb(n: float) -> str:
    return f"{n / 1e6:,.0f}"


def _warm_page_cache(path: Path) -> None:
    with open(path, "rb", buffering=0) as f:
        while f.read(16 << 20):
            pass


def _load_truth(path: Path) -> Json | None:
    sidecar = path.with_name(path.name + ".truth.json")
    if sidecar.exists():
        truth: Json = json.loads(sidecar.read_text(encoding="utf-8"))
        return truth
    return None


def ensure_file(args: argparse.Namespace, timeout: float) -> tuple[Path, Json | None, Measure | None, bool]:
    """The benchmark file, its truth, the generation measure (None when reused) and whether we own it."""
    if args.file:
        path = Path(args.file).resolve()
        if not path.exists():
            raise SystemExit(f"--file {path} does not exist")
        return path, _load_truth(path), None, False
    out_dir = Path(args.out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    path = out_dir / f"decp_{args.records}_s{args.seed}_i{args.indent}.json"
    truth = _load_truth(path) if path.exists() else None
    if (
        truth
        and truth.get("records") == args.records
        and truth.get("seed") == args.seed
        and truth.get("bytes") == path.stat().st_size
    ):
        print(f"reusing {path} ({_mb(path.stat().st_size)} MB)")
        return path, truth, None, False  # made by an earlier --keep run: keep it
    print(f"generating {args.records:,} records into {path} ...", flush=True)
    gen = measure(
        "generate",
        [
            sys.executable,
            str(GENERATOR),
            "--records",
            str(args.records),
            "--output",
            str(path),
            "--seed",
            str(args.seed),
            "--indent",
            str(args.indent),
            "--quiet",
        ],
        timeout,
    )
    if not gen.ok:
        raise SystemExit(f"generation failed (rc={gen.rc}):\n{gen.stderr_tail}")
    gen.records = args.records
    return path, _load_truth(path), gen, not args.keep


def _ratio(m: Measure | None, ref: Measure | None) -> str:
    if m is None or ref is None or not m.ok or not ref.ok or ref.wall_s <= 0:
        return "n/a"
    if m.extrapolated_wall_s is not None:
        return f"~{m.extrapolated_wall_s / ref.wall_s:.2f} (extrapolated)"
    return f"{m.wall_s / ref.wall_s:.2f}"


def extrapolate_pandas(subset: Measure, n_records: int, json_load: Measure | None) -> tuple[float, str]:
    """Full-file time of baseline 2 from its subset run.

    The fixed part (interpreter, pandas import) is counted once; json.load grows faster than linearly
    (the cyclic GC rescans the growing heap), so its measured full-file time is used when baseline 1 ran;
    json_normalize is scaled linearly.
    """
    k = n_records / max(subset.records or 1, 1)
    work = float(subset.child.get("work_s", subset.wall_s))
    fixed = max(subset.wall_s - work, 0.0)
    if json_load is not None and json_load.ok and json_load.records == n_records and json_load.child:
        est = fixed + float(json_load.child["work_s"]) + float(subset.child["normalize_s"]) * k
        return est, "fixed cost + measured full json.load + json_normalize × N/n"
    return fixed + work * k, "fixed cost + work × N/n (linear: json.load is superlinear, likely low)"


def append_results(path: Path, block: str) -> None:
    """Append a results block to ``path`` (created with its title), one blank line after the previous block
    however the file was last edited by hand."""
    if not path.exists():
        header = ("# Ingestion benchmark results\n\nAppended by `python bench/ingest.py --write-results` "
                  "(see bench/README.md).\n\n")
    else:
        header = "" if path.read_text(encoding="utf-8").endswith("\n\n") else "\n"
    with open(path, "a", encoding="utf-8") as f:
        f.write(header + block.rstrip("\n") + "\n")


def run(args: argparse.Namespace) -> int:
    timeout = float(args.step_timeout)
    machine = machine_info()
    path, truth, gen, delete_after = ensure_file(args, timeout)
    size = path.stat().st_size
    n_total = int(truth["records"]) if truth else None
    _warm_page_cache(path)
    me = [sys.executable, str(Path(__file__).resolve())]
    steps: list[Measure] = []

    def announce(label: str) -> None:
        print(f"  {label} ...", flush=True)

    announce("floor (msgspec Raw scan)")
    floor = measure("floor: msgspec Raw scan", [*me, "--step", "floor", str(path)], timeout)
    steps.append(floor)
    n_records = floor.records or n_total or 0

    json_load: Measure | None = None
    pandas_m: Measure | None = None
    pandas_extrapolated: float | None = None
    ram = int(machine["ram_bytes"])
    if not args.skip_baselines:
        if size * JSON_MEMORY_FACTOR > 0.85 * ram:
            print(f"  json.load skipped: ~{_mb(size * JSON_MEMORY_FACTOR)} MB would not fit in RAM")
        else:
            announce("baseline 1: json.load")
            json_load = measure_median("baseline 1: json.load", lambda _: [*me, "--step", "json_load", str(path)],
                                       timeout, args.repeat)
            steps.append(json_load)
        subset_n = args.pandas_subset
        if size * PANDAS_MEMORY_FACTOR > PANDAS_RAM_SHARE * ram and subset_n < n_records:
            subset_path = path.with_name(path.stem + f".subset{subset_n}.json")
            announce(f"baseline 2: writing a subset of {subset_n:,} records")
            sub = measure("subset", [*me, "--step", "subset", str(path), str(subset_path), str(subset_n)], timeout)
            if not sub.ok:
                raise SystemExit(f"subset failed:\n{sub.stderr_tail}")
            label = f"baseline 2: json.load + json_normalize (subset of {subset_n:,} records, extrapolated)"
            announce(label)
            pandas_m = measure(label, [*me, "--step", "pandas", str(subset_path)], timeout)
            subset_path.unlink(missing_ok=True)
            if pandas_m.ok and pandas_m.records:
                pandas_extrapolated, how = extrapolate_pandas(pandas_m, n_records, json_load)
                pandas_m.extrapolated_wall_s = pandas_extrapolated
                c = pandas_m.child
                pandas_m.note = (
                    f"subset: json.load {c['json_load_s']:.2f} s + normalize {c['normalize_s']:.2f} s; "
                    f"full file ~{pandas_extrapolated:,.0f} s ({how}), "
                    f"~{_mb(pandas_m.peak_rss * n_records / pandas_m.records)} MB (linear)"
                )
        else:
            announce("baseline 2: json.load + json_normalize")
            pandas_m = measure("baseline 2: json.load + json_normalize", [*me, "--step", "pandas", str(path)], timeout)
        steps.append(pandas_m)

    spaser_m: Measure | None = None
    report: Json | None = None
    data_dir: Path | None = None
    report_path: Path | None = None
    out_dir = Path(args.out_dir)
    if not args.skip_spaser:
        out_dir.mkdir(parents=True, exist_ok=True)
        data_dirs: list[Path] = []

        def spaser_cmd(_: int) -> list[str]:
            """A fresh data folder per run: a second run in the same one would skip the file (idempotence)."""
            run_dir = Path(tempfile.mkdtemp(prefix="spaser-data-", dir=out_dir))
            data_dirs.append(run_dir)
            return [sys.executable, "-m", "spaser", "--data-dir", str(run_dir), "ingest", str(path), "--report-json",
                    str(run_dir.with_name(run_dir.name + ".report.json"))]

        announce("spaser startup")
        startup = measure(
            "spaser startup (`-m spaser --help`, fixed cost)",
            [sys.executable, "-m", "spaser", "--help"],
            timeout,
        )
        if startup.ok:
            steps.append(startup)
        announce(f"spaser ingest ({args.repeat} run(s))")
        spaser_m = measure_median("spaser ingest", spaser_cmd, timeout, args.repeat)
        data_dir = Path(spaser_m.cmd[spaser_m.cmd.index("--data-dir") + 1])
        report_path = data_dir.with_name(data_dir.name + ".report.json")
        for other in data_dirs:
            if other != data_dir and not args.keep:
                shutil.rmtree(other, ignore_errors=True)
                other.with_name(other.name + ".report.json").unlink(missing_ok=True)
        if report_path.exists():
            with contextlib.suppress(ValueError):
                report = json.loads(report_path.read_text(encoding="utf-8"))
        if report and spaser_m.records is None:
            spaser_m.records = report.get("records_read")
        if report and report.get("timings"):
            steps_s = ", ".join(f"{k} {v:.1f}" for k, v in report["timings"].items())
            spaser_m.note = "; ".join(filter(None, [spaser_m.note, f"steps (s): {steps_s}"]))
        if not spaser_m.ok:
            spaser_m.note = f"FAILED rc={spaser_m.rc}" + (" (timeout)" if spaser_m.timed_out else "")
        steps.append(spaser_m)

    # ---------------------------------------------------------------------------------------------- report
    lines: list[str] = []
    out = lines.append
    out(f"## Ingestion benchmark — {dt.datetime.now().astimezone().isoformat(timespec='seconds')}")
    out("")
    out(
        f"* machine: {machine['cpu']}, {machine['cores']} cores ({machine['usable_cores']} usable), "
        f"{machine['ram_bytes'] / 2**30:.1f} GiB RAM, {machine['platform']}"
    )
    out(
        f"* Python {machine['python']}, duckdb {machine['duckdb']}, msgspec {machine['msgspec']}, "
        f"pandas {machine['pandas']}, spaser {machine['spaser']}"
    )
    out(
        f"* file: `{path.name}`, {n_records:,} records, {_mb(size)} MB "
        f"({size / max(n_records, 1):,.0f} B/record)" + (f", seed {truth.get('seed')}" if truth else "")
    )
    if gen:
        out(f"* generation: {gen.wall_s:.1f} s, peak RSS {_mb(gen.peak_rss)} MB")
    elif truth and "generation_seconds" in truth:
        out(f"* generation (when the file was made): {truth['generation_seconds']} s")
    out("")
    out("| step | wall s | records/s | peak RSS MB | × json.load time | note |")
    out("|---|---:|---:|---:|---:|---|")
    for m in steps:
        rate = f"{(m.records or 0) / m.wall_s:,.0f}" if m.ok and m.wall_s > 0 and m.records else "n/a"
        wall = f"{m.wall_s:.2f}" if m.ok else f"({m.wall_s:.2f})"
        note = m.note
        if m.child.get("work_s") and not note:
            parts = [f"in-process {m.child['work_s']:.2f} s"]
            if "decode_s" in m.child:
                parts.append(f"read {m.child['read_s']:.2f} s + decode {m.child['decode_s']:.2f} s")
            if "normalize_s" in m.child:
                parts.append(
                    f"json.load {m.child['json_load_s']:.2f} s + normalize {m.child['normalize_s']:.2f} s,"
                    f" {m.child['columns']} columns"
                )
            note = "; ".join(parts)
        out(f"| {m.label} | {wall} | {rate} | {_mb(m.peak_rss)} | {_ratio(m, json_load)} | {note} |")
    out("")

    # targets
    checks: list[tuple[str, str, str]] = []
    scale = n_records / NATIONAL_RECORDS if n_records else 1.0
    scaled = "" if abs(scale - 1) < 1e-9 else f" (scaled to {n_records:,} records)"
    target_s = TARGET_SECONDS * scale
    moon_s = MOONSHOT_SECONDS * scale

    def verdict(ok: bool | None) -> str:
        return "n/a" if ok is None else ("PASS" if ok else "FAIL")

    sp_ok = spaser_m is not None and spaser_m.ok
    sp_wall = spaser_m.wall_s if spaser_m else 0.0
    checks.append(
        (
            f"spaser wall ≤ {target_s:.1f} s{scaled}",
            f"{sp_wall:.2f} s" if sp_ok else "n/a",
            verdict(sp_wall <= target_s if sp_ok else None),
        )
    )
    checks.append(
        (
            f"moonshot: spaser wall ≤ {moon_s:.1f} s{scaled}",
            f"{sp_wall:.2f} s" if sp_ok else "n/a",
            verdict(sp_wall <= moon_s if sp_ok else None),
        )
    )
    checks.append(
        (
            f"spaser peak RSS ≤ {_mb(TARGET_RSS_BYTES)} MB",
            f"{_mb(spaser_m.peak_rss)} MB" if sp_ok and spaser_m else "n/a",
            verdict(spaser_m.peak_rss <= TARGET_RSS_BYTES if sp_ok and spaser_m else None),
        )
    )
    ratio_ok: bool | None = None
    ratio_txt = "n/a"
    if sp_ok and json_load is not None and json_load.ok:
        r = sp_wall / json_load.wall_s
        ratio_ok, ratio_txt = r <= TARGET_RATIO, f"{r:.2f} ×"
    checks.append((f"spaser time ≤ {TARGET_RATIO} × bare json.load", ratio_txt, verdict(ratio_ok)))

    # report consistency
    if report is not None:
        read = int(report.get("records_read", -1))
        loaded = int(report.get("loaded", -1))
        dups = int(report.get("duplicates", -1))
        quar = int(report.get("quarantined", -1))
        checks.append(
            (
                "records_read == loaded + duplicates + quarantined",
                f"{read:,} vs {loaded + dups + quar:,}",
                verdict(read == loaded + dups + quar),
            )
        )
        if truth:
            exp = truth["expected"]
            checks.append(
                (
                    "records_read == records in the file",
                    f"{read:,} vs {truth['records']:,}",
                    verdict(read == truth["records"]),
                )
            )
            tol = max(1, round(0.01 * exp["duplicates"]))
            hint = ""
            lots = truth["lots_sharing_ids"]["records"] - truth["lots_sharing_ids"]["groups"]
            if dups - exp["duplicates"] > tol and lots and abs(dups - exp["duplicates"] - lots) <= 0.2 * lots:
                hint = " — lots sharing an id seem merged"
            checks.append(
                (
                    f"duplicates ≈ injected (±{tol})",
                    f"{dups:,} vs {exp['duplicates']:,}{hint}",
                    verdict(abs(dups - exp["duplicates"]) <= tol),
                )
            )
            checks.append(
                (
                    "quarantined == unidentifiable + non-object",
                    f"{quar:,} vs {exp['quarantined']:,} ({truth['unidentifiable']} + {truth['non_object']})",
                    verdict(quar == exp["quarantined"]),
                )
            )
            checks.append(
                (
                    "loaded == unique identifiable contracts",
                    f"{loaded:,} vs {exp['loaded']:,}",
                    verdict(abs(loaded - exp["loaded"]) <= tol),
                )
            )
        files = report.get("files") or []
        if files:
            f0 = files[0]
            checks.append(
                (
                    "report.files[0].records_read",
                    f"{f0.get('records_read')} (format {f0.get('format')})",
                    verdict(f0.get("records_read") == read),
                )
            )

    out("| target / check | observed | verdict |")
    out("|---|---|---|")
    for name, observed, v in checks:
        out(f"| {name} | {observed} | {v} |")
    out("")
    if report is not None:
        out(
            f"* spaser report: records_read {report.get('records_read')}, loaded {report.get('loaded')}, "
            f"duplicates {report.get('duplicates')}, quarantined {report.get('quarantined')}, "
            f"by_reason {json.dumps(report.get('by_reason', {}), ensure_ascii=False)}"
        )
    elif spaser_m is not None:
        tail = (spaser_m.stderr_tail or spaser_m.stdout_tail).strip().splitlines()[-3:]
        out(f"* spaser: no report (rc={spaser_m.rc}): `{' / '.join(tail)[:300]}`")
    if truth:
        lots_info = truth["lots_sharing_ids"]
        out(
            f"* injected (truth): {truth['duplicates']:,} duplicates {truth['duplicates_by_kind']}, "
            f"{truth['unidentifiable']} unidentifiable, {truth['non_object']} non-object, "
            f"{truth['defective']} defective (loaded with a flag), lots sharing ids: "
            f"{lots_info['records']:,} records in {lots_info['groups']:,} groups"
        )
    if pandas_extrapolated is not None:
        out(f"* baseline 2 full-file estimate: ~{pandas_extrapolated:,.0f} s (extrapolated from the subset)")
    out("")
    text = "\n".join(lines)
    print()
    print(text)

    out_dir.mkdir(parents=True, exist_ok=True)
    stamp = dt.datetime.now().strftime("%Y%m%dT%H%M%S")
    result_json = out_dir / f"ingest_{n_records}_{stamp}.json"
    result_json.write_text(
        json.dumps(
            {
                "machine": machine,
                "file": str(path),
                "bytes": size,
                "records": n_records,
                "truth": truth,
                "generation": asdict(gen) if gen else None,
                "steps": [asdict(s) for s in steps],
                "spaser_report": report,
                "checks": checks,
            },
            indent=2,
            ensure_ascii=False,
            default=str,
        ),
        encoding="utf-8",
    )
    print(f"details: {result_json}")
    if args.write_results:
        append_results(Path(args.results_file), text)
        print(f"appended to {args.results_file}")

    if not args.keep:
        if data_dir is not None:
            shutil.rmtree(data_dir, ignore_errors=True)
        if report_path is not None:
            report_path.unlink(missing_ok=True)
        if delete_after:
            path.unlink(missing_ok=True)
            path.with_name(path.name + ".truth.json").unlink(missing_ok=True)
    failed = any(v == "FAIL" for _, _, v in checks)
    return 1 if failed and args.strict else 0


def main(argv: Sequence[str] | None = None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    if argv[:1] == ["--step"]:
        return run_child_step(argv[1:])
    parser = argparse.ArgumentParser(description=(__doc__ or "").split("\n\n")[0])
    parser.add_argument("--records", type=int, default=NATIONAL_RECORDS, help="records to generate (1.5 M)")
    parser.add_argument("--file", help="benchmark this file instead of generating one")
    parser.add_argument("--seed", type=int, default=42)
    parser.add_argument("--indent", type=int, default=0, help="generator whitespace (0: ~1.09 KB/record)")
    parser.add_argument("--keep", action="store_true", help="keep the generated file and spaser's data dir")
    parser.add_argument("--skip-baselines", action="store_true", help="skip json.load and pandas")
    parser.add_argument("--skip-spaser", action="store_true", help="only the floor and the baselines")
    parser.add_argument(
        "--pandas-subset",
        type=int,
        default=200_000,
        help="records of the pandas subset when the full file would not fit (200 000)",
    )
    parser.add_argument("--step-timeout", type=float, default=1800.0, help="seconds per step (1800)")
    parser.add_argument("--write-results", action="store_true", help="append the results to --results-file")
    parser.add_argument("--out-dir", default=str(OUT), help="generated files, data folders and the JSON figures "
                        "(bench/out)")
    parser.add_argument("--results-file", default=str(RESULTS_MD), help="where --write-results appends "
                        "(bench/RESULTS.md)")
    parser.add_argument("--repeat", type=int, default=1,
                        help="runs of json.load and of spaser; the median is reported (1)")
    parser.add_argument("--strict", action="store_true", help="exit 1 when a target or a check fails")
    return run(parser.parse_args(argv))


if __name__ == "__main__":
    raise SystemExit(main())
