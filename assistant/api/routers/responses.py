"""Error responses documented in the OpenAPI schema, shared by the routers."""

from __future__ import annotations

from typing import Any

from assistant.api.schemas import ErrorResponse


def errors(*statuses: int) -> dict[int | str, dict[str, Any]]:
    """OpenAPI ``responses`` entries for these error statuses, all in the error shape."""
    text = {
        400: "Malformed JSON or headers.",
        401: "Missing or invalid API key.",
        403: "The key lacks the right (admin).",
        404: "No such resource.",
        409: "The index on disk cannot be loaded.",
        413: "The request body is too large.",
        422: "Invalid input; the message says what to fix.",
        429: "Rate limit exceeded; see Retry-After.",
        503: "The index is not loaded (run `assistant ingest`).",
    }
    return {s: {"model": ErrorResponse, "description": text[s]} for s in statuses}


AUTHED = (400, 401, 413, 422, 429, 503)
"""What any authenticated ``/v1`` endpoint can answer besides success."""
