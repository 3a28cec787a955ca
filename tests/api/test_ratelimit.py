"""Rate limits: a token bucket per key (or address), 429 with Retry-After when spent."""

from __future__ import annotations

import threading
from collections.abc import Callable
from pathlib import Path

from fastapi import FastAPI
from fastapi.testclient import TestClient

from assistant.stores.keys import KeyStore
from assistant.stores.ratelimit import RateLimiter


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def test_a_bucket_allows_the_limit_then_refills_over_the_minute() -> None:
    clock = Clock()
    limiter = RateLimiter(per_minute=3, clock=clock)

    assert [limiter.acquire("a") for _ in range(3)] == [0.0, 0.0, 0.0]
    assert limiter.acquire("a") == 20.0  # one token every 20 s
    assert limiter.acquire("b") == 0.0  # another caller has its own bucket
    clock.now += 20
    assert limiter.acquire("a") == 0.0
    assert limiter.acquire("a") > 0


def test_buckets_are_bounded_in_number() -> None:
    limiter = RateLimiter(per_minute=1, max_callers=10)
    for i in range(100):
        limiter.acquire(f"ip:{i}")

    assert len(limiter._buckets) == 10


def test_concurrent_callers_never_get_more_than_the_limit() -> None:
    limiter = RateLimiter(per_minute=50, clock=Clock())
    allowed: list[bool] = []
    lock = threading.Lock()

    def spend() -> None:
        for _ in range(20):
            ok = limiter.acquire("k") == 0.0
            with lock:
                allowed.append(ok)

    threads = [threading.Thread(target=spend) for _ in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)

    assert sum(allowed) == 50


def test_the_api_answers_429_with_retry_after_past_the_limit(
    make_app: Callable[..., FastAPI], tmp_path: Path
) -> None:
    store = KeyStore(tmp_path / "data")
    first, second = store.create("first"), store.create("second")
    with TestClient(make_app(open_access=False, rate_limit_per_minute=3)) as client:

        def goals(key: str) -> int:
            return client.get("/v1/goals", headers={"Authorization": f"Bearer {key}"}).status_code

        statuses = [goals(first) for _ in range(3)]
        limited = client.get("/v1/goals", headers={"Authorization": f"Bearer {first}"})
        other = goals(second)
        health = client.get("/healthz").status_code

    assert statuses == [200, 200, 200]
    assert limited.status_code == 429
    # One token comes back every 60/3 = 20 s; the wait counts from the
    # moment the bucket ran dry, so a slow machine may already have used a second
    # or two (the exact arithmetic is the injected-clock test above).
    assert 15 <= int(limited.headers["retry-after"]) <= 20
    assert limited.json()["error"]["code"] == "rate_limited"
    assert "3 per minute" in limited.json()["error"]["message"]
    assert other == 200
    assert health == 200
