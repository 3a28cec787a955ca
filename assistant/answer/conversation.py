"""Conversation: the question's language, and follow-ups made standalone.

Without an LLM a follow-up ("Og hva med prostatakreft?", "Hvem har ansvaret
for det?") is resolved by carrying the previous question along with it: the
retriever then sees the topic of the conversation, while sentence selection
still weighs the new question most.
"""

from __future__ import annotations

import re
import threading
import time
import uuid
from collections import OrderedDict

from assistant.answer.models import Turn

_FOLLOW_UP_START = re.compile(
    r"^(og|men|så|hva med|hvordan med|enn|and|but|what about|how about|also)\b", re.IGNORECASE
)
_ANAPHORA = re.compile(
    r"\b(det|den|dette|denne|disse|de|dem|der|dit|hans|hennes|deres|it|its|this|that|these|"
    r"those|they|them|their|there)\b",
    re.IGNORECASE,
)


def is_follow_up(question: str) -> bool:
    """Does the question lean on an earlier turn (short, starts with 'og', or uses 'det')?"""
    words = re.findall(r"\w+", question)
    return bool(
        _FOLLOW_UP_START.match(question.strip())
        or (len(words) <= 7 and _ANAPHORA.search(question))
        or len(words) <= 3
    )


def standalone_question(question: str, history: list[Turn]) -> str:
    """The question with the conversation's topic carried along when it is a follow-up."""
    previous = [t.content for t in history if t.role == "user" and t.content.strip()]
    if not previous or not is_follow_up(question):
        return question
    return f"{previous[-1].strip()} {question.strip()}"


class ConversationStore:
    """Server-side histories by conversation id, in memory, bounded and thread-safe."""

    def __init__(self, max_conversations: int = 1000, max_turns: int = 20, ttl_s: float = 3600):
        self._items: OrderedDict[str, tuple[float, list[Turn]]] = OrderedDict()
        self._lock = threading.Lock()
        self.max_conversations = max_conversations
        self.max_turns = max_turns
        self.ttl_s = ttl_s

    def new_id(self) -> str:
        return uuid.uuid4().hex

    def history(self, conversation_id: str) -> list[Turn]:
        with self._lock:
            item = self._items.get(conversation_id)
            if item is None or time.monotonic() - item[0] > self.ttl_s:
                return []
            return list(item[1])

    def append(self, conversation_id: str, *turns: Turn) -> None:
        with self._lock:
            _, history = self._items.pop(conversation_id, (0.0, []))
            history = (history + list(turns))[-self.max_turns :]
            self._items[conversation_id] = (time.monotonic(), history)
            while len(self._items) > self.max_conversations:
                self._items.popitem(last=False)
