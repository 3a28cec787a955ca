"""The conversation service: every shell reads history and saves turns through it."""

from __future__ import annotations

import pytest

from assistant.answer.chat import ConversationService
from assistant.answer.conversation import ConversationStore
from assistant.answer.models import Answer, Turn
from assistant.launcher import Services

FIRST = "Hvilket tiårsmål dekker eliminering av HPV?"
FOLLOW_UP = "Hvilket målområde hører det til?"


@pytest.fixture
def chat(services: Services) -> ConversationService:
    return ConversationService(services.answers, ConversationStore())


def test_a_follow_up_by_id_reads_the_turns_saved_before(chat: ConversationService) -> None:
    first = chat.open()
    first.ask(f"  {FIRST}  ")
    follow = chat.open(first.id).ask(FOLLOW_UP)

    assert [t.role for t in chat.store.history(first.id)] == ["user", "assistant"] * 2
    assert chat.store.history(first.id)[0].content == FIRST  # saved as typed, trimmed
    assert follow.standalone_question
    assert "HPV" in follow.standalone_question
    assert "Målområde 1" in follow.answer


def test_one_conversation_object_carries_its_own_history(chat: ConversationService) -> None:
    conversation = chat.open()
    conversation.ask(FIRST)
    follow = conversation.ask(FOLLOW_UP)

    assert follow.standalone_question
    assert "HPV" in follow.standalone_question
    assert len(conversation.history) == 4


def test_history_a_client_sends_is_kept_for_a_new_conversation(chat: ConversationService) -> None:
    sent = [Turn(role="user", content=FIRST), Turn(role="assistant", content="Tiårsmål 2.")]
    conversation = chat.open(history=sent)
    conversation.ask(FOLLOW_UP)

    assert chat.store.history(conversation.id)[:2] == sent
    assert len(chat.store.history(conversation.id)) == 4


def test_sent_history_replaces_the_stored_one_but_is_not_saved_twice(
    chat: ConversationService,
) -> None:
    started = chat.open()
    started.ask(FIRST)
    sent = [Turn(role="user", content=FIRST)]
    chat.open(started.id, history=sent).ask(FOLLOW_UP)

    assert len(chat.store.history(started.id)) == 4


def test_a_streamed_answer_is_saved_when_it_is_complete(chat: ConversationService) -> None:
    conversation = chat.open()
    pieces = conversation.stream(FIRST)
    next(pieces)
    assert chat.store.history(conversation.id) == []  # nothing saved before the answer is whole
    final = [p for p in pieces if isinstance(p, Answer)]

    assert len(final) == 1
    saved = chat.store.history(conversation.id)
    assert saved[-1] == Turn(role="assistant", content=final[0].answer)


def test_a_question_that_fails_saves_nothing(chat: ConversationService) -> None:
    conversation = chat.open()
    with pytest.raises(ValueError, match="empty"):
        conversation.ask("   ")
    assert chat.store.history(conversation.id) == []
