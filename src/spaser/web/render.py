"""How a page answers: HTML through Jinja2, or its JSON / CSV twin, with the snapshot's ETag.

Why one renderer: every page has the same twins (``.json``, ``.csv``), the same language choice, the same demo
banner and the same conditional-request handling; pages only supply data.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import math
import os
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import asdict, is_dataclass
from decimal import Decimal
from pathlib import Path
from typing import TYPE_CHECKING, Any
from urllib.parse import urlencode

import duckdb
import jinja2
from fastapi import Request
from fastapi.responses import HTMLResponse, JSONResponse, Response, StreamingResponse

from spaser import __version__
from spaser.config import Settings
from spaser.errors import NotFoundError
from spaser.web.i18n import choose_language, translator
from spaser.web.reader import WarehouseReader

if TYPE_CHECKING:
    from spaser.web.auth import Auth

FORMATS = ("html", "json", "csv")


def wants_json(request: Request) -> bool:
    return request.url.path.endswith(".json") or request.url.path.startswith("/api/")


def jsonable(value: Any) -> Any:
    """Plain JSON values: dates as ISO text, decimals and NaN handled, dataclasses as objects."""
    if is_dataclass(value) and not isinstance(value, type):
        return jsonable(asdict(value))
    if isinstance(value, dict):
        return {str(k): jsonable(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [jsonable(v) for v in value]
    if isinstance(value, dt.date | dt.datetime):
        return value.isoformat()
    if isinstance(value, Decimal):
        return float(value)
    if isinstance(value, float) and not math.isfinite(value):
        return None
    return value


def _csv_cell(value: Any) -> Any:
    if value is None:
        return ""
    if isinstance(value, list | tuple):
        return " | ".join(str(v) for v in value)
    if isinstance(value, dt.date):
        return value.isoformat()
    return value


def csv_stream(columns: Sequence[str], rows: Iterable[Sequence[Any]]) -> Iterator[str]:
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(columns)
    for row in rows:
        writer.writerow([_csv_cell(v) for v in row])
        if buffer.tell() > 65536:
            yield buffer.getvalue()
            buffer.seek(0)
            buffer.truncate()
    yield buffer.getvalue()


def lang_switch(request: Request, lang: str) -> str:
    """The query string of the same page in the other language: the page's parameters, one ``lang``."""
    kept = [(k, v) for k, v in request.query_params.multi_items() if k != "lang"]
    return "?" + urlencode([*kept, ("lang", "en" if lang == "fr" else "fr")])


def fmt_number(value: Any, lang: str = "fr", digits: int = 0) -> str:
    """1234567.8 → « 1 234 568 » (fr, narrow no-break spaces) or "1,234,568" (en)."""
    if value is None:
        return "—"
    text = f"{float(value):,.{digits}f}"
    if lang == "fr":
        return text.replace(",", "\u202f").replace(".", ",")
    return text


def fmt_result(value: Any, unit: str, lang: str = "fr") -> str:
    if value is None:
        return "—"
    if unit == "%":
        return fmt_number(value, lang, 1) + "\u202f%"
    if unit == "HHI":
        return fmt_number(value, lang, 0)
    return fmt_number(value, lang, 1) + f" {unit}"


def fmt_when(value: dt.datetime | None, lang: str = "fr") -> str:
    """A server time for people: « 12/10/2026 à 12:00 UTC » (fr) or "2026-10-12 12:00 UTC" (en)."""
    if value is None:
        return "—"
    value = value.astimezone(dt.UTC)
    return value.strftime("%d/%m/%Y à %H:%M UTC") if lang == "fr" else value.strftime("%Y-%m-%d %H:%M UTC")


def htmx_script() -> Path | None:
    """htmx as installed by ``make install`` (npm, with the repository's lock file), or None: the pages work
    without it (plain links and forms), htmx only swaps the explorer's results in place."""
    override = os.environ.get("SPASER_HTMX_JS")
    candidates = [Path(override)] if override else []
    candidates += [base / "node_modules" / "htmx.org" / "dist" / "htmx.min.js"
                   for base in (Path(__file__).resolve().parents[3], Path.cwd())]
    return next((path for path in candidates if path.is_file()), None)


class Renderer:
    def __init__(self, settings: Settings, reader: WarehouseReader) -> None:
        self.settings = settings
        self.reader = reader
        self.htmx = htmx_script()
        self.env = jinja2.Environment(
            loader=jinja2.PackageLoader("spaser.web", "templates"),
            autoescape=jinja2.select_autoescape(["html"]),
            undefined=jinja2.StrictUndefined,
            trim_blocks=True,
            lstrip_blocks=True,
        )
        self.env.filters["number"] = fmt_number
        self.env.filters["result"] = fmt_result
        self.env.filters["when"] = fmt_when
        #: Set by the app when the platform database is open: the logged-in user and CSRF tokens in pages.
        self.auth: Auth | None = None

    def warehouse(self) -> tuple[duckdb.DuckDBPyConnection, str] | None:
        return self.reader.cursor()

    def require(self) -> tuple[duckdb.DuckDBPyConnection, str]:
        found = self.reader.cursor()
        if found is None:
            raise NotFoundError("no warehouse snapshot yet: run `spaser ingest` (or `make run` for demo data)")
        return found

    def language(self, request: Request) -> str:
        return choose_language(request.query_params.get("lang"), request.cookies.get("lang"),
                               request.headers.get("accept-language"))

    def is_demo(self, con: duckdb.DuckDBPyConnection | None) -> bool:
        from spaser.demo import is_demo

        return con is not None and is_demo(con)

    def not_modified(self, request: Request, etag: str | None) -> bool:
        """Whether ``If-None-Match`` names ``etag`` (one of a comma-separated list, or ``*``)."""
        if etag is None:
            return False
        given = request.headers.get("if-none-match")
        return given is not None and (given.strip() == "*" or etag in (t.strip() for t in given.split(",")))

    def respond(self, request: Request, fmt: str, template: str, data: dict[str, Any], *,
                con: duckdb.DuckDBPyConnection | None = None, etag: str | None = None,
                csv_table: tuple[Sequence[str], Iterable[Sequence[Any]]]
                | Callable[[], tuple[Sequence[str], Iterable[Sequence[Any]]]] | None = None,
                title: str = "", status_code: int = 200, charts: dict[str, Any] | None = None) -> Response:
        lang = self.language(request)
        headers: dict[str, str] = {}
        if fmt == "html":
            # the page's language comes from ?lang=, the cookie or Accept-Language: one ETag per language
            headers["Vary"] = "Cookie, Accept-Language"
            if etag:
                etag = etag[:-1] + f'-{lang}"'
        if etag:
            headers["ETag"] = etag
        if self.not_modified(request, etag):
            return Response(status_code=304, headers=headers)
        if fmt == "json":
            return JSONResponse(jsonable(data), headers=headers, status_code=status_code)
        if fmt == "csv":
            if csv_table is None:
                raise NotFoundError(f"{request.url.path}: this page has no CSV twin")
            columns, rows = csv_table() if callable(csv_table) else csv_table
            name = request.url.path.rstrip("/").rsplit("/", 1)[-1] or "index.csv"
            return StreamingResponse(csv_stream(columns, rows), media_type="text/csv; charset=utf-8",
                                     headers=headers | {"Content-Disposition": f'attachment; filename="{name}"'})
        html = self.env.get_template(template).render(
            request=request, lang=lang, t=translator(lang), title=title, data=data, version=__version__,
            demo=self.is_demo(con), path=request.url.path, query=str(request.url.query),
            lang_switch=lang_switch(request, lang), twins=self._twins(request, csv_table is not None), charts=charts,
            htmx=self.htmx is not None, **self._session_values(request), **data)
        response = HTMLResponse(html, headers=headers, status_code=status_code)
        if request.query_params.get("lang") in ("fr", "en"):
            response.set_cookie("lang", request.query_params["lang"], max_age=365 * 86400, samesite="lax")
        return self._finish(request, response)

    def _session_values(self, request: Request) -> dict[str, Any]:
        """``current_user`` and ``csrf()`` for the templates (the token is made only if a form asks for it)."""
        auth = self.auth
        if auth is None:
            return {"current_user": None, "csrf": lambda: ""}
        return {"current_user": auth.user(request), "csrf": lambda: auth.csrf_token(request)}

    def _finish(self, request: Request, response: Response) -> Response:
        return self.auth.finish(request, response) if self.auth is not None else response

    def private(self, request: Request, template: str, data: dict[str, Any], *, title: str,
                status_code: int = 200, json_data: Any = None) -> Response:
        """A page that depends on who asks (marketplace, workspaces): never cached, no ETag; ``.json`` twin
        answers ``json_data`` (default: ``data``)."""
        headers = {"Cache-Control": "private, no-store"}
        if request.url.path.endswith(".json"):
            return JSONResponse(jsonable(data if json_data is None else json_data), headers=headers,
                                status_code=status_code)
        lang = self.language(request)
        html = self.env.get_template(template).render(
            request=request, lang=lang, t=translator(lang), title=title, data=data, version=__version__,
            demo=False, path=request.url.path, query=str(request.url.query), lang_switch=lang_switch(request, lang),
            twins={"json": f"{request.url.path.rstrip('/')}.json"} if json_data is not False else {},
            charts=None, htmx=self.htmx is not None, **self._session_values(request), **data)
        return self._finish(request, HTMLResponse(html, headers=headers, status_code=status_code))

    def _twins(self, request: Request, has_csv: bool) -> dict[str, str]:
        path = request.url.path.rstrip("/") or "/index"
        query = f"?{request.url.query}" if request.url.query else ""
        twins = {"json": f"{path}.json{query}"}
        if has_csv:
            twins["csv"] = f"{path}.csv{query}"
        return twins

    def error_page(self, request: Request, status: int, message: str) -> Response:
        lang = self.language(request)
        html = self.env.get_template("error.html").render(
            request=request, lang=lang, t=translator(lang), title=translator(lang)("error"), data={},
            version=__version__, demo=False, path=request.url.path, query="", lang_switch=lang_switch(request, lang),
            twins={}, status=status, htmx=False, message=message, **self._session_values(request))
        return self._finish(request, HTMLResponse(html, status_code=status))
