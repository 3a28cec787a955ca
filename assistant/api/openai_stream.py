"""The server-sent events of a streamed OpenAI chat completion, and the word limit.

``max_tokens`` counts words here (the unit of ``usage``): no model tokens exist
in an extractive answer.
"""

from __future__ import annotations

import itertools
import json
import re
from collections.abc import AsyncIterator, Callable, Iterator
from typing import Any

from starlette.concurrency import iterate_in_threadpool

from assistant.answer.models import Answer
from assistant.api.openai_schemas import MODEL_ID


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


def words(text: str) -> int:
    return len(text.split())


_WORD = re.compile(r"\S+")


def cut_after_words(text: str, limit: int) -> int | None:
    """Where ``text`` is cut to keep ``limit`` words; None when it has no more than that."""
    ends = [m.end() for m in itertools.islice(_WORD.finditer(text), limit + 1)]
    return ends[limit - 1] if len(ends) > limit else None


class CompletionStream:
    """The server-sent events of one streamed completion, cut at ``limit`` words if given."""

    def __init__(
        self,
        completion_id: str,
        created: int,
        limit: int | None,
        prompt_words: int | None,
        on_answer: Callable[[Answer], object] | None = None,
    ):
        self.completion_id = completion_id
        self.created = created
        self.limit = limit
        self.prompt_words = prompt_words  # None: no usage chunk was asked for
        self.on_answer = on_answer  # told the whole answer once it is there (the metrics)
        self.sent = ""

    def _event(self, choices: list[dict[str, Any]], **extra: Any) -> str:
        data = {
            "id": self.completion_id,
            "object": "chat.completion.chunk",
            "created": self.created,
            "model": MODEL_ID,
            "choices": choices,
            **extra,
        }
        return f"data: {json.dumps(data, ensure_ascii=False)}\n\n"

    def chunk(self, delta: dict[str, str], finish: str | None = None, **extra: Any) -> str:
        return self._event([{"index": 0, "delta": delta, "finish_reason": finish}], **extra)

    def content(self, text: str) -> tuple[str, bool]:
        """The part of ``text`` within the word limit, and whether the limit cut it."""
        if self.limit is None:
            self.sent += text
            return text, False
        cut = cut_after_words(self.sent + text, self.limit)
        kept = text if cut is None else text[: max(0, cut - len(self.sent))]
        self.sent += kept
        return kept, cut is not None

    async def events(self, first: str | Answer, rest: Iterator[str | Answer]) -> AsyncIterator[str]:
        yield self.chunk({"role": "assistant", "content": ""})
        item = first
        remaining = iterate_in_threadpool(rest)
        answer: Answer | None = None
        while True:
            text = sources_text(item) if isinstance(item, Answer) else item
            kept, cut = self.content(text)
            if kept:
                yield self.chunk({"content": kept})
            if isinstance(item, Answer) or cut:
                answer = item if isinstance(item, Answer) else await _final(remaining)
                break
            try:
                item = await remaining.__anext__()
            except StopAsyncIteration:
                break
        if answer is not None:
            if self.on_answer is not None:
                self.on_answer(answer)
            citations = [c.model_dump() for c in answer.citations]
            finish = "length" if self.limit is not None and cut else "stop"
            yield self.chunk({}, finish, citations=citations, abstained=answer.abstained)
        if self.prompt_words is not None:
            completion = words(self.sent)
            usage = {
                "prompt_tokens": self.prompt_words,
                "completion_tokens": completion,
                "total_tokens": self.prompt_words + completion,
            }
            yield self._event([], usage=usage)
        yield "data: [DONE]\n\n"


async def _final(remaining: AsyncIterator[str | Answer]) -> Answer | None:
    """Drain the rest of a cut stream for its closing Answer (the citations)."""
    async for item in remaining:
        if isinstance(item, Answer):
            return item
    return None
