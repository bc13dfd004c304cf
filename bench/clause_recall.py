#!/usr/bin/env python3
"""Clause search benchmark: recall@5 and MRR of the clause search over reference queries, per ranking mode,
against a naive substring match measured in the same run; index build time and query latency.

    UV_PYTHON_DOWNLOADS=never uv run python bench/clause_recall.py                  # the shipped library
    UV_PYTHON_DOWNLOADS=never uv run python bench/clause_recall.py --queries Q.toml --library DIR --write-results

The queries file holds ``[[query]]`` tables: ``text``, optional ``cpv`` (the consultation's code, passed to the
search), ``expected`` (clause ids that a buyer typing this should see). For each query and mode:

* ``recall@5``: the share of the expected ids in the first 5 results, averaged over the queries;
* ``MRR``: 1 / rank of the first expected id in the first 10 results (0 when none), averaged;
* modes: ``lexical`` (BM25 only), ``semantic`` (sentence-model cosine only), ``hybrid`` (what the platform runs:
  weighted sum of the normalised scores); then, only to document the choices of ``spaser.clauses.search``:
  reciprocal rank fusion, other weights of the weighted sum, and a clause vector summed from the embeddings of its
  fields instead of one embedding of the whole clause;
* ``baseline``: the clauses whose folded title or text contains any query word (stop words dropped), in library
  order — what a ``LIKE '%word%'`` search would show; the ratio column is against its recall@5.

Timings: the model load (once per process), the index build (BM25 postings + one embedding per clause), the
lexical-only build, and the latency of one ``search`` call per mode, p50 / p95 over ``--repeat`` passes of the
queries (after a warm-up pass).
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import statistics
import sys
import time
import tomllib
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

from ingest import machine_info  # bench/ingest.py
from spaser.clauses.catalogue import LIBRARY_DIR, ModelClause, load_catalogue
from spaser.clauses.search import ALPHA, ClauseIndex, IndexedClause, Ranking, SearchResult
from spaser.clauses.semantic import default_embedder
from spaser.warehouse.search_text import STOP_WORDS, fold, words_of

REPO = Path(__file__).resolve().parents[1]
OUT = REPO / "bench" / "out"
DEFAULT_QUERIES = REPO / "bench" / "clause_queries.toml"
RESULTS = REPO / "bench" / "RESULTS_clauses.md"
TOP = 5
MRR_DEPTH = 10


def load_queries(path: Path) -> list[dict[str, Any]]:
    """The ``[[query]]`` tables with a text and at least one expected id (others are reported and skipped)."""
    document = tomllib.loads(path.read_text(encoding="utf-8"))
    queries = []
    for number, table in enumerate(document.get("query", []), start=1):
        expected = [str(key) for key in table.get("expected", [])]
        if not isinstance(table.get("text"), str) or not expected:
            print(f"query #{number} skipped: no text or no expected id", file=sys.stderr)
            continue
        queries.append({"text": table["text"], "cpv": table.get("cpv") or None, "expected": expected})
    return queries


def naive(clauses: Sequence[ModelClause], folded: Sequence[str], query: str) -> list[str]:
    """Baseline: clauses whose folded title/text contain any query word (not a stop word), in library order."""
    words = [word for word in dict.fromkeys(words_of(query)) if word not in STOP_WORDS]
    return [clause.id for clause, text in zip(clauses, folded, strict=True) if any(word in text for word in words)]


def scores(ranked: Sequence[str], expected: Sequence[str]) -> tuple[float, float, list[int | None]]:
    """(recall@5, reciprocal rank within MRR_DEPTH, rank of each expected id or None)."""
    position = {key: rank for rank, key in enumerate(ranked, start=1)}
    ranks = [position.get(key) for key in expected]
    recall = sum(1 for rank in ranks if rank is not None and rank <= TOP) / len(expected)
    first = min((rank for rank in ranks if rank is not None and rank <= MRR_DEPTH), default=None)
    return recall, (1 / first if first else 0.0), ranks


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(q / 100 * (len(ordered) - 1)))] if ordered else float("nan")


def evaluate(name: str, rank: Callable[[dict[str, Any]], list[str]], queries: list[dict[str, Any]],
             repeat: int) -> dict[str, Any]:
    for query in queries:  # warm-up
        rank(query)
    latencies: list[float] = []
    per_query: list[dict[str, Any]] = []
    for _ in range(repeat):
        per_query = []
        for query in queries:
            started = time.perf_counter()
            ranked = rank(query)
            latencies.append((time.perf_counter() - started) * 1000)
            recall, reciprocal, ranks = scores(ranked, query["expected"])
            per_query.append({"text": query["text"], "cpv": query["cpv"], "recall": recall, "rr": reciprocal,
                              "ranks": dict(zip(query["expected"], ranks, strict=True)), "top": ranked[:TOP]})
    return {"name": name, "recall_at_5": statistics.fmean(q["recall"] for q in per_query),
            "mrr": statistics.fmean(q["rr"] for q in per_query), "p50_ms": percentile(latencies, 50),
            "p95_ms": percentile(latencies, 95), "queries": per_query}


def searcher(index: ClauseIndex, ranking: Ranking) -> Callable[[dict[str, Any]], list[str]]:
    def rank(query: dict[str, Any]) -> list[str]:
        result: SearchResult = index.search(query["text"], cpv=query["cpv"], limit=MRR_DEPTH, ranking=ranking)
        if ranking != "lexical" and result.mode != ranking:
            raise SystemExit(f"the search answered in mode {result.mode!r}, not {ranking!r}: is the model there?")
        return result.keys
    return rank


def run(args: argparse.Namespace) -> dict[str, Any]:
    clauses = load_catalogue(Path(args.library))
    queries = load_queries(Path(args.queries))
    if not queries:
        raise SystemExit(f"{args.queries}: no usable [[query]]")
    indexed = [IndexedClause.of(clause) for clause in clauses]
    unknown = sorted({key for q in queries for key in q["expected"]} - {c.id for c in clauses})
    started = time.perf_counter()
    default_embedder().encode(["chargement du modèle"])
    model_s = time.perf_counter() - started
    started = time.perf_counter()
    index = ClauseIndex(indexed)
    build_s = time.perf_counter() - started
    started = time.perf_counter()
    ClauseIndex(indexed, embedder=None)
    lexical_build_s = time.perf_counter() - started
    if not index.semantic:
        raise SystemExit("the sentence model did not load: semantic and hybrid modes cannot be measured")
    folded = [fold(f"{clause.title} {clause.text}") for clause in clauses]
    modes = [
        evaluate("baseline: naive substring", lambda q: naive(clauses, folded, q["text"]), queries, args.repeat),
        evaluate("lexical (BM25)", searcher(index, "lexical"), queries, args.repeat),
        evaluate("semantic (USE v3)", searcher(index, "semantic"), queries, args.repeat),
        evaluate(f"hybrid: weighted {ALPHA:g}/{1 - ALPHA:g} (platform)", searcher(index, "hybrid"), queries,
                 args.repeat),
    ]
    variants = [evaluate("hybrid: reciprocal rank fusion", searcher(ClauseIndex(indexed, fusion="rrf"), "hybrid"),
                         queries, 1)]
    for alpha in (0.3, 0.4, 0.5, 0.6, 0.7):
        if alpha != ALPHA:
            variants.append(evaluate(f"hybrid: weighted {alpha:g}/{1 - alpha:g}",
                                     searcher(ClauseIndex(indexed, alpha=alpha), "hybrid"), queries, 1))
    fields = ClauseIndex(indexed, embedding="fields")
    variants += [evaluate("semantic, sum of the title, title + keywords, text embeddings", searcher(fields, "semantic"),
                          queries, 1),
                 evaluate("hybrid, sum of the title, title + keywords, text embeddings", searcher(fields, "hybrid"),
                          queries, 1)]
    return {
        "date": dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
        "machine": machine_info(),
        "library": str(args.library), "clauses": len(clauses), "queries_file": str(args.queries),
        "queries": len(queries), "unknown_expected_ids": unknown, "repeat": args.repeat,
        "model_load_s": model_s, "build_s": build_s, "lexical_build_s": lexical_build_s,
        "modes": modes, "variants": variants,
    }


def report(result: dict[str, Any]) -> str:
    machine = result["machine"]
    modes, variants = result["modes"], result["variants"]
    baseline = modes[0]["recall_at_5"]

    def ratio(value: float) -> str:
        return f"{value / baseline:.2f}" if baseline else "n/a"

    lines = [
        f"## Clause search recall — {result['date']}",
        "",
        f"Machine: {machine['cpu']}, {machine['usable_cores']} usable cores, {machine['ram_bytes'] / 2**30:.0f} GiB "
        f"RAM, Python {machine['python']}. Library: {result['clauses']} clauses; {result['queries']} queries "
        f"({Path(result['queries_file']).name}); latency over {result['repeat']} passes.",
        f"Model load (once per process): {result['model_load_s']:.2f} s; index build (BM25 + {result['clauses']} "
        f"embeddings): {result['build_s'] * 1000:.0f} ms; lexical-only build: "
        f"{result['lexical_build_s'] * 1000:.1f} ms.",
        "",
        "| mode | recall@5 | MRR@10 | × baseline recall@5 | p50 ms | p95 ms |",
        "|---|---:|---:|---:|---:|---:|",
    ]
    for mode in modes:
        lines.append(f"| {mode['name']} | {mode['recall_at_5']:.3f} | {mode['mrr']:.3f} | "
                     f"{ratio(mode['recall_at_5'])} | {mode['p50_ms']:.2f} | {mode['p95_ms']:.2f} |")
    lines += ["", "Alternatives (to document the choices; latency not compared):", "",
              "| variant | recall@5 | MRR@10 |", "|---|---:|---:|"]
    lines += [f"| {v['name']} | {v['recall_at_5']:.3f} | {v['mrr']:.3f} |" for v in variants]
    hybrid = modes[3]
    missed = [q for q in hybrid["queries"] if q["recall"] < 1]
    lines += ["", f"Queries missing an expected clause in the hybrid top {TOP} ({len(missed)} of {result['queries']}):",
              ""]
    for query in missed:
        ranks = ", ".join(f"{key} → {rank if rank is not None else f'> {MRR_DEPTH}'}"
                          for key, rank in query["ranks"].items() if rank is None or rank > TOP)
        cpv = f" (CPV {query['cpv']})" if query["cpv"] else ""
        lines.append(f"* « {query['text']} »{cpv}: {ranks}; top {TOP}: {', '.join(query['top'])}")
    if not missed:
        lines.append("* none")
    if result["unknown_expected_ids"]:
        lines += ["", f"Expected ids not in the library: {', '.join(result['unknown_expected_ids'])}."]
    return "\n".join(lines) + "\n"


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--queries", default=str(DEFAULT_QUERIES), help="[[query]] file (text, cpv, expected)")
    parser.add_argument("--library", default=str(LIBRARY_DIR), help="clause library folder (*.toml)")
    parser.add_argument("--repeat", type=int, default=5, help="passes over the queries for the latency")
    parser.add_argument("--write-results", action="store_true", help=f"append to {RESULTS.relative_to(REPO)}")
    args = parser.parse_args()
    result = run(args)
    text = report(result)
    print(text)
    OUT.mkdir(parents=True, exist_ok=True)
    stamp = dt.datetime.now(dt.UTC).strftime("%Y%m%dT%H%M%S")
    (OUT / f"clause_recall_{stamp}.json").write_text(json.dumps(result, indent=2, ensure_ascii=False) + "\n",
                                                      encoding="utf-8")
    if args.write_results:
        new = not RESULTS.exists()
        with RESULTS.open("a", encoding="utf-8") as stream:
            stream.write("# Clause search benchmark results (bench/clause_recall.py)\n\n" if new else "\n")
            stream.write(text)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
