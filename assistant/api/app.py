"""The one place the HTTP API is wired: settings (+ services) → FastAPI app.

``create_app`` builds nothing heavy itself: given ``services`` (tests, the
``serve`` command) it serves them; otherwise the lifespan loads them once at
start-up. The chat UI, when installed, is mounted at ``/chat`` on an open-access
server unless ``server.chat`` is false.
"""

from __future__ import annotations

import asyncio
import logging
import os
import threading
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from anyio import to_thread
from fastapi import Depends, FastAPI
from fastapi.middleware.cors import CORSMiddleware
from fastapi_offline import FastAPIOffline

from assistant.api.deps import ApiState, get_caller, require_admin
from assistant.api.errors import SafeJSONResponse, install_error_handlers
from assistant.api.holder import ServicesHolder
from assistant.api.metrics import ApiMetrics, MetricsMiddleware
from assistant.api.middleware import (
    AccessLogMiddleware,
    BodyLimitMiddleware,
    DocsPolicyMiddleware,
    ErrorShapeMiddleware,
    HostCheckMiddleware,
)
from assistant.api.openapi import install_openapi
from assistant.api.routers import (
    admin,
    ask,
    documents,
    goals,
    health,
    metrics,
    openai_compat,
    search,
)
from assistant.api.routers.responses import errors
from assistant.api.security import allowed_hosts, metrics_access, open_access
from assistant.database import key_store, rate_limiter, request_database
from assistant.launcher import Services
from assistant.settings import Settings

log = logging.getLogger("assistant.api")

DESCRIPTION = """
Answers about *Nasjonal kreftstrategi 2025–2035* and related documents, grounded in
verbatim quotes.

**Authentication.** Send `Authorization: Bearer <key>`; an administrator creates keys with
`assistant keys create --name …` (only a hash is stored). A server on a loopback address
is open by default (`ASSISTANT_SERVER__OPEN_ACCESS` overrides): it then accepts any Bearer
value that is not a revoked key, so OpenAI clients (which must send one) work as they are.
Wrong keys are limited per client address (`too_many_failed_keys`, 429 with `Retry-After`).
`/healthz`, `/readyz`, `/metrics` on loopback (`ASSISTANT_SERVER__METRICS`) and this
documentation need no key. Requests must be addressed to an
allowed host name (`ASSISTANT_SERVER__ALLOWED_HOSTS`; loopback names on loopback).

**Errors** are always JSON: `{"error": {"code": "…", "message": "…"}}`. The `code` is
stable (`invalid_request`, `malformed_json`, `invalid_question`, `invalid_filter`,
`mode_unavailable`, `unsupported_parameter`, `missing_api_key`, `invalid_api_key`,
`rate_limited` and `too_many_failed_keys` (with `Retry-After`), `body_too_large`,
`invalid_host`, `document_not_found`, `model_not_found`, `index_not_ready`,
`index_damaged`, …); the `message` says what to fix.

**Citations.** An answer's text carries `[n]` markers; `citations[n-1]` holds the quote,
which is exactly `text[start:end]` of `GET /v1/documents/{document_id}`.

**OpenAI compatibility.** `POST /v1/chat/completions` with model `kreftstrategi` (base URL
`…/v1`) works with OpenAI clients. The text ends with a "Kilder:" list, and the response
has an extra top-level field `citations` (and `abstained`); when streaming, both ride on
the last `chat.completion.chunk` before `data: [DONE]`.
"""

DEFAULT_ANSWER_WORKERS = max(1, min(4, os.cpu_count() or 1))
"""Answers computed at once; more would only share the same cores (see bench/bench_api.py)."""


def create_app(
    settings: Settings,
    services: Services | None = None,
    *,
    build_if_missing: bool = False,
    answer_workers: int | None = None,
) -> FastAPI:
    """The API (and the chat UI at /chat, see the module's docstring) over ``services``.

    Without ``services`` the lifespan loads them with ``load_services`` (building the
    index first when ``build_if_missing``); an index problem leaves the app up with
    ``/readyz`` answering 503 and saying what to run.
    """
    holder = ServicesHolder(settings, services)
    database = request_database(settings.database)
    state = ApiState(
        settings=settings,
        holder=holder,
        keys=key_store(settings),
        limiter=rate_limiter(settings, settings.server.rate_limit_per_minute, "requests"),
        open_access=open_access(settings.server),
        answer_workers=answer_workers or settings.server.answer_threads or DEFAULT_ANSWER_WORKERS,
        failed_keys=rate_limiter(settings, settings.server.failed_auth_per_minute, "failed_keys"),
        metrics=ApiMetrics(
            build=lambda: holder.services.index.path.name if holder.services else None,
            database_up=database.available if database is not None else None,
        ),
    )

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        if holder.services is None:
            await to_thread.run_sync(holder.load, build_if_missing)
        stop = threading.Event()
        if settings.database.dsn():  # replicas take up a build made current anywhere
            threading.Thread(target=holder.watch, args=(stop,), daemon=True).start()
        try:
            yield
        finally:
            stop.set()

    # Swagger UI and ReDoc from files in the fastapi-offline package: /docs works offline.
    app = FastAPIOffline(
        title="Kreftstrategi-assistenten",
        version="1.0.0",
        description=DESCRIPTION,
        lifespan=lifespan,
        default_response_class=SafeJSONResponse,
    )
    app.state.api = state
    install_error_handlers(app)
    app.include_router(health.router)
    authed = [Depends(get_caller)]
    for module in (ask, search, documents, goals, openai_compat):
        app.include_router(module.router, prefix="/v1", dependencies=authed)
    app.include_router(admin.router, prefix="/v1")
    access = metrics_access(settings.server)
    if access != "off":
        admin_only = access == "admin"
        app.include_router(
            metrics.router,
            dependencies=[Depends(require_admin)] if admin_only else [],
            responses=errors(401, 403, 429) if admin_only else {},
        )
    install_openapi(app, holder, settings)

    if settings.server.cors_origins:
        app.add_middleware(
            CORSMiddleware,
            allow_origins=settings.server.cors_origins,
            allow_methods=["GET", "POST"],
            allow_headers=["Authorization", "Content-Type", "Accept"],
            max_age=600,
        )
    app.add_middleware(BodyLimitMiddleware, max_bytes=settings.server.max_body_bytes)
    app.add_middleware(ErrorShapeMiddleware)
    app.add_middleware(DocsPolicyMiddleware, paths=["/docs", "/redoc"])
    app.add_middleware(HostCheckMiddleware, allowed=allowed_hosts(settings.server))
    app.add_middleware(MetricsMiddleware, metrics=state.metrics)
    app.add_middleware(AccessLogMiddleware)  # the last added runs first: every request logged
    if not settings.server.chat:
        log.info("The chat UI is turned off (ASSISTANT_SERVER__CHAT=false); serving the API only.")
    elif state.open_access:
        _mount_chat(app, holder)
    else:
        # The chat has no login of its own: where API keys are required, it is not served.
        log.warning(
            "API keys are required, so the chat UI is not mounted; run `assistant ui` on "
            "loopback or set ASSISTANT_SERVER__OPEN_ACCESS=true to serve it here."
        )
    return app


def _mount_chat(app: FastAPI, holder: ServicesHolder) -> None:
    try:
        from ui.app import mount_chat  # type: ignore[import-not-found,unused-ignore]
    except ModuleNotFoundError as exc:
        if exc.name not in ("ui", "ui.app"):
            raise  # the UI is there but broken: say so rather than serve without it
        log.info("The chat UI (package 'ui') is not installed; serving the API only.")
        return
    try:
        asyncio.get_running_loop()
    except RuntimeError:
        # Outside a loop Gradio makes a new event loop per lock and never closes them
        # (gradio.utils.safe_get_lock); lend it one loop that is closed afterwards.
        async def mount() -> None:
            mount_chat(app, holder.current)

        asyncio.run(mount())
    else:
        mount_chat(app, holder.current)
