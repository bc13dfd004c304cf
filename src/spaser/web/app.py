"""The web application: for now the observatory's status page and its JSON twin.

The full observatory pages and API come with their own issue; this page already shows what the
published warehouse snapshot holds, read-only.
"""

from __future__ import annotations

from html import escape
from typing import Any

from fastapi import FastAPI, Request
from fastapi.responses import HTMLResponse, JSONResponse, Response

from spaser import __version__
from spaser.config import Settings
from spaser.errors import NotFoundError, SpaserError
from spaser.warehouse import snapshot


def warehouse_status(settings: Settings) -> dict[str, Any]:
    try:
        con = snapshot.open_current(settings.warehouse_dir)
    except NotFoundError:
        return {"snapshot": None, "contracts": 0, "records": 0, "quarantined": 0, "files": 0, "runs": []}
    try:
        def one(sql: str) -> int:
            row = con.execute(sql).fetchone()
            return int(row[0]) if row else 0

        runs = con.execute(
            "SELECT run_id, finished_at FROM ingestion_runs ORDER BY finished_at DESC LIMIT 5").fetchall()
        return {
            "snapshot": str(snapshot.current_path(settings.warehouse_dir)),
            "contracts": one("SELECT count(*) FROM contracts"),
            "records": one("SELECT count(*) FROM records"),
            "quarantined": one("SELECT count(*) FROM quarantine"),
            "files": one("SELECT count(*) FROM ingested_files"),
            "runs": [{"run_id": r[0], "finished_at": str(r[1])} for r in runs],
        }
    finally:
        con.close()


def _page(status: dict[str, Any]) -> str:
    rows = "".join(
        f"<tr><th scope='row'>{escape(label)}</th><td>{status[key]:,}</td></tr>".replace(",", "\u202f")
        for label, key in (("Contrats (dédoublonnés)", "contracts"), ("Versions chargées", "records"),
                           ("Enregistrements en quarantaine", "quarantined"), ("Fichiers ingérés", "files"))
    )
    empty = "" if status["snapshot"] else (
        "<p>Aucune donnée pour l'instant : lancez <code>spaser ingest FICHIERS</code>.</p>")
    return f"""<!doctype html>
<html lang="fr"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<title>spaser — observatoire de la commande publique</title>
<style>body{{font-family:system-ui,sans-serif;max-width:48rem;margin:2rem auto;padding:0 1rem;color:#1b1b1b}}
table{{border-collapse:collapse}}th,td{{padding:.4rem .8rem;border-bottom:1px solid #ddd;text-align:left}}
td{{text-align:right;font-variant-numeric:tabular-nums}}</style></head>
<body><header><h1>spaser</h1><p>Observatoire de la commande publique responsable (v{__version__})</p></header>
<main><h2>Entrepôt de données</h2>{empty}<table>{rows}</table>
<p><a href="/index.json">Version JSON</a></p></main></body></html>"""


def create_app(settings: Settings) -> FastAPI:
    app = FastAPI(title="spaser", version=__version__)

    @app.exception_handler(SpaserError)
    async def _error(request: Request, exc: SpaserError) -> Response:
        if request.url.path.endswith(".json") or request.url.path.startswith("/api/"):
            return JSONResponse({"error": exc.message}, status_code=exc.http_status)
        return HTMLResponse(f"<p>{escape(exc.message)}</p>", status_code=exc.http_status)

    @app.get("/", response_class=HTMLResponse)
    def index() -> str:
        return _page(warehouse_status(settings))

    @app.get("/index.json")
    def index_json() -> dict[str, Any]:
        return warehouse_status(settings)

    @app.get("/api/v1/health")
    def health() -> dict[str, str]:
        return {"status": "ok", "version": __version__}

    return app
