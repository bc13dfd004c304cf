"""Deadline rush (issue 6): N suppliers (default 500) each deposit a 1 MB bid in the last 60 s before the
deadline, against `spaser serve` on 127.0.0.1 (SQLite platform database, the embedded default).

    UV_PYTHON_DOWNLOADS=never uv run python bench/deadline_rush.py [--suppliers 500] [--window 60]
        [--size-mb 1] [--workers 2] [--scale 500,1000,2000] [--write-results]

Set-up (not timed): a buyer, N supplier companies with a user each and a bearer session, and one consultation
published 20 days ago whose deadline is `--window` + 15 s from now; the server runs with the real clock. Each
supplier's deposit starts at a random moment of the last `--window` seconds (uniform, seeded), through
`POST /api/v1/consultations/{id}/bids`. Checked afterwards, from the responses and the database:
* every 201 has its bid in the database with the same receipt, deposited before the deadline, and the receipt's
  time lies between the request's start and its response (no bid lost, none wrongly timestamped);
* every refusal is a 409 "deposit refused" whose request ended at or after the deadline;
* every receipt verifies against the platform's public key.
Printed: accepted / refused-late / failed, p50/p99 deposit latency, and the ratio of p99 to the baseline
measured in the same run (one deposit on the idle server, median of 5). Target: nothing lost or wrongly
timestamped, p99 ≤ 2 s at 500 suppliers; `--scale` reports where it breaks.
"""

from __future__ import annotations

import argparse
import asyncio
import datetime as dt
import json
import os
import random
import statistics
import subprocess
import sys
import tempfile
import time
from decimal import Decimal
from pathlib import Path
from typing import Any

import httpx2

from ingest import machine_info  # bench/ingest.py
from web import free_port  # bench/web.py

REPO = Path(__file__).resolve().parents[1]
P99_TARGET_S = 2.0
PASSWORD = "bench password for everyone"


def set_up(data_dir: Path, suppliers: int, deadline: dt.datetime) -> tuple[int, list[str], bytes]:
    """The consultation id, one bearer token per supplier, and the receipt public key (raw)."""
    sys.path.insert(0, str(REPO))
    from tests.marketplace_world import make_siret

    from spaser.accounts import service as accounts
    from spaser.accounts.models import Organisation, User
    from spaser.accounts.passwords import hash_password
    from spaser.config import Settings
    from spaser.marketplace import consultations
    from spaser.marketplace.receipts import _raw
    from spaser.marketplace.rules import CriterionSpec
    from spaser.platform_db.context import Platform

    published = dt.datetime.now(dt.UTC) - dt.timedelta(days=20)
    platform = Platform.open(Settings(data_dir=data_dir), clock=lambda: published)
    system = platform.context(None, actor="bench")
    shared_hash = hash_password(PASSWORD)  # one Argon2 hash for all: the set-up is not what is measured
    tokens: list[str] = []
    with platform.db.begin() as session:
        region = accounts.create_organisation(session, system, kind="buyer", siret=make_siret(23500001),
                                              name="Région (banc d'essai)")
        buyer = accounts.create_user(session, system, email="acheteur@bench.fr", full_name="Acheteur",
                                     password=PASSWORD, organisation=region, role="buyer")
        for index in range(suppliers):
            org = Organisation(kind="supplier", siret=make_siret(40000000 + index), name=f"Entreprise {index}",
                               created_at=published)
            session.add(org)
            session.flush()
            user = User(email=f"e{index}@bench.fr", full_name=f"E {index}", password_hash=shared_hash,
                        organisation_id=org.id, role="supplier", created_at=published)
            session.add(user)
            session.flush()
            system.audit(session, "user.create", "user", user.id, after={"email": user.email, "bench": True})
            tokens.append(accounts.open_session(session, platform.context(None), user).token)
        ctx = platform.context(buyer)
        draft = consultations.create_draft(
            session, ctx, title="Fournitures de bureau (banc d'essai)", procedure="Procédure adaptée",
            contract_type="Fournitures", cpv="30192000", estimated_value=Decimal(90000), deadline=deadline)
        consultations.set_criteria(session, ctx, draft.id, [CriterionSpec("Prix", "price", Decimal(60)),
                                                           CriterionSpec("Environnement", "environmental",
                                                                         Decimal(40))])
        consultations.set_clauses(session, ctx, draft.id, [("environmental", "Emballages repris.")])
        consultations.publish(session, ctx, draft.id)
        consultation_id = draft.id
    # sessions must outlive the rush: open_session used the publication clock (20 days ago)
    with platform.db.begin() as session:
        from sqlalchemy import update

        from spaser.accounts.models import UserSession
        session.execute(update(UserSession).values(expires_at=deadline + dt.timedelta(hours=1)))
    public = _raw(platform.secrets.signing_key)
    platform.close()
    return consultation_id, tokens, public


async def rush(base: str, consultation_id: int, tokens: list[str], deadline: dt.datetime, window: float,
               payload: bytes, seed: int) -> list[dict[str, Any]]:
    rng = random.Random(seed)
    deadline_mono = time.monotonic() + (deadline - dt.datetime.now(dt.UTC)).total_seconds()
    limits = httpx2.Limits(max_connections=len(tokens), max_keepalive_connections=0)
    async with httpx2.AsyncClient(base_url=base, timeout=120.0, limits=limits) as http:
        async def one(token: str) -> dict[str, Any]:
            await asyncio.sleep(max(0.0, deadline_mono - window + rng.random() * window - time.monotonic()))
            started = dt.datetime.now(dt.UTC)
            t0 = time.perf_counter()
            try:
                response = await http.post(
                    f"/api/v1/consultations/{consultation_id}/bids", headers={"Authorization": f"Bearer {token}"},
                    files=[("files", ("offre.pdf", payload, "application/pdf"))], data={"amount": "1000"})
                status, body = response.status_code, response.text
            except httpx2.HTTPError as exc:
                status, body = 0, repr(exc)
            return {"status": status, "body": body, "started": started, "ended": dt.datetime.now(dt.UTC),
                    "latency": time.perf_counter() - t0, "token": token}

        return list(await asyncio.gather(*(one(t) for t in tokens)))


def check(results: list[dict[str, Any]], deadline: dt.datetime, data_dir: Path, public: bytes,
          earlier: int) -> dict[str, Any]:
    """``earlier``: bids deposited before the rush (the baseline's), also in the database."""
    from sqlalchemy import create_engine, text

    from spaser.marketplace.receipts import verify_receipt

    engine = create_engine(f"sqlite:///{data_dir / 'platform.sqlite3'}")
    with engine.connect() as connection:
        stored = {json.loads(r)["receipt"]["receipt_id"]: (json.loads(r), at) for r, at in connection.execute(
            text("select receipt, deposited_at from bid"))}
    engine.dispose()
    problems: list[str] = []
    accepted = [r for r in results if r["status"] == 201]
    refused = [r for r in results if r["status"] == 409 and "deposit refused" in r["body"]]
    failed = [r for r in results if r not in accepted and r not in refused]
    for r in accepted:
        document = json.loads(r["body"])
        receipt = verify_receipt(document, trusted_public_key=public)
        if receipt.receipt_id not in stored:
            problems.append(f"lost: receipt {receipt.receipt_id} answered 201 but is not in the database")
        if not r["started"] <= receipt.deposited_at <= r["ended"]:
            problems.append(f"timestamp {receipt.deposited_at} outside its request [{r['started']}, {r['ended']}]")
        if receipt.deposited_at >= deadline:
            problems.append(f"accepted after the deadline: {receipt.deposited_at}")
    for r in refused:
        if r["ended"] < deadline:
            problems.append(f"refused as late but the response came before the deadline ({r['ended']})")
    if len(stored) != len(accepted) + earlier:
        problems.append(f"{len(stored)} bids in the database, {len(accepted)} accepted responses + {earlier} "
                        "baseline deposits")
    return {"accepted": len(accepted), "refused_late": len(refused), "failed": len(failed), "problems": problems,
            "failures": [f"{r['status']}: {r['body'][:160]}" for r in failed[:5]]}


def run_once(suppliers: int, window: float, size_mb: float, workers: int, seed: int) -> dict[str, Any]:
    with tempfile.TemporaryDirectory(prefix="spaser-rush-") as tmp:
        data_dir = Path(tmp) / "data"
        deadline = (dt.datetime.now(dt.UTC) + dt.timedelta(seconds=window + 15 + suppliers / 50)).replace(
            microsecond=0)
        consultation_id, tokens, public = set_up(data_dir, suppliers + 5, deadline)
        port = free_port()
        base = f"http://127.0.0.1:{port}"
        server = subprocess.Popen([sys.executable, "-m", "spaser", "--data-dir", str(data_dir), "serve", "--port",
                                   str(port), "--workers", str(workers)], stdout=subprocess.DEVNULL,
                                  stderr=subprocess.PIPE, env=os.environ | {"SPASER_MAX_BID_FILE_MB": "50"})
        try:
            for _ in range(300):
                try:
                    if httpx2.get(base + "/api/v1/health", timeout=1).status_code == 200:
                        break
                except httpx2.HTTPError:
                    time.sleep(0.1)
            payload = random.Random(seed).randbytes(int(size_mb * 1024 * 1024))
            baseline = []
            for token in tokens[suppliers:]:  # the 5 extra suppliers: one deposit each on the idle server
                t0 = time.perf_counter()
                response = httpx2.post(f"{base}/api/v1/consultations/{consultation_id}/bids", timeout=60,
                                       headers={"Authorization": f"Bearer {token}"}, data={"amount": "1000"},
                                       files=[("files", ("offre.pdf", payload, "application/pdf"))])
                assert response.status_code == 201, response.text
                baseline.append(time.perf_counter() - t0)
            wait = (deadline - dt.datetime.now(dt.UTC)).total_seconds() - window - 1
            if wait < 0:
                raise SystemExit(f"set-up took too long: the rush window already started ({-wait:.1f} s ago)")
            results = asyncio.run(rush(base, consultation_id, tokens[:suppliers], deadline, window, payload, seed))
        finally:
            server.terminate()
            server.wait(timeout=30)
        outcome = check(results, deadline, data_dir, public, len(baseline))
        latencies = sorted(r["latency"] for r in results if r["status"] in (201, 409))

        def pct(p: float) -> float:
            return latencies[min(len(latencies) - 1, int(p * len(latencies)))] if latencies else float("nan")
        base_s = statistics.median(baseline)
        return outcome | {"suppliers": suppliers, "p50_s": pct(0.50), "p99_s": pct(0.99), "max_s": latencies[-1]
                          if latencies else None, "baseline_s": base_s, "ratio_p99": pct(0.99) / base_s}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--suppliers", type=int, default=500)
    parser.add_argument("--scale", help="comma-separated supplier counts to find where it breaks, e.g. 500,1000")
    parser.add_argument("--window", type=float, default=60.0)
    parser.add_argument("--size-mb", type=float, default=1.0)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--seed", type=int, default=42)
    parser.add_argument("--write-results", action="store_true", help="write bench/out/deadline_rush.json")
    args = parser.parse_args()
    counts = [int(n) for n in args.scale.split(",")] if args.scale else [args.suppliers]
    machine = machine_info()
    print(f"machine: {machine['cpu']}, {machine['usable_cores']} usable cores, "
          f"{machine['ram_bytes'] / 2**30:.0f} GiB; "
          f"{args.workers} server workers; {args.size_mb} MB per bid; window {args.window:.0f} s")
    runs = []
    for count in counts:
        outcome = run_once(count, args.window, args.size_mb, args.workers, args.seed)
        runs.append(outcome)
        verdict = "PASS" if not outcome["problems"] and outcome["failed"] == 0 and outcome["p99_s"] <= P99_TARGET_S \
            else "FAIL"
        print(f"{count:>6} suppliers: accepted {outcome['accepted']}, refused-late {outcome['refused_late']}, "
              f"failed {outcome['failed']}; latency p50 {outcome['p50_s']:.3f} s, p99 {outcome['p99_s']:.3f} s "
              f"(max {outcome['max_s']:.3f} s); baseline (idle, one deposit) {outcome['baseline_s']:.3f} s, "
              f"p99 = {outcome['ratio_p99']:.1f}x baseline; lost or mistimed: {len(outcome['problems'])} -> {verdict}")
        for problem in outcome["problems"][:10] + outcome["failures"]:
            print(f"    {problem}")
    if args.write_results:
        out = REPO / "bench" / "out"
        out.mkdir(parents=True, exist_ok=True)
        (out / "deadline_rush.json").write_text(json.dumps({"machine": machine, "runs": runs}, indent=2,
                                                           default=str))
    return 0


if __name__ == "__main__":
    sys.exit(main())
