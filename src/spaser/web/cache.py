"""Rendered responses cached per published snapshot: a page's bytes cannot change until the next publish.

Why: a snapshot is immutable, so the dashboard every visitor opens is the same bytes until an ingestion or a
reference load publishes a new one (or an organisation edits its targets). The cache key holds the snapshot's
identity, the targets folder's state, the URL and the language inputs; a new snapshot makes every old entry
unreachable (and the LRU evicts them). Only complete ``200`` responses under a size bound are kept; CSV
downloads stream and are not cached.
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Awaitable, Callable, MutableMapping
from pathlib import Path
from typing import Any

Scope = MutableMapping[str, Any]
Message = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[Message]]
Send = Callable[[Message], Awaitable[None]]
App = Callable[[Scope, Receive, Send], Awaitable[None]]

MAX_ENTRIES = 4096
MAX_BODY = 2 * 1024 * 1024


class ResponseCache:
    """An ASGI middleware: GET responses that carry an ETag, keyed by snapshot, targets, URL and language."""

    def __init__(self, app: App, identity: Callable[[], str | None], targets_dir: Path,
                 egalim_paths: tuple[Path, ...] = ()) -> None:
        self.app = app
        self.identity = identity
        self.targets_dir = targets_dir
        self.egalim_paths = egalim_paths
        self.entries: OrderedDict[tuple[Any, ...], tuple[int, list[tuple[bytes, bytes]], bytes]] = OrderedDict()
        self.lock = threading.Lock()
        self.hits = 0
        self.misses = 0

    def _targets_state(self) -> tuple[tuple[str, int], ...]:
        if not self.targets_dir.is_dir():
            return ()
        return tuple(sorted((p.name, p.stat().st_mtime_ns) for p in self.targets_dir.glob("*.toml")))

    def _egalim_state(self) -> tuple[int | None, ...]:
        """The Egalim store's version (its results file, its imports folder, its registry): the home page and the
        Egalim pages change with each import, even before the results are recomputed (they then say so)."""
        state: list[int | None] = []
        for path in self.egalim_paths:
            try:
                state.append(path.stat().st_mtime_ns)
            except FileNotFoundError:
                state.append(None)
        return tuple(state)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope["method"] != "GET" or scope["path"].startswith("/static"):
            await self.app(scope, receive, send)
            return
        snapshot = self.identity()
        if snapshot is None:
            await self.app(scope, receive, send)
            return
        headers = {k.decode().lower(): v.decode() for k, v in scope["headers"]}
        key = (snapshot, self._targets_state(), self._egalim_state(), scope["path"], scope.get("query_string", b""),
               headers.get("cookie", ""), headers.get("accept-language", ""))
        with self.lock:
            cached = self.entries.get(key)
            if cached is not None:
                self.entries.move_to_end(key)
                self.hits += 1
        if cached is not None:
            status, response_headers, body = cached
            etag = next((v for k, v in response_headers if k == b"etag"), None)
            wanted = [tag.strip() for tag in headers.get("if-none-match", "").split(",") if tag.strip()]
            if etag is not None and (etag.decode() in wanted or "*" in wanted):
                kept = [(k, v) for k, v in response_headers if k in (b"etag", b"vary", b"cache-control")]
                await send({"type": "http.response.start", "status": 304, "headers": kept})
                await send({"type": "http.response.body", "body": b""})
                return
            await send({"type": "http.response.start", "status": status, "headers": response_headers})
            await send({"type": "http.response.body", "body": body})
            return
        self.misses += 1
        start: Message = {}
        chunks: list[bytes] = []
        cacheable = True

        async def capture(message: Message) -> None:
            nonlocal cacheable
            if message["type"] == "http.response.start":
                start.update(message)
                names = {k.lower() for k, _ in message.get("headers", [])}
                cacheable = message["status"] == 200 and b"etag" in names and b"set-cookie" not in names
            elif message["type"] == "http.response.body" and cacheable:
                chunks.append(message.get("body", b""))
                if sum(len(c) for c in chunks) > MAX_BODY:
                    cacheable = False
                if not message.get("more_body", False) and cacheable:
                    with self.lock:
                        self.entries[key] = (start["status"], list(start.get("headers", [])), b"".join(chunks))
                        while len(self.entries) > MAX_ENTRIES:
                            self.entries.popitem(last=False)
            await send(message)

        await self.app(scope, receive, capture)
