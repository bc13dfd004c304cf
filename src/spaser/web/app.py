"""The web application: observatory pages (French first, English available), their JSON/CSV twins, the API.

Thin layers only: routes parse parameters, call the services (``spaser.warehouse.queries``,
``spaser.indicators.published``) and render; one handler renders every :class:`SpaserError` as HTML or JSON.
"""

from __future__ import annotations

import contextlib
import logging
import threading
from collections.abc import AsyncIterator
from importlib import resources
from typing import Any
from urllib.parse import urlencode

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import FileResponse, HTMLResponse, JSONResponse, RedirectResponse, Response
from fastapi.staticfiles import StaticFiles

from spaser import __version__
from spaser.config import Settings
from spaser.errors import AuthenticationError, SpaserError, TooManyRequestsError
from spaser.indicators.egalim.published import egalim_versions
from spaser.indicators.egalim.store import EgalimStore
from spaser.platform_db.context import Platform
from spaser.web.auth import Auth
from spaser.web.cache import ResponseCache
from spaser.web.reader import WarehouseReader
from spaser.web.render import Renderer, wants_json


def create_app(settings: Settings, platform: Platform | None = None) -> FastAPI:
    """The whole platform: observatory pages and API, marketplace, accounts. ``platform`` (database, keys, clock)
    is opened from ``settings`` and migrated when not given."""
    reader = WarehouseReader(settings.warehouse_dir)
    platform = platform or Platform.open(settings)
    seed_clause_library(platform)

    @contextlib.asynccontextmanager
    async def lifespan(_: FastAPI) -> AsyncIterator[None]:
        threading.Thread(target=warm_clause_search, args=(platform,), name="clause-index", daemon=True).start()
        yield
        reader.close()
        platform.close()

    app = FastAPI(title="spaser", version=__version__, openapi_url="/openapi.json", lifespan=lifespan,
                  description="Observatoire de la commande publique responsable : indicateurs du SPASER, contrats "
                              "(DECP), données ouvertes.")
    renderer = Renderer(settings, reader)
    auth = Auth(platform)
    renderer.auth = auth
    app.state.platform = platform
    app.state.auth = auth
    app.state.settings = settings
    app.state.reader = reader
    app.state.renderer = renderer
    static = resources.files("spaser.web").joinpath("static")
    if renderer.htmx is not None:
        htmx = renderer.htmx

        @app.get("/static/vendor/htmx.min.js", include_in_schema=False)
        def _htmx() -> FileResponse:
            return FileResponse(htmx, media_type="text/javascript", headers={"Cache-Control": "max-age=86400"})

    app.mount("/static", StaticFiles(directory=str(static)), name="static")

    @app.exception_handler(SpaserError)
    async def _error(request: Request, exc: SpaserError) -> Response:
        headers = ({"Retry-After": str(exc.retry_after_s)} if isinstance(exc, TooManyRequestsError) else {})
        if wants_json(request):
            return JSONResponse({"error": exc.message, "status": exc.http_status}, status_code=exc.http_status,
                                headers=headers)
        if isinstance(exc, AuthenticationError) and request.method == "GET":
            return RedirectResponse(f"/connexion?{urlencode({'suite': request.url.path})}", status_code=303)
        response = renderer.error_page(request, exc.http_status, exc.message)
        response.headers.update(headers)
        return response

    @app.exception_handler(RequestValidationError)
    async def _invalid(request: Request, exc: RequestValidationError) -> Response:
        problems = "; ".join(
            f"{'.'.join(str(p) for p in error.get('loc', ())[1:]) or 'request'}: {error.get('msg', 'invalid')}"
            f" (got {error.get('input')!r})" for error in exc.errors())
        if wants_json(request):
            return JSONResponse({"error": problems, "status": 400}, status_code=400)
        return renderer.error_page(request, 400, problems)

    @app.exception_handler(OverflowError)
    async def _overflow(request: Request, exc: OverflowError) -> Response:
        """An id past the database's integers (``/consultations/99999999999999999999``) names nothing: 404."""
        if wants_json(request):
            return JSONResponse({"error": "no such item (number too large)", "status": 404}, status_code=404)
        return renderer.error_page(request, 404, "no such item (number too large)")

    @app.exception_handler(404)
    async def _not_found(request: Request, exc: Any) -> Response:
        message = getattr(exc, "detail", None) or "Not Found"
        if wants_json(request):
            return JSONResponse({"error": message, "status": 404}, status_code=404)
        return renderer.error_page(request, 404, str(message))

    from spaser.web.account_pages import account_router
    from spaser.web.api import api_router
    from spaser.web.api_clauses import clauses_api_router
    from spaser.web.api_market import market_api_router
    from spaser.web.api_sourcing import sourcing_api_router
    from spaser.web.buyer_pages import buyer_router
    from spaser.web.egalim_pages import egalim_router
    from spaser.web.egalim_workspace import egalim_workspace_router
    from spaser.web.guichet_pages import guichet_router
    from spaser.web.market_pages import market_router
    from spaser.web.pages import page_router
    from spaser.web.sourcing_pages import sourcing_router

    app.include_router(api_router(renderer))
    app.include_router(market_api_router(renderer, auth))
    app.include_router(account_router(renderer, auth))
    app.include_router(market_router(renderer, auth))
    app.include_router(buyer_router(renderer, auth))
    app.include_router(sourcing_api_router(renderer, auth))
    app.include_router(clauses_api_router(renderer, auth))
    app.include_router(sourcing_router(renderer, auth))
    app.include_router(guichet_router(renderer, auth))
    app.include_router(egalim_router(renderer))
    app.include_router(egalim_workspace_router(renderer, auth))
    app.include_router(page_router(renderer))

    @app.get("/api/v1/health", tags=["status"])
    def health() -> dict[str, str]:
        return {"status": "ok", "version": __version__}

    app.add_middleware(ResponseCache, identity=reader.identity, targets_dir=settings.data_dir / "targets",
                       egalim_paths=egalim_versions(EgalimStore.of(settings)))
    return app


def seed_clause_library(platform: Platform) -> None:
    """The guichet vert's shipped clauses, added or updated in the database before the first request."""
    from spaser.clauses import library

    with platform.db.begin() as session:
        library.seed(session, platform.context(None, actor="spaser"))


def warm_clause_search(platform: Platform) -> None:
    """Builds the clause search index (sentence model, one embedding per clause: a few seconds) in the
    background when the server starts, so that the first buyer's search does not wait for it."""
    from spaser.clauses import library

    try:
        with platform.db() as session:
            library.index(session)
    except Exception:  # the server may be stopping; the first search builds it then
        logging.getLogger(__name__).debug("clause index warm-up skipped", exc_info=True)


def app_from_env() -> FastAPI:
    """The application for ``uvicorn --factory`` (several workers): settings from the environment."""
    return create_app(Settings())


__all__ = ["HTMLResponse", "app_from_env", "create_app"]
