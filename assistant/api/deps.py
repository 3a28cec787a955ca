"""FastAPI dependencies as typed aliases: the app's state, the services, the caller.

Dependencies are ``async`` on purpose: they are quick, and a plain ``def``
would cost every request a hop to the thread pool. Only where the keys and
limits live in the shared database is the caller checked in the thread pool,
so that waiting on the database never holds up the event loop.
"""

from __future__ import annotations

import asyncio
import logging
import math
import weakref
from collections.abc import Callable
from dataclasses import dataclass, field
from functools import partial
from typing import Annotated, Any, TypeVar

from anyio import CapacityLimiter, to_thread
from fastapi import Depends, Request
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer

from assistant.api.errors import ApiError
from assistant.api.holder import ServicesHolder
from assistant.api.metrics import ApiMetrics
from assistant.api.middleware import KEY_NAME_STATE
from assistant.launcher import Services
from assistant.settings import Settings
from assistant.stores.keys import KeyStore, KeyStoreUnavailableError
from assistant.stores.ratelimit import RateLimiter

ANONYMOUS = "anonymous"
log = logging.getLogger("assistant.api")
T = TypeVar("T")


@dataclass
class ApiState:
    """What the app shares between requests, built once by ``create_app``."""

    settings: Settings
    holder: ServicesHolder
    keys: KeyStore
    limiter: RateLimiter
    open_access: bool
    answer_workers: int
    metrics: ApiMetrics
    failed_keys: RateLimiter = field(default_factory=lambda: RateLimiter(5))
    """Wrong API keys allowed per client address (a token bucket per address)."""
    _slots: weakref.WeakKeyDictionary[asyncio.AbstractEventLoop, CapacityLimiter] = field(
        default_factory=weakref.WeakKeyDictionary
    )

    async def run(self, func: Callable[..., T], *args: Any, **kwargs: Any) -> T:
        """Run CPU-bound service work in the thread pool, at most ``answer_workers`` at once.

        Requests beyond that wait in the event loop instead of oversubscribing the cores.
        """
        loop = asyncio.get_running_loop()
        slots = self._slots.get(loop)
        if slots is None:
            slots = self._slots[loop] = CapacityLimiter(self.answer_workers)
        return await to_thread.run_sync(partial(func, *args, **kwargs), limiter=slots)

    @property
    def shared(self) -> bool:
        """Whether keys, limits and conversations live in the shared database."""
        return self.settings.database.dsn() is not None


@dataclass(frozen=True)
class Caller:
    """Who is calling: a key's name (or 'anonymous' under open access) and its rights."""

    name: str
    admin: bool
    bucket: str


async def get_state(request: Request) -> ApiState:
    state: ApiState = request.app.state.api
    return state


StateDep = Annotated[ApiState, Depends(get_state)]


async def get_services(state: StateDep) -> Services:
    """The services in service for this whole request (a reload cannot split it)."""
    return state.holder.current()


ServicesDep = Annotated[Services, Depends(get_services)]


bearer = HTTPBearer(
    auto_error=False,
    description="A key from `assistant keys create`, sent as `Authorization: Bearer <key>`.",
)


def _unauthorized(code: str, message: str) -> ApiError:
    return ApiError(401, code, message, {"WWW-Authenticate": "Bearer"})


async def get_caller(
    request: Request,
    state: StateDep,
    credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(bearer)],
) -> Caller:
    """Authenticate (401) and rate-limit (429 with Retry-After) the request.

    Under open access a Bearer value that is no known key is accepted (OpenAI
    clients must send one); a revoked key is refused either way. Wrong keys are
    limited per client address: past ``failed_auth_per_minute`` the address gets
    429 for every key until its bucket refills. While the shared database is down
    a key this replica verified lately is accepted, and any other gets 503
    ``database_unavailable`` (under open access: served as anonymous).
    """
    host = request.client.host if request.client else "unknown"
    token = None
    if credentials is not None:
        token = credentials.credentials
    elif request.headers.get("authorization"):
        raise _unauthorized(
            "invalid_authorization", "Send the API key as `Authorization: Bearer <key>`."
        )
    elif not state.open_access:
        raise _unauthorized(
            "missing_api_key",
            "This API needs a key: send `Authorization: Bearer <key>`. "
            "An administrator creates one with `assistant keys create --name …`.",
        )
    if state.shared:
        caller, wait = await to_thread.run_sync(_admit, state, token, host)
    else:
        caller, wait = _admit(state, token, host)
    request.scope.setdefault("state", {})[KEY_NAME_STATE] = caller.name
    if wait > 0:
        state.metrics.refused("requests")
        retry = max(1, math.ceil(wait))
        raise ApiError(
            429,
            "rate_limited",
            f"Too many requests for '{caller.name}': the limit is "
            f"{state.settings.server.rate_limit_per_minute} per minute. Retry in {retry} s.",
            {"Retry-After": str(retry)},
        )
    return caller


def _admit(state: ApiState, token: str | None, host: str) -> tuple[Caller, float]:
    """The caller and the seconds it must wait for a token (0.0: go ahead)."""
    if token is None:
        caller = Caller(ANONYMOUS, False, f"ip:{host}")
    else:
        caller = _keyed_caller(state, token, host)
    return caller, state.limiter.acquire(caller.bucket)


def _keyed_caller(state: ApiState, token: str, host: str) -> Caller:
    """The caller a Bearer token names; 401 for a wrong one, 429 after too many from ``host``."""
    blocked = state.failed_keys.peek(host)
    if blocked > 0:
        state.metrics.refused("failed_keys")
        retry = max(1, math.ceil(blocked))
        raise ApiError(
            429,
            "too_many_failed_keys",
            f"Too many wrong API keys from your address. Retry in {retry} s with a valid key.",
            {"Retry-After": str(retry)},
        )
    try:
        key = state.keys.match(token)
    except KeyStoreUnavailableError as exc:
        if not state.shared:
            log.error("%s", exc)
            raise ApiError(
                503,
                "key_store_unavailable",
                "API keys cannot be checked right now (the server's data folder cannot be "
                "read). Try again later; the administrator has been told in the log.",
            ) from exc
        if state.open_access:  # what an unknown key would get: nothing a key grants
            return Caller(ANONYMOUS, False, f"ip:{host}")
        raise ApiError(
            503,
            "database_unavailable",
            "API keys cannot be checked right now: the shared database does not answer, and "
            "this server has not seen this key lately. Try again in a moment.",
        ) from exc
    if key is not None and key.revoked_at is None:
        return Caller(key.name, key.admin, f"key:{key.name}")
    if key is None and state.open_access:
        return Caller(ANONYMOUS, False, f"ip:{host}")
    state.failed_keys.acquire(host)
    what = f"revoked key '{key.name}'" if key is not None else "unknown key"
    log.warning("Refused an API key from %s: %s", host, what)
    raise _unauthorized("invalid_api_key", "The API key is not valid (or was revoked).")


CallerDep = Annotated[Caller, Depends(get_caller)]


async def require_admin(caller: CallerDep) -> Caller:
    if caller.bucket.startswith("ip:"):
        raise _unauthorized("missing_api_key", "This needs an admin API key (Bearer).")
    if not caller.admin:
        raise ApiError(
            403, "forbidden", "This needs an admin key (`assistant keys create --admin`)."
        )
    return caller


AdminDep = Annotated[Caller, Depends(require_admin)]
