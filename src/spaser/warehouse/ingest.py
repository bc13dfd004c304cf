"""``spaser ingest``: read DECP files, normalise them in parallel, publish a new warehouse snapshot.

Steps (each a function below): find inputs → skip those already ingested (by sha256) → read and cut
records → normalise and stage in workers → load, classify and deduplicate in a copy of the current
snapshot → publish atomically → report.
"""

from __future__ import annotations

import datetime as dt
import gc
import multiprocessing as mp
import os
import queue
import secrets
import time
from collections import Counter
from collections.abc import Iterator, Mapping, Sequence
from pathlib import Path
from typing import Any, Protocol

import msgspec

from spaser.config import Settings
from spaser.decp.json_scan import JsonScanError, RawRegion, scan_json_batches
from spaser.decp.sources import ByteStream, InputFile, expand, inspect
from spaser.decp.tabular_mapping import TabularMapping, load_mapping
from spaser.decp.tabular_read import TabularReadError
from spaser.decp.tabular_records import TABULAR_SYNTAXES, check_tabular, read_records
from spaser.decp.xml_read import XmlReadError, read_xml
from spaser.errors import InputError, NotDecpDocumentError, UnreadableFileError
from spaser.reference.cog import refresh_lieux
from spaser.warehouse import dedupe, snapshot
from spaser.warehouse.derived import refresh_derived
from spaser.warehouse.report import FileReport, RunReport
from spaser.warehouse.staging import Batch, BatchItem, BatchResult, StagingWriter, process_batch, worker_main

#: Below this many bytes to read, normalising inline is faster than starting worker processes.
INLINE_BYTES = 2 * 1024 * 1024


class Progress(Protocol):
    """What a run shows while it works: ``step`` for a phase without a byte count (checking the inputs, each step
    of the snapshot build, which takes a third of a national run), ``start``/``file``/``advance`` while reading;
    ``stop`` once, when the run ends or fails."""

    def step(self, name: str) -> None: ...
    def start(self, total_bytes: int, files: int) -> None: ...
    def file(self, path: str) -> None: ...
    def advance(self, size: int, records: int) -> None: ...
    def stop(self) -> None: ...


class _NoProgress:
    def step(self, name: str) -> None: ...
    def start(self, total_bytes: int, files: int) -> None: ...
    def file(self, path: str) -> None: ...
    def advance(self, size: int, records: int) -> None: ...
    def stop(self) -> None: ...


class _CountingReader:
    """Counts the bytes a reader has consumed, for the progress bar."""

    def __init__(self, stream: ByteStream) -> None:
        self.stream = stream
        self.count = 0

    def read(self, size: int = -1, /) -> bytes:
        data = self.stream.read(size)
        self.count += len(data)
        return data

    def close(self) -> None:
        self.stream.close()


def _now() -> str:
    return dt.datetime.now(dt.UTC).isoformat(timespec="seconds")


class _Dispatcher:
    """Sends batches to worker processes (or runs them inline) and gathers the results."""

    def __init__(self, workers: int, staging: Path, today: dt.date, aberrant: float, progress: Progress) -> None:
        self.workers = workers
        self.progress = progress
        self.results: list[BatchResult] = []
        self.staged: dict[str, list[str]] = {}
        self.today = today
        self.aberrant = aberrant
        self.done = 0  # workers that have sent their staged files
        if workers == 0:
            self.inline_writer: StagingWriter | None = StagingWriter(staging, 0)
            return
        self.inline_writer = None
        context = mp.get_context("spawn")
        self.in_queue: Any = context.Queue(maxsize=workers * 3)
        self.out_queue: Any = context.Queue()
        self.processes = [
            context.Process(target=worker_main, daemon=True,
                            args=(self.in_queue, self.out_queue, str(staging), n, today, aberrant, os.getpid()))
            for n in range(workers)
        ]
        for process in self.processes:
            process.start()

    def submit(self, batch: Batch) -> None:
        if self.inline_writer is not None:
            self._record(process_batch(batch, self.inline_writer, self.today, self.aberrant))
            return
        while True:
            while self._receive(block=False):
                pass
            try:
                self.in_queue.put(batch, timeout=0.5)
                return
            except queue.Full:
                self._check_alive()

    def _record(self, result: BatchResult) -> None:
        self.results.append(result)
        self.progress.advance(result.size_bytes, result.records)

    def _receive(self, block: bool) -> bool:
        """Handle one message from the workers; False when there was none (within 0.5 s if ``block``)."""
        try:
            message = self.out_queue.get(timeout=0.5) if block else self.out_queue.get_nowait()
        except queue.Empty:
            return False
        kind = message[0]
        if kind == "result":
            self._record(message[1])
        elif kind == "done":
            for table, path in message[2].items():
                self.staged.setdefault(table, []).append(path)
            self.done += 1
        else:
            raise RuntimeError(f"ingestion worker {message[1]} failed: {message[2]}")
        return True

    def _check_alive(self) -> None:
        dead = [p for p in self.processes if not p.is_alive() and p.exitcode not in (0, None)]
        if dead:
            raise RuntimeError(f"an ingestion worker died (exit code {dead[0].exitcode})")

    def finish(self) -> tuple[list[BatchResult], dict[str, list[str]]]:
        if self.inline_writer is not None:
            for table, path in self.inline_writer.close().items():
                self.staged.setdefault(table, []).append(path)
            return self.results, self.staged
        for _ in self.processes:
            self.in_queue.put(None)
        while self.done < len(self.processes):
            if not self._receive(block=True):
                self._check_alive()
        for process in self.processes:
            process.join()
        return self.results, self.staged

    def abort(self) -> None:
        if self.inline_writer is None:
            for process in self.processes:
                process.kill()


def _read_batches(source: InputFile, report: FileReport, batch_records: int, file_no: int,
                  source_name: str, mapping: TabularMapping | None = None) -> Iterator[Batch]:
    """Cut a file into batches of records; a read error ends the file with its position recorded."""
    raw_stream = source.open()
    stream = _CountingReader(raw_stream)
    from_xml = source.syntax == "xml"
    items: list[BatchItem] = []
    last_count = 0
    stats: dict[str, int] = {}

    def make(batch_items: list[BatchItem]) -> Batch:
        nonlocal last_count
        size = stream.count - last_count
        last_count = stream.count
        return Batch(file_no, source_name, source.path, source.sha256, from_xml, batch_items, size)

    try:
        if source.syntax in TABULAR_SYNTAXES and mapping is not None:
            # Rows (grouped per contract) become DECP-shaped dicts for the general normaliser, like XML.
            for row in read_records(stream, source.syntax, source.path, mapping, stats):
                items.append(BatchItem(row.index, row.container, row.raw, row.value, decoded=row.reason is None,
                                       reason=row.reason))
                if len(items) >= batch_records:
                    yield make(items)
                    items = []
        elif from_xml:
            for xml_batch in read_xml(stream, stats):
                for rec in xml_batch:
                    items.append(BatchItem(rec.index, rec.container, rec.raw, rec.value, decoded=True))
                    if len(items) >= batch_records:
                        yield make(items)
                        items = []
        else:
            for json_batch in scan_json_batches(stream):
                if isinstance(json_batch, RawRegion):
                    # A validated region travels as one bytes object; the worker splits it.
                    if items:
                        yield make(items)
                        items = []
                    region = make([])
                    region.region = json_batch
                    yield region
                    continue
                for raw in json_batch:
                    items.append(BatchItem(raw.index, raw.container, raw.data))
                    if len(items) >= batch_records:
                        yield make(items)
                        items = []
    except (JsonScanError, XmlReadError, TabularReadError) as exc:
        report.status = "partial"
        report.error = exc.reason
        report.position = exc.position
        if exc.tail:
            next_index = exc.next_index
            reason = f"{source.syntax}:tronque_ou_invalide"  # json:, xml:, csv:
            items.append(BatchItem(next_index, "", exc.tail, reason=f"{reason} ({exc.reason})"))
    except (OSError, EOFError) as exc:
        report.status = "partial"
        report.error = f"read error: {exc}"
        report.position = f"byte {stream.count}"
    finally:
        raw_stream.close()
        report.control_characters_removed = stats.get("control_characters_removed", 0)
        report.rows_read = stats.get("rows_read", 0)
    if items:
        yield make(items)


def _guard_demo(warehouse_dir: Path, source: str | Mapping[str, str] | None, replace_demo: bool) -> None:
    from spaser.demo.marker import DEMO_SOURCE, is_demo  # here: spaser.demo imports this module

    if source == DEMO_SOURCE or not snapshot.current_path(warehouse_dir).exists():
        return
    con = snapshot.open_current(warehouse_dir)
    try:
        demo = is_demo(con)
    finally:
        con.close()
    if not demo:
        return
    if not replace_demo:
        raise InputError(f"{warehouse_dir} holds the demonstration dataset: real data go to an empty data folder "
                         "(--data-dir), or pass --replace-demo to drop the demonstration data first")
    snapshot.current_path(warehouse_dir).unlink()
    for demo_targets in (warehouse_dir.parent / "targets").glob("*-demonstration.toml"):
        demo_targets.unlink()


def ingest(paths: Sequence[Path], settings: Settings, source: str | Mapping[str, str] | None = None,
           progress: Progress | None = None, today: dt.date | None = None,
           mapping: str | Path | TabularMapping | None = None, replace_demo: bool = False) -> RunReport:
    """Ingest ``paths`` into a new snapshot of the warehouse under ``settings.data_dir``.

    A warehouse holding the demonstration dataset never receives real records (they would mix, and the demo
    banner would mislead): the ingestion is refused, or with ``replace_demo`` starts from an empty warehouse.

    ``source`` is the source name recorded for the records: one name for every path, or a name per given path
    (keyed by ``str(path)``, so one run can ingest several named sources); by default, each file's name.
    ``mapping`` (a shipped mapping's name, a TOML file or a loaded mapping) reads the CSV and XLSX inputs
    (docs/tabular.md); without it they are refused with the list of shipped mappings.
    """
    tabular = load_mapping(mapping) if isinstance(mapping, (str, Path)) else mapping
    progress = progress or _NoProgress()
    today = today or dt.date.today()
    clock = time.perf_counter()
    run_id = dt.datetime.now(dt.UTC).strftime("%Y%m%dT%H%M%S") + "-" + secrets.token_hex(3)
    report = RunReport(run_id=run_id, started_at=_now())
    warehouse_dir = settings.warehouse_dir
    try:
        with snapshot.ingest_lock(warehouse_dir):
            _ingest_locked(paths, settings, source, progress, today, tabular, replace_demo, report, clock)
    finally:
        progress.stop()
    _totals(report)
    report.finished_at = _now()
    report.duration_s = round(time.perf_counter() - clock, 3)
    return report


def _ingest_locked(paths: Sequence[Path], settings: Settings, source: str | Mapping[str, str] | None,
                   progress: Progress, today: dt.date, tabular: TabularMapping | None, replace_demo: bool,
                   report: RunReport, clock: float) -> None:
    """The run itself, under the ingestion lock."""
    warehouse_dir = settings.warehouse_dir
    run_id = report.run_id
    _guard_demo(warehouse_dir, source, replace_demo)
    known = _ingested_hashes(warehouse_dir)
    entries = list(expand(list(paths)))
    # Workers start before the inputs are hashed, so their start-up overlaps the hashing.
    estimate = sum(e.disk_size for e in entries if isinstance(e, InputFile))
    workers = _worker_count(settings, estimate)
    report.workers = workers
    staging = warehouse_dir / f".staging-{run_id}"
    staging.mkdir(parents=True)
    gc_was_enabled = gc.isenabled()
    gc.disable()
    dispatcher = _Dispatcher(workers, staging, today, settings.montant_aberrant, progress)
    try:
        # Hashing reads every input once before any record is parsed: seconds of silence on a cold 1.6 GB file.
        progress.step(f"checking {len(entries)} input(s) (SHA-256)")
        to_read = _select_inputs(entries, known, report, tabular)
        total = sum(s.size for s, _ in to_read)
        progress.start(total, len(to_read))
        for file_no, (input_file, file_report) in enumerate(to_read):
            progress.file(input_file.path)
            name = _source_name(source, input_file.path)
            for batch in _read_batches(input_file, file_report, settings.ingest_batch_records, file_no, name,
                                       tabular):
                file_report.records_read += batch.count
                dispatcher.submit(batch)
        results, staged = dispatcher.finish()
    except BaseException:
        dispatcher.abort()
        raise
    finally:
        if gc_was_enabled:
            gc.enable()
    report.timings["read_and_normalise"] = round(time.perf_counter() - clock, 3)
    snapshot.fault_point("after_staging")
    _apply_results(results, to_read, report)
    if to_read:
        _build_and_publish(warehouse_dir, run_id, staged, to_read, report, settings.duckdb_memory_limit,
                           tabular, progress)
    else:
        current = snapshot.current_path(warehouse_dir)
        report.snapshot = str(current) if current.exists() else None
    snapshot.remove_leftovers(warehouse_dir)


def _source_name(source: str | Mapping[str, str] | None, path: str) -> str:
    """The source recorded for a file: the one name given, the name given for its input path, or its file name."""
    top = path.split("!")[0]
    if isinstance(source, str) and source:
        return source
    if isinstance(source, Mapping) and top in source:
        return source[top]
    return Path(top).name


def _ingested_hashes(warehouse_dir: Path) -> set[str]:
    if not snapshot.current_path(warehouse_dir).exists():
        return set()
    con = snapshot.open_current(warehouse_dir)
    try:
        return {row[0] for row in con.execute("SELECT sha256 FROM ingested_files").fetchall()}
    finally:
        con.close()


def _select_inputs(entries: list[InputFile | UnreadableFileError], known: set[str], report: RunReport,
                   mapping: TabularMapping | None) -> list[tuple[InputFile, FileReport]]:
    selected: list[tuple[InputFile, FileReport]] = []
    seen: set[str] = set()
    for entry in entries:
        if isinstance(entry, UnreadableFileError):
            report.files.append(FileReport(entry.path, status="unreadable", error=entry.reason,
                                           position=entry.position))
            continue
        file_report = FileReport(entry.path)
        try:
            inspect(entry)
            check_tabular(entry, mapping)
        except UnreadableFileError as exc:
            skipped = isinstance(exc, NotDecpDocumentError) and entry.in_folder
            file_report.status = "skipped" if skipped else "unreadable"
            file_report.error, file_report.position = exc.reason, exc.position
            file_report.sha256 = entry.sha256
            report.files.append(file_report)
            continue
        file_report.sha256, file_report.size_bytes, file_report.format = entry.sha256, entry.size, entry.syntax
        report.files.append(file_report)
        if entry.sha256 in known or entry.sha256 in seen:
            file_report.status = "already_ingested"
            continue
        seen.add(entry.sha256)
        selected.append((entry, file_report))
    return selected


def _worker_count(settings: Settings, total_bytes: int) -> int:
    if settings.ingest_workers > 0:
        return settings.ingest_workers
    if settings.ingest_workers < 0 or total_bytes < INLINE_BYTES:
        return 0
    return max(1, os.cpu_count() or 1)


def _apply_results(results: list[BatchResult], to_read: list[tuple[InputFile, FileReport]],
                   report: RunReport) -> None:
    for result in results:
        file_report = to_read[result.file_no][1]
        file_report.quarantined += result.quarantined
        file_report.by_format.update(result.by_format)
        report.by_reason.update(result.by_reason)
        report.by_flag.update(result.by_flag)


def _build_and_publish(warehouse_dir: Path, run_id: str, staged: dict[str, list[str]],
                       to_read: list[tuple[InputFile, FileReport]], report: RunReport, memory_limit: str,
                       mapping: TabularMapping | None, progress: Progress) -> None:
    step = time.perf_counter()

    def lap(name: str) -> None:
        nonlocal step
        now = time.perf_counter()
        report.timings[name] = round(now - step, 3)
        step = now

    progress.step("copying the current snapshot")
    building = snapshot.start_build(warehouse_dir, run_id)
    lap("copy_snapshot")
    con = snapshot.connect_building(building, memory_limit, warehouse_dir / f".staging-{run_id}")
    try:
        progress.step("loading the staged records")
        dedupe.load_staged(con, staged)
        lap("load")
        snapshot.fault_point("after_load")
        progress.step("deduplicating")
        counts = dedupe.classify_run(con, [f.sha256 for f, _ in to_read])
        lap("classify")
        for input_file, file_report in to_read:
            file_counts = counts.get(input_file.sha256, Counter())
            file_report.loaded = file_counts["loaded"]
            file_report.duplicates = file_counts["duplicates"]
            if input_file.syntax in TABULAR_SYNTAXES and mapping is not None:
                file_report.format = f"{input_file.syntax}:{mapping.name}"  # e.g. "csv:decp-info"
            else:
                file_report.format = file_report.describe_format(input_file.syntax)
        report.contracts_total = dedupe.rebuild_contracts(con)
        refresh_lieux(con)
        lap("deduplicate")
        progress.step("indicators and search index")
        refresh_derived(con)
        lap("derived")  # facts, published indicators, search index
        snapshot.fault_point("after_dedupe")
        progress.step("publishing the snapshot")
        now = dt.datetime.now(dt.UTC).replace(tzinfo=None)
        con.executemany(
            "INSERT INTO ingested_files VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            [(f.sha256, f.path, Path(f.path.split("!")[0]).name, fr.format, run_id, now, fr.records_read,
              fr.loaded, fr.duplicates, fr.quarantined) for f, fr in to_read],
        )
        _totals(report)
        report.finished_at = _now()
        con.execute("INSERT INTO ingestion_runs VALUES (?, ?, ?, ?)",
                    [run_id, report.started_at, report.finished_at,
                     msgspec.json.encode(report.to_json()).decode()])
        con.execute("CHECKPOINT")
    finally:
        con.close()
    report.snapshot = str(snapshot.publish(warehouse_dir, building))
    lap("publish")
    report.snapshot_changed = True


def _totals(report: RunReport) -> None:
    report.records_read = sum(f.records_read for f in report.files)
    report.loaded = sum(f.loaded for f in report.files)
    report.duplicates = sum(f.duplicates for f in report.files)
    report.quarantined = sum(f.quarantined for f in report.files)
