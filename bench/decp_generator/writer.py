"""Streaming output: the records are serialised chunk by chunk into the envelope, then the truth sidecar.

A national file (1.5 M records, ~1.6 GB) must be written with flat memory, so the generator yields
chunks and this module encodes each one with msgspec, straight into a ``.part`` file that is renamed
when complete (a crashed run never leaves a truncated file under the final name). Compact output puts
one record per line; pretty-printed output gives every record the indentation it has in the complete
formatted file.
"""

from __future__ import annotations

import gc
import json
import os
import time
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import Any

import msgspec

from .generator import DecpGenerator
from .settings import DEFAULT_INDENT, DEFAULT_RECORDS, DEFAULT_SEED, Json
from .truth import truth_path


class _ChunkWriter:
    """Serialises chunks of records into the envelope, pretty-printed or compact (one record per line).

    Pretty-printing formats the whole envelope around a chunk with ``msgspec.json.format`` (C speed) and
    cuts the envelope off again, so every record gets the indentation it has in the complete file.
    """

    def __init__(self, indent: int) -> None:
        self.indent = indent
        self.encoder = msgspec.json.Encoder()
        sentinel = b'"__SPLIT__"'
        text = msgspec.json.format(
            self.encoder.encode({"marches": {"marche": [msgspec.Raw(sentinel)]}}), indent=max(indent, 1)
        )
        self._pre, self._post = text.split(sentinel)
        # self._pre ends with the indentation of a record: keep it, it is part of the formatted chunk
        self._pre_len = self._pre.rfind(b"\n") + 1

    def header(self, list_key: str) -> bytes:
        if self.indent <= 0:
            return b'{"marches":{"' + list_key.encode() + b'":[\n'
        return self._pre[: self._pre_len].replace(b'"marche"', b'"' + list_key.encode() + b'"')

    def middle(self, next_key: str) -> bytes:
        if self.indent <= 0:
            return b'\n],"' + next_key.encode() + b'":[\n'
        pad = b" " * (2 * self.indent)
        return b"\n" + pad + b"],\n" + pad + b'"' + next_key.encode() + b'": [\n'

    def footer(self) -> bytes:
        if self.indent <= 0:
            return b"\n]}}\n"
        return self._post + b"\n"

    def chunk(self, records: list[Any]) -> bytes:
        if self.indent <= 0:
            enc = self.encoder.encode
            return b",\n".join([enc(r) for r in records])
        text = msgspec.json.format(self.encoder.encode({"marches": {"marche": records}}), indent=self.indent)
        return text[self._pre_len : len(text) - len(self._post)]


def generate(
    output: Path,
    records: int = DEFAULT_RECORDS,
    seed: int = DEFAULT_SEED,
    indent: int = DEFAULT_INDENT,
    progress: Callable[[int, int], None] | None = None,
) -> Json:
    """Write ``records`` records to ``output`` and the truth sidecar; return the truth."""
    # The records are acyclic, so reference counting frees every chunk: the cyclic GC only burns time
    # (~40 % of the run) rescanning the millions of young dicts.
    gc_was_enabled = gc.isenabled()
    gc.disable()
    try:
        return _generate(output, records, seed, indent, progress)
    finally:
        if gc_was_enabled:
            gc.enable()


def _generate(output: Path, records: int, seed: int, indent: int, progress: Callable[[int, int], None] | None) -> Json:
    started = time.perf_counter()
    gen = DecpGenerator(records, seed)
    writer = _ChunkWriter(indent)
    output.parent.mkdir(parents=True, exist_ok=True)
    tmp = output.with_name(output.name + ".part")
    written = 0
    with open(tmp, "wb", buffering=8 * 1024 * 1024) as f:

        def write_list(chunks: Iterable[list[Json]]) -> None:
            """The records of one list, chunk after chunk, separated by ",\\n"."""
            nonlocal written
            for number, chunk in enumerate(chunks):
                if number:
                    f.write(b",\n")
                f.write(writer.chunk(chunk))
                written += len(chunk)
                if progress:
                    progress(written, records)

        f.write(writer.header("marche"))
        write_list(gen.marche_chunks())
        if gen.n_conc:
            f.write(writer.middle("contrat-concession"))
            write_list(gen.concession_chunks())
        f.write(writer.footer())
    os.replace(tmp, output)
    truth = gen.truth.as_json(
        seed=seed,
        indent=indent,
        file=output.name,
        bytes=output.stat().st_size,
        generation_seconds=round(time.perf_counter() - started, 2),
    )
    truth_path(output).write_text(json.dumps(truth, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
    return truth
