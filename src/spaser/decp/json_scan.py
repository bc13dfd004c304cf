"""Stream a DECP JSON document into raw record slices, in constant memory.

National DECP files are single JSON documents of more than 1 GB, so ``json.load`` is not an option.
This scanner reads fixed-size chunks, finds the structural characters outside strings with numpy
(quotes, backslash escapes, braces, brackets) and cuts the bytes of each record without decoding it;
workers decode and normalise the slices in parallel.

Accepted layouts (all seen in real files, see domain.md §1):

* 2019 envelope ``{"marches": [record, ...]}``;
* 2022 envelope ``{"marches": {"marche": [...], "contrat-concession": [...]}}`` (a single object instead
  of a list is accepted too, as XML-to-JSON converters produce it);
* a bare array of records ``[record, ...]``;
* one record per line (NDJSON) or a single bare record.

Every element of a records array is returned, objects or not: a string or a number where a record is
expected becomes a slice that the normaliser quarantines, so nothing is lost. A document that ends before
its last record is complete raises :class:`JsonScanError` *after* every complete record was yielded,
with the partial record's bytes attached for the quarantine.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass

import msgspec
import numpy as np

from spaser.decp.shapes import KNOWN_KEYS
from spaser.decp.sources import ByteStream

CHUNK_SIZE = 8 * 1024 * 1024
_OPEN_OBJ, _OPEN_ARR, _CLOSE_OBJ, _CLOSE_ARR = 123, 91, 125, 93
_QUOTE, _BACKSLASH = 34, 92

_STRUCTURAL = np.zeros(256, dtype=np.bool_)
_STRUCTURAL[[_OPEN_OBJ, _OPEN_ARR, _CLOSE_OBJ, _CLOSE_ARR]] = True
_DELTA = np.zeros(256, dtype=np.int8)
_DELTA[[_OPEN_OBJ, _OPEN_ARR]] = 1
_DELTA[[_CLOSE_OBJ, _CLOSE_ARR]] = -1

_WHITESPACE = b" \t\r\n"
_LAST_KEY = re.compile(rb'"((?:[^"\\]|\\.)*)"\s*:\s*$', re.DOTALL)
_FIRST_KEY = re.compile(rb'\s*"((?:[^"\\]|\\.)*)"\s*:', re.DOTALL)


@dataclass(slots=True)
class RawSlice:
    """The bytes of one record as found in the file, before any decoding."""

    index: int  # position of the record in the file, 0-based, in reading order
    data: bytes
    container: str  # "marches", "marche", "contrat-concession", or "" (bare array / NDJSON)
    offset: int  # byte offset of the record in the (decompressed) stream


@dataclass(slots=True)
class RawRegion:
    """Consecutive complete records as the bytes of a JSON array ``[r1, r2, …]``, already checked by
    msgspec: workers split it with :data:`RAW_LIST` instead of receiving one object per record."""

    first_index: int
    count: int
    data: bytes
    container: str
    offset: int

    def slices(self) -> list[RawSlice]:
        raws = RAW_LIST.decode(self.data)
        return [RawSlice(self.first_index + i, bytes(raw), self.container, self.offset)
                for i, raw in enumerate(raws)]


#: Splits a JSON array into its elements' raw bytes, in C.
RAW_LIST = msgspec.json.Decoder(list[msgspec.Raw])


class JsonScanError(Exception):
    """The document is not a readable DECP JSON document past ``offset``."""

    def __init__(self, message: str, offset: int, line: int | None = None, tail: bytes = b"") -> None:
        where = f"byte {offset}" + (f" (line {line})" if line is not None else "")
        super().__init__(f"{message} at {where}")
        self.reason = message
        self.offset = offset
        self.line = line
        self.tail = tail  # bytes of the incomplete record, for the quarantine
        self.next_index = 0  # index the incomplete record would have had

    @property
    def position(self) -> str:
        return f"byte {self.offset}" + (f", line {self.line}" if self.line is not None else "")


@dataclass(slots=True)
class _Events:
    """Structural characters outside strings in ``buf[start:]``: positions, bytes, depth before each."""

    pos: np.ndarray
    char: np.ndarray
    depth_before: np.ndarray


def _structural_events(buf: bytes, start: int, depth: int) -> _Events:
    """Find braces and brackets outside strings, starting outside a string at ``start``."""
    arr = np.frombuffer(buf, dtype=np.uint8)[start:]
    quotes = np.flatnonzero(arr == _QUOTE)
    if quotes.size:
        backslashes = np.flatnonzero(arr == _BACKSLASH)
        if backslashes.size:
            # A quote is escaped when preceded by an odd run of backslashes.
            breaks = np.flatnonzero(np.diff(backslashes) != 1)
            run_starts = np.concatenate(([backslashes[0]], backslashes[breaks + 1]))
            run_ends = np.concatenate((backslashes[breaks], [backslashes[-1]])) + 1
            escaped = run_ends[((run_ends - run_starts) & 1) == 1]
            if escaped.size:
                quotes = np.setdiff1d(quotes, escaped, assume_unique=True)
    candidates = np.flatnonzero(_STRUCTURAL[arr])
    if quotes.size:
        outside = (np.searchsorted(quotes, candidates) & 1) == 0
        candidates = candidates[outside]
    chars = arr[candidates]
    delta = _DELTA[chars].astype(np.int64)
    depth_after = np.cumsum(delta) + depth
    return _Events(pos=candidates + start, char=chars, depth_before=depth_after - delta)


def _line_of(buf: bytes, pos: int, base_line: int) -> int:
    return base_line + buf.count(b"\n", 0, pos)


class _Scanner:
    """State machine over the structural events of successive buffers."""

    def __init__(self, stream: ByteStream, chunk_size: int) -> None:
        self.stream = stream
        self.chunk_size = chunk_size
        self.buf = b""
        self.base = 0  # absolute offset of buf[0]
        self.base_line = 1
        self.eof = False
        self.index = 0
        # Header mode walks the envelope with a stack of (kind, key) for open containers.
        self.stack: list[tuple[int, str]] = []
        self.records_level: int | None = None  # depth of records inside the current records array
        self.container = ""
        self.single = False  # the current "array" is one object under a record key
        self.root_records = False  # NDJSON or bare record: every root value is a record
        self.saw_content = False
        # Bytes between two records as first seen ("},\n{" in one-record-per-line files): when it holds a
        # newline it cannot occur inside a JSON string, so the last one in a buffer is a cheap candidate
        # cut, which msgspec then validates (a cut inside a record leaves unbalanced brackets).
        self.separator: bytes | None = None

    # -- buffer management ------------------------------------------------------------------------
    def _fill(self) -> bool:
        chunk = self.stream.read(self.chunk_size)
        if not chunk:
            self.eof = True
            return False
        if self.base == 0 and not self.buf and chunk.startswith(b"\xef\xbb\xbf"):
            chunk = chunk[3:]
            self.base = 3
        self.buf += chunk
        return True

    def _drop(self, upto: int) -> None:
        if upto > 0:
            self.base_line += self.buf.count(b"\n", 0, upto)
            self.buf = self.buf[upto:]
            self.base += upto

    def _error(self, message: str, pos: int, tail: bytes = b"") -> JsonScanError:
        error = JsonScanError(message, self.base + pos, _line_of(self.buf, pos, self.base_line), tail)
        error.next_index = self.index
        return error

    # -- main loop --------------------------------------------------------------------------------
    def batches(self) -> Iterator[list[RawSlice] | RawRegion]:
        pos = 0  # next unprocessed position in buf, always outside strings
        depth = 0
        while True:
            if not self.eof:
                self._fill()
            complete = self.eof  # these events cover the whole rest of the stream
            if self.separator and not complete and self.records_level == depth and not self.single:
                region = self._fast_region(pos)
                if region is not None:
                    yield region
                    continue
            events = _structural_events(self.buf, pos, depth)
            out: list[RawSlice] = []
            pos, depth = self._consume(events, pos, depth, out)
            if out:
                yield out
            self._drop(pos)
            pos = 0
            if complete:
                self._finish()
                return

    def _fast_region(self, pos: int) -> RawRegion | None:
        """Cut the buffer at the last record separator, if msgspec confirms the cut; drops the bytes."""
        assert self.separator is not None
        buf = self.buf
        start = pos
        while start < len(buf) and buf[start] in b" \t\r\n,":
            start += 1
        if start >= len(buf) or buf[start] != _OPEN_OBJ:
            return None
        cut = buf.rfind(self.separator, start)
        if cut < 0:
            return None
        data = b"".join((b"[", memoryview(buf)[start : cut + 1], b"]"))  # one copy, not three
        try:
            count = len(RAW_LIST.decode(data))
        except msgspec.DecodeError:
            return None  # something unusual in this buffer: the structural scanner handles it
        region = RawRegion(self.index, count, data, self.container, self.base + start)
        self.index += count
        self.saw_content = True
        self._drop(cut + 1)
        return region

    def _finish(self) -> None:
        rest = self.buf.strip(_WHITESPACE)
        still_open = bool(self.stack) or (self.records_level is not None and not self.root_records)
        if rest and not self.saw_content:
            raise self._error("no JSON object or array found", 0)
        if not self.saw_content:
            raise JsonScanError("empty document: no JSON value found", self.base)
        if still_open or (rest and self.root_records):
            what = "the last record is incomplete" if rest else "closing brackets are missing"
            raise self._error(f"truncated document: {what}", len(self.buf), rest)
        if rest:
            raise self._error("unexpected content after the end of the document", 0, rest)

    def _consume(self, ev: _Events, pos: int, depth: int, out: list[RawSlice]) -> tuple[int, int]:
        """Process events; return the position and depth where the next buffer must resume."""
        n = ev.pos.size
        i = 0
        while i < n:
            if self.records_level is not None:
                i, pos, depth, done = self._records(ev, i, pos, out)
                if not done:
                    return pos, depth
                continue
            p = int(ev.pos[i])
            c = int(ev.char[i])
            d = int(ev.depth_before[i])
            self.saw_content = True
            if c in (_OPEN_OBJ, _OPEN_ARR):
                in_object = bool(self.stack) and self.stack[-1][0] == _OPEN_OBJ
                key = self._key_before(pos, p) if in_object else ""
                if d == 0 and c == _OPEN_OBJ and not self._is_envelope(p):
                    # NDJSON line or bare record: each root object is a record.
                    self.root_records = True
                    self.records_level, self.container, self.single = 0, "", False
                    continue  # handle this event again, in records mode
                parent = self.stack[-1][1] if self.stack else None
                kind_list = key in ("marche", "contrat-concession") and parent == "marches"
                if c == _OPEN_OBJ and kind_list:
                    # A single record where a list was expected (XML-to-JSON converters).
                    self.records_level, self.container, self.single = d, key, True
                    pos = p  # the key before it is not a gap between records
                    continue
                if c == _OPEN_ARR and (d == 0 or (key == "marches" and d == 1) or kind_list):
                    self.records_level, self.container, self.single = d + 1, key, False
                self.stack.append((c, key))
                pos, depth = p + 1, d + 1
            else:
                if not self.stack:
                    raise self._error("unexpected closing bracket", p)
                self.stack.pop()
                pos, depth = p + 1, d - 1
            i += 1
        return pos, depth

    def _records(self, ev: _Events, i: int, pos: int, out: list[RawSlice]) -> tuple[int, int, int, bool]:
        """Cut the records of the current array from event ``i``.

        Returns (next event, resume position, depth there, done); ``done`` is False when the buffer
        ends before the array does, and the caller must read more.
        """
        level = self.records_level
        assert level is not None
        positions = ev.pos
        n = positions.size
        sub_depth = ev.depth_before[i:]
        sub_char = ev.char[i:]
        is_close = (sub_char == _CLOSE_OBJ) | (sub_char == _CLOSE_ARR)
        depth_after = sub_depth + np.where(is_close, -1, 1)
        # Records end where a close comes back to `level`; the array ends at the first close below it.
        below = np.flatnonzero(is_close & (depth_after < level))
        stop = i + int(below[0]) if below.size else n
        window = stop - i
        starts = np.flatnonzero(~is_close[:window] & (sub_depth[:window] == level)) + i
        ends = np.flatnonzero(is_close[:window] & (depth_after[:window] == level)) + i
        prev_end = pos
        for k in range(ends.size):
            s = int(positions[starts[k]])
            e = int(positions[ends[k]]) + 1
            if k == 1 and self.separator is None:
                self._learn_separator(prev_end, s)
            self._gap(prev_end, s, out)
            out.append(RawSlice(self.index, self.buf[s:e], self.container, self.base + s))
            self.index += 1
            self.saw_content = True
            prev_end = e
            if self.single:
                self.records_level, self.single = None, False
                return int(ends[k]) + 1, prev_end, level, True
        if starts.size > ends.size:
            # The buffer ends inside a record: resume at its start, at the depth of the array.
            start = int(positions[starts[ends.size]])
            self._gap(prev_end, start, out)
            return n, start, level, False
        if not below.size:
            return n, prev_end, level, False
        # The records array is closed: back to the envelope.
        array_close = int(positions[stop])
        self._gap(prev_end, array_close, out)
        self.records_level = None
        self.stack.pop()
        return stop + 1, array_close + 1, level - 1, True

    def _learn_separator(self, prev_end: int, start: int) -> None:
        gap = self.buf[prev_end:start]
        if b"\n" in gap and gap.strip(_WHITESPACE) == b"," and self.buf[prev_end - 1] == _CLOSE_OBJ and (
                self.buf[start] == _OPEN_OBJ):
            self.separator = b"}" + gap + b"{"

    def _gap(self, a: int, b: int, out: list[RawSlice]) -> None:
        """Between two records there must be a comma (NDJSON: whitespace only). Anything else is a
        value that is not an object (a string, a number…): it is returned as a record of its own."""
        text = self.buf[a:b].strip(_WHITESPACE)
        if not text or text == b",":
            return
        for piece in _split_scalars(text):
            piece = piece.strip(_WHITESPACE)
            if piece:
                out.append(RawSlice(self.index, piece, self.container, self.base + a))
                self.index += 1

    def _key_before(self, pos: int, p: int) -> str:
        match = _LAST_KEY.search(self.buf, pos, p)
        if match is None:
            return ""
        return match.group(1).decode("utf-8", "replace").strip()

    def _is_envelope(self, p: int) -> bool:
        """A root object is a record (NDJSON, single record) when its first key is a DECP record key;
        otherwise it is an envelope, whose records are under ``marches`` (after ``$schema`` or metadata)."""
        while True:
            match = _FIRST_KEY.match(self.buf, p + 1)
            if match is not None:
                key = match.group(1).decode("utf-8", "replace").strip()
                return key.split(".")[0] not in KNOWN_KEYS
            if self.eof or len(self.buf) - p > 65536 or not self._fill():
                return True


def _split_scalars(text: bytes) -> list[bytes]:
    """Split the comma-separated scalars found between records, keeping commas inside strings."""
    pieces: list[bytes] = []
    current = bytearray()
    in_string = False
    escaped = False
    for byte in text:
        if in_string:
            current.append(byte)
            if escaped:
                escaped = False
            elif byte == _BACKSLASH:
                escaped = True
            elif byte == _QUOTE:
                in_string = False
        elif byte == _QUOTE:
            in_string = True
            current.append(byte)
        elif byte == 44:  # comma
            pieces.append(bytes(current))
            current = bytearray()
        else:
            current.append(byte)
    pieces.append(bytes(current))
    return pieces


def scan_json_batches(stream: ByteStream, chunk_size: int = CHUNK_SIZE) -> Iterator[list[RawSlice] | RawRegion]:
    """Yield batches of raw records, one batch per chunk read: slices, or validated regions."""
    yield from _Scanner(stream, chunk_size).batches()


def scan_json(stream: ByteStream, chunk_size: int = CHUNK_SIZE) -> Iterator[list[RawSlice]]:
    """Yield batches of raw records as slices (regions expanded)."""
    for batch in _Scanner(stream, chunk_size).batches():
        yield batch.slices() if isinstance(batch, RawRegion) else batch
