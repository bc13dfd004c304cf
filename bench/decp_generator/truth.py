"""The truth sidecar: exact counts of what was injected, written next to the file as ``PATH.truth.json``.

The benchmark and the tests check ingestion against these counts (duplicates to merge, records to
quarantine, contracts to load), so every injection updates them where it happens and the expected
figures are derived here, in one place.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from .enumerations import DEFECT_KINDS, DUP_KINDS
from .settings import GENERATOR_VERSION, Json


@dataclass
class Truth:
    records: int = 0
    marches: int = 0
    concessions: int = 0
    duplicates: dict[str, int] = field(default_factory=lambda: dict.fromkeys([*DUP_KINDS, "total"], 0))
    defective: dict[str, int] = field(default_factory=lambda: dict.fromkeys([*DEFECT_KINDS, "total"], 0))
    unidentifiable: int = 0
    non_object: int = 0
    lot_groups: int = 0
    lot_records: int = 0
    with_modifications: int = 0
    with_actes_sous_traitance: int = 0

    def as_json(self, **extra: Any) -> Json:
        quarantined = self.unidentifiable + self.non_object
        return {
            "generator": "bench/generate_decp.py",
            "generator_version": GENERATOR_VERSION,
            **extra,
            "records": self.records,
            "marches": self.marches,
            "concessions": self.concessions,
            "duplicates": self.duplicates["total"],
            "duplicates_by_kind": {k: v for k, v in self.duplicates.items() if k != "total"},
            "unidentifiable": self.unidentifiable,
            "non_object": self.non_object,
            "lots_sharing_ids": {"groups": self.lot_groups, "records": self.lot_records},
            "defective": self.defective["total"],
            "defective_by_kind": {k: v for k, v in self.defective.items() if k != "total"},
            "with_modifications": self.with_modifications,
            "with_actes_sous_traitance": self.with_actes_sous_traitance,
            "expected": {
                "quarantined": quarantined,
                "duplicates": self.duplicates["total"],
                "loaded": self.records - self.duplicates["total"] - quarantined,
                "unique_contracts": self.records - self.duplicates["total"] - quarantined,
            },
        }


def truth_path(output: Path) -> Path:
    """Where the truth sidecar of ``output`` is written."""
    return output.with_name(output.name + ".truth.json")
