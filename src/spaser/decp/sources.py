"""Find the input files of an ingestion and open them, whatever their packaging.

A directory ingests every file below it (sorted, hidden files skipped); ``.gz`` and ``.zip`` are
recognised from their magic bytes, not their names; a zip contributes one input per member, except an
XLSX workbook (a zip holding ``xl/workbook.xml``), which is one input. The format (JSON or XML) is sniffed
from the content; a CSV has no magic bytes, so a text file is tabular by its name (``.csv``, ``.tsv``,
``.tab``). Each input is identified by the sha256 of the bytes that are parsed, so the same data compressed
or not is the same input.
"""

from __future__ import annotations

import contextlib
import gzip
import hashlib
import zipfile
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Protocol

from spaser.errors import InputError, NotDecpDocumentError, UnreadableFileError

_GZIP = b"\x1f\x8b"
_ZIP = b"PK\x03\x04"
_BOM = b"\xef\xbb\xbf"
_HASH_CHUNK = 4 * 1024 * 1024
_TABULAR_SUFFIXES = (".csv", ".tsv", ".tab")


class ByteStream(Protocol):
    """What the readers need of an input: ``read(size)`` (a file, a gzip or zip member stream)."""

    def read(self, size: int = -1, /) -> bytes: ...

    def close(self) -> None: ...


@dataclass(slots=True)
class InputFile:
    path: str  # as shown to the user; "archive.zip!member.json" for a zip member
    open: Callable[[], ByteStream]
    sha256: str = ""
    syntax: str = ""  # "json" | "xml" | "csv" | "xlsx", sniffed
    size: int = 0  # bytes to parse (decompressed)
    in_folder: bool = False  # found by walking a folder rather than named by the user
    disk_size: int = 0  # bytes on disk (compressed size for .gz): a cheap estimate before hashing


def expand(paths: list[Path]) -> Iterator[InputFile | UnreadableFileError]:
    """Every input file below ``paths``; a path that does not exist yields an error, not an exception."""
    for path in paths:
        if path.is_dir():
            for child in sorted(p for p in path.rglob("*") if p.is_file()):
                if any(part.startswith(".") for part in child.relative_to(path).parts):
                    continue
                yield from _expand_file(child, in_folder=True)
        elif path.is_file():
            yield from _expand_file(path, in_folder=False)
        else:
            yield UnreadableFileError(str(path), "no such file or directory")


def _expand_file(path: Path, in_folder: bool) -> Iterator[InputFile | UnreadableFileError]:
    try:
        with path.open("rb") as handle:
            magic = handle.read(4)
    except OSError as exc:
        yield UnreadableFileError(str(path), exc.strerror or str(exc))
        return
    if magic.startswith(_ZIP):
        try:
            with zipfile.ZipFile(path) as archive:
                members = [m for m in archive.infolist() if not m.is_dir()]
        except (zipfile.BadZipFile, OSError) as exc:
            yield UnreadableFileError(str(path), f"invalid zip archive: {exc}")
            return
        if any(m.filename == "xl/workbook.xml" for m in members):  # an XLSX workbook is one input

            def open_workbook() -> ByteStream:
                return path.open("rb")

            yield InputFile(str(path), open_workbook, syntax="xlsx", in_folder=in_folder, disk_size=_size(path))
            return
        for member in members:
            name = member.filename

            def open_member(name: str = name) -> ByteStream:
                return zipfile.ZipFile(path).open(name)

            yield InputFile(f"{path}!{name}", open_member, in_folder=in_folder, disk_size=member.file_size)
    elif magic.startswith(_GZIP):

        def open_gzip() -> ByteStream:
            return gzip.open(path, "rb")

        yield InputFile(str(path), open_gzip, in_folder=in_folder, disk_size=4 * _size(path))
    else:

        def open_plain() -> ByteStream:
            return path.open("rb")

        yield InputFile(str(path), open_plain, in_folder=in_folder, disk_size=_size(path))


def sha256_of_file(path: Path) -> str:
    """The sha256 of a file on disk, read in chunks (reference stocks and downloads reach gigabytes)."""
    digest = hashlib.sha256()
    try:
        with path.open("rb") as handle:
            while chunk := handle.read(_HASH_CHUNK):
                digest.update(chunk)
    except OSError as exc:
        raise InputError(f"{path}: cannot read ({exc.strerror or exc})") from None
    return digest.hexdigest()


def _size(path: Path) -> int:
    try:
        return path.stat().st_size
    except OSError:
        return 0


def inspect(source: InputFile) -> InputFile:
    """Hash the content and sniff its syntax; raises :class:`UnreadableFileError` with the reason."""
    digest = hashlib.sha256()
    head = b""
    size = 0
    try:
        with contextlib.closing(source.open()) as stream:
            while chunk := stream.read(_HASH_CHUNK):
                if len(head) < 4096:
                    head += chunk[: 4096 - len(head)]
                digest.update(chunk)
                size += len(chunk)
    except (OSError, EOFError, zipfile.BadZipFile, gzip.BadGzipFile) as exc:
        raise UnreadableFileError(source.path, f"cannot decompress or read: {exc}", f"byte {size}") from None
    source.sha256 = digest.hexdigest()
    source.size = size
    source.syntax = "xlsx" if source.syntax == "xlsx" else sniff(source.path, head)
    return source


def sniff(path: str, head: bytes) -> str:
    if head.startswith(_ZIP) and (b"xl/" in head or path.lower().endswith(".xlsx")):
        return "xlsx"  # a workbook inside a zip or a .gz (a workbook named by the user is found by expand)
    if head.startswith(_BOM):
        head = head[3:]
    text = head.lstrip(b" \t\r\n")
    if not text:
        raise UnreadableFileError(path, "empty file", "byte 0")
    nul = head.find(b"\x00")
    if nul >= 0:
        raise UnreadableFileError(path, "binary content (NUL bytes): not a JSON or XML file", f"byte {nul}")
    first = text[:1]
    if first in (b"{", b"["):
        return "json"
    if first == b"<":
        return "xml"
    printable = sum(1 for b in head[:512] if 32 <= b < 127 or b in (9, 10, 13) or b >= 128)
    if printable < 0.9 * min(len(head), 512):
        raise UnreadableFileError(path, "binary content: not a JSON or XML file", "byte 0")
    name = path.lower().removesuffix(".gz")
    if name.endswith(_TABULAR_SUFFIXES):
        return "csv"
    offset = len(head) - len(text)
    raise NotDecpDocumentError(path, f"not a JSON or XML document (starts with {text[:20]!r})", f"byte {offset}")

