"""The run report of an ingestion: what was read, loaded, merged, quarantined, per file and in total.

``records_read == loaded + duplicates + quarantined`` holds for every file and for the run; the JSON
form is a published interface (architecture.md) and only grows.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from typing import Any


@dataclass(slots=True)
class FileReport:
    path: str
    sha256: str = ""
    format: str = ""  # e.g. "json-2022", "xml-2019", "json-2019+hybrid", "csv:decp-info" (syntax:mapping)
    status: str = "ingested"  # "ingested" | "already_ingested" | "unreadable" | "partial"
    records_read: int = 0
    loaded: int = 0
    duplicates: int = 0
    quarantined: int = 0
    size_bytes: int = 0
    error: str | None = None
    position: str | None = None
    control_characters_removed: int = 0
    rows_read: int = 0  # tabular files: non-blank data rows (records_read counts records: rows of a contract grouped)
    by_format: Counter[str] = field(default_factory=Counter)

    def to_json(self) -> dict[str, Any]:
        data = {name: getattr(self, name) for name in self.__dataclass_fields__ if name != "by_format"}
        data["by_format"] = dict(self.by_format)
        return data

    def describe_format(self, syntax: str) -> str:
        if not self.by_format:
            return syntax
        kinds = "+".join(sorted(self.by_format, key=lambda k: -self.by_format[k]))
        return f"{syntax}-{kinds}"


@dataclass(slots=True)
class RunReport:
    run_id: str
    started_at: str
    finished_at: str = ""
    duration_s: float = 0.0
    records_read: int = 0
    loaded: int = 0
    duplicates: int = 0
    quarantined: int = 0
    by_reason: Counter[str] = field(default_factory=Counter)
    by_flag: Counter[str] = field(default_factory=Counter)
    files: list[FileReport] = field(default_factory=list)
    snapshot: str | None = None
    snapshot_changed: bool = False
    contracts_total: int | None = None
    workers: int = 0
    timings: dict[str, float] = field(default_factory=dict)  # seconds per step

    @property
    def unreadable_files(self) -> list[FileReport]:
        return [f for f in self.files if f.status in ("unreadable", "partial")]

    @property
    def records_per_second(self) -> float:
        return self.records_read / self.duration_s if self.duration_s > 0 else 0.0

    def conserved(self) -> bool:
        files_ok = all(f.records_read == f.loaded + f.duplicates + f.quarantined for f in self.files)
        return files_ok and self.records_read == self.loaded + self.duplicates + self.quarantined

    def to_json(self) -> dict[str, Any]:
        data = {name: getattr(self, name) for name in self.__dataclass_fields__}
        data["by_reason"] = dict(self.by_reason.most_common())
        data["by_flag"] = dict(self.by_flag.most_common())
        data["files"] = [f.to_json() for f in self.files]
        data["records_per_second"] = round(self.records_per_second, 1)
        data["unreadable_files"] = len(self.unreadable_files)
        data["conserved"] = self.conserved()
        return data
