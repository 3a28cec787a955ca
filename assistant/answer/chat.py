"""Conversations: the one place that reads a conversation's history and saves its turns.

The API, the chat UI and the terminal chat all ask through a
:class:`Conversation`, so a follow-up is answered from the same history and
each exchange is remembered the same way (the user's question as typed,
trimmed; the answer's text) whichever shell it came through.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field

from assistant.answer.conversation import ConversationStore
from assistant.answer.models import Answer, Turn
from assistant.answer.service import AnswerService
from assistant.retrieval.hybrid import Filters


@dataclass
class Conversation:
    """One conversation: its id, the history the next answer reads, and the ways to ask."""

    id: str
    history: list[Turn]
    answers: AnswerService
    store: ConversationStore
    _unsaved: list[Turn] = field(default_factory=list)

    def ask(self, question: str, filters: Filters | None = None, mode: str | None = None) -> Answer:
        """Answer ``question`` in this conversation and remember the exchange."""
        answer = self.answers.answer(question, self.history, filters, mode)
        self._remember(question, answer)
        return answer

    def stream(
        self, question: str, filters: Filters | None = None, mode: str | None = None
    ) -> Iterator[str | Answer]:
        """As :meth:`AnswerService.stream`; the exchange is remembered when the answer is."""
        for piece in self.answers.stream(question, self.history, filters, mode):
            if isinstance(piece, Answer):
                self._remember(question, piece)
            yield piece

    def _remember(self, question: str, answer: Answer) -> None:
        turns = [
            Turn(role="user", content=question.strip()),
            Turn(role="assistant", content=answer.answer),
        ]
        self.store.append(self.id, *self._unsaved, *turns)
        self._unsaved = []
        self.history = [*self.history, *turns]


class ConversationService:
    """Opens conversations over the answer service and the store of histories."""

    def __init__(self, answers: AnswerService, store: ConversationStore):
        self.answers = answers
        self.store = store

    def open(
        self, conversation_id: str | None = None, history: list[Turn] | None = None
    ) -> Conversation:
        """The conversation to ask in.

        ``conversation_id`` continues a stored conversation (an unknown or expired
        one starts empty under that id); none starts a new one. ``history`` sent by
        a client is what the answer reads instead of the stored turns; a new
        conversation keeps it, so the next question can continue by id alone.
        """
        if conversation_id is None:
            sent = list(history or [])
            return Conversation(self.store.new_id(), sent, self.answers, self.store, sent)
        if history is not None:
            return Conversation(conversation_id, list(history), self.answers, self.store)
        return Conversation(
            conversation_id, self.store.history(conversation_id), self.answers, self.store
        )
