"""``spaser export decp``: the warehouse's chosen contract versions in the regulatory DECP JSON formats.

* records that carry 2022 fields (``source_format`` "2022" or "hybrid") → ``decp-2022.json``, schema v2.0.3
  ``{"marches": {"marche": [...], "contrat-concession": [...]}}``;
* 2019 records → ``decp-2019.json``, schema v1.5 ``{"marches": [...]}``;
* every record is built from warehouse values only (``spaser.decp.export_decp_records``), validated on its
  own against the official schema's item definition, and written only when valid; the others go to
  ``rejects.json`` with the schema's messages, so ``written + rejected == count(contracts)``;
* output is streamed: contracts and their child rows come from DuckDB in Arrow batches, ordered by
  ``acheteur_id, id, contract_key``, and each file is written to a temporary name then renamed;
* ``export-report.json`` sums it up (written per file and kind, rejected per target, top reasons).

Schemas are never shipped in the repository: ``spaser.decp.export_decp_schemas.resolve_schemas_dir`` finds
the official files. Checking records (build, validate, serialise) is the costly part (~0.5 ms a record):
from 20 000 contracts it runs in worker processes, batch by batch, while this process writes in order.
"""

from __future__ import annotations

import json
import multiprocessing as mp
import os
import time
from collections import Counter, deque
from collections.abc import Iterator
from concurrent.futures import Future, ProcessPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO, Any

import duckdb

from spaser.decp.export_decp_schemas import Outcome, Validators, check_record, dumps

FILE_2022, FILE_2019 = "decp-2022.json", "decp-2019.json"
REJECTS, REPORT = "rejects.json", "export-report.json"
BATCH_ROWS = 2000
#: Below this many contracts, checking records inline is faster than starting worker processes.
INLINE_CONTRACTS = 20_000

#: Columns of a contract that the record builders read.
CONTRACT_COLUMNS = (
    "record_uid", "contract_key", "kind", "source_format", "id", "uid", "acheteur_id", "acheteur_nom", "nature",
    "objet", "code_cpv", "procedure", "techniques", "modalites_execution", "id_accord_cadre", "marche_innovant",
    "ccag", "offres_recues", "attribution_avance", "taux_avance", "type_groupement_operateurs",
    "sous_traitance_declaree", "lieu_execution_code", "lieu_execution_type_code", "lieu_execution_nom",
    "duree_mois_initiale", "date_notification", "date_publication_donnees", "date_debut_execution",
    "montant_initial", "montant_subvention_publique", "forme_prix", "types_prix", "origine_ue",
    "origine_france", "considerations_sociales", "considerations_environnementales",
)
#: Child tables: (alias, table, columns, order).
_CHILDREN: tuple[tuple[str, str, tuple[str, ...], str], ...] = (
    ("child_titulaires", "titulaires",
     ("modification_rank", "rank", "type_identifiant", "id", "denomination_sociale"), "modification_rank, rank"),
    ("child_modifications", "modifications",
     ("rank", "id", "objet_modification", "date_notification_modification",
      "date_publication_donnees_modification", "duree_mois", "montant"), "rank"),
    ("child_actes", "actes_sous_traitance",
     ("rank", "id", "sous_traitant_type_identifiant", "sous_traitant_id", "duree_mois", "date_notification",
      "date_publication_donnees", "montant", "variation_prix"), "rank"),
    ("child_modifs_actes", "modifications_actes_sous_traitance",
     ("rank", "id", "duree_mois", "date_notification_modification_sous_traitance", "montant",
      "date_publication_donnees"), "rank"),
    ("child_execution", "donnees_execution",
     ("rank", "date_publication_donnees_execution", "depenses_investissement", "tarifs"), "rank"),
)
#: The order of the written records (and of the rejects): deterministic whatever the ingestion order.
ORDER_BY = "c.acheteur_id NULLS LAST, c.id NULLS LAST, c.contract_key"
#: (target, JSON container, SQL filter): one streamed query each.
PASSES = (
    ("2022", "marche", "c.source_format IN ('2022', 'hybrid') AND c.kind = 'marche'"),
    ("2022", "contrat-concession", "c.source_format IN ('2022', 'hybrid') AND c.kind = 'concession'"),
    ("2019", "marches", "coalesce(c.source_format, '') NOT IN ('2022', 'hybrid')"),
)


def select_sql(where: str) -> str:
    """One query per pass: the chosen contracts with each child table aggregated as a list of structs."""
    children: list[str] = []
    joins: list[str] = []
    for alias, table, child_columns, order in _CHILDREN:
        struct = ", ".join(f"{col} := {col}" for col in child_columns)
        children.append(
            f"{alias} AS (SELECT record_uid, list(struct_pack({struct}) ORDER BY {order}) AS {alias} "
            f"FROM {table} WHERE record_uid IN (SELECT record_uid FROM chosen) GROUP BY record_uid)")
        joins.append(f"LEFT JOIN {alias} ON {alias}.record_uid = c.record_uid")
    columns = ", ".join(f"c.{col}" for col in CONTRACT_COLUMNS)
    aliases = ", ".join(f"{alias}.{alias}" for alias, *_ in _CHILDREN)
    return (f"WITH chosen AS (SELECT record_uid FROM contracts c WHERE {where}), " + ", ".join(children)
            + f" SELECT {columns}, {aliases} FROM contracts c " + " ".join(joins)
            + f" WHERE {where} ORDER BY {ORDER_BY}")


_WORKER_VALIDATORS: list[Validators] = []


def _init_worker(schemas_dir: str) -> None:
    _WORKER_VALIDATORS.append(Validators.load(Path(schemas_dir)))


def _check_batch(batch: Any, target: str) -> list[Outcome]:
    """Worker side: check every row of one Arrow batch."""
    validators = _WORKER_VALIDATORS[0]
    return [check_record(row, target, validators) for row in batch.to_pylist()]


def iter_outcomes(con: duckdb.DuckDBPyConnection, where: str, target: str, validators: Validators,
                  pool: ProcessPoolExecutor | None, batch_rows: int = BATCH_ROWS, in_flight: int = 8
                  ) -> Iterator[Outcome]:
    """The checked records of one pass, in export order, streamed in Arrow batches from DuckDB.

    With a pool, batches are checked by worker processes, at most ``in_flight`` batches at a time (memory
    stays bounded), and their results are consumed in submission order (so the output does not depend on
    the number of workers)."""
    reader = con.sql(select_sql(where)).to_arrow_reader(batch_rows)
    if pool is None:
        for batch in reader:
            for row in batch.to_pylist():
                yield check_record(row, target, validators)
        return
    pending: deque[Future[list[Outcome]]] = deque()
    for batch in reader:
        pending.append(pool.submit(_check_batch, batch, target))
        if len(pending) >= in_flight:
            yield from pending.popleft().result()
    while pending:
        yield from pending.popleft().result()


@dataclass
class DecpExportReport:
    output: str
    schemas: str
    contracts: int = 0
    written: dict[str, Counter[str]] = field(default_factory=dict)  # file name → {kind: count}
    rejected: Counter[str] = field(default_factory=Counter)  # target → count
    reasons: Counter[str] = field(default_factory=Counter)  # reason code → records
    files: list[str] = field(default_factory=list)
    workers: int = 0
    duration_s: float = 0.0

    @property
    def written_total(self) -> int:
        return sum(sum(c.values()) for c in self.written.values())

    @property
    def rejected_total(self) -> int:
        return sum(self.rejected.values())

    def to_json(self) -> dict[str, Any]:
        return {
            "output": self.output,
            "schemas": self.schemas,
            "contracts": self.contracts,
            "written": {name: {"total": sum(c.values()), **dict(sorted(c.items()))}
                        for name, c in self.written.items()},
            "written_total": self.written_total,
            "rejected": {"total": self.rejected_total, **dict(sorted(self.rejected.items()))},
            "rejection_reasons": dict(sorted(self.reasons.items(), key=lambda kv: (-kv[1], kv[0]))),
            "files": self.files,
            "workers": self.workers,
            "duration_s": round(self.duration_s, 2),
        }


class _JsonArray:
    """Writes ``[``, items separated by commas (one per line), ``]``."""

    def __init__(self, handle: IO[str]) -> None:
        self.handle = handle
        self.count = 0
        handle.write("[")

    def item(self, text: str) -> None:
        self.handle.write(("\n" if self.count == 0 else ",\n") + text)
        self.count += 1

    def close(self) -> None:
        self.handle.write("\n]" if self.count else "]")


def _write_pass(outcomes: Iterator[Outcome], target: str, out: _JsonArray, rejects: _JsonArray,
                report: DecpExportReport, counts: Counter[str]) -> None:
    group: tuple[str | None, str | None] | None = None
    seen: dict[str, str] = {}
    for outcome in outcomes:
        reasons, codes, text = outcome.reasons, outcome.codes, outcome.text
        if text is not None and target == "2019":
            # v1.5 requires unique items in "marches". Identical records share acheteur id and id, so they
            # are adjacent in the export order: remembering one (acheteur_id, id) group is enough.
            if (outcome.acheteur_id, outcome.id) != group:
                group, seen = (outcome.acheteur_id, outcome.id), {}
            if text in seen:
                reasons = [f"$: identical to the written record {seen[text]} (v1.5 requires unique items "
                           "in \"marches\")"]
                codes, text = ["$: uniqueItems"], None
            else:
                seen[text] = outcome.record_uid
        if text is None:
            report.rejected[target] += 1
            report.reasons.update(codes)
            rejects.item(dumps({"record_uid": outcome.record_uid, "id": outcome.id,
                                "acheteur_id": outcome.acheteur_id, "target": target, "reasons": reasons}))
            continue
        out.item(text)
        counts[outcome.kind] += 1


def worker_count(workers: int | None, contracts: int) -> int:
    """0 (inline) or the number of worker processes."""
    count = workers if workers else (0 if contracts < INLINE_CONTRACTS else min(os.cpu_count() or 1, 16))
    return count if count > 1 else 0


def export_decp(con: duckdb.DuckDBPyConnection, output: Path, schemas_dir: Path, *,
                workers: int | None = None, batch_rows: int = BATCH_ROWS) -> DecpExportReport:
    """Write ``decp-2022.json``, ``decp-2019.json``, ``rejects.json`` and ``export-report.json`` in ``output``.

    ``workers``: processes checking records (None or 0: one per CPU core, up to 16, from 20 000 contracts,
    else inline; 1: inline). A DECP file is written only when it holds at least one record (an empty v1.5
    document is invalid); the files of a previous export are replaced. Each file is written under a
    temporary name and renamed when complete."""
    started = time.perf_counter()
    validators = Validators.load(schemas_dir)
    output.mkdir(parents=True, exist_ok=True)
    ((contracts,),) = con.execute("SELECT count(*) FROM contracts").fetchall()
    report = DecpExportReport(output=str(output), schemas=str(schemas_dir), contracts=int(contracts))
    temporary = {name: output / f".{name}.tmp" for name in (FILE_2022, FILE_2019, REJECTS)}
    report.workers = worker_count(workers, report.contracts)
    pool = ProcessPoolExecutor(max_workers=report.workers, mp_context=mp.get_context("spawn"),
                               initializer=_init_worker, initargs=(str(schemas_dir),)) if report.workers else None
    try:
        with temporary[REJECTS].open("w", encoding="utf-8") as rejects_handle:
            rejects = _JsonArray(rejects_handle)
            for name, target in ((FILE_2022, "2022"), (FILE_2019, "2019")):
                counts: Counter[str] = Counter()
                with temporary[name].open("w", encoding="utf-8") as handle:
                    handle.write('{"marches":' if target == "2019" else '{"marches":{')
                    passes = [(container, where) for t, container, where in PASSES if t == target]
                    for index, (container, where) in enumerate(passes):
                        if target == "2022":
                            handle.write(("," if index else "") + f'"{container}":')
                        array = _JsonArray(handle)
                        outcomes = iter_outcomes(con, where, target, validators, pool, batch_rows,
                                                 in_flight=2 * report.workers)
                        _write_pass(outcomes, target, array, rejects, report, counts)
                        array.close()
                    handle.write("}\n" if target == "2019" else "}}\n")
                report.written[name] = counts
            rejects.close()
            rejects_handle.write("\n")
        for name in (FILE_2022, FILE_2019, REJECTS):
            if name != REJECTS and not sum(report.written[name].values()):
                (output / name).unlink(missing_ok=True)
                continue
            os.replace(temporary[name], output / name)
            report.files.append(name)
    finally:
        if pool is not None:
            pool.shutdown(cancel_futures=True)
        for path in temporary.values():
            path.unlink(missing_ok=True)
    report.files.append(REPORT)
    report.duration_s = time.perf_counter() - started
    (output / REPORT).write_text(json.dumps(report.to_json(), ensure_ascii=False, indent=2) + "\n",
                                 encoding="utf-8")
    return report
