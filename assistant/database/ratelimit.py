"""Rate limits in PostgreSQL: one token bucket per caller for all replicas together."""

from __future__ import annotations

import random

from assistant.components.database import Database
from assistant.stores.ratelimit import RateLimiter

PRUNE_EVERY = 1000
"""About one call in this many removes the buckets that are full again (nothing to keep)."""

# One statement takes the bucket and its row lock: made full if missing, kept as it is if
# there. (An INSERT … DO NOTHING followed by a SELECT … FOR UPDATE found no row when another
# replica's prune deleted the full bucket in between: the request failed.)
_TAKE = """
INSERT INTO rate_buckets AS b (scope, caller, tokens, updated_at)
VALUES (%(scope)s, %(caller)s, %(capacity)s, clock_timestamp())
ON CONFLICT (scope, caller) DO UPDATE SET tokens = b.tokens
RETURNING LEAST(%(capacity)s, b.tokens + EXTRACT(EPOCH FROM clock_timestamp() - b.updated_at)
                * %(rate)s), clock_timestamp()
"""
_SET = """
UPDATE rate_buckets SET tokens = %(tokens)s, updated_at = %(now)s
WHERE scope = %(scope)s AND caller = %(caller)s
"""
_PEEK = """
SELECT LEAST(%(capacity)s, tokens + EXTRACT(EPOCH FROM clock_timestamp() - updated_at) * %(rate)s)
FROM rate_buckets WHERE scope = %(scope)s AND caller = %(caller)s
"""


class PostgresRateLimiter(RateLimiter):
    """The same token bucket as :class:`RateLimiter`, kept in the ``rate_buckets`` table.

    One short transaction per request (the bucket's row lock orders replicas), timed by the
    database's clock so replicas' clocks never disagree.
    """

    def __init__(self, database: Database, per_minute: int, scope: str):
        super().__init__(per_minute)
        self.database = database
        self.scope = scope

    def _params(self, caller: str) -> dict[str, object]:
        return {"scope": self.scope, "caller": caller, "capacity": self.capacity, "rate": self.rate}

    def peek(self, caller: str) -> float:
        with self.database.connect() as db:
            row = db.execute(_PEEK, self._params(caller)).fetchone()
        tokens = self.capacity if row is None else float(row[0])
        return 0.0 if tokens >= 1.0 else (1.0 - tokens) / self.rate

    def acquire(self, caller: str) -> float:
        params = self._params(caller)
        with self.database.connect() as db:
            tokens, now = db.execute(_TAKE, params).fetchone()
            tokens = float(tokens)
            wait = 0.0
            if tokens >= 1.0:
                tokens -= 1.0
            else:
                wait = (1.0 - tokens) / self.rate
            db.execute(_SET, {**params, "tokens": tokens, "now": now})
            if random.random() < 1 / PRUNE_EVERY:
                db.execute(
                    "DELETE FROM rate_buckets WHERE scope = %(scope)s AND tokens "
                    "+ EXTRACT(EPOCH FROM clock_timestamp() - updated_at) * %(rate)s "
                    ">= %(capacity)s",
                    params,
                )
        return wait
