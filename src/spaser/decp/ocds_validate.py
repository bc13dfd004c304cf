"""Offline validation of an OCDS 1.1 release package against the official schemas, in bounded memory.

Why offline: ``release-package-schema.json`` points to the release schema by URL; a validator left alone
would download it. A ``referencing.Registry`` maps that URL to the local ``release-schema.json``, so nothing
goes to the network. Why streamed: a national package holds ~1.5 M releases (several GB): the package's
metadata is validated against the package schema (with an empty ``releases``), then each release, read one
at a time, against the release schema the package schema refers to — the same verdict as validating the
whole document at once, since the package schema says nothing else about ``releases``.

The schemas are third-party files, never shipped: the folder is ``--validate-with DIR`` or
``$SPASER_OCDS_SCHEMAS`` (tests use ``../shared/data/ocds``). Formats ``date-time`` and ``uri`` are checked
(jsonschema checks neither without optional packages).
"""

from __future__ import annotations

import datetime as dt
import json
import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO, Any
from urllib.parse import urlsplit

import jsonschema
import referencing
import referencing.jsonschema

from spaser.decp.export_decp_schemas import inline_refs, json_path
from spaser.errors import ConfigurationError

SCHEMAS_ENV = "SPASER_OCDS_SCHEMAS"
PACKAGE_SCHEMA = "release-package-schema.json"
RELEASE_SCHEMA = "release-schema.json"
CHUNK = 1 << 20
#: A value still undecodable in this many characters is invalid JSON (stops reading the rest of a broken file).
MAX_VALUE_CHARS = 64 << 20
_DATE_TIME = re.compile(r"^\d{4}-\d{2}-\d{2}[Tt]\d{2}:\d{2}:\d{2}(\.\d+)?([Zz]|[+-]\d{2}:\d{2})$")

def _is_date_time(value: object) -> bool:
    """RFC 3339 date-time (a time zone is required)."""
    if not isinstance(value, str):
        return True
    if not _DATE_TIME.match(value):
        return False
    dt.datetime.fromisoformat(value.replace("z", "Z").replace("t", "T"))  # rejects month 13, day 32…
    return True


def _is_uri(value: object) -> bool:
    if not isinstance(value, str):
        return True
    parts = urlsplit(value)
    return bool(parts.scheme) and bool(parts.netloc or parts.path) and " " not in value


def format_checker() -> Any:
    """jsonschema's format checker with ``date-time`` and ``uri`` added."""
    checker = jsonschema.FormatChecker()
    checker.checks("date-time", raises=ValueError)(_is_date_time)
    checker.checks("uri")(_is_uri)
    return checker


def check_schemas_dir(directory: Path) -> Path:
    """The folder, if it holds both schema files; else a ConfigurationError saying what is missing."""
    missing = [name for name in (PACKAGE_SCHEMA, RELEASE_SCHEMA) if not (directory / name).is_file()]
    if missing:
        raise ConfigurationError(
            f"{directory} lacks {', '.join(missing)}: pass the folder of the OCDS 1.1 schemas "
            f"({PACKAGE_SCHEMA} and {RELEASE_SCHEMA}, from github.com/open-contracting/standard, schema/) "
            f"with --validate-with DIR or ${SCHEMAS_ENV}.")
    return directory


def _load(path: Path) -> dict[str, Any]:
    schema: dict[str, Any] = json.loads(path.read_text(encoding="utf-8"))
    return schema


def release_registry(release_schema: dict[str, Any]) -> referencing.Registry[Any]:
    """A registry where the release schema's URL (its ``id``) resolves to the local file's contents."""
    resource = referencing.Resource.from_contents(release_schema,
                                                  default_specification=referencing.jsonschema.DRAFT4)
    registry: referencing.Registry[Any] = referencing.Registry().with_resource(release_schema["id"], resource)
    return registry


@dataclass(frozen=True)
class OcdsValidators:
    package: Any  # the whole package schema, the release schema resolved locally through the registry
    release: Any  # the release schema with its references inlined (~2× faster per release)

    @classmethod
    def load(cls, directory: Path) -> OcdsValidators:
        check_schemas_dir(directory)
        package_schema, release_schema = _load(directory / PACKAGE_SCHEMA), _load(directory / RELEASE_SCHEMA)
        jsonschema.Draft4Validator.check_schema(package_schema)
        jsonschema.Draft4Validator.check_schema(release_schema)
        registry = release_registry(release_schema)
        checker = format_checker()
        package = jsonschema.Draft4Validator(package_schema, registry=registry, format_checker=checker)
        root = {key: value for key, value in release_schema.items() if key not in ("definitions", "id")}
        inlined = inline_refs({"definitions": release_schema["definitions"], "root": root}, "#/root")
        release = jsonschema.Draft4Validator(inlined, format_checker=checker)
        return cls(package, release)


@dataclass
class OcdsValidation:
    path: str
    schemas: str
    releases: int = 0
    invalid_releases: int = 0
    errors: list[str] = field(default_factory=list)  # the first ``max_errors`` messages
    error_count: int = 0

    @property
    def valid(self) -> bool:
        return self.error_count == 0

    def add(self, where: str, error: Any, max_errors: int) -> None:
        self.error_count += 1
        if len(self.errors) < max_errors:
            message = error.message if len(error.message) <= 300 else error.message[:300] + "…"
            self.errors.append(f"{where}{json_path(error.absolute_path)[1:]}: {message}")


class PackageFormatError(ValueError):
    """The file is not a JSON object (or its ``releases`` not an array)."""


class _Reader:
    """Reads a JSON object's top-level members one at a time; ``releases`` item by item."""

    def __init__(self, handle: IO[str]) -> None:
        self.handle, self.buf, self.pos, self.eof = handle, "", 0, False
        self.decoder = json.JSONDecoder()

    def _more(self) -> bool:
        if self.eof:
            return False
        chunk = self.handle.read(CHUNK)
        if not chunk:
            self.eof = True
            return False
        self.buf = self.buf[self.pos:] + chunk
        self.pos = 0
        return True

    def peek(self) -> str:
        """The next non-blank character ('' at the end)."""
        while True:
            while self.pos < len(self.buf) and self.buf[self.pos] in " \t\r\n":
                self.pos += 1
            if self.pos < len(self.buf) or not self._more():
                return self.buf[self.pos:self.pos + 1]

    def expect(self, char: str) -> None:
        if self.peek() != char:
            raise PackageFormatError(f"expected {char!r}, found {self.peek() or 'the end of the file'!r}")
        self.pos += 1

    def value(self) -> Any:
        """The next JSON value; read more while it may be cut by the end of the buffer."""
        self.peek()
        while True:
            try:
                value, end = self.decoder.raw_decode(self.buf, self.pos)
            except json.JSONDecodeError as exc:
                if len(self.buf) - self.pos < MAX_VALUE_CHARS and self._more():
                    continue
                raise PackageFormatError(f"invalid JSON: {exc}") from None
            if end < len(self.buf) or self.eof or isinstance(value, dict | list | str):
                self.pos = end
                return value
            if not self._more():  # a number or literal that may go on in the next chunk
                self.pos = end
                return value


def iter_package(handle: IO[str], metadata: dict[str, Any]) -> Iterator[Any]:
    """Yield the items of ``releases`` one by one; the other members go into ``metadata``."""
    reader = _Reader(handle)
    reader.expect("{")
    if reader.peek() == "}":
        return
    while True:
        key = reader.value()
        if not isinstance(key, str):
            raise PackageFormatError("expected a member name")
        reader.expect(":")
        if key == "releases" and reader.peek() == "[":
            metadata[key] = []
            reader.expect("[")
            if reader.peek() != "]":
                while True:
                    yield reader.value()
                    if reader.peek() != ",":
                        break
                    reader.expect(",")
            reader.expect("]")
        else:
            metadata[key] = reader.value()
        if reader.peek() != ",":
            break
        reader.expect(",")
    reader.expect("}")
    if reader.peek():
        raise PackageFormatError("data after the package object")


def validate_package(path: Path, schemas_dir: Path, *, max_errors: int = 20) -> OcdsValidation:
    """Validate the package at ``path``: every error counted, the first ``max_errors`` kept with their
    JSON path (``releases[12].tender.procurementMethod: …``)."""
    validators = OcdsValidators.load(schemas_dir)
    result = OcdsValidation(str(path), str(schemas_dir))
    metadata: dict[str, Any] = {}
    with path.open(encoding="utf-8") as handle:
        try:
            for index, release in enumerate(iter_package(handle, metadata)):
                result.releases += 1
                errors = sorted(validators.release.iter_errors(release), key=lambda e: list(map(str, e.path)))
                if errors:
                    result.invalid_releases += 1
                for error in errors:
                    result.add(f"$.releases[{index}]", error, max_errors)
        except PackageFormatError as exc:
            result.error_count += 1
            result.errors.append(f"$: {exc}")
            return result
    for error in sorted(validators.package.iter_errors(metadata), key=lambda e: list(map(str, e.path))):
        result.add("$", error, max_errors)
    return result
