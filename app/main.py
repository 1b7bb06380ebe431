"""The application factory: settings → engine → forms → routers, and the one error handler family."""

from __future__ import annotations

import gc
import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from functools import cache

from fastapi import Depends, FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse, Response
from sqlalchemy.exc import OperationalError
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.requests import ClientDisconnect

from app.admin.router import router as management_router
from app.config import Environment, Settings, get_settings
from app.dashboard.rendering import not_found_page
from app.dashboard.router import router as dashboard_router
from app.dashboard.router_breakdowns import router as dashboard_breakdowns_router
from app.dashboard.router_compare import router as dashboard_compare_router
from app.dashboard.router_directory import router as dashboard_directory_router
from app.dashboard.router_login import router as dashboard_login_router
from app.dashboard.router_manage import router as dashboard_manage_router
from app.dashboard.router_manage_counts import router as dashboard_manage_counts_router
from app.dashboard.router_manage_officials import router as dashboard_manage_officials_router
from app.dashboard.router_voice import router as dashboard_voice_router
from app.dashboard.views import FigureCache
from app.db import make_engine, make_session_factory, session_scope
from app.error_responses import BUSY, SLOW_BODY, VALIDATION_ERROR
from app.errors import SipasError, Unavailable, error_body
from app.forms.loader import check_registered, load_forms
from app.health.router import router as health_router
from app.kiosk.router import page_router as kiosk_page_router
from app.kiosk.router import router as kiosk_router
from app.kiosk.router import templates as kiosk_templates
from app.limits import InFlightLimit, NulRefusal, RequestBody, no_nul_in_path
from app.links.posters import PAPERS, render_document
from app.links.router import mint_limiter, qr_router
from app.links.router import router as links_api_router
from app.links.service import LinkNotFound
from app.logging import redact_database_errors
from app.officials.deps import COOKIE
from app.officials.router import router as auth_router
from app.planning.router import router as plan_router
from app.public.i18n import pick_lang
from app.public.router import client_bursts, code_misses, form_limiters, message_page
from app.public.router import router as public_router
from app.publications.router import router as publications_router
from app.publications.router import schedules_router as publication_schedules_router
from app.publications.router_pages import router as publications_pages_router
from app.publications.router_public import router as results_router
from app.ratelimit import RateLimiter
from app.reference.router import router as reference_router
from app.replica import dispose_reports_engine
from app.reports.router import router as satisfaction_router
from app.reports.router_voice import router as voice_router
from app.responses.router import router as responses_router
from app.responses.summary import SummaryRefresher
from app.security import ForwardedClient, SecurityHeaders, error_headers, inline_hashes, install_docs

logger = logging.getLogger("sipas")


def _pointer(loc: tuple[int | str, ...]) -> str:
    """A validation location as a JSON pointer into the request body (``/answers/overall``)."""
    parts = list(loc[1:]) if loc and loc[0] == "body" else list(loc)
    return "/" + "/".join(str(part).replace("~", "~0").replace("/", "~1") for part in parts)


def fixed_style_hashes() -> list[str]:
    """The inline stylesheets that never change while the service runs: the kiosk page's and the posters' (one per
    paper size; a poster must print from a saved file, so its sheet stays inline)."""
    pages = [
        kiosk_templates.get_template("kiosk.html").render(),
        *(render_document([], size=size, title="") for size in PAPERS),
    ]
    return [found for page in pages for found in inline_hashes(page, "style")]


@cache
def _freeze_startup_objects() -> None:
    """Move what start-up made (modules, forms, the app) out of the collector's sight, once per process: they live as
    long as it does, and each full collection walked them all. A figure's rows made one every other request on the
    demo (+70 ms on a 125 ms request). Once, not per app: a process that builds many apps (the tests) would keep
    every one of them frozen."""
    gc.freeze()


def create_app(settings: Settings | None = None) -> FastAPI:
    settings = settings or get_settings()
    # However the server was started (sipas serve, plain uvicorn, tests): request errors are logged without bound
    # values or the database's DETAIL line.
    redact_database_errors("sipas", "uvicorn.error")
    # Validate the forms and check them against the database before serving anything.
    forms = load_forms(settings.forms_dir)
    engine = make_engine(settings.database_url)
    session_factory = make_session_factory(engine, settings.figures_source)
    with session_scope(session_factory) as session:
        registry = check_registered(session, forms)

    @asynccontextmanager
    async def lifespan(_app: FastAPI) -> AsyncIterator[None]:
        folding = SummaryRefresher(session_factory, settings.summary_refresh_seconds)
        folding.start()
        _freeze_startup_objects()
        yield
        folding.stop()
        dispose_reports_engine(_app.state)
        engine.dispose()

    app = FastAPI(
        title="SIPAS survey service",
        summary="Citizen satisfaction with public administrative services: collection and official indices",
        version="0.1.0",
        lifespan=lifespan,
        docs_url=None,
        redoc_url=None,
        responses={**VALIDATION_ERROR, **SLOW_BODY, **BUSY},  # BUSY: also a database that went away mid-request
        dependencies=[Depends(no_nul_in_path)],  # first of every route's dependencies
    )
    app.state.settings = settings
    app.state.engine = engine
    app.state.session_factory = session_factory
    app.state.forms = registry
    app.state.form_limiters = form_limiters(settings)
    app.state.form_client_bursts = client_bursts()
    app.state.code_misses = code_misses()
    app.state.kiosk_limiter = RateLimiter(settings.kiosk_rate_per_minute, 60)
    app.state.official_limiter = RateLimiter(settings.official_rate_per_minute, 60)
    app.state.dossier_link_limiter = mint_limiter()
    app.state.dashboard_cache = FigureCache()
    app.add_middleware(
        InFlightLimit,
        limit=settings.max_requests_in_flight,
        wait_seconds=settings.busy_wait_seconds,
        exempt=("/healthz",),
    )
    # Outside the in-flight limit: a request takes a place only once its whole body has arrived and its text has
    # passed the NUL check (app/limits.py). The kiosk batch judges each item on its own, NULs included.
    app.add_middleware(NulRefusal, json_skip={kiosk_router.url_path_for("submit_batch"): ["/items"]})
    app.add_middleware(
        RequestBody,
        max_bytes=settings.max_body_bytes,
        min_bytes_per_second=settings.min_body_bytes_per_second,
        grace_seconds=settings.body_grace_seconds,
    )
    # Outside those, so their refusals carry the headers too.
    app.add_middleware(
        SecurityHeaders,
        style_hashes=fixed_style_hashes(),
        hsts=settings.env is Environment.production,
        session_cookie=COOKIE,
        no_store_paths=("/api/v1/auth/", "/dashboard/login"),
    )
    # Outermost: the client's address and scheme behind a trusted proxy, for everything inside.
    app.add_middleware(ForwardedClient, trusted=settings.trusted_proxies)
    install_docs(app)

    @app.exception_handler(LinkNotFound)
    async def _link_not_found(request: Request, _exc: LinkNotFound) -> Response:
        # Citizens who scanned a bad, old or tampered code get a page in Vietnamese, not JSON.
        return message_page(request, pick_lang(request.query_params.get("lang")), "not_found", 404)

    @app.exception_handler(SipasError)
    async def _sipas_error(_request: Request, exc: SipasError) -> JSONResponse:
        return JSONResponse(exc.to_dict(), status_code=exc.status_code, headers=getattr(exc, "headers", None))

    @app.exception_handler(StarletteHTTPException)
    async def _http_error(request: Request, exc: StarletteHTTPException) -> Response:
        # Routing's 404/405 and an unreadable body's 400, in the same shape as every other error; an unknown
        # dashboard address gets the dashboard's own 404 page, in its layout.
        if exc.status_code == 404 and request.url.path.startswith("/dashboard/"):
            return not_found_page(request)
        code = {400: "bad_request", 404: "not_found", 405: "method_not_allowed"}.get(exc.status_code, "error")
        return JSONResponse(error_body(code, str(exc.detail)), status_code=exc.status_code, headers=exc.headers)

    @app.exception_handler(RequestValidationError)
    async def _validation_error(_request: Request, exc: RequestValidationError) -> JSONResponse:
        details = [{"pointer": _pointer(tuple(err["loc"])), "message": err["msg"]} for err in exc.errors()]
        first = details[0] if details else {"pointer": "/", "message": "invalid request"}
        return JSONResponse(error_body("invalid", f"{first['pointer']}: {first['message']}", details), status_code=422)

    @app.exception_handler(OperationalError)
    async def _database_unavailable(request: Request, _exc: OperationalError) -> JSONResponse:
        # The database went away mid-request (restart, failover): nothing was committed; the client may retry.
        logger.warning("database unavailable", extra={"path": request.url.path})
        body = error_body(Unavailable.code, "the database is unavailable; retry in a moment")
        return JSONResponse(body, status_code=503, headers={"Retry-After": "2"})

    @app.exception_handler(ClientDisconnect)
    async def _client_left(request: Request, _exc: ClientDisconnect) -> Response:
        # The client hung up while sending its body (a timeout on a slow phone): nothing to answer, nothing stored.
        logger.info("client disconnected before its request was read", extra={"path": request.url.path})
        return Response(status_code=400)

    @app.exception_handler(Exception)
    async def _unexpected(request: Request, exc: Exception) -> JSONResponse:
        logger.exception("unhandled error", extra={"path": request.url.path})
        body = error_body("internal", "internal error; it has been logged")
        return JSONResponse(body, status_code=500, headers=error_headers())  # sent past the headers' middleware

    app.include_router(health_router)
    app.include_router(public_router)
    app.include_router(qr_router)
    app.include_router(kiosk_router)
    app.include_router(kiosk_page_router)
    app.include_router(links_api_router)
    app.include_router(plan_router)
    app.include_router(auth_router)
    app.include_router(management_router)
    app.include_router(reference_router)
    app.include_router(publications_router)
    app.include_router(publication_schedules_router)
    app.include_router(results_router)
    app.include_router(publications_pages_router)
    app.include_router(satisfaction_router)
    app.include_router(voice_router)
    app.include_router(responses_router)
    app.include_router(dashboard_login_router)
    app.include_router(dashboard_router)
    app.include_router(dashboard_voice_router)
    app.include_router(dashboard_compare_router)
    app.include_router(dashboard_breakdowns_router)
    app.include_router(dashboard_manage_router)
    app.include_router(dashboard_manage_counts_router)
    app.include_router(dashboard_manage_officials_router)
    app.include_router(dashboard_directory_router)
    return app
