"""`spaser fetch decp` against a real local HTTP server serving the shared real DECP files (never the internet).

The server supports Range/If-Range like data.gouv.fr's static host, and can be told to cut a response halfway
once, to ignore Range (answer 200), to answer an error status once, or to serve another file than the one asked.
"""

from __future__ import annotations

import gzip
import hashlib
import json
import shutil
import socket
import threading
from collections.abc import Iterator
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

from spaser.cli import app
from spaser.config import Settings
from spaser.decp.fetch import STATE_DIR, DownloadError, Options, fetch, head, plan
from spaser.decp.fetch_sources import load_sources, select
from spaser.errors import NotFoundError
from spaser.warehouse import snapshot
from tests.conftest import REAL, needs_shared, sha256_of

pytestmark = needs_shared

CROIX = REAL / "v2019" / "marches-securises_ville-de-croix_2019-2021.json"  # 159 records, 152 KB
MEGALIS = REAL / "v2024" / "megalis-bretagne_decp-59920013600241-2024-07-09-01.json"  # 5 records
HYBRID = REAL / "v2024" / "decp-rama_test_tri_hybrid-2019-2024.xml"  # 1 record
SEMI_2022 = REAL / "fixtures_semi_synthetic" / "decp-processing_decp_test_2022.json"  # 5 records
FAST = Options(attempts=3, timeout_s=10.0, backoff_s=0.0)
runner = CliRunner()


@dataclass(frozen=True)
class Seen:
    method: str
    path: str
    headers: dict[str, str]


class FileServer(ThreadingHTTPServer):
    daemon_threads = True

    def __init__(self) -> None:
        super().__init__(("127.0.0.1", 0), _Handler)
        self.routes: dict[str, Path] = {}
        self.swap: dict[str, Path] = {}  # route → file served instead (a wrong file)
        self.cut_once: set[str] = set()  # routes whose next GET stops halfway
        self.fail_once: dict[str, int] = {}  # route → status answered to its next GET
        self.ignore_range = False
        self.requests: list[Seen] = []

    def url(self, route: str) -> str:
        return f"http://127.0.0.1:{self.server_port}{route}"

    def gets(self, route: str) -> list[Seen]:
        return [r for r in self.requests if r.method == "GET" and r.path == route]

    def handle_error(self, request: Any, client_address: Any) -> None:
        """A client that stops reading is expected here; no traceback on the test output."""


class _Handler(BaseHTTPRequestHandler):
    server: FileServer

    def do_HEAD(self) -> None:
        self._serve(body=False)

    def do_GET(self) -> None:
        self._serve(body=True)

    def log_message(self, format: str, *args: Any) -> None:
        pass

    def _serve(self, body: bool) -> None:
        server = self.server
        server.requests.append(Seen(self.command, self.path, dict(self.headers)))
        route = server.routes.get(self.path)
        if route is None:
            self.send_error(404)
            return
        if body and self.path in server.fail_once:
            self.send_error(server.fail_once.pop(self.path))
            return
        data = server.swap.get(self.path, route).read_bytes()
        etag = '"' + hashlib.sha256(data).hexdigest()[:16] + '"'
        wanted, if_range = self.headers.get("Range"), self.headers.get("If-Range")
        start, status = 0, 200
        if wanted and not server.ignore_range and if_range in (None, etag):
            start, status = int(wanted.removeprefix("bytes=").rstrip("-")), 206
            if start >= len(data):
                self.send_response(416)
                self.send_header("Content-Range", f"bytes */{len(data)}")
                self.send_header("Content-Length", "0")
                self.end_headers()
                return
        payload = data[start:]
        self.send_response(status)
        self.send_header("Content-Length", str(len(payload)))
        self.send_header("ETag", etag)
        self.send_header("Last-Modified", "Sun, 22 Nov 2026 06:19:00 GMT")
        self.send_header("Accept-Ranges", "bytes")
        if status == 206:
            self.send_header("Content-Range", f"bytes {start}-{len(data) - 1}/{len(data)}")
        self.end_headers()
        if not body:
            return
        if self.path in server.cut_once:
            server.cut_once.discard(self.path)
            self.wfile.write(payload[: len(payload) // 2])
            self.connection.shutdown(socket.SHUT_RDWR)
            self.close_connection = True
            return
        self.wfile.write(payload)


@pytest.fixture
def server(tmp_path: Path) -> Iterator[FileServer]:
    served = FileServer()
    semi_gz = tmp_path / "served" / "semi-2022.json.gz"
    semi_gz.parent.mkdir()
    semi_gz.write_bytes(gzip.compress(SEMI_2022.read_bytes(), mtime=0))
    served.routes.update({"/croix.json": CROIX, "/megalis.json": MEGALIS, "/hybrid.xml": HYBRID,
                          "/semi.json.gz": semi_gz})
    thread = threading.Thread(target=served.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)
    thread.start()
    try:
        yield served
    finally:
        served.shutdown()
        served.server_close()
        thread.join()


def write_sources(tmp_path: Path, server: FileServer, names: tuple[str, ...] = ("croix", "megalis", "hybrid", "semi"),
                  **changes: dict[str, Any]) -> Path:
    """A source file pointing to the local server; croix carries its sha256, the others rely on the ETag."""
    entries: dict[str, dict[str, Any]] = {
        "croix": {"url": server.url("/croix.json"), "format": "json", "years": [2019, 2021],
                  "sha256": sha256_of(CROIX), "size": CROIX.stat().st_size},
        "megalis": {"url": server.url("/megalis.json"), "format": "json", "year": 2024},
        "hybrid": {"url": server.url("/hybrid.xml"), "format": "xml", "year": 2024},
        "semi": {"url": server.url("/semi.json.gz"), "format": "json", "compression": "gz", "years": [2022, 2023],
                 "default": False},
    }
    lines = ['version = "test"', 'updated = "2026-11-22"']
    for name in names:
        entry = {"name": name, "description": f"{name} (test)", **entries[name], **changes.get(name, {})}
        lines += ["", "[[resource]]", *(f"{key} = {json.dumps(value)}" for key, value in entry.items())]
    path = tmp_path / "sources.toml"
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


def cli(settings: Settings, *args: str) -> tuple[int, str]:
    result = runner.invoke(app, ["--data-dir", str(settings.data_dir), *args])
    return result.exit_code, result.output


def query(settings: Settings, sql: str) -> list[tuple[Any, ...]]:
    con = snapshot.open_current(settings.warehouse_dir)
    try:
        return con.execute(sql).fetchall()
    finally:
        con.close()


class Notes:
    """A download progress that keeps the messages (retries, restarts)."""

    def __init__(self) -> None:
        self.messages: list[str] = []
        self.starts: list[tuple[str, int | None, int]] = []

    def start(self, name: str, total: int | None, done: int) -> None:
        self.starts.append((name, total, done))

    def advance(self, size: int) -> None:
        pass

    def note(self, message: str) -> None:
        self.messages.append(message)


def downloads(settings: Settings) -> Path:
    return settings.data_dir / "downloads"


def test_fetch_downloads_then_ingests_every_resource_under_its_name(tmp_path: Path, server: FileServer,
                                                                      settings: Settings) -> None:
    sources = write_sources(tmp_path, server)
    code, output = cli(settings, "fetch", "decp", "--sources", str(sources), "--only", "croix", "--only", "megalis",
                       "--only", "hybrid", "--only", "semi")
    assert code == 0, output
    assert "Traceback" not in output and "Ingestion" in output
    folder = downloads(settings)
    assert sorted(p.name for p in folder.iterdir()) == [STATE_DIR, "croix.json", "hybrid.xml", "megalis.json",
                                                         "semi.json.gz"]
    assert (folder / "croix.json").read_bytes() == CROIX.read_bytes()
    assert (folder / "megalis.json").read_bytes() == MEGALIS.read_bytes()
    assert gzip.decompress((folder / "semi.json.gz").read_bytes()) == SEMI_2022.read_bytes()
    assert sorted(p.name for p in (folder / STATE_DIR).iterdir()) == [
        "croix.json.json", "hybrid.xml.json", "megalis.json.json", "semi.json.gz.json"]  # no .part left
    sidecar = json.loads((folder / STATE_DIR / "megalis.json.json").read_text(encoding="utf-8"))
    assert sidecar["etag"] and sidecar["last_modified"] and sidecar["size"] == MEGALIS.stat().st_size
    assert sidecar["sha256"] == sha256_of(MEGALIS) and sidecar["url"] == server.url("/megalis.json")
    read = dict(query(settings, "SELECT source_name, count(*) FROM (SELECT source_name FROM records UNION ALL "
                                "SELECT source_name FROM quarantine) GROUP BY 1"))
    assert read == {"croix": 159, "megalis": 5, "hybrid": 1, "semi": 5}
    runs = query(settings, "SELECT count(*) FROM ingestion_runs")
    assert runs == [(1,)]  # one ingestion for all the fetched files


def test_a_cut_download_resumes_with_a_range_request(tmp_path: Path, server: FileServer, settings: Settings) -> None:
    server.cut_once.add("/croix.json")
    resources = load_sources(write_sources(tmp_path, server, ("croix",))).resources
    notes = Notes()
    report = fetch(resources, downloads(settings), notes, FAST)
    (result,) = report.results
    assert result.status == "resumed", result.error
    first, second = server.gets("/croix.json")
    assert "Range" not in first.headers
    offset = int(second.headers["Range"].removeprefix("bytes=").rstrip("-"))
    assert 0 < offset < CROIX.stat().st_size
    assert second.headers["If-Range"].startswith('"')  # guarded: a changed file would come whole
    assert result.path.read_bytes() == CROIX.read_bytes()
    assert result.sha256 == sha256_of(CROIX)
    assert any("connection closed after" in m and "attempt 2 of 3" in m for m in notes.messages), notes.messages
    assert not list((downloads(settings) / STATE_DIR).glob("*.part*"))


def test_an_interrupted_run_is_resumed_by_the_next_one(tmp_path: Path, server: FileServer,
                                                       settings: Settings) -> None:
    server.cut_once.add("/croix.json")
    sources = str(write_sources(tmp_path, server, ("croix",)))
    code, output = cli(settings, "fetch", "decp", "--sources", sources, "--attempts", "1", "-q")
    assert code == 1
    assert "croix: cannot download" in output and "the next run resumes them" in output
    part = downloads(settings) / STATE_DIR / "croix.json.part"
    kept = part.stat().st_size
    assert 0 < kept < CROIX.stat().st_size
    code, output = cli(settings, "fetch", "decp", "--sources", sources, "--attempts", "1")
    assert code == 0, output
    assert server.gets("/croix.json")[-1].headers["Range"] == f"bytes={kept}-"
    assert (downloads(settings) / "croix.json").read_bytes() == CROIX.read_bytes()
    assert "resumed" in output and not part.exists()


def _partial(settings: Settings, server: FileServer, data: bytes, route: str = "/croix.json") -> None:
    """A ``.part`` file as a previous run would have left it."""
    state = downloads(settings) / STATE_DIR
    state.mkdir(parents=True)
    name = route.strip("/")
    (state / f"{name}.part").write_bytes(data)
    etag = head(server.url(route), 5).etag
    (state / f"{name}.part.json").write_text(json.dumps({"url": server.url(route), "etag": etag}), encoding="utf-8")


def test_a_server_ignoring_range_restarts_the_download_cleanly(tmp_path: Path, server: FileServer,
                                                                settings: Settings) -> None:
    _partial(settings, server, CROIX.read_bytes()[:5000])
    server.ignore_range = True
    notes = Notes()
    report = fetch(load_sources(write_sources(tmp_path, server, ("croix",))).resources, downloads(settings), notes,
                   FAST)
    (result,) = report.results
    assert result.status == "downloaded", result.error
    assert server.gets("/croix.json")[-1].headers["Range"] == "bytes=5000-"
    assert result.path.read_bytes() == CROIX.read_bytes()
    assert any("sent the whole file instead of the rest" in m for m in notes.messages), notes.messages


@pytest.mark.parametrize(("extra", "status"), [(0, "resumed"), (100, "downloaded")])
def test_range_not_satisfiable(tmp_path: Path, server: FileServer, settings: Settings, extra: int,
                               status: str) -> None:
    """416: a ``.part`` that already holds the whole file is finished; one longer than the file is discarded."""
    _partial(settings, server, CROIX.read_bytes() + b"x" * extra)
    report = fetch(load_sources(write_sources(tmp_path, server, ("croix",))).resources, downloads(settings),
                   options=FAST)
    (result,) = report.results
    assert result.status == status, result.error
    assert result.path.read_bytes() == CROIX.read_bytes()
    assert result.transferred == (0 if extra == 0 else CROIX.stat().st_size)


def test_a_checksum_mismatch_deletes_the_file_and_the_others_are_still_fetched(tmp_path: Path, server: FileServer,
                                                                               settings: Settings) -> None:
    server.swap["/croix.json"] = MEGALIS
    sources = write_sources(tmp_path, server, ("croix", "megalis"), croix={"size": MEGALIS.stat().st_size})
    code, output = cli(settings, "fetch", "decp", "--sources", str(sources), "-q")
    assert code == 1
    assert (f"croix: sha256 mismatch for {server.url('/croix.json')}: expected {sha256_of(CROIX)}, "
            f"got {sha256_of(MEGALIS)}; the downloaded file was deleted") in output
    assert "Traceback" not in output
    folder = downloads(settings)
    assert not (folder / "croix.json").exists() and not list((folder / STATE_DIR).glob("croix*"))
    assert (folder / "megalis.json").read_bytes() == MEGALIS.read_bytes()
    assert query(settings, "SELECT DISTINCT source_name FROM records") == [("megalis",)]


def test_a_size_mismatch_is_an_error_too(tmp_path: Path, server: FileServer, settings: Settings) -> None:
    sources = write_sources(tmp_path, server, ("croix",), croix={"size": 10})
    (result,) = fetch(load_sources(sources).resources, downloads(settings), options=FAST).results
    assert result.status == "failed"
    assert result.error == (f"croix: size mismatch for {server.url('/croix.json')}: expected 10 bytes, got "
                            f"{CROIX.stat().st_size}; the downloaded file was deleted")


def test_a_current_copy_is_not_downloaded_again(tmp_path: Path, server: FileServer, settings: Settings) -> None:
    served = tmp_path / "megalis-served.json"
    shutil.copyfile(MEGALIS, served)
    server.routes["/megalis.json"] = served
    resources = load_sources(write_sources(tmp_path, server, ("croix", "megalis"))).resources
    first = fetch(resources, downloads(settings), options=FAST)
    assert [r.status for r in first.results] == ["downloaded", "downloaded"]
    server.requests.clear()
    second = fetch(resources, downloads(settings), options=FAST)
    assert [r.status for r in second.results] == ["up_to_date", "up_to_date"]
    assert [r.sha256 for r in second.results] == [sha256_of(CROIX), sha256_of(MEGALIS)]
    assert [(r.method, r.path) for r in server.requests] == [("HEAD", "/megalis.json")]  # croix: its sha256 suffices
    # The publisher rewrites megalis (new ETag); a local croix damaged by hand no longer has the expected sha256.
    served.write_bytes(MEGALIS.read_bytes().replace(b"2024", b"2025", 1))
    (downloads(settings) / "croix.json").write_bytes(b"damaged")
    third = fetch(resources, downloads(settings), options=FAST)
    assert [r.status for r in third.results] == ["downloaded", "downloaded"]
    assert (downloads(settings) / "megalis.json").read_bytes() == served.read_bytes()
    assert (downloads(settings) / "croix.json").read_bytes() == CROIX.read_bytes()


def test_selection_dry_run_and_no_ingest(tmp_path: Path, server: FileServer, settings: Settings) -> None:
    sources = str(write_sources(tmp_path, server))
    code, output = cli(settings, "fetch", "decp", "--sources", sources, "--since", "2024", "--dry-run")
    assert code == 0, output
    assert "megalis" in output and "hybrid" in output and "croix" not in output and "semi" not in output
    assert f"{MEGALIS.stat().st_size / 1000:.1f} KB" in output and "download" in output
    assert not any(r.method == "GET" for r in server.requests)  # sizes come from HEAD requests
    assert not downloads(settings).exists() or not any(downloads(settings).iterdir())

    code, output = cli(settings, "fetch", "decp", "--sources", sources, "--only", "croix", "--no-ingest", "-q")
    assert code == 0, output
    assert [p.name for p in downloads(settings).iterdir() if p.is_file()] == ["croix.json"]
    with pytest.raises(NotFoundError):
        snapshot.open_current(settings.warehouse_dir)
    items = plan(select(load_sources(Path(sources)).resources, only=["croix"]), downloads(settings), FAST)
    assert [(i.action, i.size) for i in items] == [("up to date", CROIX.stat().st_size)]

    code, output = cli(settings, "fetch", "decp", "--sources", sources, "--only", "nope")
    assert code == 1 and "unknown resource(s) nope; the source file lists croix, megalis, hybrid, semi" in output
    code, output = cli(settings, "fetch", "decp", "--sources", sources, "--since", "2030")
    assert code == 1 and "matches --since 2030" in output


def test_an_unreachable_server_is_a_clear_error(tmp_path: Path, settings: Settings) -> None:
    with socket.socket() as probe:  # a port nobody listens on
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    sources = tmp_path / "sources.toml"
    sources.write_text(f'version = "t"\nupdated = "t"\n[[resource]]\nname = "gone"\nurl = "http://127.0.0.1:{port}/x"'
                       '\nformat = "json"\nyear = 2024\ndescription = "unreachable"\n', encoding="utf-8")
    code, output = cli(settings, "fetch", "decp", "--sources", str(sources), "--attempts", "1")
    assert code == 1
    assert f"error: gone: cannot download http://127.0.0.1:{port}/x after 1 attempt(s): connection refused" in output
    assert "Traceback" not in output
    delays: list[float] = []
    report = fetch(load_sources(sources).resources, downloads(settings),
                   options=Options(attempts=3, timeout_s=5.0, backoff_s=0.5, sleep=delays.append))
    assert delays == [0.5, 1.0] and "after 3 attempt(s)" in str(report.results[0].error)


def test_http_errors_retried_only_when_transient(tmp_path: Path, server: FileServer, settings: Settings) -> None:
    server.fail_once["/megalis.json"] = 503
    sources = write_sources(tmp_path, server, ("megalis",), megalis={"url": server.url("/megalis.json")})
    (result,) = fetch(load_sources(sources).resources, downloads(settings), options=FAST).results
    assert result.status == "downloaded" and len(server.gets("/megalis.json")) == 2
    missing = write_sources(tmp_path, server, ("megalis",), megalis={"url": server.url("/absent.json")})
    (result,) = fetch(load_sources(missing).resources, downloads(settings), options=FAST).results
    assert result.status == "failed" and len(server.gets("/absent.json")) == 1
    assert result.error == f"megalis: HTTP 404 Not Found for {server.url('/absent.json')}"
    with pytest.raises(DownloadError, match="HTTP 404"):
        head(server.url("/absent.json"), 5)
