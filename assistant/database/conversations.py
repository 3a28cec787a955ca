"""Server-side conversations in PostgreSQL: a conversation begun on one replica goes on
on another."""

from __future__ import annotations

import json
import random

from assistant.answer.models import Turn
from assistant.components.database import Database
from assistant.stores.conversations import ConversationStore

PRUNE_EVERY = 100
"""About one append in this many also removes the conversations past their time to live."""


class PostgresConversationStore(ConversationStore):
    """The ``conversations`` table: the same contract as the in-memory store (the last
    ``max_turns`` turns; a conversation idle for ``ttl_s`` is forgotten)."""

    def __init__(self, database: Database, max_turns: int = 20, ttl_s: float = 3600):
        super().__init__(max_turns=max_turns, ttl_s=ttl_s)
        self.database = database

    def history(self, conversation_id: str) -> list[Turn]:
        with self.database.connect() as db:
            row = db.execute(
                "SELECT turns FROM conversations WHERE id = %s "
                "AND updated_at > clock_timestamp() - make_interval(secs => %s)",
                (conversation_id, self.ttl_s),
            ).fetchone()
        return [Turn.model_validate(t) for t in row[0]] if row else []

    def append(self, conversation_id: str, *turns: Turn) -> None:
        new = json.dumps([t.model_dump() for t in turns], ensure_ascii=False)
        with self.database.connect() as db:
            # an expired conversation starts afresh; the row lock orders concurrent appends
            db.execute(
                """
                INSERT INTO conversations AS c (id, turns) VALUES (%(id)s, %(new)s::jsonb)
                ON CONFLICT (id) DO UPDATE SET
                    turns = (
                        SELECT COALESCE(jsonb_agg(t ORDER BY n), '[]'::jsonb) FROM (
                            SELECT t, n, count(*) OVER () AS total
                            FROM jsonb_array_elements(
                                CASE WHEN c.updated_at > clock_timestamp()
                                          - make_interval(secs => %(ttl)s)
                                     THEN c.turns ELSE '[]'::jsonb END || %(new)s::jsonb
                            ) WITH ORDINALITY AS e(t, n)
                        ) kept WHERE n > total - %(max)s
                    ),
                    updated_at = clock_timestamp()
                """,
                {"id": conversation_id, "new": new, "ttl": self.ttl_s, "max": self.max_turns},
            )
            if random.random() < 1 / PRUNE_EVERY:
                db.execute(
                    "DELETE FROM conversations "
                    "WHERE updated_at < clock_timestamp() - make_interval(secs => %s)",
                    (self.ttl_s,),
                )
