"""POST /v1/ask: a grounded answer, as JSON or as server-sent events."""

from __future__ import annotations

import json
import logging
from collections.abc import AsyncIterator, Iterator
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import Response, StreamingResponse
from starlette.concurrency import iterate_in_threadpool

from assistant.answer.models import Answer, Turn
from assistant.api.deps import ServicesDep, StateDep
from assistant.api.errors import ApiError, SafeJSONResponse
from assistant.api.routers.responses import AUTHED, errors
from assistant.api.schemas import AskRequest, AskResponse, has_text
from assistant.launcher import Services

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


def _conversation(services: Services, body: AskRequest) -> tuple[list[Turn], str]:
    store = services.conversations
    if body.history is not None:
        history = [turn.to_turn() for turn in body.history]
    elif body.conversation_id is not None:
        history = store.history(body.conversation_id)
    else:
        history = []
    return history, body.conversation_id or store.new_id()


def _remember(
    services: Services, body: AskRequest, history: list[Turn], conversation_id: str, answer: Answer
) -> None:
    turns = [
        Turn(role="user", content=body.question.strip()),
        Turn(role="assistant", content=answer.answer),
    ]
    if body.conversation_id is None:
        turns = history + turns  # a new conversation starts from the history the client sent
    services.conversations.append(conversation_id, *turns)


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
    """
    if not has_text(body.question):
        raise ApiError(422, "invalid_question", EMPTY_QUESTION)
    history, conversation_id = _conversation(services, body)
    filters = body.filters.to_filters() if body.filters else None
    if wants_stream(request, body.stream):
        pieces = services.answers.stream(body.question, history, filters, body.mode)
        first = await state.run(next, pieces)  # computes (and checks) the whole answer
        events = _events(services, body, history, conversation_id, first, pieces)
        return StreamingResponse(
            events,
            media_type=EVENT_STREAM,
            headers={"Cache-Control": "no-cache", "X-Accel-Buffering": "no"},
        )
    answer = await state.run(services.answers.answer, body.question, history, filters, body.mode)
    _remember(services, body, history, conversation_id, answer)
    return SafeJSONResponse({**answer.public_dict(), "conversation_id": conversation_id})


async def _events(
    services: Services,
    body: AskRequest,
    history: list[Turn],
    conversation_id: str,
    first: str | Answer,
    rest: Iterator[str | Answer],
) -> AsyncIterator[str]:
    async def pieces() -> AsyncIterator[str | Answer]:
        yield first
        async for item in iterate_in_threadpool(rest):
            yield item

    try:
        async for item in pieces():
            if isinstance(item, Answer):
                _remember(services, body, history, conversation_id, item)
                yield sse("final", {**item.public_dict(), "conversation_id": conversation_id})
            else:
                yield sse("delta", {"text": item})
    except Exception:  # the status line is sent: report in the stream, log the rest
        log.exception("Error while streaming an answer")
        yield sse("error", {"error": {"code": "internal_error", "message": "The answer failed."}})
