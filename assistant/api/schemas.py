"""Request and response models of the HTTP API (``/v1``).

Requests forbid unknown fields, so a typo is reported instead of ignored.
The answer shape is the one of ``assistant ask --json`` (``Answer.public_dict``)
plus ``conversation_id``; search hits are ``assistant search --json`` rows.
"""

from __future__ import annotations

import re
from typing import Annotated, Literal

from pydantic import AfterValidator, BaseModel, BeforeValidator, ConfigDict, Field, StrictBool

from assistant.answer.models import Citation, Language, Timings, Turn
from assistant.retrieval.hybrid import Filters
from assistant.settings import AnswerMode, RetrievalMode


def _encodable(text: str) -> str:
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        raise ValueError("contains characters that are not valid Unicode text") from None
    return text


Text = Annotated[str, AfterValidator(_encodable)]
"""A string that is valid Unicode (no unpaired surrogates from ``\\ud800`` escapes)."""


def _whole_number(value: object) -> object:
    if isinstance(value, float) and value.is_integer():
        return int(value)
    if isinstance(value, bool) or not isinstance(value, int):
        raise ValueError("Input should be a whole number")
    return value


JsonInt = Annotated[int, BeforeValidator(_whole_number)]
"""A JSON Schema integer: 3 or 3.0, never true or "3"."""

VISIBLE_TEXT = r"[^\s\x1c-\x1f\x85\ufeff]"
"""A character that is not whitespace to Python, JSON Schema (ECMA) and Rust regexes alike."""


def has_text(text: str) -> bool:
    """Whether ``text`` holds more than whitespace (the schema's ``pattern`` for questions)."""
    return re.search(VISIBLE_TEXT, text) is not None


ConversationId = Annotated[
    str,
    Field(
        pattern=r"^[A-Za-z0-9_-]{1,64}$",
        description="Continue this conversation (the id a previous answer returned).",
    ),
]


class Request(BaseModel):
    """A request body: unknown fields are refused, and numbers and booleans are not coerced."""

    model_config = ConfigDict(extra="forbid")


class FilterSpec(Request):
    """Restrict retrieval; unknown values are refused with the list of valid ones."""

    kinds: list[Text] = Field(
        default_factory=list, max_length=20, description="Document kinds, e.g. 'strategy'."
    )
    document_ids: list[Text] = Field(
        default_factory=list, max_length=50, description="Document ids (GET /v1/documents)."
    )
    malomrader: list[JsonInt] = Field(
        default_factory=list, max_length=20, description="Målområde numbers (GET /v1/goals)."
    )

    def to_filters(self) -> Filters:
        return Filters(list(self.kinds), list(self.document_ids), list(self.malomrader))


class HistoryTurn(Request):
    role: Literal["user", "assistant"]
    content: Text = Field(max_length=20_000)

    def to_turn(self) -> Turn:
        return Turn(role=self.role, content=self.content)


class AskRequest(Request):
    question: Text = Field(
        description="The question (Norwegian or English).", examples=["Hva er tiårsmål 2?"]
    )
    history: list[HistoryTurn] | None = Field(
        None,
        max_length=50,
        description="Earlier turns, oldest first. Takes precedence over a stored conversation.",
    )
    conversation_id: ConversationId | None = None
    filters: FilterSpec | None = None
    mode: AnswerMode | None = Field(
        None, description="'extractive' (default) or 'llm' (when an LLM endpoint is set up)."
    )
    stream: StrictBool = Field(
        False, description="Stream server-sent events (same as Accept: text/event-stream)."
    )


class AnswerDelta(BaseModel):
    """A piece of the answer text (event `delta` of a streamed answer)."""

    text: str


class AskResponse(BaseModel):
    """A grounded answer: text with [n] markers and the verbatim quotes they refer to."""

    answer: str
    abstained: bool = Field(description="True when the documents do not answer the question.")
    language: Language
    mode: str
    citations: list[Citation]
    timings_ms: Timings
    notice: str | None = Field(None, description="Only when llm mode fell back, and why.")
    conversation_id: str = Field(description="Send it back to continue the conversation.")


class SearchRequest(Request):
    query: Text = Field(description="The search text.", examples=["HPV-vaksinasjon"])
    k: JsonInt = Field(5, ge=1, le=50, description="How many chunks to return.")
    mode: RetrievalMode | None = Field(None, description="Ranking to use.")
    filters: FilterSpec | None = None


class SearchHit(BaseModel):
    rank: int
    id: str
    document_id: str
    title: str
    kind: str
    section: str
    page: int | None
    score: float
    dense: float
    bm25: float
    start: int = Field(description="Start offset in the document's cleaned text.")
    end: int
    text: str


class SearchResponse(BaseModel):
    query: str
    results: list[SearchHit]


class DocumentSummary(BaseModel):
    id: str
    title: str
    publisher: str | None
    kind: str
    date: str | None
    date_note: str | None
    language: str
    file: str = Field(description="The source file's name in the corpus.")
    chars: int = Field(description="Length of the cleaned text.")
    sections: int = Field(description="Number of sections.")


class SectionOut(BaseModel):
    id: str
    kind: str
    number: str | None
    title: str
    path: list[str]
    start: int = Field(description="Start offset of the heading in the cleaned text.")
    body_start: int
    end: int
    page: int | None


class PageStart(BaseModel):
    start: int = Field(description="Offset in the cleaned text where the page begins.")
    page: int


class DocumentDetail(BaseModel):
    """One document: metadata, cleaned text (citation offsets point into it) and sections."""

    document: DocumentSummary
    text: str
    sections: list[SectionOut]
    pages: list[PageStart]


class DocumentList(BaseModel):
    documents: list[DocumentSummary]


class MalomradeOut(BaseModel):
    number: int
    title: str
    document_id: str
    page: int | None
    start: int
    end: int


class TiarsmalOut(MalomradeOut):
    malomrade: int | None
    overview_title: str | None


class GoalsResponse(BaseModel):
    malomrader: list[MalomradeOut]
    tiarsmal: list[TiarsmalOut]


class Health(BaseModel):
    status: Literal["ok"]


class ReaderStatus(BaseModel):
    """Which reader answers: the hand-made one, or the learned one and what it was trained on."""

    reader: Literal["extractive", "learned"]
    model: str | None = Field(None, description="The learned reader's model, when it answers.")
    trained_on: str | None = Field(
        None, description="Hash of the corpus the model was trained on (`corpus` when current)."
    )
    corpus: str = Field(description="Hash of the corpus the index in service was built from.")


class Ready(BaseModel):
    status: Literal["ready"]
    build: str = Field(description="The index build that answers.")
    documents: int
    chunks: int
    passed_over: str | None = Field(
        None,
        description="The build in service on disk, when it is damaged and `build` stands in.",
    )
    reason: str = Field(description="Why `build` answers, in one sentence.")
    data_dir_writable: bool = Field(
        description="Whether feedback and API keys can be saved in the data folder."
    )
    warnings: list[str] = Field(
        default_factory=list, description="What an operator should fix, one line each."
    )
    reader: ReaderStatus | None = Field(None, description="The reader that ranks and abstains.")


class ReloadResponse(BaseModel):
    status: Literal["reloaded", "unchanged"]
    build: str
    previous_build: str | None
    documents: int
    chunks: int


class FieldError(BaseModel):
    field: str
    message: str


class ErrorDetail(BaseModel):
    code: str = Field(description="Stable, machine-readable, e.g. 'invalid_question'.")
    message: str = Field(description="What went wrong and what to fix.")
    details: list[FieldError] | None = None


class ErrorResponse(BaseModel):
    error: ErrorDetail
