"""The chat's callbacks on the real services, without a browser: memory, filters, feedback."""

from __future__ import annotations

import dataclasses
from pathlib import Path
from typing import Any

import pytest

from assistant.answer.models import Turn
from assistant.components.database import DatabaseError
from assistant.database.fallback import FallbackConversations
from assistant.launcher import Services
from assistant.stores.conversations import ConversationStore
from assistant.stores.feedback import FeedbackStore
from ui.callbacks import ChatCallbacks, Reply, area_choices

HPV = "Hvilket tiårsmål dekker eliminering av HPV?"


@pytest.fixture
def chat(chat_services: Services, feedback_store: FeedbackStore) -> ChatCallbacks:
    return ChatCallbacks(lambda: chat_services, lambda: feedback_store)


def ask(
    chat: ChatCallbacks,
    question: str,
    last: Reply | None = None,
    kinds: list[str] | None = None,
    area: int = 0,
) -> tuple[list[Reply], Reply]:
    """Every update the page gets for one question, and the final page (updates applied)."""
    display = last.chat if last else []
    session = last.session if last else None
    replies = [
        Reply(*values) for values in chat.respond(question, display, session, kinds or [], area)
    ]
    page = Reply(**{name: _latest(replies, name) for name in Reply.__dataclass_fields__})
    return replies, page


def _latest(replies: list[Reply], name: str) -> Any:
    values = [getattr(r, name) for r in replies if not _skipped(getattr(r, name))]
    return values[-1] if values else None


def _skipped(value: Any) -> bool:
    return isinstance(value, dict) and value.get("__type__") == "update" and len(value) == 1


def test_the_question_shows_at_once_then_the_answer_streams_then_the_sources(
    chat: ChatCallbacks,
) -> None:
    replies, page = ask(chat, HPV)

    first = replies[0]
    assert first.chat[-2]["content"] == HPV
    assert "Søker" in first.chat[-1]["content"]
    assert first.question == ""
    streamed = [r.chat[-1]["content"] for r in replies[1:-1]]
    assert len(streamed) > 3
    assert all(s.endswith("▍") for s in streamed)
    assert len(streamed[0]) < len(streamed[-1])
    assert "Tiårsmål 2" in page.chat[-1]["content"]
    assert "<mark>" in page.sources
    assert "Felles innsats mot kreft" in page.sources
    assert 'data-chat-state="done" data-turn="1"' in page.state
    assert page.session["turn"] == 1


def test_a_follow_up_is_answered_in_the_conversation(chat: ChatCallbacks) -> None:
    _, first = ask(chat, HPV)
    _, second = ask(chat, "Hvilket målområde hører det til?", last=first)

    assert len(second.chat) == 4
    assert "Målområde 1" in second.chat[-1]["content"]
    assert "tolket som" in second.sources
    assert 'data-turn="2"' in second.state
    assert second.session["conversation_id"] == first.session["conversation_id"]


def test_a_new_conversation_starts_empty_with_a_new_id(chat: ChatCallbacks) -> None:
    _, first = ask(chat, HPV)
    reset = Reply(*chat.reset())
    assert reset.chat == []
    assert reset.session["conversation_id"] != first.session["conversation_id"]
    assert reset.session["turn"] == 0
    _, again = ask(chat, "Hvem har ansvaret for det?", last=reset)
    assert "tolket som" not in again.sources


@pytest.mark.slow
def test_filters_restrict_the_sources(chat: ChatCallbacks) -> None:
    _, press = ask(chat, "Hva sier dokumentene om den nye kreftstrategien?", kinds=["press"])
    assert 'data-document-id="strategi-2025-2035"' not in press.sources
    assert "Presse" in press.sources

    _, area = ask(chat, "Hva sier strategien om arbeid?", area=5)
    sections = area.sources.split('class="kilde-seksjon">')[1:]
    assert sections
    assert all(s.startswith("Målområde 5") for s in sections)


def test_the_malomrade_choices_come_from_the_goal_registry(chat_services: Services) -> None:
    choices = area_choices(chat_services)
    assert choices[0] == ("Alle målområder", 0)
    assert [value for _, value in choices[1:]] == [1, 2, 3, 4, 5]
    assert choices[1][0].startswith("1. Norge skal være et foregangsland")


def test_a_too_long_question_gets_a_norwegian_error_not_a_crash(
    chat: ChatCallbacks, chat_services: Services
) -> None:
    question = "kreft " * (chat_services.answers.max_question_chars // 5 + 1)
    _, page = ask(chat, question)
    assert "svar-feil" in page.chat[-1]["content"]
    assert "grensen er" in page.chat[-1]["content"]
    assert 'data-chat-state="error"' in page.state


def test_an_empty_question_changes_nothing(chat: ChatCallbacks) -> None:
    replies, _ = ask(chat, "   ")
    assert len(replies) == 1
    assert all(_skipped(value) for value in replies[0].values())


def test_feedback_is_stored_once_per_answer_and_the_comment_joins_it(
    chat: ChatCallbacks, feedback_store: FeedbackStore
) -> None:
    status, session, *_ = chat.rate("up", None)
    assert "Still et spørsmål først" in status

    _, page = ask(chat, HPV)
    status, session = chat.send_comment("Kommentar uten vurdering", page.session)
    assert "Velg 👍 eller 👎 først" in status

    status, session, up, down = chat.rate("up", page.session)
    assert "Takk for tilbakemeldingen!" in status
    assert up["variant"] == "primary"
    status, session, up, down = chat.rate("down", session)
    assert down["variant"] == "primary"
    status, session = chat.send_comment("  Manglet vaksinetallene.  ", session)
    assert "Kommentaren er lagret" in status

    [stored] = feedback_store.entries()
    assert stored.rating == "down"
    assert stored.comment == "Manglet vaksinetallene."
    assert stored.question == HPV
    assert "Tiårsmål 2" in stored.answer
    assert stored.citations[0]["document_id"] == "strategi-2025-2035"
    assert stored.conversation_id == page.session["conversation_id"]
    assert stored.mode == "extractive"


def test_feedback_to_an_unwritable_data_folder_gets_a_norwegian_message(
    chat_services: Services, tmp_path: Path
) -> None:
    blocker = tmp_path / "not-a-folder"
    blocker.write_text("a file where the data folder's parent should be")
    unwritable = FeedbackStore.in_folder(blocker / "data")
    chat = ChatCallbacks(lambda: chat_services, lambda: unwritable)
    _, page = ask(chat, HPV)

    status, session, *_ = chat.rate("up", page.session)

    assert "Tilbakemeldingen ble ikke lagret" in status
    assert "får ikke skrevet til datamappen" in status
    for english in ("unable to open", "database", "sqlite", "Errno", str(tmp_path)):
        assert english not in status
    assert session["feedback_id"] is None


class DownConversations(ConversationStore):
    """The shared conversation store of a replica whose database is down."""

    def history(self, conversation_id: str) -> list[Turn]:
        raise DatabaseError("The database (ASSISTANT_DATABASE__URL) cannot be used: down.")

    def append(self, conversation_id: str, *turns: Turn) -> None:
        raise DatabaseError("The database (ASSISTANT_DATABASE__URL) cannot be used: down.")


def test_while_the_database_is_down_the_chat_says_the_conversation_stays_here(
    chat_services: Services, feedback_store: FeedbackStore
) -> None:
    services = dataclasses.replace(
        chat_services, conversations=FallbackConversations(DownConversations())
    )
    chat = ChatCallbacks(lambda: services, lambda: feedback_store)
    _, page = ask(chat, HPV)
    assert "Tiårsmål 2" in page.chat[-1]["content"]
    assert "samtalen huskes bare på denne serveren" in page.chat[-1]["content"]
    _, page = ask(chat, "Hvilket målområde hører det til?", page)  # memory still works
    assert "Målområde 1" in page.chat[-1]["content"]
