"""OpenAI-compatible chat completions, so OpenAI clients can use the assistant as a model.

The model is ``kreftstrategi``. The last user message is the question, the
earlier user and assistant messages are the history (system messages are
ignored: the assistant answers only from the documents). The answer text ends
with a "Kilder:" list; the citations also ride along as the extra top-level
field ``citations`` (in the last chunk when streaming).
"""

from __future__ import annotations

import json
import time
import uuid
from collections.abc import AsyncIterator, Iterator
from typing import Any

from fastapi import APIRouter
from fastapi.responses import Response, StreamingResponse
from starlette.concurrency import iterate_in_threadpool

from assistant.answer.models import Answer, Turn
from assistant.api.deps import ServicesDep, StateDep
from assistant.api.errors import ApiError, SafeJSONResponse
from assistant.api.openai_schemas import (
    MODEL_ID,
    ChatCompletion,
    ChatCompletionRequest,
    ModelCard,
    ModelList,
)
from assistant.api.routers.ask import EMPTY_QUESTION
from assistant.api.routers.responses import AUTHED, errors
from assistant.api.schemas import has_text

router = APIRouter(tags=["openai"])

CHUNKS_DOC = (
    "With `stream: true`: server-sent `data:` lines, each a `chat.completion.chunk` whose "
    "`choices[0].delta.content` is a piece of the text; the last chunk has `finish_reason: "
    '"stop"` and the extra field `citations`; then `data: [DONE]`.'
)


def sources_text(answer: Answer) -> str:
    """The citations as a 'Kilder:' list to append to the answer text."""
    if not answer.citations:
        return ""
    lines = ["", "", "Nærmeste avsnitt:" if answer.abstained else "Kilder:"]
    for c in answer.citations:
        page = f", s. {c.page}" if c.page else ""
        quote = " ".join(c.quote.split())
        lines.append(f"[{c.n}] {c.title} – {c.section}{page}: «{quote}»")
    return "\n".join(lines)


def _question_and_history(body: ChatCompletionRequest) -> tuple[str, list[Turn]]:
    if body.model != MODEL_ID:
        raise ApiError(
            404, "model_not_found", f"Unknown model. Use '{MODEL_ID}' (see GET /v1/models)."
        )
    last = body.messages[-1]
    if last.role != "user":
        raise ApiError(
            422, "invalid_request", "The last message must be the user's question (role 'user')."
        )
    if not has_text(last.text()):
        raise ApiError(422, "invalid_question", EMPTY_QUESTION)
    history = [
        Turn(role=m.role, content=m.text())  # type: ignore[arg-type]
        for m in body.messages[:-1]
        if m.role in ("user", "assistant") and m.text().strip()
    ]
    return last.text(), history


def _words(text: str) -> int:
    return len(text.split())


@router.get("/models", response_model=ModelList, summary="The model list (one model)")
async def models() -> ModelList:
    card = ModelCard(id=MODEL_ID, object="model", created=0, owned_by="kreftstrategi")
    return ModelList(object="list", data=[card])


@router.post(
    "/chat/completions",
    response_model=ChatCompletion,
    summary="OpenAI-compatible chat completion",
    responses={
        200: {
            "content": {"text/event-stream": {"schema": {"type": "string"}}},
            "description": CHUNKS_DOC,
        },
        **errors(*AUTHED, 404),
    },
)
async def chat_completions(
    body: ChatCompletionRequest, services: ServicesDep, state: StateDep
) -> Response:
    """Answer the last user message as model `kreftstrategi`, citations included.

    The response is a standard `chat.completion` plus two extra top-level fields:
    `citations` (the verbatim quotes behind the `[n]` markers: document, section,
    page, quote and offsets) and `abstained`.
    """
    question, history = _question_and_history(body)
    completion_id = f"chatcmpl-{uuid.uuid4().hex}"
    created = int(time.time())
    if body.stream:
        pieces = services.answers.stream(question, history)
        first = await state.run(next, pieces)
        return StreamingResponse(
            _chunks(completion_id, created, first, pieces),
            media_type="text/event-stream",
            headers={"Cache-Control": "no-cache", "X-Accel-Buffering": "no"},
        )
    answer = await state.run(services.answers.answer, question, history)
    content = answer.answer + sources_text(answer)
    prompt_words = _words(question) + sum(_words(t.content) for t in history)
    return SafeJSONResponse(
        {
            "id": completion_id,
            "object": "chat.completion",
            "created": created,
            "model": MODEL_ID,
            "choices": [
                {
                    "index": 0,
                    "message": {"role": "assistant", "content": content},
                    "finish_reason": "stop",
                }
            ],
            "usage": {
                "prompt_tokens": prompt_words,
                "completion_tokens": _words(content),
                "total_tokens": prompt_words + _words(content),
            },
            "citations": [c.model_dump() for c in answer.citations],
            "abstained": answer.abstained,
        }
    )


async def _chunks(
    completion_id: str, created: int, first: str | Answer, rest: Iterator[str | Answer]
) -> AsyncIterator[str]:
    def chunk(delta: dict[str, str], finish: str | None = None, **extra: Any) -> str:
        data = {
            "id": completion_id,
            "object": "chat.completion.chunk",
            "created": created,
            "model": MODEL_ID,
            "choices": [{"index": 0, "delta": delta, "finish_reason": finish}],
            **extra,
        }
        return f"data: {json.dumps(data, ensure_ascii=False)}\n\n"

    yield chunk({"role": "assistant", "content": ""})
    item = first
    remaining = iterate_in_threadpool(rest)
    while True:
        if isinstance(item, Answer):
            yield chunk({"content": sources_text(item)})
            citations = [c.model_dump() for c in item.citations]
            yield chunk({}, "stop", citations=citations, abstained=item.abstained)
            break
        yield chunk({"content": item})
        try:
            item = await remaining.__anext__()
        except StopAsyncIteration:
            break
    yield "data: [DONE]\n\n"
