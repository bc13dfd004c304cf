"""``seed``: fill an empty data folder with the demonstration dataset, through the ordinary loaders.

Steps: check the warehouse is empty (or already holds this very demonstration), mark it as demonstration data,
generate the files into a temporary folder, load the COG and SIRENE files with ``spaser reference``'s loaders,
ingest the DECP files under the source name "démonstration", copy the Région's targets into
``<data-dir>/targets/``. The mark comes first, so that a run stopped halfway leaves a warehouse that is still known
as demonstration data, and a second ``seed`` completes it (files already ingested are skipped).
"""

from __future__ import annotations

import shutil
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from spaser.config import Settings
from spaser.demo.generate import DemoFiles, generate
from spaser.demo.marker import DEMO_SOURCE, demo_seed, holds_other_data, mark_demo
from spaser.errors import InputError
from spaser.reference.cog import CogLoadReport, load_cog
from spaser.reference.sirene import SireneLoadReport, load_sirene
from spaser.warehouse import snapshot
from spaser.warehouse.ingest import Progress, ingest
from spaser.warehouse.report import RunReport

#: ``step(message)``: called before each step, for a progress message.
StepCallback = Callable[[str], None]


@dataclass(frozen=True)
class SeedReport:
    seed: int
    files: DemoFiles
    generation_s: float
    cog: CogLoadReport
    sirene: SireneLoadReport
    ingestion: RunReport
    targets: tuple[Path, ...]  # copied into <data-dir>/targets/
    contracts: int  # contracts in the warehouse after the seed
    seconds: float


def check_seedable(settings: Settings, seed: int) -> None:
    """An ``InputError`` when the warehouse holds data that are not this demonstration's."""
    warehouse_dir = settings.warehouse_dir
    if not snapshot.current_path(warehouse_dir).exists():
        return
    con = snapshot.open_current(warehouse_dir)
    try:
        other = holds_other_data(con)
        current = demo_seed(con)
    finally:
        con.close()
    if other is not None:
        raise InputError(f"the warehouse in {warehouse_dir} already holds {other}: the demonstration dataset is only "
                         "seeded into an empty data folder (choose another with --data-dir or $SPASER_DATA_DIR)")
    if current is not None and current != seed:
        raise InputError(f"the warehouse in {warehouse_dir} already holds the demonstration dataset of seed {current}; "
                         f"to seed {seed} instead, remove {warehouse_dir} first")


def seed(settings: Settings, seed: int = 2026, step: StepCallback | None = None,
         progress: Progress | None = None) -> SeedReport:
    """Generate the demonstration dataset of ``seed`` and load it into the (empty) warehouse of ``settings``."""
    started = time.perf_counter()
    say = step or (lambda message: None)
    check_seedable(settings, seed)
    warehouse_dir, memory = settings.warehouse_dir, settings.duckdb_memory_limit
    with tempfile.TemporaryDirectory(prefix="spaser-demo-") as folder:
        say(f"generating the demonstration dataset (seed {seed})")
        clock = time.perf_counter()
        files = generate(Path(folder), seed)
        generation_s = time.perf_counter() - clock
        mark_demo(warehouse_dir, seed, memory)
        say("loading the geography (COG)")
        cog = load_cog(warehouse_dir, files.cog, memory)
        say("loading the SIRENE stocks")
        sirene = load_sirene(warehouse_dir, files.sirene_unites, files.sirene_etablissements, memory)
        say(f"ingesting {files.records} DECP records")
        # ~6 MB: normalising inline takes a fraction of a second, less than starting worker processes.
        inline = settings.model_copy(update={"ingest_workers": -1}) if settings.ingest_workers == 0 else settings
        report = ingest(list(files.decp), inline, source=DEMO_SOURCE, progress=progress)
        targets_dir = settings.data_dir / "targets"
        targets_dir.mkdir(parents=True, exist_ok=True)
        targets = tuple(Path(shutil.copyfile(path, targets_dir / path.name)) for path in files.targets)
    con = snapshot.open_current(warehouse_dir)
    try:
        row = con.execute("SELECT count(*) FROM contracts").fetchone()
    finally:
        con.close()
    return SeedReport(seed, files, generation_s, cog, sirene, report, targets, int(row[0]) if row else 0,
                      time.perf_counter() - started)
