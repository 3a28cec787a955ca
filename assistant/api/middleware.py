"""Pure ASGI middleware: an access-log line per request, a body size limit, a Host check
and the JSON error shape for what mounted apps answer."""

from __future__ import annotations

import json
import logging
import time
from collections.abc import Sequence
from typing import ClassVar

from fastapi import HTTPException
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from assistant.api.errors import error_response

access_log = logging.getLogger("assistant.api.access")

KEY_NAME_STATE = "api_key_name"
"""Where authentication leaves the caller's key name in ``scope["state"]`` for the log."""


class AccessLogMiddleware:
    """Logs ``{"method", "path", "status", "ms", "key"}`` as one JSON line per request.

    ``ms`` runs until the last byte of the response, so a stream counts in full.
    """

    def __init__(self, app: ASGIApp):
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        began = time.perf_counter()
        state = scope.setdefault("state", {})
        status = 500

        async def send_logged(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
            await send(message)

        try:
            await self.app(scope, receive, send_logged)
        finally:
            line = {
                "method": scope["method"],
                "path": scope["path"],
                "status": status,
                "ms": round((time.perf_counter() - began) * 1000, 1),
                "key": state.get(KEY_NAME_STATE, "-"),
            }
            access_log.info(json.dumps(line, ensure_ascii=True))


class BodyLimitMiddleware:
    """Refuses request bodies over ``max_bytes`` with 413, counted as they arrive.

    A declared ``Content-Length`` over the limit is refused before anything is
    read; a chunked body is cut off the moment it passes the limit.
    """

    def __init__(self, app: ASGIApp, max_bytes: int):
        self.app = app
        self.max_bytes = max_bytes

    def _too_large(self) -> str:
        return f"The request body is over the limit of {self.max_bytes} bytes; send less."

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        declared = dict(scope.get("headers") or []).get(b"content-length")
        if declared is not None:
            try:
                size = int(declared)
            except ValueError:
                size = -1
            if size > self.max_bytes or size < 0:
                message = self._too_large() if size > 0 else "Invalid Content-Length header."
                status, code = (413, "body_too_large") if size > 0 else (400, "bad_request")
                await error_response(status, code, message)(scope, receive, send)
                return
        received = 0

        async def receive_limited() -> Message:
            nonlocal received
            message = await receive()
            if message["type"] == "http.request":
                received += len(message.get("body", b""))
                if received > self.max_bytes:
                    # FastAPI re-raises HTTPExceptions met while reading the body, so the
                    # app's handler turns this into the JSON 413.
                    raise HTTPException(413, self._too_large())
            return message

        await self.app(scope, receive_limited, send)


class HostCheckMiddleware:
    """Refuses requests whose ``Host`` names none of ``allowed`` (400 ``invalid_host``).

    A page on another site cannot then drive a loopback server through DNS
    rebinding: its requests carry the attacker's host name. ``*.example.org``
    allows a domain and its subdomains, ``*`` any host.
    """

    def __init__(self, app: ASGIApp, allowed: Sequence[str]):
        self.app = app
        names = [h.strip().lower() for h in allowed]
        self.any = "*" in names
        self.exact = {h.removeprefix("*.").strip("[]") for h in names}
        self.domains = tuple(h[1:] for h in names if h.startswith("*."))
        shown = [f"[{h}]" if ":" in h else h for h in names]
        self.message = (
            f"This server answers only requests addressed to {', '.join(shown)}. To reach it "
            "under another name, add that name to ASSISTANT_SERVER__ALLOWED_HOSTS."
        )

    def allows(self, host: str) -> bool:
        return self.any or host in self.exact or host.endswith(self.domains)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] not in ("http", "websocket") or self.any:
            await self.app(scope, receive, send)
            return
        if self.allows(host_of(scope)):
            await self.app(scope, receive, send)
        elif scope["type"] == "websocket":
            await send({"type": "websocket.close", "code": 1008})
        else:
            await error_response(400, "invalid_host", self.message)(scope, receive, send)


def host_of(scope: Scope) -> str:
    """The host name of the ``Host`` header, lower-cased, without port or IPv6 brackets."""
    headers: dict[bytes, bytes] = dict(scope.get("headers") or [])
    raw = headers.get(b"host", b"").decode("latin-1").strip().lower()
    if raw.startswith("["):
        return raw[1:].split("]", 1)[0]
    return raw.rsplit(":", 1)[0] if raw.count(":") == 1 else raw


class ErrorShapeMiddleware:
    """Gives 403/404/405 answers of mounted apps (the chat) the API's JSON error shape.

    Their ``{"detail": …}`` bodies, which may echo the path asked for, are
    replaced by a fixed message; other bodies (the API's own errors, the chat's
    HTML pages) pass unchanged.
    """

    MESSAGES: ClassVar[dict[int, tuple[str, str]]] = {
        403: ("forbidden", "Access to this resource is not allowed."),
        404: ("not_found", "No such page or file. See /docs for the API and /chat/ for the chat."),
        405: ("method_not_allowed", "This method is not allowed here. See /docs for the API."),
    }

    def __init__(self, app: ASGIApp):
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        start: Message | None = None
        body = bytearray()

        async def send_shaped(message: Message) -> None:
            nonlocal start
            if message["type"] == "http.response.start" and message["status"] in self.MESSAGES:
                start = message  # held until the body shows whose error it is
                return
            if start is None or message["type"] != "http.response.body":
                await send(message)
                return
            body.extend(message.get("body", b""))
            if message.get("more_body", False):
                return
            if _is_detail_json(bytes(body)):
                code, text = self.MESSAGES[start["status"]]
                await error_response(start["status"], code, text)(scope, receive, send)
            else:
                await send(start)
                await send({"type": "http.response.body", "body": bytes(body)})

        await self.app(scope, receive, send_shaped)


def _is_detail_json(body: bytes) -> bool:
    """A ``{"detail": …}`` body (FastAPI's and Starlette's default error shape)."""
    if len(body) > 65_536:
        return False
    try:
        data = json.loads(body)
    except ValueError:
        return False
    return isinstance(data, dict) and "detail" in data and "error" not in data


DOCS_POLICY = (
    "default-src 'self'; script-src 'self' 'unsafe-inline'; style-src 'self' 'unsafe-inline'; "
    "img-src 'self' data:; worker-src 'self' blob:; connect-src 'self'"
)
"""The documentation pages load only from this server (ReDoc would fetch a logo from a CDN)."""


class DocsPolicyMiddleware:
    """Adds :data:`DOCS_POLICY` as Content-Security-Policy to the pages in ``paths``."""

    def __init__(self, app: ASGIApp, paths: Sequence[str]):
        self.app = app
        self.paths = set(paths)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope["path"] not in self.paths:
            await self.app(scope, receive, send)
            return

        async def send_with_policy(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = [
                    *message.get("headers", []),
                    (b"content-security-policy", DOCS_POLICY.encode()),
                ]
                message = {**message, "headers": headers}
            await send(message)

        await self.app(scope, receive, send_with_policy)
