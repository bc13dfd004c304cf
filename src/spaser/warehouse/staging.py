"""Normalise batches of raw records and stage the rows as Parquet files.

Runs inside worker processes (or inline for small inputs). Each worker owns one Parquet writer per
table, so a run produces a handful of files whatever its size, and memory stays bounded by the flush
size. Every record of a batch ends either in the ``records`` rows or in the ``quarantine`` rows — an
unexpected exception in a rule quarantines that record with the exception's name, never the batch.
"""

from __future__ import annotations

import contextlib
import ctypes
import datetime as dt
import gc
import json
import math
import os
import queue
import signal
import sys
from collections import Counter
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import msgspec
import pyarrow as pa
import pyarrow.parquet as pq

from spaser.decp.columnar import ZERO_INCONNU, bulk_rows
from spaser.decp.fast2022 import normalise_fast
from spaser.decp.fast_rows import SimpleMarche, simple_rows, struct_rows
from spaser.decp.json_scan import RAW_LIST, RawRegion
from spaser.decp.normalise import Normalised, RecordContext, Rejected, normalise
from spaser.warehouse.schema import TABLES, arrow_schema, column_names

FLUSH_ROWS = 20_000
RAW_TEXT_LIMIT = 1_000_000  # characters of raw text kept for one quarantined record

_decoder = msgspec.json.Decoder()


@dataclass(slots=True)
class BatchItem:
    index: int
    container: str
    raw: bytes | msgspec.Raw
    value: Any = None  # already decoded (XML); None means "decode raw as JSON"
    decoded: bool = False
    reason: str | None = None  # set by the reader for bytes it could not cut into a record (truncation)


@dataclass(slots=True)
class Batch:
    file_no: int
    source_name: str
    source_path: str
    sha256: str
    from_xml: bool
    items: list[BatchItem]
    size_bytes: int = 0
    region: RawRegion | None = None  # consecutive records as one validated JSON array, split by the worker

    @property
    def count(self) -> int:
        return len(self.items) + (self.region.count if self.region is not None else 0)

    def all_items(self) -> Iterator[BatchItem]:
        yield from self.items
        if self.region is not None:
            first, container = self.region.first_index, self.region.container
            for i, raw in enumerate(RAW_LIST.decode(self.region.data)):
                yield BatchItem(first + i, container, raw)


@dataclass(slots=True)
class BatchResult:
    file_no: int
    records: int = 0
    normalised: int = 0
    quarantined: int = 0
    size_bytes: int = 0
    by_reason: Counter[str] = field(default_factory=Counter)
    by_format: Counter[str] = field(default_factory=Counter)
    by_flag: Counter[str] = field(default_factory=Counter)


def decode_json(raw: bytes | msgspec.Raw) -> tuple[Any, list[str], str | None]:
    """Decode one record's bytes; returns (value, repair flags, error).

    Fallback for real defects msgspec refuses: ``NaN`` literals (domain.md pitfall 9) and invalid UTF-8
    bytes, which the stdlib decoder accepts once the bytes are decoded with replacement characters.
    """
    try:
        return _decoder.decode(raw), [], None
    except msgspec.DecodeError as first:
        flags: list[str] = []
        data = bytes(raw)
        try:
            text = data.decode("utf-8")
        except UnicodeDecodeError:
            text = data.decode("utf-8", errors="replace")
            flags.append("encodage:utf8_invalide")
        try:
            value = json.loads(text)
        except (ValueError, RecursionError):
            return None, [], f"json:invalide ({first})"
        flags.append("encodage:json_non_standard")
        return value, flags, None


def _raw_text(raw: bytes | msgspec.Raw) -> str:
    text = bytes(raw).decode("utf-8", errors="replace")
    return text if len(text) <= RAW_TEXT_LIMIT else text[:RAW_TEXT_LIMIT] + "…[tronqué]"


class StagingWriter:
    """Buffers rows per table (as tuples in column order) and appends them to one Parquet file per table.

    Tuples and a transpose with ``zip`` cost a third of ``pyarrow.Table.from_pylist`` on dict rows.
    """

    def __init__(self, directory: Path, worker_no: int) -> None:
        self.directory = directory
        self.worker_no = worker_no
        self.names = {name: column_names(name) for name in TABLES}
        self.rows: dict[str, list[tuple[Any, ...]]] = {name: [] for name in TABLES}
        self.writers: dict[str, pq.ParquetWriter] = {}
        self.files: dict[str, str] = {}

    def add(self, table: str, rows: list[dict[str, Any]]) -> None:
        if rows:
            names = self.names[table]
            self.rows[table].extend(tuple(map(row.get, names)) for row in rows)

    def add_one(self, table: str, row: dict[str, Any]) -> None:
        self.rows[table].append(tuple(map(row.get, self.names[table])))

    def add_tables(self, tables: dict[str, pa.Table]) -> None:
        """Write tables built column-wise (:mod:`spaser.decp.columnar`) straight to the table's file."""
        for table, data in tables.items():
            if data.num_rows:
                self._writer(table).write_table(data)

    def _writer(self, table: str) -> pq.ParquetWriter:
        writer = self.writers.get(table)
        if writer is None:
            path = self.directory / f"{table}-{self.worker_no:03d}.parquet"
            # Uncompressed: staging files live for one run and are read once; Parquet's dictionary encoding
            # already keeps them at ~20 % of the input (330 MB for the 1.6 GB national file, 120 MB with
            # zstd), and zstd cost the workers ~2 µs a record, a tenth of their time.
            writer = pq.ParquetWriter(path, arrow_schema(table), compression="none")
            self.writers[table] = writer
            self.files[table] = str(path)
        return writer

    def maybe_flush(self) -> None:
        if len(self.rows["records"]) + len(self.rows["quarantine"]) >= FLUSH_ROWS:
            self.flush()

    def flush(self) -> None:
        for table, rows in self.rows.items():
            if not rows:
                continue
            schema = arrow_schema(table)
            columns = list(zip(*rows, strict=True))
            data = pa.Table.from_arrays(
                [pa.array(column, type=field.type) for column, field in zip(columns, schema, strict=True)],
                schema=schema,
            )
            self._writer(table).write_table(data)
            self.rows[table] = []

    def close(self) -> dict[str, str]:
        self.flush()
        for writer in self.writers.values():
            writer.close()
        return self.files


def process_batch(batch: Batch, writer: StagingWriter, today: dt.date, aberrant: float) -> BatchResult:
    result = BatchResult(batch.file_no, size_bytes=batch.size_bytes)
    uid_prefix = batch.sha256[:16]
    source = (batch.source_name, batch.source_path, batch.sha256)
    region = batch.region
    items = batch.items
    if region is not None and region.container == "contrat-concession":
        items = list(batch.all_items())
    elif region is not None:
        raws: list[Any] = RAW_LIST.decode(region.data)
        _stage_bulk(raws, range(region.first_index, region.first_index + len(raws)), region.container, batch,
                    writer, result, source, today, aberrant)
    # Records cut one by one (chunk edges, files whose separator was not learnt) take the same bulk path.
    plain = [item for item in items if not item.decoded and item.reason is None and item.container == "marche"]
    if len(plain) > 1:
        _stage_bulk([item.raw for item in plain], [item.index for item in plain], "marche", batch, writer, result,
                    source, today, aberrant)
        items = [item for item in items if item.decoded or item.reason is not None or item.container != "marche"]
    for item in items:
        _process_item(item, None, batch, writer, result, uid_prefix, source, today, aberrant)
    writer.maybe_flush()
    return result


def _stage_bulk(raws: list[Any], indices: Sequence[int], container: str, batch: Batch, writer: StagingWriter,
                result: BatchResult, source: tuple[str, str, str], today: dt.date, aberrant: float) -> None:
    """The bulk of a national file: clean records staged a column at a time, the others one by one."""
    uid_prefix = batch.sha256[:16]
    bulk = bulk_rows(raws, indices, uid_prefix, source, today, aberrant)
    writer.add_tables(bulk.tables)
    result.records += bulk.staged
    result.normalised += bulk.staged
    result.by_format["2022"] += bulk.staged
    if bulk.zero_inconnu:
        result.by_flag[ZERO_INCONNU] += bulk.zero_inconnu
    for pos, struct in bulk.rest:
        item = BatchItem(indices[pos], container, raws[pos])
        _process_item(item, struct, batch, writer, result, uid_prefix, source, today, aberrant, typed_tried=True)


def _process_item(item: BatchItem, struct: SimpleMarche | None, batch: Batch, writer: StagingWriter,
                  result: BatchResult, uid_prefix: str, source: tuple[str, str, str], today: dt.date,
                  aberrant: float, typed_tried: bool = False) -> None:
    """Stage one record: the tuple path when it is clean, else the general normaliser, else quarantine.

    ``struct`` is the record already decoded by the column-wise path; ``typed_tried`` says that path tried,
    so a record it could not decode (``struct`` None) is not decoded again for nothing."""
    result.records += 1
    uid = f"{uid_prefix}:{item.index}"
    if not item.decoded and item.reason is None and item.container != "contrat-concession" \
            and (struct is not None or not typed_tried):
        if struct is not None:
            simple = struct_rows(struct, uid, item.index, source, today, aberrant)
        else:
            simple = simple_rows(item.raw, uid, item.index, source, today, aberrant)
        if simple is not None:  # a clean record, straight to staging tuples
            writer.rows["records"].append(simple.record)
            writer.rows["titulaires"].extend(simple.titulaires)
            writer.rows["modifications"].extend(simple.modifications)
            writer.rows["actes_sous_traitance"].extend(simple.actes)
            result.normalised += 1
            result.by_format["2022"] += 1
            result.by_flag.update(simple.quality_flags)
            return
    outcome = normalise_item(item, uid, batch, today, aberrant)
    if isinstance(outcome, Normalised):
        _stage(writer, outcome)
        result.normalised += 1
        result.by_format[outcome.record["source_format"]] += 1
        result.by_flag.update(outcome.record["quality_flags"])
        return
    reasons = list(dict.fromkeys(outcome))
    writer.add_one("quarantine", {
        "record_uid": uid,
        "source_name": batch.source_name,
        "source_path": batch.source_path,
        "source_sha256": batch.sha256,
        "record_index": item.index,
        "reasons": reasons,
        "raw_text": _raw_text(item.raw),
    })
    result.quarantined += 1
    result.by_reason[reasons[0].split(" (")[0]] += 1


def normalise_item(item: BatchItem, uid: str, batch: Batch, today: dt.date, aberrant: float) -> Normalised | list[str]:
    """One record: the normalised rows, or the reasons to quarantine it. Never raises."""
    if item.reason is not None:
        return [item.reason]
    ctx = RecordContext(uid, item.index, batch.source_name, batch.source_path, batch.sha256, item.container,
                        batch.from_xml, today, aberrant)
    repairs: list[str] = []
    if item.decoded:
        value = item.value
    else:
        if item.container != "contrat-concession":
            try:
                fast = normalise_fast(item.raw, ctx)
            except Exception:  # the general path below names the problem, or quarantines the record
                fast = None
            if fast is not None:
                return fast
        value, repairs, error = decode_json(item.raw)
        if error is not None:
            return [error]
    try:
        normalised = normalise(value, ctx)
    except Exception as exc:  # a rule's bug must not lose the record: quarantine it, named
        return [f"erreur_interne:{type(exc).__name__}"]
    if isinstance(normalised, Rejected):
        return normalised.reasons
    if repairs:
        normalised.record["quality_flags"] = sorted({*normalised.record["quality_flags"], *repairs})
    return normalised


def _stage(writer: StagingWriter, n: Normalised) -> None:
    record = n.record
    for name in ("montant", "montant_initial", "taux_avance", "origine_ue", "origine_france"):
        value = record.get(name)
        if isinstance(value, float) and not math.isfinite(value):
            record[name] = None
    writer.add_one("records", record)
    writer.add("titulaires", n.titulaires)
    writer.add("modifications", n.modifications)
    writer.add("actes_sous_traitance", n.actes_sous_traitance)
    writer.add("modifications_actes_sous_traitance", n.modifications_actes_sous_traitance)
    writer.add("donnees_execution", n.donnees_execution)


def _die_with_parent(parent: int) -> None:
    """Ask Linux to SIGKILL this worker when the ingestion process dies (even by SIGKILL), so a killed
    run leaves no orphan blocked on a half-written queue message."""
    if sys.platform.startswith("linux"):
        with contextlib.suppress(OSError, AttributeError):
            ctypes.CDLL(None, use_errno=True).prctl(1, signal.SIGKILL)  # 1 = PR_SET_PDEATHSIG
    if os.getppid() != parent:  # the parent died before prctl took effect
        os._exit(1)


def worker_main(in_queue: Any, out_queue: Any, directory: str, worker_no: int, today: dt.date,
                aberrant: float, parent: int) -> None:
    """Entry point of a worker process: batches in, results out, file list on the sentinel."""
    _die_with_parent(parent)
    pa.array([0])  # pyarrow's first array imports pandas when installed (~1 s): do it while the parent hashes
    gc.disable()  # millions of small dicts: the cyclic GC would dominate (measured 7x slower decoding)
    writer = StagingWriter(Path(directory), worker_no)
    try:
        while True:
            try:
                batch = in_queue.get(timeout=2)
            except queue.Empty:
                if os.getppid() != parent:  # the ingestion was killed: do not linger as an orphan
                    os._exit(1)
                continue
            if batch is None:
                break
            out_queue.put(("result", process_batch(batch, writer, today, aberrant)))
            gc.collect(0)
        out_queue.put(("done", worker_no, writer.close()))
    except BaseException as exc:  # report, so the parent fails the run instead of waiting forever
        out_queue.put(("error", worker_no, f"{type(exc).__name__}: {exc}"))
        raise
