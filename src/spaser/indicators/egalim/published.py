"""The Egalim results the platform publishes: recomputed after every change to the store, read by pages and API.

Why a separate step: the full computation reads every purchase line (11.5 M lines for 115 restaurants over five
years take a few seconds), while a page needs one scope's figures in milliseconds. Every command that changes
the store (import, removal, matrices, registry) calls :func:`refresh`; readers call :func:`read`, which says
whether the stored results still match the store (``current``) and computes them once when there are none.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

from spaser.indicators.egalim.catalogue import GROUP_LABELS
from spaser.indicators.egalim.compute import compute_and_write
from spaser.indicators.egalim.results import EgalimResults, Part, Summary
from spaser.indicators.egalim.results_file import FILE_NAME, is_current, read_results
from spaser.indicators.egalim.store import EgalimStore


def results_dir(store: EgalimStore) -> Path:
    return store.root / "results"


def egalim_versions(store: EgalimStore) -> tuple[Path, ...]:
    """The files whose modification times change with anything pages show: the results, the imports folder (an
    import or a removal adds or deletes a manifest there) and the registry."""
    return (results_dir(store) / FILE_NAME, store.imports_dir, store.restaurants_path)


def refresh(store: EgalimStore, *, force: bool = False) -> bool:
    """Recompute and publish the results when the store changed since the last computation; True if it did."""
    with store.lock():  # the inputs are listed under the lock: no import can land between listing and computing
        files, registry = store.lines_files(), store.restaurants_file()
        if not force and is_current(results_dir(store), files, registry):
            return False
        compute_and_write(files, registry, results_dir(store))
    return True


@dataclass(frozen=True)
class Reading:
    """Stored results (filtered) and whether they match the store as it is now."""

    results: EgalimResults
    current: bool

    @property
    def tag(self) -> str:
        """What names this version of the figures in an ETag: the inputs they were computed from, and whether
        the store has changed since (the pages then say the results are being recomputed)."""
        return f"egalim-{self.results.fingerprint[:20]}" + ("" if self.current else "-stale")


def read(store: EgalimStore, *, scope: str | None = None, scope_id: str | None = None,
         year: int | None = None) -> Reading | None:
    """The published results for these filters; None when nothing was ever imported."""
    files = store.lines_files()  # one listing of the manifests per page, whatever the number of imports
    if not files:
        return None
    found = read_results(results_dir(store), scope=scope, scope_id=scope_id, year=year)
    if found is None:  # lines imported by a version that did not publish results: compute them once
        refresh(store, force=True)
        found = read_results(results_dir(store), scope=scope, scope_id=scope_id, year=year)
        if found is None:
            return None
    return Reading(found, is_current(results_dir(store), files, store.restaurants_file()))


def _part(part: Part) -> dict[str, Any]:
    return {"value": part.value, "of": part.of, "share": part.share, "rounded": part.rounded}


def summary_json(summary: Summary) -> dict[str, Any]:
    """One scope-year as the API and the pages' JSON twins give it: sums in euros HT, shares in percent."""
    return {
        "scope": summary.scope, "scope_id": summary.scope_id, "year": summary.year, "name": summary.name,
        "departement": summary.departement, "lines": summary.lines, "restaurants": summary.restaurants,
        "total_ht": summary.total,
        "egalim": _part(summary.egalim), "bio": _part(summary.bio), "meat_and_fish": _part(summary.meat_and_fish),
        "france": _part(summary.france), "local": _part(summary.local),
        "short_circuit": _part(summary.short_circuit),
        "by_group": {group: {"label": GROUP_LABELS[group], **_part(part)}
                     for group, part in summary.by_group.items()},
        "by_family": [{"family": f.family, "label": f.label, "lines": f.lines, "total_ht": f.total,
                       "egalim": _part(f.egalim), "bio": _part(f.bio)} for f in summary.families],
        "territory": {"name": summary.territory.name, "status": summary.territory.status,
                      "note": summary.territory.note, "state_restaurant": summary.state},
        "targets": [{"name": t.name, "label": t.label, "target": t.target, "value": t.value,
                     "rounded": t.part.rounded, "met": t.met, "gap": t.gap} for t in summary.targets],
        "all_met": summary.all_met,
    }
