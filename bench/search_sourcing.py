#!/usr/bin/env python3
"""Sourcing-space search benchmark (issue 7): French full-text search over supplier profiles and purchase plans
in the platform database, against a naive ``LIKE`` scan of the same queries, measured in the same run.

    UV_PYTHON_DOWNLOADS=never uv run python bench/search_sourcing.py                       # 100 000 profiles, SQLite
    UV_PYTHON_DOWNLOADS=never uv run python bench/search_sourcing.py --postgres postgresql+psycopg://postgres@127.0.0.1/test
    UV_PYTHON_DOWNLOADS=never uv run python bench/search_sourcing.py --profiles 20000 --write-results

What is measured:

* ``load``: ``--profiles`` generated companies (organisation, profile, 1–6 CPV codes, territories, labels) and
  ``--plans`` purchase plans written with bulk INSERTs in a fresh migrated platform database (the full-text
  objects of migration 0002 are filled by their triggers / GIN index as in production); the ``search_terms`` of
  each row come from ``spaser.platform_db.fulltext.terms_of``, the function the services use;
* ``queries``: ``--queries`` searches through the services the pages call, ``profiles.search_suppliers`` and
  ``plans.search_plans`` (the count for pagination and the first page of 20), a quarter each of: 1 word, 2 words,
  1 word + a filter (département, CPV prefix, label or SME), and a word prefix being typed (4–6 letters);
  p50 / p95 / p99 per kind after one warm-up pass;
* ``baseline``: the same queries as ``lower(presentation) LIKE '%word%'`` for each word (AND) with the same
  filter, count and first 20 by name: what a search without an index does.

Target (issue 7): p95 ≤ 50 ms on 100 000 profiles.
"""

from __future__ import annotations

import argparse
import datetime as dt
import functools
import json
import os
import random
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from sqlalchemy import Engine, insert, text

from ingest import machine_info  # bench/ingest.py
from spaser.accounts.models import Organisation
from spaser.domain.territories import DEPARTEMENT_REGION, REGIONS
from spaser.platform_db.engine import make_engine, session_factory
from spaser.platform_db.fulltext import terms_of
from spaser.platform_db.migrate import upgrade
from spaser.sourcing import plans, profiles
from spaser.sourcing.labels import LABELS
from spaser.sourcing.models import ProfileCpv, ProfileLabel, ProfileTerritory, PurchasePlan, SupplierProfile

REPO = Path(__file__).resolve().parents[1]
OUT = REPO / "bench" / "out"
TARGET_P95_MS = 50.0
KINDS = ("1 word", "2 words", "word + filter", "prefix")

#: Trades: words of a presentation and the CPV codes that go with them.
TRADES: list[tuple[str, list[str]]] = [
    ("menuiserie bois agencement intérieur portes fenêtres", ["45421000", "45421100", "44220000"]),
    ("plomberie chauffage sanitaire pompes à chaleur", ["45330000", "45331000", "42511000"]),
    ("électricité courants faibles éclairage public bornes", ["45310000", "45311000", "34928500"]),
    ("nettoyage des locaux vitrerie entretien ménager écologique", ["90910000", "90911200", "39830000"]),
    ("restauration collective cuisine centrale produits locaux bio", ["55523100", "55524000", "15800000"]),
    ("traiteur événements cocktails produits de saison", ["55520000", "55321000"]),
    ("imprimerie impression offset papier recyclé", ["79810000", "79800000", "22100000"]),
    ("informatique ordinateurs reconditionnés maintenance réseaux", ["30213000", "72000000", "50312000"]),
    ("logiciels développement applications hébergement", ["48000000", "72212000", "72415000"]),
    ("transport de voyageurs cars scolaires navettes", ["60100000", "60112000", "60130000"]),
    ("espaces verts élagage paysagiste tonte", ["77310000", "77211400", "77313000"]),
    ("mobilier scolaire bureaux chaises tables rangements", ["39160000", "39130000", "39100000"]),
    ("fournitures de bureau papeterie consommables", ["30192000", "30197000", "22800000"]),
    ("véhicules électriques utilitaires location entretien", ["34110000", "34144900", "50110000"]),
    ("vêtements de travail uniformes textiles équipements protection", ["18100000", "18110000", "35113400"]),
    ("énergie électricité verte fourniture gaz", ["09310000", "09123000", "65300000"]),
    ("collecte des déchets tri recyclage valorisation", ["90500000", "90511000", "90514000"]),
    ("toiture couverture zinguerie charpente", ["45261000", "45261210", "45422000"]),
    ("peinture revêtements sols façades ravalement", ["45442100", "45432100", "45443000"]),
    ("architecture maîtrise d'œuvre études thermiques", ["71000000", "71200000", "71314300"]),
    ("insertion chantier école entretien bâtiments", ["45453000", "98000000"]),
    ("sécurité gardiennage surveillance alarmes", ["79710000", "79713000", "35120000"]),
]
ADJECTIVES = ["durable", "local", "certifié", "artisanal", "innovant", "solidaire", "régional", "familial",
              "réactif", "labellisé", "responsable", "indépendant"]
NAMES = ["Armor", "Océane", "Atlantique", "Val", "Horizon", "Granit", "Iroise", "Émeraude", "Rance", "Vilaine",
         "Trégor", "Léon", "Cornouaille", "Penthièvre", "Goëlo", "Arvor", "Brocéliande", "Kreiz", "Mor", "Glaz"]
FORMS = ["SARL", "SAS", "SA", "SCOP", "EURL", "Entreprise", "Ateliers", "Groupe"]
DEPARTEMENTS = sorted(DEPARTEMENT_REGION)


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, max(0, round(q / 100 * (len(ordered) - 1))))]


def summary(values: list[float]) -> dict[str, float]:
    return {"n": len(values), "p50": statistics.median(values), "p95": percentile(values, 95),
            "p99": percentile(values, 99)}


def _siret(n: int) -> str:
    return f"{90000000000000 + n:014d}"  # not checked here: bulk rows skip the sign-up's SIRET check


def load(engine: Engine, count: int, plan_count: int, seed: int) -> dict[str, float]:
    """Bulk-inserts ``count`` companies with profiles and ``plan_count`` plans; returns the seconds taken."""
    rng = random.Random(seed)
    labels = sorted(LABELS)
    now = dt.datetime(2026, 12, 1, tzinfo=dt.UTC)
    started = time.perf_counter()
    batch = 5000
    with engine.begin() as connection:
        buyer = connection.execute(insert(Organisation).values(
            kind="buyer", siret=_siret(0), name="Région Bretagne", created_at=now).returning(Organisation.id)
        ).scalar_one()
        user = connection.execute(text(
            "INSERT INTO app_user (email, full_name, password_hash, organisation_id, role, is_platform_admin, "
            "active, created_at) VALUES ('bench@example.org', 'Bench', 'x', :org, 'buyer', false, true, :now) "
            "RETURNING id"), {"org": buyer, "now": now}).scalar_one()
        for start in range(1, count + 1, batch):
            numbers = range(start, min(start + batch, count + 1))
            orgs, rows, cpvs, places, marks = [], [], [], [], []
            for n in numbers:
                trade, codes = TRADES[rng.randrange(len(TRADES))]
                name = f"{rng.choice(FORMS)} {rng.choice(NAMES)} {trade.split()[0].capitalize()} {n}"
                home = rng.choice(DEPARTEMENTS)
                served = sorted({home, *rng.sample(DEPARTEMENTS, rng.choice((0, 0, 1, 2, 4)))})
                regions = [DEPARTEMENT_REGION[home]] if rng.random() < 0.2 else []
                presentation = (f"{name} : {trade}, {rng.choice(ADJECTIVES)} et {rng.choice(ADJECTIVES)}. "
                                f"Intervient en {REGIONS[DEPARTEMENT_REGION[home]]}.")
                chosen = sorted(set(rng.sample(codes, rng.randint(1, len(codes)))))
                if rng.random() < 0.3:  # a second trade
                    chosen = sorted({*chosen, *rng.choice(TRADES)[1][:1]})
                own_labels = sorted(set(rng.sample(labels, rng.choice((0, 0, 1, 1, 2, 3)))))
                label_names = " ".join(LABELS[c].name_fr for c in own_labels)
                places_text = " ".join([*served, *(REGIONS[DEPARTEMENT_REGION[d]] for d in served),
                                        *(REGIONS[r] for r in regions)])
                orgs.append({"id": n + 1, "kind": "supplier", "siret": _siret(n), "name": name,
                             "sme": rng.random() < 0.8, "departement": home, "created_at": now})
                rows.append({"id": n, "organisation_id": n + 1, "presentation": presentation, "website": "",
                             "contact_email": "", "contact_phone": "", "national": rng.random() < 0.05,
                             "published": True, "search_terms": terms_of(name, name, presentation, places_text,
                                                                         label_names),
                             "created_at": now, "updated_at": now})
                cpvs += [{"profile_id": n, "cpv": c, "division": c[:2]} for c in chosen]
                places += [{"profile_id": n, "kind": "departement", "code": d} for d in served]
                places += [{"profile_id": n, "kind": "region", "code": r} for r in regions]
                marks += [{"profile_id": n, "code": c, "reference": ""} for c in own_labels]
            connection.execute(insert(Organisation), orgs)
            connection.execute(insert(SupplierProfile), rows)
            connection.execute(insert(ProfileCpv), cpvs)
            connection.execute(insert(ProfileTerritory), places)
            if marks:
                connection.execute(insert(ProfileLabel), marks)
        plan_rows = []
        for n in range(1, plan_count + 1):
            trade, codes = TRADES[rng.randrange(len(TRADES))]
            title = f"{trade.split(' ', 2)[0].capitalize()} {' '.join(trade.split()[1:3])} — lot {n}"
            departement = rng.choice(DEPARTEMENTS)
            plan_rows.append({"id": n, "buyer_org_id": buyer, "title": title, "description": trade,
                              "cpv": codes[0], "division": codes[0][:2], "launch_year": 2027,
                              "launch_quarter": rng.randint(1, 4), "departement": departement,
                              "region": DEPARTEMENT_REGION[departement], "status": "published",
                              "search_terms": terms_of(title, title, trade, departement,
                                                       REGIONS[DEPARTEMENT_REGION[departement]]),
                              "created_by": user, "created_at": now, "updated_at": now, "published_at": now})
        for start in range(0, len(plan_rows), batch):
            connection.execute(insert(PurchasePlan), plan_rows[start:start + batch])
        if engine.dialect.name == "postgresql":
            for table in ("organisation", "supplier_profile", "purchase_plan"):
                connection.execute(text(f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), "
                                        f"(SELECT max(id) FROM {table}))"))
    with engine.begin() as connection:
        connection.execute(text("ANALYZE"))
    return {"load_s": time.perf_counter() - started}


def make_queries(count: int, seed: int) -> list[dict[str, Any]]:
    rng = random.Random(seed + 1)
    words = sorted({w for trade, _ in TRADES for w in trade.replace("'", " ").split() if len(w) > 3})
    queries = []
    for i in range(count):
        kind = KINDS[i % len(KINDS)]
        query: dict[str, Any] = {"kind": kind, "q": rng.choice(words), "filters": {}}
        if kind == "2 words":
            trade = rng.choice(TRADES)[0].split()
            start = rng.randrange(len(trade) - 1)
            query["q"] = f"{trade[start]} {trade[start + 1]}"
        elif kind == "prefix":
            word = rng.choice([w for w in words if len(w) >= 6])
            query["q"] = word[:rng.randint(4, 6)]
        elif kind == "word + filter":
            which = rng.choice(("departement", "cpv", "label", "sme"))
            if which == "departement":
                query["filters"] = {"departement": rng.choice(DEPARTEMENTS)}
            elif which == "cpv":
                query["filters"] = {"cpv": rng.choice(rng.choice(TRADES)[1])[:4]}
            elif which == "label":
                query["filters"] = {"label": rng.choice(sorted(LABELS))}
            else:
                query["filters"] = {"sme": True}
        queries.append(query)
    return queries


def naive_suppliers(engine: Engine, query: dict[str, Any]) -> int:
    """The same search without an index: every word as a substring of the presentation or the name."""
    where, params = ["p.published"], {}
    for i, word in enumerate(query["q"].lower().split()):
        where.append(f"(lower(p.presentation) LIKE :w{i} OR lower(o.name) LIKE :w{i})")
        params[f"w{i}"] = f"%{word}%"
    filters = query["filters"]
    if "departement" in filters:
        where.append("(p.national OR EXISTS (SELECT 1 FROM profile_territory t WHERE t.profile_id = p.id AND "
                     "((t.kind = 'departement' AND t.code = :d) OR (t.kind = 'region' AND t.code = :r))))")
        params |= {"d": filters["departement"], "r": DEPARTEMENT_REGION[filters["departement"]]}
    if "cpv" in filters:
        where.append("EXISTS (SELECT 1 FROM profile_cpv c WHERE c.profile_id = p.id AND c.cpv LIKE :c)")
        params["c"] = filters["cpv"] + "%"
    if "label" in filters:
        where.append("EXISTS (SELECT 1 FROM profile_label l WHERE l.profile_id = p.id AND l.code = :l)")
        params["l"] = filters["label"]
    if "sme" in filters:
        where.append("o.sme")
    sql = (f"FROM supplier_profile p JOIN organisation o ON o.id = p.organisation_id WHERE {' AND '.join(where)}")
    with engine.connect() as connection:
        total = connection.execute(text(f"SELECT count(*) {sql}"), params).scalar_one()
        connection.execute(text(f"SELECT p.id {sql} ORDER BY o.name LIMIT 20"), params).fetchall()
    return int(total)


def timed(action: Callable[[], Any]) -> tuple[float, Any]:
    started = time.perf_counter()
    value = action()
    return (time.perf_counter() - started) * 1000, value


def run(args: argparse.Namespace) -> dict[str, Any]:
    with tempfile.TemporaryDirectory(dir=OUT) as folder:
        url = args.postgres or f"sqlite:///{folder}/platform.db"
        engine = make_engine(url)
        if args.postgres:
            with engine.begin() as connection:
                connection.execute(text("DROP SCHEMA IF EXISTS bench_sourcing CASCADE"))
                connection.execute(text("CREATE SCHEMA bench_sourcing"))
            engine.dispose()
            engine = make_engine(url, connect_args={"options": "-csearch_path=bench_sourcing"})
        upgrade(engine)
        loaded = load(engine, args.profiles, args.plans, args.seed)
        db = session_factory(engine)
        queries = make_queries(args.queries, args.seed)

        def supplier_search(query: dict[str, Any]) -> int:
            with db() as session:
                return profiles.search_suppliers(session, query["q"], **query["filters"]).total

        def plan_search(query: dict[str, Any]) -> int:
            filters = {k: v for k, v in query["filters"].items() if k in ("departement", "cpv")}
            with db() as session:
                return plans.search_plans(session, query["q"], **filters).total

        for query in queries[: min(50, len(queries))]:  # warm-up: caches, prepared statements
            supplier_search(query)
        latency: dict[str, list[float]] = {k: [] for k in (*KINDS, "all")}
        plan_latency: list[float] = []
        baseline: dict[str, list[float]] = {k: [] for k in (*KINDS, "all")}
        for query in queries:
            ms, query["total"] = timed(functools.partial(supplier_search, query))
            latency[query["kind"]].append(ms)
            latency["all"].append(ms)
            ms, query["plans"] = timed(functools.partial(plan_search, query))
            plan_latency.append(ms)
        for query in queries[: args.baseline_queries or len(queries)]:
            ms, query["naive_total"] = timed(functools.partial(naive_suppliers, engine, query))
            baseline[query["kind"]].append(ms)
            baseline["all"].append(ms)
        engine.dispose()
    return {"date": dt.datetime.now(dt.UTC).isoformat(timespec="seconds"), "machine": machine_info(),
            "engine": "postgresql" if args.postgres else "sqlite", "profiles": args.profiles, "plans": args.plans,
            **loaded, "latency_ms": {k: summary(v) for k, v in latency.items() if v},
            "plans_latency_ms": summary(plan_latency),
            "baseline_ms": {k: summary(v) for k, v in baseline.items() if v}, "queries": queries,
            "load_average": list(os.getloadavg())}


def report(result: dict[str, Any]) -> str:
    machine = result["machine"]
    every = result["latency_ms"]["all"]
    lines = [
        f"## Sourcing search — {result['date']}",
        "",
        f"Machine: {machine['cpu']}, {machine['usable_cores']} usable cores, {machine['ram_bytes'] / 2**30:.0f} GiB "
        f"RAM, Python {machine['python']}. Engine: {result['engine']}. Load average (1, 5, 15 min): "
        + ", ".join(f"{v:.1f}" for v in result["load_average"]) + ".",
        f"{result['profiles']:,} supplier profiles and {result['plans']:,} purchase plans loaded in "
        f"{result['load_s']:.1f} s (bulk inserts; full-text objects filled by the migration's triggers/index).",
        "",
        "| supplier queries | n | p50 ms | p95 ms | p99 ms | naive LIKE p50 ms | naive LIKE p95 ms | p95 speed-up |",
        "|---|---:|---:|---:|---:|---:|---:|---:|",
    ]
    for kind in (*KINDS, "all"):
        stats, base = result["latency_ms"].get(kind), result["baseline_ms"].get(kind)
        if stats is None or base is None:
            continue
        lines.append(f"| {kind} | {stats['n']:.0f} | {stats['p50']:.1f} | {stats['p95']:.1f} | {stats['p99']:.1f} | "
                     f"{base['p50']:.1f} | {base['p95']:.1f} | {base['p95'] / stats['p95']:.1f}× |")
    plan = result["plans_latency_ms"]
    lines += ["", f"Plan queries (same words, département/CPV filters): p50 {plan['p50']:.1f} ms, p95 "
                  f"{plan['p95']:.1f} ms, p99 {plan['p99']:.1f} ms.",
              f"Supplier queries p95: {every['p95']:.1f} ms — target ≤ {TARGET_P95_MS:g} ms: "
              f"{'met' if every['p95'] <= TARGET_P95_MS else 'NOT met'}."]
    empty = sum(1 for q in result["queries"] if q["total"] == 0)
    lines.append(f"({empty} of {len(result['queries'])} supplier queries found nothing; each counts all its "
                 "matches and reads the first page of 20.)")
    return "\n".join(lines) + "\n"


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--profiles", type=int, default=100_000)
    parser.add_argument("--plans", type=int, default=20_000)
    parser.add_argument("--queries", type=int, default=400, help="queries timed (a quarter of each kind)")
    parser.add_argument("--baseline-queries", type=int, default=None, help="naive LIKE scans timed (default: all)")
    parser.add_argument("--postgres", default=None, help="a PostgreSQL URL: benchmark there (schema bench_sourcing, "
                        "dropped and recreated) instead of a SQLite file")
    parser.add_argument("--seed", type=int, default=42)
    parser.add_argument("--write-results", action="store_true", help="append to bench/RESULTS_sourcing.md")
    args = parser.parse_args()
    OUT.mkdir(parents=True, exist_ok=True)
    result = run(args)
    text_report = report(result)
    print(text_report)
    stamp = dt.datetime.now(dt.UTC).strftime("%Y%m%dT%H%M%S")
    (OUT / f"search_sourcing_{stamp}.json").write_text(json.dumps(result, indent=2, default=str) + "\n",
                                                       encoding="utf-8")
    if args.write_results:
        with (REPO / "bench" / "RESULTS_sourcing.md").open("a", encoding="utf-8") as stream:
            stream.write("\n" + text_report)
    return 0


if __name__ == "__main__":
    sys.exit(main())
