"""The OpenAI chat-completions subset ``/v1/chat/completions`` speaks.

Unknown request fields (temperature, top_p, user, …) are accepted and ignored,
as clients written for OpenAI send them; ``n`` (only 1), ``max_tokens`` /
``max_completion_tokens`` (a cut in words, ``finish_reason: "length"``) and
``stream_options.include_usage`` are honoured. Responses carry one extra
top-level field, ``citations``: the verbatim quotes behind the ``[n]`` markers.
"""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, StrictBool

from assistant.answer.models import Citation
from assistant.api.schemas import JsonInt, Text

MODEL_ID = "kreftstrategi"


class ContentPart(BaseModel):
    model_config = ConfigDict(extra="allow")

    type: str
    text: Text | None = None


class ChatMessage(BaseModel):
    model_config = ConfigDict(extra="allow")

    role: Literal["system", "developer", "user", "assistant", "tool"]
    content: Text | list[ContentPart] | None = None

    def text(self) -> str:
        """The message's text; only ``text`` parts of a list count."""
        if isinstance(self.content, list):
            return "\n".join(p.text or "" for p in self.content if p.type == "text")
        return self.content or ""


class StreamOptions(BaseModel):
    model_config = ConfigDict(extra="allow")

    include_usage: StrictBool = Field(
        False, description="Send a last chunk with `usage` (and no choices) before [DONE]."
    )


FinishReason = Literal["stop", "length"]


class ChatCompletionRequest(BaseModel):
    model_config = ConfigDict(extra="allow")

    model: str = Field(description=f"Always '{MODEL_ID}'.", examples=[MODEL_ID])
    messages: list[ChatMessage] = Field(
        min_length=1,
        max_length=100,
        description="The last message must be the user's question; earlier ones are history.",
    )
    stream: StrictBool = Field(
        False, description="Stream chat.completion.chunk events, then [DONE]."
    )
    stream_options: StreamOptions | None = Field(
        None, description="With `stream: true` only (else 400 `unsupported_parameter`)."
    )
    n: JsonInt | None = Field(
        None, ge=1, description="Choices to return: only 1 (else 400 `unsupported_parameter`)."
    )
    max_tokens: JsonInt | None = Field(
        None,
        ge=1,
        description="Most words of content (the unit of `usage`); a longer answer is cut "
        'there with `finish_reason: "length"` (the `citations` field stays whole).',
    )
    max_completion_tokens: JsonInt | None = Field(
        None, ge=1, description="The same as `max_tokens` (the newer name); the smaller counts."
    )

    def word_limit(self) -> int | None:
        limits = [v for v in (self.max_tokens, self.max_completion_tokens) if v is not None]
        return min(limits) if limits else None


class AssistantMessage(BaseModel):
    role: Literal["assistant"]
    content: str = Field(description="The answer, then a 'Kilder:' list of the cited quotes.")


class Choice(BaseModel):
    index: int
    message: AssistantMessage
    finish_reason: FinishReason


class Usage(BaseModel):
    """Word counts (whitespace-separated), not model tokens: no LLM is billed here."""

    prompt_tokens: int
    completion_tokens: int
    total_tokens: int


class ChatCompletion(BaseModel):
    id: str
    object: Literal["chat.completion"]
    created: int
    model: str
    choices: list[Choice]
    usage: Usage
    citations: list[Citation] = Field(
        description="Extra field: the verbatim quotes behind the [n] markers in the content."
    )
    abstained: bool = Field(description="Extra field: True when the documents do not answer.")


class ChunkDelta(BaseModel):
    role: Literal["assistant"] | None = None
    content: str | None = None


class ChunkChoice(BaseModel):
    index: int
    delta: ChunkDelta
    finish_reason: FinishReason | None


class ChatCompletionChunk(BaseModel):
    """One streamed piece; the last one (finish_reason 'stop') carries `citations`."""

    id: str
    object: Literal["chat.completion.chunk"]
    created: int
    model: str
    choices: list[ChunkChoice]
    citations: list[Citation] | None = Field(None, description="Extra field, last chunk only.")
    abstained: bool | None = Field(None, description="Extra field, last chunk only.")
    usage: Usage | None = Field(
        None, description="Only in the extra last chunk (no choices) of `include_usage`."
    )


class ModelCard(BaseModel):
    id: str
    object: Literal["model"]
    created: int
    owned_by: str


class ModelList(BaseModel):
    object: Literal["list"]
    data: list[ModelCard]
