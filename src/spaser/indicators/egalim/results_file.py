"""Stored Egalim results: one Parquet file, ``<directory>/egalim_results.parquet``, one row per scope-year, so that
pages read precomputed figures in milliseconds (``read_results``) and tell stale ones (``is_current``).

The file is written to a temporary name, fsynced and moved into place with ``os.replace``: a reader sees the old
results or the new ones, never a half-written file. Its key-value metadata holds the fingerprint of the inputs
(names, sizes and modification times of the line files and the registry), the time of the computation and the
format version.

Columns: the raw sums of ``Summary`` (``decimal128(38, 2)``), the territory and targets, ``families`` as a list of
structs, and, for readers that query the file with SQL rather than through ``read_results``, the derived shares
(exact percent, double), ``met_*`` and ``gap_*`` — recomputed from the sums on reading, never read back.
"""

from __future__ import annotations

import datetime as dt
import functools
import hashlib
import operator
import os
from collections.abc import Sequence
from decimal import Decimal
from pathlib import Path
from typing import Any, Final

import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq

from spaser.indicators.egalim.catalogue import Targets
from spaser.indicators.egalim.results import (
    ALL_GROUPS,
    EgalimResults,
    FamilyValues,
    Part,
    Summary,
    TargetCheck,
    Territory,
)

FILE_NAME: Final = "egalim_results.parquet"
FORMAT: Final = "1"
_FINGERPRINT: Final = b"spaser.egalim.fingerprint"
_COMPUTED_AT: Final = b"spaser.egalim.computed_at"
_FORMAT: Final = b"spaser.egalim.format"

MONEY: Final = pa.decimal128(38, 2)
_VALUE_COLUMNS: Final[tuple[str, ...]] = tuple(f"value_{g.lower()}" for g in ALL_GROUPS)
_PARTS: Final[tuple[str, ...]] = ("egalim", "bio", "meat_and_fish", "france", "local", "short_circuit")
_TARGETS: Final[tuple[str, ...]] = ("egalim", "bio", "meat_and_fish")
FAMILY_TYPE: Final = pa.struct([("family", pa.string()), ("lines", pa.int64()), ("total", MONEY),
                                ("egalim_value", MONEY), ("bio_value", MONEY)])
SCHEMA: Final = pa.schema([
    ("scope", pa.string()), ("scope_id", pa.string()), ("year", pa.int32()), ("name", pa.string()),
    ("departement", pa.string()), ("lines", pa.int64()), ("restaurants", pa.int64()), ("total", MONEY),
    *((column, MONEY) for column in _VALUE_COLUMNS),
    ("meat_and_fish_total", MONEY), ("meat_and_fish_egalim", MONEY), ("france_value", MONEY),
    ("local_value", MONEY), ("short_circuit_value", MONEY),
    ("territory", pa.string()), ("territory_status", pa.string()), ("state", pa.bool_()),
    ("target_egalim", pa.float64()), ("target_bio", pa.float64()), ("target_meat_and_fish", pa.float64()),
    ("families", pa.list_(FAMILY_TYPE)),
    *((f"share_{p}", pa.float64()) for p in _PARTS),
    *((f"met_{t}", pa.bool_()) for t in _TARGETS),
    *((f"gap_{t}", pa.float64()) for t in _TARGETS),
])


def fingerprint(line_files: Sequence[Path | str], restaurants_path: Path | str | None) -> str:
    """A digest of the inputs' names, sizes and modification times: equal fingerprints, same inputs (as far as a
    file rewritten in place changes its size or time, which the store's writes do)."""
    digest = hashlib.sha256()
    for path in sorted(Path(f) for f in line_files):
        stat = path.stat()
        digest.update(f"line\t{path.name}\t{stat.st_size}\t{stat.st_mtime_ns}\n".encode())
    registry = Path(restaurants_path) if restaurants_path is not None else None
    if registry is not None and registry.exists():
        stat = registry.stat()
        digest.update(f"registry\t{registry.name}\t{stat.st_size}\t{stat.st_mtime_ns}\n".encode())
    else:
        digest.update(b"registry\tabsent\n")
    return digest.hexdigest()


def _row(s: Summary) -> dict[str, Any]:
    parts: dict[str, Part] = {"egalim": s.egalim, "bio": s.bio, "meat_and_fish": s.meat_and_fish,
                              "france": s.france, "local": s.local, "short_circuit": s.short_circuit}
    checks: dict[str, TargetCheck | None] = {t: s.target(t) for t in _TARGETS}
    row: dict[str, Any] = {
        "scope": s.scope, "scope_id": s.scope_id, "year": s.year, "name": s.name, "departement": s.departement,
        "lines": s.lines, "restaurants": s.restaurants, "total": s.total,
        **{column: s.group_values[g] for column, g in zip(_VALUE_COLUMNS, ALL_GROUPS, strict=True)},
        "meat_and_fish_total": s.meat_and_fish_total, "meat_and_fish_egalim": s.meat_and_fish_egalim,
        "france_value": s.france_value, "local_value": s.local_value, "short_circuit_value": s.short_circuit_value,
        "territory": s.territory.name, "territory_status": s.territory.status, "state": s.state,
        "target_egalim": s.applicable.egalim, "target_bio": s.applicable.bio,
        "target_meat_and_fish": s.applicable.meat_and_fish,
        "families": [{"family": f.family, "lines": f.lines, "total": f.total, "egalim_value": f.egalim_value,
                      "bio_value": f.bio_value} for f in s.families],
    }
    row.update({f"share_{name}": part.share for name, part in parts.items()})
    row.update({f"met_{name}": None if check is None else check.met for name, check in checks.items()})
    row.update({f"gap_{name}": None if check is None else check.gap for name, check in checks.items()})
    return row


def write_results(results: EgalimResults, directory: Path | str) -> Path:
    """Write ``results`` to ``<directory>/egalim_results.parquet`` atomically; returns the file."""
    folder = Path(directory)
    folder.mkdir(parents=True, exist_ok=True)
    target = folder / FILE_NAME
    metadata = {_FINGERPRINT: results.fingerprint.encode(), _COMPUTED_AT: results.computed_at.isoformat().encode(),
                _FORMAT: FORMAT.encode()}
    table = pa.Table.from_pylist([_row(s) for s in results.summaries], schema=SCHEMA.with_metadata(metadata))
    temporary = folder / f".{FILE_NAME}.{os.getpid()}.partial"
    try:
        with temporary.open("wb") as stream:
            pq.write_table(table, stream, compression="zstd")
            stream.flush()
            os.fsync(stream.fileno())
        os.replace(temporary, target)
    finally:
        temporary.unlink(missing_ok=True)
    return target


def _summary(row: dict[str, Any]) -> Summary:
    territory = Territory(row["territory"], row["territory_status"])
    return Summary(
        scope=row["scope"], scope_id=row["scope_id"], year=row["year"], name=row["name"],
        departement=row["departement"], lines=row["lines"], restaurants=row["restaurants"], total=row["total"],
        group_values={g: row[column] for column, g in zip(_VALUE_COLUMNS, ALL_GROUPS, strict=True)},
        meat_and_fish_total=row["meat_and_fish_total"], meat_and_fish_egalim=row["meat_and_fish_egalim"],
        france_value=row["france_value"], local_value=row["local_value"],
        short_circuit_value=row["short_circuit_value"],
        families=tuple(FamilyValues(f["family"], f["lines"], Decimal(f["total"]), Decimal(f["egalim_value"]),
                                    Decimal(f["bio_value"])) for f in row["families"]),
        territory=territory, state=row["state"],
        applicable=Targets(territory.name, row["target_egalim"], row["target_bio"], row["target_meat_and_fish"]),
    )


def _metadata(path: Path) -> dict[bytes, bytes]:
    return dict(pq.read_schema(path).metadata or {})


def stored_fingerprint(directory: Path | str) -> str | None:
    """The fingerprint of the stored results (reads only the file's footer); None when there are none."""
    path = Path(directory) / FILE_NAME
    if not path.exists():
        return None
    return _metadata(path).get(_FINGERPRINT, b"").decode() or None


def is_current(directory: Path | str, line_files: Sequence[Path | str], restaurants_path: Path | str | None) -> bool:
    """Whether the stored results were computed from these very inputs."""
    return stored_fingerprint(directory) == fingerprint(line_files, restaurants_path)


def read_results(directory: Path | str, *, scope: str | None = None, scope_id: str | None = None,
                 year: int | None = None) -> EgalimResults | None:
    """The stored results, or None when the folder has none (or an older format). ``scope``, ``scope_id`` and
    ``year`` keep only the matching rows (what one page needs)."""
    path = Path(directory) / FILE_NAME
    try:
        stream = pa.OSFile(str(path))  # one open file: its metadata and rows, even if replaced meanwhile
    except FileNotFoundError:
        return None
    with stream:
        parquet = pq.ParquetFile(stream)
        metadata = dict(parquet.schema_arrow.metadata or {})
        if metadata.get(_FORMAT) != FORMAT.encode():
            return None
        table = parquet.read()
    wanted = {"scope": scope, "scope_id": scope_id, "year": year}
    conditions = [pc.field(column) == value for column, value in wanted.items() if value is not None]
    if conditions:
        table = table.filter(functools.reduce(operator.and_, conditions))
    computed_at = dt.datetime.fromisoformat(metadata[_COMPUTED_AT].decode())
    summaries = tuple(_summary(row) for row in table.to_pylist())
    return EgalimResults(summaries, metadata[_FINGERPRINT].decode(), computed_at)
