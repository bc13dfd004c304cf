#!/usr/bin/env python3
"""Full-text search benchmark: index build time and query latency on the national-scale warehouse, against a
naive ``LIKE`` scan of the same queries, measured in the same run.

    UV_PYTHON_DOWNLOADS=never uv run python bench/search.py                      # a copy of bench/out/national
    UV_PYTHON_DOWNLOADS=never uv run python bench/search.py --data-dir DIR --queries 200 --write-results

What is measured:

* ``build (cold)``: ``build_search_index`` on a throw-away copy of the snapshot without any ``search_*`` table
  (every word stemmed); ``build (warm)``: the rebuild that an ingestion does next (the word → stem cache of the
  snapshot reused);
* ``stemming``: ``--stem-words`` synthetic distinct words (default 300 000, the order of a real national
  vocabulary of objets and company names) through the build's stemming step — the synthetic warehouse's
  vocabulary is a few hundred words, so the cold build above does not show what a real first build costs;
* ``queries``: ``--queries`` queries (a quarter each of 1, 2 and 3 words taken together from the objet of a
  random contract, and of 4-to-6-letter prefixes ``word*``) through ``search(con, q, limit=50)`` on the snapshot
  opened read-only like the web does (after one warm-up pass); p50 / p95 / p99 by kind and overall;
* ``baseline``: for the same queries, ``strip_accents(lower(objet)) LIKE '%word%'`` for each word (AND), the
  count and the first 50 by date — what the explorer did without an index (``--baseline-queries`` of them,
  default all; it only looks at the objet, and matches substrings, not stems);
* ``--names N``: the generated DECP carry no names (2022 format); this gives every SIREN the contracts name a
  synthetic SIRENE denomination drawn from N distinct words, in a ``ref_sirene_unites`` padded to the national
  19.6 M rows, as a SIRENE load would: the build then indexes buyer and titulaire names too.

Targets: cold build ≤ 10 s on 2 cores; 2-word queries p95 ≤ 50 ms.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import random
import shutil
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import duckdb

from ingest import machine_info  # bench/ingest.py
from spaser.warehouse.search import search
from spaser.warehouse.search_index import build_search_index
from spaser.warehouse.search_text import fold, stem_words, words_of

REPO = Path(__file__).resolve().parents[1]
OUT = REPO / "bench" / "out"
DEFAULT_DATA = OUT / "national"
BUILD_TARGET_S = 10.0
QUERY_TARGET_MS = 50.0
KINDS = ("1 word", "2 words", "3 words", "prefix")
SEARCH_TABLES = ("search_contracts", "search_terms", "search_postings", "search_words", "search_index_info")


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    if not ordered:
        return float("nan")
    return ordered[min(len(ordered) - 1, round(q / 100 * (len(ordered) - 1)))]


def summary(values: list[float]) -> dict[str, float]:
    return {"n": len(values), "p50": percentile(values, 50), "p95": percentile(values, 95),
            "p99": percentile(values, 99), "max": max(values, default=float("nan"))}


def make_queries(con: duckdb.DuckDBPyConnection, count: int, seed: int) -> list[tuple[str, str]]:
    """(kind, query) pairs from real objets: the words of one contract, so that multi-word queries match."""
    rng = random.Random(seed)
    objets = [o for (o,) in con.execute(
        "SELECT objet FROM contracts WHERE objet IS NOT NULL USING SAMPLE reservoir(5000 ROWS) REPEATABLE (7)"
    ).fetchall()]
    objets.sort()
    queries: list[tuple[str, str]] = []
    per_kind = max(1, count // len(KINDS))
    for kind in KINDS:
        made = 0
        while made < per_kind:
            words = [w for w in dict.fromkeys(words_of(rng.choice(objets))) if len(w) > 3 and not w.isdigit()]
            if kind == "prefix":
                if not words:
                    continue
                word = rng.choice(words)
                queries.append((kind, word[:rng.randint(4, min(6, len(word)))] + "*"))
            else:
                size = int(kind[0])
                if len(words) < size:
                    continue
                queries.append((kind, " ".join(rng.sample(words, size))))
            made += 1
    return queries


def naive(con: duckdb.DuckDBPyConnection, query: str) -> int:
    words = [fold(w) for w in query.replace("*", " ").split()]
    where = " AND ".join("strip_accents(lower(objet)) LIKE ?" for _ in words)
    params = [f"%{w}%" for w in words]
    row = con.execute(f"SELECT count(*) FROM contracts WHERE {where}", params).fetchone()
    con.execute(f"SELECT contract_key FROM contracts WHERE {where} ORDER BY date_notification DESC NULLS LAST, "
                "contract_key LIMIT 50", params).fetchall()
    return int(row[0]) if row else 0


def timed(action: Callable[[], Any]) -> tuple[float, Any]:
    started = time.perf_counter()
    result = action()
    return time.perf_counter() - started, result


def synthetic_words(count: int, seed: int) -> list[str]:
    """Distinct French-looking words, about as long as the real objets' and names' words (6.8 letters on average
    in the shared 2019 files)."""
    rng = random.Random(seed)
    onsets = ["", "b", "c", "d", "f", "g", "l", "m", "n", "p", "r", "s", "t", "v", "ch", "tr", "pr", "bl", "gr"]
    vowels = ["a", "e", "i", "o", "u", "é", "è", "ou", "ai", "an", "on", "in"]
    endings = ["", "", "", "s", "e", "es", "ment", "ation", "eur", "ique", "ité", "al", "aux", "ant", "er", "ions"]
    words: set[str] = set()
    while len(words) < count:
        syllables = rng.choices((1, 2, 3), weights=(3, 5, 2))[0]
        stem = "".join(rng.choice(onsets) + rng.choice(vowels) for _ in range(syllables))
        words.add(stem + rng.choice(endings))
    return sorted(words)


def add_sirene_names(con: duckdb.DuckDBPyConnection, words: int, rows: int, seed: int) -> dict[str, int]:
    """What a SIRENE load brings the index: a denomination for every SIREN the contracts name (two or three words
    among ``words`` synthetic ones and a legal form), in a ``ref_sirene_unites`` of ``rows`` rows."""
    vocabulary = synthetic_words(words, seed + 1)
    con.execute("CREATE OR REPLACE TEMP TABLE bench_words AS SELECT w.word, (w.i - 1)::BIGINT AS i "
                "FROM (SELECT unnest(?::VARCHAR[]) AS word, generate_subscripts(?::VARCHAR[], 1) AS i) w",
                [vocabulary, vocabulary])
    con.execute("DELETE FROM ref_sirene_unites")
    con.execute(
        f"""
        INSERT INTO ref_sirene_unites
        WITH named AS (
            SELECT DISTINCT left(acheteur_id, 9) AS siren FROM contracts WHERE acheteur_id IS NOT NULL
            UNION SELECT left(id, 9) FROM titulaires WHERE type_identifiant = 'SIRET' AND siret_valide)
        SELECT n.siren, 'PME', false,
               upper(a.word || ' ' || b.word || CASE WHEN hash(n.siren) % 3 = 0 THEN ' ' || c.word ELSE '' END
                     || ' ' || ['SAS', 'SARL', 'SA', 'EURL', 'SCOP'][(1 + hash(n.siren) % 5)::BIGINT]),
               '43.21A', true
        FROM named n
        JOIN bench_words a ON a.i = (hash(n.siren || 'a') % {words})::BIGINT
        JOIN bench_words b ON b.i = (hash(n.siren || 'b') % {words})::BIGINT
        JOIN bench_words c ON c.i = (hash(n.siren || 'c') % {words})::BIGINT
        """
    )
    named = con.execute("SELECT count(*) FROM ref_sirene_unites").fetchone()[0]  # type: ignore[index]
    if rows > named:
        con.execute(f"INSERT INTO ref_sirene_unites SELECT 'P' || lpad(range::VARCHAR, 8, '0'), NULL, false, "
                    f"'UNITE ' || range, '00.00Z', true FROM range({rows - named})")
    return {"named_sirens": int(named), "rows": max(rows, int(named)), "words": words}


def run(args: argparse.Namespace) -> dict[str, Any]:
    current = Path(args.data_dir) / "warehouse" / "current.duckdb"
    if not current.exists():
        raise SystemExit(f"no snapshot at {current}: run bench/ingest.py (or spaser ingest) first")
    OUT.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(dir=OUT, prefix="search-") as scratch:
        copy = Path(scratch) / "copy.duckdb"
        shutil.copyfile(current, copy)
        con = duckdb.connect(str(copy), config={"memory_limit": args.memory_limit, "preserve_insertion_order": False,
                                                "temp_directory": str(Path(scratch) / "tmp")})
        for table in SEARCH_TABLES:
            con.execute(f"DROP TABLE IF EXISTS {table}")
        names = add_sirene_names(con, args.names, args.sirene_rows, args.seed) if args.names else None
        cpu = time.process_time()
        cold_s, cold = timed(lambda: build_search_index(con))
        cold_cpu = time.process_time() - cpu
        cpu = time.process_time()
        warm_s, warm = timed(lambda: build_search_index(con))
        warm_cpu = time.process_time() - cpu
        con.execute("CHECKPOINT")
        index_bytes = {table: con.execute(
            f"SELECT count(DISTINCT block_id) * 262144 FROM pragma_storage_info('{table}') WHERE persistent"
        ).fetchone()[0] for table in SEARCH_TABLES}  # type: ignore[index]
        con.close()

        con = duckdb.connect(str(copy), read_only=True)
        contracts = con.execute("SELECT count(*) FROM contracts").fetchone()[0]  # type: ignore[index]
        queries = make_queries(con, args.queries, args.seed)
        for _, query in queries:  # warm-up: page cache, DuckDB's buffers, the stemmer
            search(con, query)
        latencies: dict[str, list[float]] = {kind: [] for kind in KINDS}
        totals: list[int | None] = []
        for kind, query in queries:
            elapsed, page = timed(lambda q=query: search(con, q, limit=50))  # type: ignore[misc]
            latencies[kind].append(elapsed * 1000)
            totals.append(page.total)
        baseline: dict[str, list[float]] = {kind: [] for kind in KINDS}
        sample = queries if args.baseline_queries is None else random.Random(args.seed).sample(
            queries, min(args.baseline_queries, len(queries)))
        for kind, query in sample:
            elapsed, _ = timed(lambda q=query: naive(con, q))  # type: ignore[misc]
            baseline[kind].append(elapsed * 1000)
        con.close()
    stem_s = stem_mean_length = None
    if args.stem_words:
        words = synthetic_words(args.stem_words, args.seed)
        stem_s, _ = timed(lambda: stem_words(words))
        stem_mean_length = sum(map(len, words)) / len(words)
    all_latencies = [v for values in latencies.values() for v in values]
    all_baseline = [v for values in baseline.values() for v in values]
    return {
        "date": dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
        "machine": machine_info(),
        "warehouse": str(current),
        "contracts": contracts,
        "build_cold_s": cold_s,
        "build_warm_s": warm_s,
        "build_cold_cpu_s": cold_cpu,
        "build_warm_cpu_s": warm_cpu,
        "build_cold_steps_s": cold.timings,
        "build_warm_steps_s": warm.timings,
        "index": {"words": cold.words, "terms": cold.terms, "postings": cold.postings,
                  "contracts": cold.contracts, "words_stemmed_cold": cold.words_stemmed,
                  "words_stemmed_warm": warm.words_stemmed},
        "snapshot_bytes": current.stat().st_size,
        "index_bytes": index_bytes,
        "sirene_names": names,
        "load_average": os.getloadavg(),
        "stem_words": args.stem_words,
        "stem_s": stem_s,
        "stem_mean_length": stem_mean_length,
        "queries": [{"kind": k, "q": q, "total": t} for (k, q), t in zip(queries, totals, strict=True)],
        "latency_ms": {kind: summary(values) for kind, values in latencies.items()} | {"all": summary(all_latencies)},
        "baseline_ms": {kind: summary(values) for kind, values in baseline.items()} | {"all": summary(all_baseline)},
    }


def report(result: dict[str, Any]) -> str:
    machine = result["machine"]
    index = result["index"]
    index_mb = sum(result["index_bytes"].values()) / 1e6

    def n(value: float) -> str:
        return f"{value:,.0f}".replace(",", " ")

    def row(name: str, stats: dict[str, float], base: dict[str, float]) -> str:
        ratio = base["p50"] / stats["p50"] if stats["p50"] else float("nan")
        return (f"| {name} | {stats['n']:.0f} | {stats['p50']:.1f} | {stats['p95']:.1f} | {stats['p99']:.1f} | "
                f"{base['p50']:.0f} | {base['p95']:.0f} | {ratio:.0f}× |")

    two = result["latency_ms"]["2 words"]["p95"]
    lines = [
        f"## Search — {result['date']}",
        "",
        f"Machine: {machine['cpu']}, {machine['usable_cores']} usable cores, {machine['ram_bytes'] / 2**30:.0f} GiB "
        f"RAM, Python {machine['python']}, DuckDB {machine['duckdb']}.",
        f"Load average during the run (1, 5, 15 min): {', '.join(f'{v:.1f}' for v in result['load_average'])}.",
        f"Warehouse: {n(result['contracts'])} contracts (snapshot {result['snapshot_bytes'] / 1e6:.0f} MB); index: "
        f"{n(index['words'])} words, {n(index['terms'])} terms, {n(index['postings'])} postings, "
        f"~{index_mb:.0f} MB in the snapshot.",
    ]
    if result["sirene_names"]:
        names = result["sirene_names"]
        lines.append(f"With synthetic SIRENE denominations for the {n(names['named_sirens'])} SIRENs the contracts "
                     f"name ({n(names['words'])} distinct words), in a ref_sirene_unites of {n(names['rows'])} rows.")
    lines += [
        "",
        f"Build, cold (every word stemmed): {result['build_cold_s']:.2f} s (CPU of this process, DuckDB's threads "
        f"included: {result['build_cold_cpu_s']:.2f} s) — target ≤ {BUILD_TARGET_S:g} s: "
        f"{'met' if result['build_cold_s'] <= BUILD_TARGET_S else 'NOT met'}; steps "
        + ", ".join(f"{k} {v:.2f}" for k, v in result["build_cold_steps_s"].items()) + ".",
        f"Build, warm (what the next ingestion does): {result['build_warm_s']:.2f} s (CPU "
        f"{result['build_warm_cpu_s']:.2f} s).",
    ]
    if result["stem_s"] is not None:
        lines.append(f"Stemming {n(result['stem_words'])} new distinct words (a real national vocabulary's order; "
                     f"{result['stem_mean_length']:.1f} letters on average): {result['stem_s']:.2f} s, which a first "
                     "build on real data adds.")
    lines += [
        "",
        "| queries | n | p50 ms | p95 ms | p99 ms | naive LIKE p50 ms | naive LIKE p95 ms | p50 speed-up |",
        "|---|---:|---:|---:|---:|---:|---:|---:|",
    ]
    for kind in (*KINDS, "all"):
        lines.append(row(kind, result["latency_ms"][kind], result["baseline_ms"][kind]))
    lines += ["", f"2-word queries p95: {two:.1f} ms — target ≤ {QUERY_TARGET_MS:g} ms: "
                  f"{'met' if two <= QUERY_TARGET_MS else 'NOT met'}."]
    empty = sum(1 for q in result["queries"] if q["total"] == 0)
    lines.append(f"({empty} of {len(result['queries'])} queries found nothing.)")
    return "\n".join(lines) + "\n"


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--data-dir", default=str(DEFAULT_DATA), help="spaser data folder with a snapshot "
                        "(copied: never modified)")
    parser.add_argument("--queries", type=int, default=200, help="queries timed (a quarter of each kind)")
    parser.add_argument("--baseline-queries", type=int, default=None, help="naive LIKE scans timed (default: all)")
    parser.add_argument("--stem-words", type=int, default=300_000, help="synthetic words stemmed (0: skip)")
    parser.add_argument("--names", type=int, default=0, help="give every SIREN the contracts name a synthetic "
                        "SIRENE denomination made of this many distinct words (0: no names, as generated)")
    parser.add_argument("--sirene-rows", type=int, default=19_605_610, help="rows of ref_sirene_unites with --names")
    parser.add_argument("--memory-limit", default="1GB", help="DuckDB memory limit of the build (as in ingestion)")
    parser.add_argument("--seed", type=int, default=42)
    parser.add_argument("--write-results", action="store_true", help="append to bench/RESULTS_search.md")
    args = parser.parse_args()
    result = run(args)
    text = report(result)
    print(text)
    stamp = dt.datetime.now(dt.UTC).strftime("%Y%m%dT%H%M%S")
    (OUT / f"search_{stamp}.json").write_text(json.dumps(result, indent=2, default=str) + "\n", encoding="utf-8")
    if args.write_results:
        with (REPO / "bench" / "RESULTS_search.md").open("a", encoding="utf-8") as stream:
            stream.write("\n" + text)
    return 0


if __name__ == "__main__":
    sys.exit(main())
