"""The ingestion benchmark (bench/ingest.py) end to end on a tiny generated file: every conservation check
passes and the results block is appended where asked (the timings and their targets are not tested)."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parents[3]
BENCH = REPO / "bench" / "ingest.py"

CONSERVATION = (
    "records_read == loaded + duplicates + quarantined",
    "records_read == records in the file",
    "duplicates ≈ injected",
    "quarantined == unidentifiable + non-object",
    "loaded == unique identifiable contracts",
)


def test_tiny_run_conserves_records_and_appends_its_block(tmp_path: Path) -> None:
    results = tmp_path / "RESULTS.md"
    results.write_text("# Ingestion benchmark results\n\n## An earlier block edited by hand\n", encoding="utf-8")
    out_dir = tmp_path / "out"
    done = subprocess.run([sys.executable, str(BENCH), "--records", "3000", "--write-results", "--results-file",
                           str(results), "--out-dir", str(out_dir)],
                          capture_output=True, text=True, check=False, cwd=tmp_path)
    assert done.returncode == 0, done.stdout + done.stderr

    figures = json.loads(next(out_dir.glob("ingest_3000_*.json")).read_text(encoding="utf-8"))
    verdicts = {name.split(" (±")[0]: verdict for name, _observed, verdict in figures["checks"]}
    for check in CONSERVATION:
        assert verdicts[check] == "PASS", (check, figures["checks"])
    report = figures["spaser_report"]
    truth = figures["truth"]
    assert report["records_read"] == 3000
    assert report["duplicates"] == truth["duplicates"]
    assert report["quarantined"] == truth["unidentifiable"] + truth["non_object"]
    labels = [step["label"] for step in figures["steps"]]
    assert "baseline 1: json.load" in labels and "spaser ingest" in labels

    text = results.read_text(encoding="utf-8")
    assert "## An earlier block edited by hand\n\n## Ingestion benchmark — " in text  # a blank line between
    assert text.endswith("\n") and not text.endswith("\n\n")
    assert "| spaser ingest |" in text
    # without --keep, the generated file and spaser's data folders are removed; the figures stay
    assert sorted(p.name for p in out_dir.iterdir()) == [p.name for p in out_dir.glob("ingest_3000_*.json")]
