"""llm mode: a follow-up condensed by the model into a standalone question, then checked.

Without a model a follow-up is resolved by carrying the previous question along with it
(:func:`~assistant.answer.conversation.standalone_question`). In llm mode the model is asked
first, with llama-index's condense-question prompt (the one its ``CondenseQuestionChatEngine``
uses), to rewrite the follow-up as one standalone question. A small model rewrites
confidently and sometimes wrongly (it drops what was asked, or brings in a topic nobody
named), so its question is only used when :func:`keeps_resolution` accepts it; otherwise,
and whenever the endpoint fails, the extractive resolution stands.
"""

from __future__ import annotations

import re
from collections.abc import Callable

from assistant.answer.conversation import content_words
from assistant.answer.models import Turn
from assistant.components.llm import ChatModel, LLMUnavailableError
from assistant.language import Language

Stems = Callable[[str], list[str]]
"""Text → stems (the reader's Norwegian analyzer: lower-cased, stop words out, stemmed)."""

MAX_CONDENSED_CHARS = 300
"""A longer reply is an answer or an explanation, not a question."""

HISTORY_TURNS = 4
"""The most recent turns shown to the model (two exchanges are enough to resolve a reference)."""

# Words that point back at the topic: a condensed question replaces them by what they stand
# for, so they are not words it must keep (see ``conversation._BACK_REFERENCE``).
_REFERRING = frozenset(
    "den det denne dette disse de dem der dit her slik slike sånn sånne samme og men enn "
    "it its this that these those they them their there such same and but also".split()
)
# A label some models put before the question ("<Standalone question>", "Spørsmål:").
_LABEL = re.compile(r"^(<?standalone question>?:?|spørsmål:)\s*", re.IGNORECASE)
_LANGUAGE_NOTE = {
    "nb": "Skriv spørsmålet på norsk bokmål. Svar bare med spørsmålet.",
    "en": "Write the question in English. Reply with the question only.",
}


def condense_messages(
    question: str, history: list[Turn], language: Language
) -> list[tuple[str, str]]:
    """The chat messages asking the model for a standalone question (llama-index's prompt)."""
    from llama_index.core.base.llms.generic_utils import messages_to_history_str
    from llama_index.core.base.llms.types import ChatMessage, MessageRole
    from llama_index.core.chat_engine.condense_question import DEFAULT_PROMPT

    shown = [t for t in history if t.content.strip()][-HISTORY_TURNS:]
    chat_history = messages_to_history_str(
        [ChatMessage(role=MessageRole(t.role), content=" ".join(t.content.split())) for t in shown]
    )
    prompt = DEFAULT_PROMPT.format(chat_history=chat_history, question=question.strip())
    return [("system", _LANGUAGE_NOTE[language]), ("user", prompt)]


def condense_question(
    chat_model: ChatModel, question: str, history: list[Turn], language: Language
) -> str | None:
    """The model's standalone version of ``question``; None if the endpoint fails or the
    reply is not one question (empty, several lines of prose, or too long)."""
    try:
        reply = chat_model.complete(condense_messages(question, history, language))
    except LLMUnavailableError:
        return None
    lines = [line.strip() for line in reply.strip().splitlines() if line.strip()]
    if not lines:
        return None
    condensed = _LABEL.sub("", lines[0]).strip().strip("\"'«»")
    if not condensed or len(condensed) > MAX_CONDENSED_CHARS:
        return None
    return condensed


def _stems(text: str, stems: Stems) -> set[str]:
    """The stems of ``text``'s content words and its numbers, leaving out words that point back."""
    words = [w for w in content_words(text) if w.lower() not in _REFERRING]
    return set(stems(" ".join(words))) | set(re.findall(r"\d+", text))


def keeps_resolution(condensed: str, question: str, history: list[Turn], stems: Stems) -> bool:
    """Does the model's standalone question say what the extractive resolution says?

    The extractive resolution is the previous question followed by the follow-up: it keeps
    every word the user wrote and adds the conversation's subject, and invents nothing. The
    condensed question is held to the same three things, compared as stems so that
    inflection ("prostatakreft"/"prostatakreften") does not matter:

    1. **It keeps what is asked:** every content word of the follow-up is in it (words that
       only point back, "den", "det", "this", are meant to be replaced and are not counted).
    2. **It resolves the reference:** at least one content word of the previous question
       that the follow-up does not already have is in it; else nothing was carried over.
    3. **It invents nothing:** each of its content words occurs in the follow-up or in an
       earlier turn of the conversation (the user's or the assistant's).

    Any miss means the rewrite changed the question, and the extractive resolution is used.
    """
    previous = [t.content for t in history if t.role == "user" and t.content.strip()]
    if not previous:
        return False
    mine = _stems(condensed, stems)
    asked = _stems(question, stems)
    subject = _stems(previous[-1], stems) - asked
    said = asked.union(*(_stems(t.content, stems) for t in history))
    return bool(mine) and asked <= mine and bool(subject & mine) and mine <= said
