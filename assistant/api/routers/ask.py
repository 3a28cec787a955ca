"""POST /v1/ask: a grounded answer, as JSON or as server-sent events."""

from __future__ import annotations

import json
import logging
import time
from collections.abc import AsyncIterator, Callable, Iterator
from typing import Any

from anyio import to_thread
from fastapi import APIRouter, Request
from fastapi.responses import Response, StreamingResponse
from starlette.concurrency import iterate_in_threadpool

from assistant.answer.models import Answer
from assistant.api.deps import ServicesDep, StateDep
from assistant.api.errors import ApiError, SafeJSONResponse
from assistant.api.routers.responses import AUTHED, errors
from assistant.api.schemas import AskRequest, AskResponse, has_text
from assistant.database.fallback import not_shared_notice

router = APIRouter(tags=["answers"])
log = logging.getLogger("assistant.api")

EVENT_STREAM = "text/event-stream"
EMPTY_QUESTION = "The question is empty. Write a question, e.g. 'Hva er tiårsmål 2?'."
STREAM_DOC = (
    'Server-sent events: `event: delta` with `{"text": …}` per piece of the answer, then one '
    "`event: final` with the whole answer object (as in application/json). An error after the "
    "stream has started arrives as `event: error` with the error object."
)


def sse(event: str, data: dict[str, Any]) -> str:
    """One server-sent event."""
    return f"event: {event}\ndata: {json.dumps(data, ensure_ascii=False)}\n\n"


def wants_stream(request: Request, stream: bool) -> bool:
    return stream or EVENT_STREAM in request.headers.get("accept", "")


@router.post(
    "/ask",
    response_model=AskResponse,
    summary="Answer a question with cited quotes",
    responses={
        200: {"content": {EVENT_STREAM: {"schema": {"type": "string"}}}, "description": STREAM_DOC},
        **errors(*AUTHED),
    },
)
async def ask(
    body: AskRequest, request: Request, services: ServicesDep, state: StateDep
) -> Response:
    """Answer `question` from the documents, with `[n]` markers and verbatim citations.

    Send `conversation_id` from a previous answer to ask a follow-up; or send
    `history` yourself. Every answer returns the `conversation_id` to continue with.
    While the shared database is down, a `notice` says that the conversation is
    remembered on this server only.
    """
    if not has_text(body.question):
        raise ApiError(422, "invalid_question", EMPTY_QUESTION)
    began = time.perf_counter()
    history = [turn.to_turn() for turn in body.history] if body.history is not None else None
    # reading a stored conversation may wait on the shared database: not in the event loop
    conversation = await to_thread.run_sync(services.chat.open, body.conversation_id, history)
    filters = body.filters.to_filters() if body.filters else None

    def shown(answer: Answer) -> dict[str, Any]:
        state.metrics.answered("/v1/ask", answer, time.perf_counter() - began)
        data = answer.public_dict()
        if notice := not_shared_notice(services.conversations, conversation.id, answer.language):
            data["notice"] = f"{data['notice']} {notice}" if data.get("notice") else notice
        return {**data, "conversation_id": conversation.id}

    if wants_stream(request, body.stream):
        pieces = conversation.stream(body.question, filters, body.mode)
        first = await state.run(next, pieces)  # computes (and checks) the whole answer
        return StreamingResponse(
            _events(first, pieces, shown),
            media_type=EVENT_STREAM,
            headers={"Cache-Control": "no-cache", "X-Accel-Buffering": "no"},
        )
    answer = await state.run(conversation.ask, body.question, filters, body.mode)
    return SafeJSONResponse(shown(answer))


async def _events(
    first: str | Answer, rest: Iterator[str | Answer], shown: Callable[[Answer], dict[str, Any]]
) -> AsyncIterator[str]:
    async def pieces() -> AsyncIterator[str | Answer]:
        yield first
        async for item in iterate_in_threadpool(rest):
            yield item

    try:
        async for item in pieces():
            if isinstance(item, Answer):
                yield sse("final", shown(item))
            else:
                yield sse("delta", {"text": item})
    except Exception:  # the status line is sent: report in the stream, log the rest
        log.exception("Error while streaming an answer")
        yield sse("error", {"error": {"code": "internal_error", "message": "The answer failed."}})
