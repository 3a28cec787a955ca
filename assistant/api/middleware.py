"""Pure ASGI middleware: one structured access-log line per request, and a body size limit."""

from __future__ import annotations

import json
import logging
import time

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
