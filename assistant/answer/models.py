"""What the answer service takes and gives: turns, citations, answers.

The JSON shape of :class:`Answer` is the contract shared by
``assistant ask --json`` and the HTTP API.
"""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, Field

from assistant.language import Language

__all__ = ["Answer", "Citation", "Language", "Timings", "Turn"]


class Turn(BaseModel):
    """One message of a conversation."""

    role: Literal["user", "assistant"]
    content: str


class Citation(BaseModel):
    """A verbatim quote that an answer rests on, and where it stands."""

    n: int = Field(description="The marker number used in the answer text, [n].")
    document_id: str
    title: str
    section: str = Field(description="Section path, e.g. 'Målområde 1 › Tiårsmål 2: …'.")
    page: int | None = Field(description="Page in the original PDF, when known.")
    quote: str = Field(description="Verbatim text of the document's cleaned text [start:end].")
    start: int = Field(description="Start offset in the document's cleaned text.")
    end: int = Field(description="End offset in the document's cleaned text.")
    score: float = Field(description="How strongly the quote matched the question.")


class Timings(BaseModel):
    retrieve: float
    answer: float
    total: float


class Answer(BaseModel):
    """A grounded answer: text with [n] markers, the citations, and whether it abstained."""

    answer: str
    abstained: bool
    language: Language
    mode: str
    citations: list[Citation]
    timings_ms: Timings
    notice: str | None = Field(
        None,
        description="Set when llm mode fell back to the extractive answer, or the "
        "answerability judge did not reply (the reader decided alone), and why.",
    )
    standalone_question: str | None = Field(
        None,
        exclude=True,
        description="The question as understood after resolving the conversation.",
    )
    signals: dict[str, float] | None = Field(
        None, exclude=True, description="Abstention signals (for evaluation and debugging)."
    )

    def public_dict(self) -> dict[str, object]:
        """The documented JSON shape; ``notice`` only when llm mode fell back."""
        data = self.model_dump()
        if data.get("notice") is None:
            data.pop("notice", None)
        return data
