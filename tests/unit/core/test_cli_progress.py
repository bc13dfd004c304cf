"""The ingestion's console progress: one line per phase, kept with its duration, and the reading bar."""

from __future__ import annotations

import io

from rich.console import Console

from spaser.cli_common import RichProgress


def _console() -> tuple[Console, io.StringIO]:
    buffer = io.StringIO()
    return Console(file=buffer, width=140, force_terminal=False, color_system=None), buffer


def test_each_phase_keeps_its_line_and_the_reading_bar_its_figures() -> None:
    console, buffer = _console()
    progress = RichProgress(console)
    progress.step("checking 2 input(s) (SHA-256)")
    progress.start(2_000_000, 2)
    progress.file("/data/decp-2024.json")
    progress.advance(1_500_000, 1200)
    progress.file("/data/decp-2025.json")
    progress.advance(500_000, 300)
    progress.step("deduplicating")
    progress.step("indicators and search index")
    progress.stop()
    lines = [line.strip() for line in buffer.getvalue().splitlines() if line.strip()]
    assert [line.split(" ━")[0].strip() for line in lines] == [
        "checking 2 input(s) (SHA-256)", "read 2 file(s)", "deduplicating", "indicators and search index"]
    reading = lines[1]
    assert "2.0/2.0 MB" in reading and "1 500 records" in reading
    # a phase has no bytes, records or remaining time: only its bar and how long it took
    assert "records" not in lines[2] and "MB" not in lines[2] and lines[2].endswith("0:00:00")


def test_nothing_read_shows_only_the_check_and_stops_cleanly() -> None:
    console, buffer = _console()
    progress = RichProgress(console)
    progress.step("checking 1 input(s) (SHA-256)")
    progress.start(0, 0)
    progress.stop()
    progress.stop()  # a second stop (a failing run's finally after a normal end) is harmless
    lines = [line.strip() for line in buffer.getvalue().splitlines() if line.strip()]
    assert len(lines) == 1 and lines[0].startswith("checking 1 input(s) (SHA-256)")
