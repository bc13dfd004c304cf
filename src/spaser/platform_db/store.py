"""File store for consultation documents and sealed bid envelopes: plain files, written atomically.

Why files and not BLOBs: bids run to hundreds of MB and the database stays small enough to back up often; the
envelopes are encrypted, so the store needs no access control of its own beyond the operating system's.
"""

from __future__ import annotations

import os
import re
import secrets
from pathlib import Path

from spaser.errors import NotFoundError

_KEY = re.compile(r"^[a-z]+/[0-9]+/[0-9a-f]{32}$")


class FileStore:
    def __init__(self, root: Path) -> None:
        self.root = root

    def put(self, kind: str, owner_id: int, content: bytes) -> str:
        """Write ``content`` under a new random key and return the key; the file is complete or absent."""
        key = f"{kind}/{owner_id}/{secrets.token_hex(16)}"
        path = self._path(key)
        path.parent.mkdir(parents=True, exist_ok=True)
        temporary = path.with_suffix(".part")
        with open(temporary, "wb") as handle:
            handle.write(content)
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(temporary, path)
        return key

    def get(self, key: str) -> bytes:
        path = self._path(key)
        if not path.is_file():
            raise NotFoundError(f"stored file {key} is missing from {self.root}")
        return path.read_bytes()

    def delete(self, key: str) -> None:
        self._path(key).unlink(missing_ok=True)

    def _path(self, key: str) -> Path:
        if not _KEY.match(key):
            raise NotFoundError(f"not a storage key: {key!r}")
        return self.root / key
