"""Stream DECP XML files (2019 and 2022 formats, hybrids) into record dictionaries.

The XML shape maps to the JSON one: ``<titulaires><titulaire>…`` becomes ``{"titulaires": {"titulaire":
…}}``, which :func:`spaser.decp.shapes.as_items` reads like the 2022 wrapped lists. Every leaf stays text:
the normaliser's rules parse numbers and booleans (``oui``/``non`` in the official XML examples).
Control characters, forbidden in XML 1.0 but present in real exports (domain.md §1 pitfall 9), are
removed before parsing and counted.
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

from lxml import etree

from spaser.decp.sources import ByteStream

RECORD_TAGS = frozenset({"marche", "contrat-concession"})
CHUNK_SIZE = 1024 * 1024
_CONTROL = bytes(b for b in range(32) if b not in (9, 10, 13))


@dataclass(slots=True)
class XmlRecord:
    index: int
    value: dict[str, Any] | str
    container: str
    raw: bytes
    line: int | None


class XmlReadError(Exception):
    def __init__(self, message: str, line: int | None, column: int | None, tail: bytes = b"") -> None:
        where = f"line {line}, column {column}" if line is not None else "unknown position"
        super().__init__(f"{message} at {where}")
        self.reason = message
        self.line = line
        self.column = column
        self.tail = tail
        self.next_index = 0  # index the incomplete record would have had

    @property
    def position(self) -> str:
        return f"line {self.line}, column {self.column}" if self.line is not None else "unknown position"


def _local(tag: object) -> str:
    text = tag if isinstance(tag, str) else str(tag)
    return text.rsplit("}", 1)[-1]


def element_to_value(element: Any) -> dict[str, Any] | str:
    """An element with children becomes a dict (repeated tags become lists); a leaf its text."""
    children = [child for child in element if isinstance(child.tag, str)]
    if not children:
        return element.text or ""
    out: dict[str, Any] = {}
    for child in children:
        tag = _local(child.tag)
        value = element_to_value(child)
        if tag in out:
            current = out[tag]
            if isinstance(current, list):
                current.append(value)
            else:
                out[tag] = [current, value]
        else:
            out[tag] = value
    return out


class _Reader:
    def __init__(self, stream: ByteStream) -> None:
        self.stream = stream
        self.control_removed = 0

    def records(self) -> Iterator[list[XmlRecord]]:
        parser = etree.XMLPullParser(events=("start", "end"), resolve_entities=False, huge_tree=True,
                                     no_network=True)
        depth = 0
        index = 0
        record_depth: int | None = None
        open_record: Any = None
        saw_root = False
        while True:
            chunk = self.stream.read(CHUNK_SIZE)
            if not chunk:
                break
            cleaned = chunk.translate(None, _CONTROL)
            self.control_removed += len(chunk) - len(cleaned)
            batch: list[XmlRecord] = []
            try:
                parser.feed(cleaned)
                index, depth, record_depth, open_record, saw_root = self._drain(
                    parser, batch, index, depth, record_depth, open_record, saw_root)
            except etree.XMLSyntaxError as exc:
                # Records completed before the error in this chunk are still good: keep them.
                with contextlib.suppress(etree.XMLSyntaxError):
                    index, depth, record_depth, open_record, saw_root = self._drain(
                        parser, batch, index, depth, record_depth, open_record, saw_root)
                if batch:
                    yield batch
                raise self._syntax_error(exc, open_record, index) from None
            if batch:
                yield batch
        batch = []
        try:
            parser.close()
            index, depth, record_depth, open_record, saw_root = self._drain(
                parser, batch, index, depth, record_depth, open_record, saw_root)
        except etree.XMLSyntaxError as exc:
            if batch:
                yield batch
            raise self._syntax_error(exc, open_record, index) from None
        if batch:
            yield batch

    def _syntax_error(self, exc: etree.XMLSyntaxError, open_record: Any, index: int) -> XmlReadError:
        line, column = exc.position if exc.position else (None, None)
        tail = etree.tostring(open_record) if open_record is not None else b""
        message = str(exc.msg) if exc.msg else "invalid XML"
        if "Document is empty" in message or "Start tag expected" in message:
            message = f"not a DECP XML document ({message})"
        error = XmlReadError(message, line, column, tail)
        error.next_index = index
        return error

    def _drain(self, parser: Any, batch: list[XmlRecord], index: int, depth: int, record_depth: int | None,
               open_record: Any, saw_root: bool) -> tuple[int, int, int | None, Any, bool]:
        for event, element in parser.read_events():
            tag = _local(element.tag)
            if event == "start":
                if depth == 0:
                    saw_root = True
                if record_depth is None and tag in RECORD_TAGS and depth <= 1:
                    record_depth = depth
                if depth == record_depth and tag in RECORD_TAGS:
                    open_record = element
                depth += 1
                continue
            depth -= 1
            if depth == record_depth and element is open_record:
                batch.append(XmlRecord(index, element_to_value(element), tag, etree.tostring(element),
                                       element.sourceline))
                index += 1
                open_record = None
                element.clear()
                parent = element.getparent()
                if parent is not None:
                    while element.getprevious() is not None:
                        del parent[0]
        return index, depth, record_depth, open_record, saw_root


def read_xml(stream: ByteStream, stats: dict[str, int] | None = None) -> Iterator[list[XmlRecord]]:
    """Yield batches of records; ``stats["control_characters_removed"]`` counts the bytes dropped."""
    reader = _Reader(stream)
    try:
        yield from reader.records()
    finally:
        if stats is not None:
            stats["control_characters_removed"] = reader.control_removed
