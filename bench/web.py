"""Web benchmark (issue 5): 20 concurrent clients for 60 s on each of the dashboard, an indicator page, a
contract search and a contract page, against `spaser serve` on the national-scale warehouse.

    UV_PYTHON_DOWNLOADS=never uv run python bench/web.py [--data-dir bench/out/national] [--duration 60]
        [--clients 20] [--workers 2] [--write-results]

The server runs in its own processes (``spaser serve --workers N``); the clients are asyncio tasks with
keep-alive connections in this process, on the same 2-core machine (so they take CPU from the server: the
figures are a floor). Each page prints p50/p95/p99 latency and requests/s, next to the baseline measured in the
same run: ``/api/v1/health`` (no warehouse access), the cost of the HTTP stack alone.
Targets: p95 ≤ 200 ms on every page (moonshot 50 ms); ≥ 200 requests/s on the dashboard.
"""

from __future__ import annotations

import argparse
import asyncio
import datetime as dt
import json
import os
import random
import socket
import statistics
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import duckdb
import httpx2

from ingest import machine_info  # bench/ingest.py

REPO = Path(__file__).resolve().parents[1]
OUT = REPO / "bench" / "out"
P95_TARGET_MS = 200.0
P95_MOONSHOT_MS = 50.0
DASHBOARD_RPS_TARGET = 200.0


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def sample_urls(data_dir: Path, seed: int = 7) -> dict[str, list[str]]:
    """Real URLs from the warehouse: search words from objets, contract keys, the largest buyer."""
    con = duckdb.connect(str(data_dir / "warehouse" / "current.duckdb"), read_only=True)
    try:
        keys = [k for (k,) in con.execute("SELECT contract_key FROM contracts USING SAMPLE 500 ROWS").fetchall()]
        words = [w for (w,) in con.execute(
            "SELECT w FROM (SELECT unnest(string_split(lower(objet), ' ')) AS w FROM contracts USING SAMPLE 2000 ROWS)"
            " WHERE length(w) >= 6 GROUP BY w ORDER BY count(*) DESC LIMIT 100").fetchall()]
    finally:
        con.close()
    rng = random.Random(seed)
    return {
        "baseline /api/v1/health": ["/api/v1/health"],
        "dashboard /": ["/"],
        "indicator /indicateurs/env_consideration": ["/indicateurs/env_consideration"],
        "search /contrats?q=": [f"/contrats?q={rng.choice(words)}" for _ in range(200)],
        "contract /contrats/{key}": [f"/contrats/{key}" for key in keys],
    }


async def load(base: str, urls: list[str], clients: int, duration: float) -> dict[str, Any]:
    latencies: list[float] = []
    errors = 0
    deadline = time.perf_counter() + duration

    async def client(index: int) -> None:
        nonlocal errors
        rng = random.Random(index)
        async with httpx2.AsyncClient(base_url=base, timeout=30.0) as http:
            while time.perf_counter() < deadline:
                started = time.perf_counter()
                response = await http.get(rng.choice(urls))
                latencies.append(time.perf_counter() - started)
                if response.status_code != 200:
                    errors += 1

    started = time.perf_counter()
    await asyncio.gather(*(client(i) for i in range(clients)))
    elapsed = time.perf_counter() - started
    latencies.sort()

    def pct(p: float) -> float:
        return latencies[min(len(latencies) - 1, int(p * len(latencies)))] * 1000 if latencies else float("nan")

    return {"requests": len(latencies), "errors": errors, "rps": len(latencies) / elapsed,
            "p50_ms": pct(0.50), "p95_ms": pct(0.95), "p99_ms": pct(0.99),
            "mean_ms": statistics.fmean(latencies) * 1000 if latencies else float("nan")}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--data-dir", default=str(OUT / "national"))
    parser.add_argument("--duration", type=float, default=60.0, help="seconds per page (60)")
    parser.add_argument("--clients", type=int, default=20)
    parser.add_argument("--workers", type=int, default=2, help="server worker processes (2)")
    parser.add_argument("--write-results", action="store_true", help="append to bench/RESULTS_web.md")
    args = parser.parse_args()
    data_dir = Path(args.data_dir)
    if not (data_dir / "warehouse" / "current.duckdb").exists():
        print(f"no warehouse in {data_dir}: run bench/indicators.py (it builds bench/out/national) first")
        return 1
    port = free_port()
    server = subprocess.Popen([sys.executable, "-m", "spaser", "--data-dir", str(data_dir), "serve", "--port",
                               str(port), "--workers", str(args.workers)], stdout=subprocess.DEVNULL,
                              env=os.environ | {"PYTHONUNBUFFERED": "1"})
    base = f"http://127.0.0.1:{port}"
    try:
        for _ in range(120):
            try:
                if httpx2.get(base + "/api/v1/health", timeout=1).status_code == 200:
                    break
            except httpx2.HTTPError:
                time.sleep(0.5)
        pages = sample_urls(data_dir)
        results: dict[str, Any] = {}
        for name, urls in pages.items():
            asyncio.run(load(base, urls[:20], 2, 3.0))  # warm-up: open the snapshot, fill caches
            results[name] = asyncio.run(load(base, urls, args.clients, args.duration))
            r = results[name]
            print(f"{name:45s} {r['requests']:7d} req {r['rps']:8.1f} req/s  p50 {r['p50_ms']:7.1f} ms  "
                  f"p95 {r['p95_ms']:7.1f} ms  p99 {r['p99_ms']:7.1f} ms  errors {r['errors']}", flush=True)
    finally:
        server.terminate()
        server.wait(timeout=30)
    machine = machine_info()
    lines = [f"## Web — {dt.datetime.now(dt.UTC).isoformat(timespec='seconds')}", "",
             f"Machine: {machine['cpu']}, {machine['usable_cores']} usable cores, "
             f"{machine['ram_bytes'] / 2**30:.0f} GiB RAM; server `spaser serve --workers {args.workers}`, "
             f"{args.clients} concurrent keep-alive clients in the same machine, {args.duration:g} s per page; "
             f"warehouse {data_dir}.", "",
             "| page | requests | req/s | p50 ms | p95 ms | p99 ms | errors | p95 target |",
             "|---|---:|---:|---:|---:|---:|---:|---|"]
    for name, r in results.items():
        verdict = "" if name.startswith("baseline") else ("met" if r["p95_ms"] <= P95_TARGET_MS else "NOT met")
        lines.append(f"| {name} | {r['requests']} | {r['rps']:.1f} | {r['p50_ms']:.1f} | {r['p95_ms']:.1f} | "
                     f"{r['p99_ms']:.1f} | {r['errors']} | {verdict} |")
    dashboard = results.get("dashboard /", {})
    lines.append("")
    lines.append(f"Dashboard: {dashboard.get('rps', 0):.0f} req/s (target ≥ {DASHBOARD_RPS_TARGET:g}: "
                 f"{'met' if dashboard.get('rps', 0) >= DASHBOARD_RPS_TARGET else 'NOT met'}); "
                 f"ratio to the baseline: {dashboard.get('rps', 0) / results['baseline /api/v1/health']['rps']:.2f}.")
    text = "\n".join(lines) + "\n"
    print(text)
    OUT.mkdir(parents=True, exist_ok=True)
    stamp = dt.datetime.now(dt.UTC).strftime("%Y%m%dT%H%M%S")
    (OUT / f"web_{stamp}.json").write_text(json.dumps({"machine": machine, "results": results}, indent=2) + "\n")
    if args.write_results:
        with (REPO / "bench" / "RESULTS_web.md").open("a", encoding="utf-8") as stream:
            stream.write("\n" + text)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
