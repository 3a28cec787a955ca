"""OpenAI-compatible chat completions, so OpenAI clients can use the assistant as a model.

The model is ``kreftstrategi``. The last user message is the question, the
earlier user and assistant messages are the history (system messages are
ignored: the assistant answers only from the documents). The answer text ends
with a "Kilder:" list; the citations also ride along as the extra top-level
field ``citations`` (in the last chunk when streaming).
"""

from __future__ import annotations

import time
import uuid

from fastapi import APIRouter
from fastapi.responses import Response, StreamingResponse

from assistant.answer.models import Turn
from assistant.api.deps import ServicesDep, StateDep
from assistant.api.errors import ApiError, SafeJSONResponse
from assistant.api.openai_schemas import (
    MODEL_ID,
    ChatCompletion,
    ChatCompletionRequest,
    ModelCard,
    ModelList,
)
from assistant.api.openai_stream import CompletionStream, cut_after_words, sources_text, words
from assistant.api.routers.ask import EMPTY_QUESTION
from assistant.api.routers.responses import AUTHED, errors
from assistant.api.schemas import has_text

router = APIRouter(tags=["openai"])
ENDPOINT = "/v1/chat/completions"

CHUNKS_DOC = (
    "With `stream: true`: server-sent `data:` lines, each a `chat.completion.chunk` whose "
    "`choices[0].delta.content` is a piece of the text; the last chunk has `finish_reason: "
    '"stop"` and the extra field `citations`; then `data: [DONE]`.'
)


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
        Turn(role=m.role, content=m.text())
        for m in body.messages[:-1]
        if m.role in ("user", "assistant") and m.text().strip()
    ]
    return last.text(), history


def _unsupported(parameter: str, message: str) -> ApiError:
    return ApiError(400, "unsupported_parameter", f"`{parameter}`: {message}")


def _check_parameters(body: ChatCompletionRequest) -> None:
    """400 for OpenAI parameters this endpoint cannot honour, rather than ignoring them."""
    if body.n is not None and body.n != 1:
        raise _unsupported("n", "only 1 is supported (there is one grounded answer); remove it.")
    if body.stream_options is not None and not body.stream:
        raise _unsupported("stream_options", "only allowed with `stream: true`.")


@router.get(
    "/models",
    response_model=ModelList,
    summary="The model list (one model)",
    responses=errors(400, 401, 413, 429),
)
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
    _check_parameters(body)
    began = time.perf_counter()
    completion_id = f"chatcmpl-{uuid.uuid4().hex}"
    created = int(time.time())
    prompt_words = words(question) + sum(words(t.content) for t in history)
    if body.stream:
        pieces = services.answers.stream(question, history)
        first = await state.run(next, pieces)
        stream = CompletionStream(
            completion_id,
            created,
            body.word_limit(),
            prompt_words if body.stream_options and body.stream_options.include_usage else None,
            on_answer=lambda answer: state.metrics.answered(
                ENDPOINT, answer, time.perf_counter() - began
            ),
        )
        return StreamingResponse(
            stream.events(first, pieces),
            media_type="text/event-stream",
            headers={"Cache-Control": "no-cache", "X-Accel-Buffering": "no"},
        )
    answer = await state.run(services.answers.answer, question, history)
    state.metrics.answered(ENDPOINT, answer, time.perf_counter() - began)
    content = answer.answer + sources_text(answer)
    finish = "stop"
    limit = body.word_limit()
    cut = cut_after_words(content, limit) if limit is not None else None
    if cut is not None:
        content, finish = content[:cut], "length"
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
                    "finish_reason": finish,
                }
            ],
            "usage": {
                "prompt_tokens": prompt_words,
                "completion_tokens": words(content),
                "total_tokens": prompt_words + words(content),
            },
            "citations": [c.model_dump() for c in answer.citations],
            "abstained": answer.abstained,
        }
    )
