"""create_app(): settings, database, middleware, routers, static files and error handlers."""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from datetime import timedelta

from anyio import to_thread
from fastapi import FastAPI
from fastapi.staticfiles import StaticFiles
from starlette.middleware.sessions import SessionMiddleware
from uvicorn.middleware.proxy_headers import ProxyHeadersMiddleware

from app.audit import service as audit
from app.auth import (
    access_version,  # noqa: F401  (its flush listeners)
    sessions,
)
from app.auth.oidc import OidcClients
from app.auth.pages import pages as auth_pages
from app.auth.profile import pages as profile_pages
from app.auth.providers import ProviderRegistry
from app.auth.ratelimit import RateLimits
from app.core import (
    data_version,  # noqa: F401  (its flush listeners)
    threads,
)
from app.core.config import PROJECT_ROOT, Environment, Settings, get_settings, private_directory
from app.core.db import build_engine, build_sessionmaker
from app.countries.api import api as countries_api
from app.documents import extraction, screening
from app.documents.api import api as documents_api
from app.documents.content import stamping_slots
from app.documents.pages import pages as documents_pages
from app.groups.api import api as groups_api
from app.groups.pages import pages as groups_pages
from app.home.pages import pages as home_pages
from app.meetings.api import api as meetings_api
from app.meetings.feeds import api as feeds_api
from app.meetings.feeds import pages as feeds_pages
from app.meetings.pages import pages as meetings_pages
from app.meetings.scheduling_pages import api as scheduling_api
from app.meetings.scheduling_pages import pages as scheduling_pages
from app.notifications import mail as notification_mail
from app.notifications import service as notifications
from app.notifications.api import api as notifications_api
from app.notifications.pages import pages as notifications_pages
from app.storage import staging, storage_from_settings
from app.system.api_docs import router as api_docs_pages
from app.system.router import SCHEMA_RECHECK_SECONDS
from app.system.router import router as system_router
from app.users.api import api as users_api
from app.users.api import me_api
from app.users.pages import pages as users_pages
from app.web import openapi, templating
from app.web.error_pages import install_error_handlers
from app.web.page_cache import ResponseCache
from app.web.security_headers import SecurityHeadersMiddleware, content_security_policy, security_headers
from app.web.uploads_guard import UploadGuardMiddleware

SESSION_COOKIE = "quad_session"


@asynccontextmanager
async def lifespan(app: FastAPI) -> AsyncIterator[None]:
    """Sizes the thread pool; each instance runs a text-extraction worker (QUAD_EXTRACTION_WORKER), stopped
    cleanly at shutdown."""
    settings: Settings = app.state.settings
    # The thread pool and the connection pool are sized together (QUAD_THREADS, QUAD_DB_POOL_SIZE).
    to_thread.current_default_thread_limiter().total_tokens = settings.threads
    threads.admission_wait_seconds = settings.thread_wait_seconds
    worker: extraction.ExtractionWorker | None = None
    if settings.extraction_worker:
        storage = app.state.storage
        worker = extraction.ExtractionWorker(
            app.state.background_sessionmaker,
            storage,
            extraction.ExtractionLimits.from_settings(settings),
            # Temporary folders of processes that ended (killed mid-upload) go at the next round.
            housekeeping=lambda: staging.sweep(storage.temp_dir.parent),
        )
        worker.start()
    app.state.extraction_worker = worker
    try:
        yield
    finally:
        app.state.extraction_worker = None
        if worker is not None:
            worker.stop()


def create_app(settings: Settings | None = None) -> FastAPI:
    settings = settings or get_settings()
    settings.check_safe_to_start()
    logging.basicConfig(level=settings.log_level.upper(), format="%(asctime)s %(levelname)s %(name)s %(message)s")
    # Readiness probes ask Alembic for the schema revision often; its INFO lines would drown the log.
    logging.getLogger("alembic").setLevel(logging.WARNING)

    app = FastAPI(
        title="Quad Dialogue API",
        version="1",
        description="Working groups, documents, meetings, principle drafts and consultations of the Quad "
        "critical-technology dialogue. Errors are RFC 9457 application/problem+json.",
        docs_url=None,
        redoc_url=None,
        lifespan=lifespan,
    )
    app.state.settings = settings
    # The lower layers ask through these how a request's principal is found and how a refusal is recorded.
    app.state.resolve_principal = sessions.resolve_principal
    app.state.record_refusal = audit.record
    app.state.count_unread_notifications = notifications.unread_count
    # Where this process's notification emails go (an SMTP server, or .eml files under the data folder).
    notification_mail.configure(settings)
    # The embedded database, stored files, temporary uploads and the dev key live here: this account's only.
    private_directory(settings.data_dir)
    app.state.engine = build_engine(
        settings.resolved_database_url(),
        pool_size=settings.resolved_db_pool_size,
        pool_timeout=settings.db_pool_timeout,
    )
    app.state.sessionmaker = build_sessionmaker(app.state.engine)
    # Work outside requests (the extraction worker) gets its own sessions, never a request's.
    app.state.extraction_worker = None
    app.state.background_sessionmaker = build_sessionmaker(app.state.engine)
    app.state.storage = storage_from_settings(settings)
    app.state.stamp_slots = stamping_slots(settings)  # marked files stamped at once in this worker
    app.state.schema_recheck_seconds = SCHEMA_RECHECK_SECONDS
    # Templates are re-read when they change only in dev, where people edit them.
    templating.environment.auto_reload = settings.env is Environment.dev
    screening.configure(settings.screening_file)  # a bad list file stops the start with a clear message
    app.state.identity_providers = ProviderRegistry.from_file(settings.idp_file)
    app.state.oidc = OidcClients(app.state.identity_providers)
    app.state.rate_limits = RateLimits(
        {"sign-in": settings.login_rate_limit, "tokens": settings.token_rate_limit},
        redis_url=settings.redis_url,
        key_prefix=settings.rate_limit_prefix,
    )
    app.state.response_cache = (
        ResponseCache(ttl=timedelta(seconds=settings.page_cache_ttl_seconds), redis_url=settings.redis_url)
        if settings.page_cache
        else None
    )

    routers = (
        system_router,
        countries_api,
        groups_api,
        me_api,
        users_api,
        documents_api,
        notifications_api,
        meetings_api,
        feeds_api,
        scheduling_api,
        home_pages,
        groups_pages,
        documents_pages,
        feeds_pages,  # before meetings_pages: /meetings/1.ics would match /meetings/{meeting_id}
        meetings_pages,
        scheduling_pages,
        auth_pages,
        profile_pages,
        users_pages,
        notifications_pages,
        api_docs_pages,
    )
    for router in routers:
        app.include_router(router)
    app.mount("/static", StaticFiles(directory=PROJECT_ROOT / "static"), name="static")
    install_error_handlers(app)
    openapi.install(app)

    # Innermost first. Bodies are counted inside the session middleware, which it needs to tell who is asking.
    app.add_middleware(UploadGuardMiddleware, max_upload_bytes=settings.max_upload_bytes)
    # Outermost last: headers wrap everything, including error pages.
    app.add_middleware(
        SessionMiddleware,
        secret_key=settings.resolved_secret_key(),
        session_cookie=SESSION_COOKIE,
        max_age=settings.session_max_hours * 3600,
        same_site="lax",
        https_only=settings.is_https,
    )
    # Kept on the app too: the 500 handler sits outside every middleware and adds them itself.
    app.state.security_headers = security_headers(
        content_security_policy(app.state.identity_providers.origins()), https=settings.is_https
    )
    app.add_middleware(SecurityHeadersMiddleware, headers=app.state.security_headers)
    # Outermost: the client address (rate limits, logs) comes from X-Forwarded-For only when the immediate peer
    # is one of QUAD_TRUSTED_PROXIES; `quad serve` leaves this to the app, so every server behaves the same.
    app.add_middleware(ProxyHeadersMiddleware, trusted_hosts=settings.trusted_proxies)
    return app
