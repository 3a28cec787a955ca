"""Every error the API sends: JSON ``{"error": {"code", "message"}}`` and nothing else.

``code`` is stable (clients branch on it); ``message`` says what to fix. No
handler ever puts a stack trace, an API key or a file path into a body: the
catch-all handler logs the exception and answers with a fixed text.
"""

from __future__ import annotations

import json
import logging
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from starlette.exceptions import HTTPException as StarletteHTTPException

from assistant.answer.service import ModeUnavailableError, QuestionError
from assistant.components.database import DatabaseError
from assistant.components.llm import LLMUnavailableError
from assistant.retrieval.hybrid import FilterError

log = logging.getLogger("assistant.api")

_STATUS_CODES = {
    400: "bad_request",
    401: "unauthorized",
    403: "forbidden",
    404: "not_found",
    405: "method_not_allowed",
    413: "body_too_large",
    415: "unsupported_media_type",
    429: "rate_limited",
}
FASTAPI_BODY_ERROR = "There was an error parsing the body"
_UTF8_HINT = "Encode it as UTF-8 and send it with Content-Type: application/json."
_JSON_HINT = 'Send a JSON object with Content-Type: application/json, e.g. {"question": "…"}.'


class SafeJSONResponse(JSONResponse):
    """JSON that never fails to encode: unpaired surrogates a client sent become '?'."""

    def render(self, content: Any) -> bytes:
        text = json.dumps(content, ensure_ascii=False, allow_nan=False, separators=(",", ":"))
        return text.encode("utf-8", errors="replace")


class ApiError(Exception):
    """An error with its HTTP status, stable code and a message that says what to do."""

    def __init__(self, status: int, code: str, message: str, headers: dict[str, str] | None = None):
        super().__init__(message)
        self.status = status
        self.code = code
        self.message = message
        self.headers = headers


def error_response(
    status: int,
    code: str,
    message: str,
    headers: dict[str, str] | None = None,
    details: list[dict[str, str]] | None = None,
) -> SafeJSONResponse:
    """The one shape of every error body."""
    error: dict[str, Any] = {"code": code, "message": message}
    if details:
        error["details"] = details
    return SafeJSONResponse({"error": error}, status_code=status, headers=headers)


def _field(loc: tuple[Any, ...]) -> str:
    parts = [str(p) for p in loc if p not in ("body", "query", "path")]
    name = ""
    for part in parts:
        name += f"[{part}]" if part.isdigit() else (f".{part}" if name else part)
    return name or "body"


def _validation_message(errors: list[dict[str, Any]]) -> tuple[str, list[dict[str, str]]]:
    details = []
    for err in errors[:10]:
        field = _field(tuple(err.get("loc", ())))
        message = str(err.get("msg", "invalid value")).removeprefix("Value error, ")
        if field == "body" and err.get("type") in ("model_attributes_type", "dict_type", "missing"):
            message = f"The request needs a JSON body. {_JSON_HINT}"
        elif err.get("type") == "extra_forbidden":
            message = "Unknown field; remove it (see /docs for the accepted fields)."
        details.append({"field": field, "message": message})
    summary = "; ".join(f"{d['field']}: {d['message']}" for d in details)
    return f"Invalid request. {summary}", details


async def _validation(request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, RequestValidationError)
    errors = list(exc.errors())
    invalid_json = next((e for e in errors if e.get("type") == "json_invalid"), None)
    if invalid_json is not None:
        where = invalid_json.get("loc", ("body", 0))[-1]
        reason = str((invalid_json.get("ctx") or {}).get("error", "syntax error"))
        # json's messages may end in "at" already ("Unterminated string starting at")
        reason = reason.removesuffix(" at")
        return error_response(
            400,
            "malformed_json",
            f"The body is not valid JSON ({reason} at character {where}). " + _JSON_HINT,
        )
    message, details = _validation_message(errors)
    return error_response(422, "invalid_request", message, details=details)


async def _api_error(request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, ApiError)
    return error_response(exc.status, exc.code, exc.message, exc.headers)


async def _http(request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, StarletteHTTPException)
    code = _STATUS_CODES.get(exc.status_code, "http_error")
    message = exc.detail if isinstance(exc.detail, str) else "Request failed."
    if exc.status_code == 400 and exc.detail == FASTAPI_BODY_ERROR:
        # FastAPI's answer to a body it cannot decode at all, such as invalid UTF-8
        return error_response(
            400, "malformed_json", "The body could not be read as JSON text. " + _UTF8_HINT
        )
    if exc.status_code == 404:
        message = "No such endpoint. See /docs for the API."
    elif exc.status_code == 405:
        message = f"{request.method} is not allowed here. See /docs for the API."
    return error_response(exc.status_code, code, message, getattr(exc, "headers", None))


def _mapped(status: int, code: str) -> Any:
    async def handler(request: Request, exc: Exception) -> JSONResponse:
        return error_response(status, code, str(exc))

    return handler


async def _llm_unavailable(request: Request, exc: Exception) -> JSONResponse:
    log.warning("LLM endpoint unavailable: %s", exc)
    return error_response(
        503,
        "llm_unavailable",
        "The language model endpoint did not answer. Try again later or use mode 'extractive'.",
    )


async def _database_unavailable(request: Request, exc: Exception) -> JSONResponse:
    log.error("%s", exc)  # the message names what to check, never the URL's password
    return error_response(
        503,
        "database_unavailable",
        "The shared database cannot be reached right now. Try again later; the "
        "administrator has been told in the log.",
    )


async def _internal(request: Request, exc: Exception) -> JSONResponse:
    log.error("Unhandled error on %s %s", request.method, request.url.path, exc_info=exc)
    return error_response(
        500, "internal_error", "Something went wrong on our side; the error has been logged."
    )


def install_error_handlers(app: FastAPI) -> None:
    """Map every exception the API can meet to the JSON error shape."""
    app.add_exception_handler(RequestValidationError, _validation)
    app.add_exception_handler(ApiError, _api_error)
    app.add_exception_handler(StarletteHTTPException, _http)
    app.add_exception_handler(QuestionError, _mapped(422, "invalid_question"))
    app.add_exception_handler(FilterError, _mapped(422, "invalid_filter"))
    app.add_exception_handler(ModeUnavailableError, _mapped(422, "mode_unavailable"))
    app.add_exception_handler(LLMUnavailableError, _llm_unavailable)
    app.add_exception_handler(DatabaseError, _database_unavailable)
    app.add_exception_handler(Exception, _internal)
