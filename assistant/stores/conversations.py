"""Server-side conversations: the contract every conversation store keeps.

The contract is the in-memory store the answer service was written against
(:class:`assistant.answer.conversation.ConversationStore`: ``new_id``,
``history``, ``append``); it is named here so that the API and the database
backend find every store contract in one layer.
"""

from __future__ import annotations

from assistant.answer.conversation import ConversationStore

__all__ = ["ConversationStore"]
