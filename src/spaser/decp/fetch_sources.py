"""The versioned source file of ``spaser fetch decp``: which national DECP resources exist, and which to fetch.

Why a source file: data.gouv.fr publishes the consolidated DECP as a few resources behind stable links; keeping
them in a reviewed TOML file makes a fetch reproducible and lets a user point to a mirror (``--sources``).
"""

from __future__ import annotations

import datetime as dt
import re
import tomllib
import urllib.parse
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, NoReturn

from spaser.errors import InputError

SOURCES_FILE = Path(__file__).with_name("sources_decp.toml")
FORMATS = ("json", "xml")
COMPRESSIONS = ("", "gz", "zip")
_REQUIRED = ("name", "url", "format", "description")
_KNOWN = frozenset({*_REQUIRED, "year", "years", "compression", "sha256", "size", "verified", "default"})
_NAME = re.compile(r"[A-Za-z0-9][A-Za-z0-9._-]*\Z")
_SHA256 = re.compile(r"[0-9a-f]{64}\Z")


@dataclass(frozen=True, slots=True)
class Resource:
    """One downloadable file of the source file."""

    name: str
    url: str
    format: str  # "json" | "xml"
    first_year: int
    last_year: int
    description: str
    compression: str = ""  # "" | "gz" | "zip"
    sha256: str | None = None
    size: int | None = None
    verified: bool = True
    default: bool = True

    @property
    def filename(self) -> str:
        return f"{self.name}.{self.format}" + (f".{self.compression}" if self.compression else "")

    @property
    def years(self) -> str:
        return str(self.first_year) if self.first_year == self.last_year else f"{self.first_year}-{self.last_year}"


@dataclass(frozen=True, slots=True)
class SourceFile:
    path: Path
    version: str
    updated: str
    resources: tuple[Resource, ...]


def load_sources(path: Path | None = None) -> SourceFile:
    """Read and check a source file (the packaged one by default); each problem names the file and the entry."""
    path = path or SOURCES_FILE
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except OSError as exc:
        raise InputError(f"{path}: cannot read the source file: {exc.strerror or exc}") from None
    except (tomllib.TOMLDecodeError, UnicodeDecodeError) as exc:
        raise InputError(f"{path}: not a valid TOML source file: {exc}") from None
    header: dict[str, str] = {}
    for key in ("version", "updated"):
        value = data.get(key)
        if not isinstance(value, str | dt.date) or not str(value).strip():
            raise InputError(f"{path}: the top-level key {key!r} is missing (a string)")
        header[key] = str(value)
    entries = data.get("resource")
    if not isinstance(entries, list) or not entries:
        raise InputError(f"{path}: no [[resource]] entry")
    resources: list[Resource] = []
    for number, entry in enumerate(entries, 1):
        resource = _resource(path, number, entry)
        if any(r.name == resource.name for r in resources):
            raise InputError(f"{path}: resource #{number}: the name {resource.name!r} is used twice")
        resources.append(resource)
    return SourceFile(path, header["version"], header["updated"], tuple(resources))


def _resource(path: Path, number: int, entry: object) -> Resource:
    where = f"{path}: resource #{number}"

    def fail(message: str) -> NoReturn:
        raise InputError(f"{where}: {message}")

    if not isinstance(entry, dict):
        fail("not a table")
    if isinstance(entry.get("name"), str):
        where += f" ({entry['name']})"
    unknown = sorted(set(entry) - _KNOWN)
    if unknown:
        fail(f"unknown key(s) {', '.join(unknown)} (known: {', '.join(sorted(_KNOWN))})")
    for key in _REQUIRED:
        if not isinstance(entry.get(key), str) or not entry[key].strip():
            fail(f"the key {key!r} is missing or empty")
    name, url = entry["name"], entry["url"]
    if not _NAME.match(name):
        fail(f"the name {name!r} must be letters, digits, '.', '_' or '-' (it names the downloaded file)")
    parts = urllib.parse.urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.netloc:
        fail(f"the url {url!r} is not an http(s) URL")
    file_format = entry["format"].lower()
    if file_format not in FORMATS:
        fail(f"the format {entry['format']!r} is not one of {', '.join(FORMATS)}")
    compression = entry.get("compression", "")
    if compression not in COMPRESSIONS:
        fail(f"the compression {compression!r} is not one of gz, zip (or absent)")
    first, last = _years(entry, fail)
    sha256 = entry.get("sha256")
    if sha256 is not None and (not isinstance(sha256, str) or not _SHA256.match(sha256.lower())):
        fail(f"the sha256 {sha256!r} is not 64 hexadecimal digits")
    size = entry.get("size")
    if size is not None and (not isinstance(size, int) or isinstance(size, bool) or size < 0):
        fail(f"the size {size!r} is not a number of bytes")
    flags = {key: entry.get(key, True) for key in ("verified", "default")}
    for key, value in flags.items():
        if not isinstance(value, bool):
            fail(f"{key} must be true or false, not {value!r}")
    return Resource(name, url, file_format, first, last, entry["description"].strip(), compression,
                    sha256.lower() if sha256 else None, size, flags["verified"], flags["default"])


def _years(entry: dict[str, Any], fail: Callable[[str], NoReturn]) -> tuple[int, int]:
    if ("year" in entry) == ("years" in entry):
        fail("give either year = YYYY or years = [FIRST, LAST]")
    raw = [entry["year"]] if "year" in entry else entry["years"]
    if (not isinstance(raw, list) or not 1 <= len(raw) <= 2
            or not all(isinstance(y, int) and not isinstance(y, bool) and 1990 <= y <= 2100 for y in raw)):
        fail(f"the year(s) {raw!r} must be a year or [first, last] between 1990 and 2100")
    first, last = raw[0], raw[-1]
    if first > last:
        fail(f"the years {raw!r} are in the wrong order")
    return first, last


def select(resources: Sequence[Resource], since: int | None = None, only: Sequence[str] = ()) -> list[Resource]:
    """The resources to fetch: those named in ``only`` (even non-default ones), else the default ones; then
    those covering ``since`` or a later year."""
    if only:
        known = {r.name for r in resources}
        missing = [name for name in only if name not in known]
        if missing:
            raise InputError(f"unknown resource(s) {', '.join(missing)}; the source file lists "
                             f"{', '.join(r.name for r in resources)}")
        chosen = [r for r in resources if r.name in set(only)]
    else:
        chosen = [r for r in resources if r.default]
    if since is not None:
        chosen = [r for r in chosen if r.last_year >= since]
    return chosen
