"""Download the national DECP resources of the source file (``spaser fetch decp``; see fetch_sources.py).

A download goes to ``<downloads>/.fetch/<file>.part``, resumes with an HTTP ``Range`` (guarded by ``If-Range``)
after a cut, is checked against the sha256 (and size) of the source file when it gives them, then renamed
atomically to ``<downloads>/<file>``. A JSON sidecar (``.fetch/<file>.json``) keeps the server's ETag and
Last-Modified and the file's size and sha256, so a current copy is not downloaded again. The state lives in a
hidden folder so that ``spaser ingest <downloads>`` never reads it. Standard library only; nothing is
downloaded unless a user asks for it.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import http.client
import json
import os
import re
import time
import urllib.error
import urllib.request
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Protocol

from spaser import __version__
from spaser.decp.fetch_sources import Resource
from spaser.decp.sources import sha256_of_file
from spaser.errors import SpaserError

STATE_DIR = ".fetch"
CHUNK = 1 << 20
USER_AGENT = f"spaser/{__version__} (+DECP fetch)"
#: HTTP statuses worth retrying: the server is busy or briefly broken.
RETRY_STATUSES = frozenset({408, 425, 429, 500, 502, 503, 504})
_CONTENT_RANGE = re.compile(r"bytes\s+(?:(\d+)-(\d+)|\*)/(\d+|\*)", re.IGNORECASE)


class DownloadError(SpaserError):
    """A resource could not be downloaded or failed its check; names the resource and the URL."""

    http_status = 502


class DownloadProgress(Protocol):
    def start(self, name: str, total: int | None, done: int) -> None: ...
    def advance(self, size: int) -> None: ...
    def note(self, message: str) -> None: ...


class _NoProgress:
    def start(self, name: str, total: int | None, done: int) -> None: ...
    def advance(self, size: int) -> None: ...
    def note(self, message: str) -> None: ...


@dataclass(slots=True)
class FetchResult:
    resource: Resource
    path: Path
    status: str = "pending"  # "downloaded" | "resumed" | "up_to_date" | "failed"
    size: int = 0
    sha256: str = ""
    transferred: int = 0  # bytes received over the network in this run
    error: str | None = None
    etag: str | None = None
    last_modified: str | None = None


@dataclass(slots=True)
class FetchReport:
    downloads_dir: Path
    results: list[FetchResult] = field(default_factory=list)

    @property
    def failed(self) -> list[FetchResult]:
        return [r for r in self.results if r.status == "failed"]

    @property
    def fetched(self) -> list[FetchResult]:
        """The resources whose file is complete and checked (downloaded now or already there)."""
        return [r for r in self.results if r.status != "failed"]


@dataclass(frozen=True, slots=True)
class Options:
    attempts: int = 4
    timeout_s: float = 60.0
    backoff_s: float = 2.0
    sleep: Callable[[float], None] = time.sleep


@dataclass(frozen=True, slots=True)
class _Paths:
    final: Path
    part: Path
    part_state: Path
    meta: Path

    @classmethod
    def of(cls, downloads_dir: Path, resource: Resource) -> _Paths:
        state = downloads_dir / STATE_DIR
        return cls(downloads_dir / resource.filename, state / f"{resource.filename}.part",
                   state / f"{resource.filename}.part.json", state / f"{resource.filename}.json")

    def part_size(self) -> int:
        return self.part.stat().st_size if self.part.is_file() else 0

    def discard_part(self) -> None:
        self.part.unlink(missing_ok=True)
        self.part_state.unlink(missing_ok=True)


@dataclass(frozen=True, slots=True)
class Remote:
    """What a HEAD request says about a resource."""

    size: int | None
    etag: str | None
    last_modified: str | None


class _Transient(Exception):
    """A network failure worth retrying; the ``.part`` file is kept for resuming."""


class _Restart(Exception):
    """The ``.part`` file cannot be resumed: start again from byte 0."""


def fetch(resources: Sequence[Resource], downloads_dir: Path, progress: DownloadProgress | None = None,
          options: Options | None = None) -> FetchReport:
    """Download each resource; a failure is recorded on its result, so one bad resource never stops the others."""
    progress = progress or _NoProgress()
    options = options or Options()
    (downloads_dir / STATE_DIR).mkdir(parents=True, exist_ok=True)
    report = FetchReport(downloads_dir)
    for resource in resources:
        paths = _Paths.of(downloads_dir, resource)
        result = FetchResult(resource, paths.final)
        try:
            _fetch_one(resource, paths, result, progress, options)
        except DownloadError as exc:
            result.status, result.error = "failed", exc.message
        report.results.append(result)
    return report


@dataclass(frozen=True, slots=True)
class PlanItem:
    resource: Resource
    path: Path
    action: str  # "download" | "resume" | "up to date"
    local_bytes: int
    size: int | None  # the source file's size, else the server's Content-Length
    error: str | None = None


def plan(resources: Sequence[Resource], downloads_dir: Path, options: Options | None = None) -> list[PlanItem]:
    """What ``fetch`` would do, with sizes (one HEAD request per resource; nothing is downloaded)."""
    options = options or Options()
    items = []
    for resource in resources:
        paths = _Paths.of(downloads_dir, resource)
        error = None
        try:
            remote: Remote | None = head(resource.url, options.timeout_s)
        except DownloadError as exc:
            remote, error = None, exc.message
        size = resource.size if resource.size is not None else (remote.size if remote else None)
        scratch = FetchResult(resource, paths.final)
        if _up_to_date(resource, paths, scratch, remote):
            items.append(PlanItem(resource, paths.final, "up to date", scratch.size, size, error))
        elif paths.part_size():
            items.append(PlanItem(resource, paths.final, "resume", paths.part_size(), size, error))
        else:
            items.append(PlanItem(resource, paths.final, "download", 0, size, error))
    return items


def head(url: str, timeout_s: float) -> Remote:
    """Size and validators of a URL (one attempt: a HEAD only decides whether to download)."""
    request = urllib.request.Request(url, method="HEAD", headers={"User-Agent": USER_AGENT,
                                                                  "Accept-Encoding": "identity"})
    try:
        with urllib.request.urlopen(request, timeout=timeout_s) as response:
            return Remote(_int(response.headers.get("Content-Length")), response.headers.get("ETag"),
                          response.headers.get("Last-Modified"))
    except urllib.error.HTTPError as exc:
        exc.close()
        raise DownloadError(f"HEAD {url}: HTTP {exc.code} {exc.reason}") from None
    except (urllib.error.URLError, OSError, http.client.HTTPException) as exc:
        raise DownloadError(f"HEAD {url}: {_describe(exc)}") from None


def _fetch_one(resource: Resource, paths: _Paths, result: FetchResult, progress: DownloadProgress,
               options: Options) -> None:
    remote = None
    if resource.sha256 is None and paths.final.is_file():
        try:
            remote = head(resource.url, options.timeout_s)
        except DownloadError as exc:
            progress.note(f"{resource.name}: cannot check the local copy ({exc.message}); downloading again")
    if _up_to_date(resource, paths, result, remote):
        result.status = "up_to_date"
        return
    attempt, restarts, delay = 1, 0, options.backoff_s
    while True:
        try:
            _download(resource, paths, result, progress, options)
            break
        except _Restart as exc:
            paths.discard_part()
            restarts += 1
            if restarts > 2:
                raise DownloadError(f"{resource.name}: {exc} ({resource.url})") from None
            progress.note(f"{resource.name}: {exc}; downloading from the start")
        except _Transient as exc:
            if attempt >= options.attempts:
                kept = paths.part_size()
                raise DownloadError(
                    f"{resource.name}: cannot download {resource.url} after {attempt} attempt(s): {exc}"
                    + (f"; {kept} bytes kept in {paths.part}, the next run resumes them" if kept else "")) from None
            progress.note(f"{resource.name}: {exc}; attempt {attempt + 1} of {options.attempts} in {delay:g} s")
            options.sleep(delay)
            attempt, delay = attempt + 1, delay * 2
    _publish(resource, paths, result)


def _up_to_date(resource: Resource, paths: _Paths, result: FetchResult, remote: Remote | None) -> bool:
    """Whether the final file is current: its sha256 is the expected one, or, without one, the server still
    announces the same ETag (else the same size and Last-Modified) as when it was downloaded."""
    if not paths.final.is_file():
        return False
    meta = _read_json(paths.meta)
    stat = paths.final.stat()
    recorded = meta.get("size") == stat.st_size and meta.get("mtime_ns") == stat.st_mtime_ns
    if resource.sha256 is not None:
        digest = meta.get("sha256") if recorded else sha256_of_file(paths.final)
        current = digest == resource.sha256
    elif not recorded or meta.get("url") != resource.url or remote is None:
        current = False
    elif remote.etag and meta.get("etag"):
        current = remote.etag == meta["etag"]
    elif remote.size is not None:
        current = remote.size == stat.st_size and (
            not remote.last_modified or not meta.get("last_modified") or remote.last_modified == meta["last_modified"])
    else:
        current = False
    if current:
        result.size, result.sha256 = stat.st_size, str(meta.get("sha256") or "")
    return current


def _download(resource: Resource, paths: _Paths, result: FetchResult, progress: DownloadProgress,
              options: Options) -> None:
    """One attempt: resume the ``.part`` file when there is one, else download from byte 0."""
    offset = paths.part_size()
    state = _read_json(paths.part_state) if offset else {}
    if offset and state.get("url") != resource.url:
        raise _Restart("the partial file came from another URL")
    hasher = hashlib.sha256()
    headers = {"User-Agent": USER_AGENT, "Accept-Encoding": "identity"}
    if offset:
        _hash_into(paths.part, hasher)
        headers["Range"] = f"bytes={offset}-"
        # If-Range needs a strong validator: a changed resource then comes whole (200) instead of a wrong tail.
        etag = state.get("etag")
        validator = etag if isinstance(etag, str) and not etag.startswith("W/") else state.get("last_modified")
        if isinstance(validator, str):
            headers["If-Range"] = validator
    try:
        response = urllib.request.urlopen(urllib.request.Request(resource.url, headers=headers),
                                          timeout=options.timeout_s)
    except urllib.error.HTTPError as exc:
        exc.close()
        if exc.code == 416 and offset:
            total = _content_range(exc.headers.get("Content-Range"))[2]
            if total == offset:  # the partial file already holds the whole resource
                result.status, result.size, result.sha256 = "resumed", offset, hasher.hexdigest()
                return
            raise _Restart("the server cannot resume the partial file (HTTP 416)") from None
        if exc.code in RETRY_STATUSES:
            raise _Transient(f"HTTP {exc.code} {exc.reason}") from None
        raise DownloadError(f"{resource.name}: HTTP {exc.code} {exc.reason} for {resource.url}") from None
    except (urllib.error.URLError, OSError, http.client.HTTPException) as exc:
        raise _Transient(_describe(exc)) from None
    with response:
        resumed = bool(offset) and response.status == 206
        if resumed:
            start, _, total = _content_range(response.headers.get("Content-Range"))
            if start != offset:
                raise _Restart(f"the server resumed at byte {start}, not {offset}")
        else:
            if offset:
                progress.note(f"{resource.name}: the server sent the whole file instead of the rest "
                              f"(HTTP {response.status}); downloading from the start")
            offset, hasher = 0, hashlib.sha256()
            total = _int(response.headers.get("Content-Length"))
        result.etag, result.last_modified = response.headers.get("ETag"), response.headers.get("Last-Modified")
        _write_json(paths.part_state, {"url": resource.url, "etag": result.etag,
                                       "last_modified": result.last_modified, "total": total})
        progress.start(resource.name, total, offset)
        size = offset + _stream(response, paths.part, "ab" if resumed else "wb", hasher, progress, result)
    if total is not None and size < total:
        raise _Transient(f"the connection closed after {size} of {total} bytes")
    if total is not None and size > total:
        raise _Restart(f"the server sent {size} bytes, more than the {total} announced")
    result.status, result.size, result.sha256 = ("resumed" if resumed else "downloaded"), size, hasher.hexdigest()


def _stream(response: http.client.HTTPResponse, part: Path, mode: str, hasher: Any, progress: DownloadProgress,
            result: FetchResult) -> int:
    """Append the body to the ``.part`` file; a read failure is transient (what was written is kept)."""
    received = 0
    with part.open(mode) as handle:
        while True:
            try:
                chunk = response.read(CHUNK)
            except (OSError, http.client.HTTPException) as exc:
                raise _Transient(f"{_describe(exc)} after {received} bytes") from None
            if not chunk:
                return received
            handle.write(chunk)
            hasher.update(chunk)
            received += len(chunk)
            result.transferred += len(chunk)
            progress.advance(len(chunk))


def _publish(resource: Resource, paths: _Paths, result: FetchResult) -> None:
    """Check the complete ``.part`` file against the source file, then rename it atomically."""
    if resource.size is not None and result.size != resource.size:
        paths.discard_part()
        raise DownloadError(f"{resource.name}: size mismatch for {resource.url}: expected {resource.size} bytes, "
                            f"got {result.size}; the downloaded file was deleted")
    if resource.sha256 is not None and result.sha256 != resource.sha256:
        paths.discard_part()
        raise DownloadError(f"{resource.name}: sha256 mismatch for {resource.url}: expected {resource.sha256}, "
                            f"got {result.sha256}; the downloaded file was deleted")
    if result.etag is None and result.last_modified is None:  # finished by a 416: validators of the part
        state = _read_json(paths.part_state)
        result.etag, result.last_modified = state.get("etag"), state.get("last_modified")
    os.replace(paths.part, paths.final)
    stat = paths.final.stat()
    _write_json(paths.meta, {"name": resource.name, "url": resource.url, "etag": result.etag,
                             "last_modified": result.last_modified, "size": stat.st_size,
                             "mtime_ns": stat.st_mtime_ns, "sha256": result.sha256,
                             "downloaded_at": dt.datetime.now(dt.UTC).isoformat(timespec="seconds")})
    paths.part_state.unlink(missing_ok=True)


def _content_range(value: str | None) -> tuple[int | None, int | None, int | None]:
    """``bytes 10-99/100`` → (10, 99, 100); ``bytes */100`` → (None, None, 100); unknown parts are None."""
    match = _CONTENT_RANGE.fullmatch((value or "").strip())
    if not match:
        return None, None, None
    first, last, total = match.groups()
    return (_int(first), _int(last), _int(total))


def _int(value: str | None) -> int | None:
    try:
        return int(value) if value is not None else None
    except ValueError:
        return None


def _describe(exc: BaseException) -> str:
    """A short reason for a network error ("connection refused", "timed out"...)."""
    reason: object = exc.reason if isinstance(exc, urllib.error.URLError) else exc
    if isinstance(reason, TimeoutError):
        return "timed out"
    if isinstance(reason, OSError) and reason.strerror:
        return reason.strerror.lower()
    if isinstance(reason, http.client.IncompleteRead):
        return "the connection closed early"
    text = str(reason)
    return text or type(reason).__name__


def _hash_into(path: Path, hasher: Any) -> None:
    with path.open("rb") as handle:
        while chunk := handle.read(CHUNK):
            hasher.update(chunk)


def _read_json(path: Path) -> dict[str, Any]:
    try:
        value = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}
    return value if isinstance(value, dict) else {}


def _write_json(path: Path, value: dict[str, Any]) -> None:
    """Write a sidecar atomically (a crash never leaves half a JSON file)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(path.name + ".tmp")
    tmp.write_text(json.dumps(value, ensure_ascii=False, indent=2) + "\n", encoding="utf-8")
    os.replace(tmp, path)
