"""The shared database stopped under load and started again: answers go on, nothing hangs.

A PostgreSQL of this module's own (pgserver) is stopped and started with ``pg_ctl``, so
its URL stays the same; the replicas are real `assistant serve` processes and are never
restarted.
"""

from __future__ import annotations

import itertools
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import psycopg
import pytest

from assistant.components.database import Database, DatabaseError, close_pools
from assistant.components.embedding import E5Embedding
from assistant.database import feedback_store, key_store
from assistant.index.pg_store import publish_build
from assistant.index.store import current_build
from assistant.launcher import load_services
from assistant.settings import DatabaseSettings, ServerSettings, Settings
from tests.conftest import BuiltIndex
from tests.support.live_server import live_server
from tests.support.postgres import fresh_database, private_postgres, running, start, stop
from tests.support.replicas import assistant_env, serving

pytestmark = pytest.mark.slow  # a database of its own, two servers and an outage

TIMEOUT_S = DatabaseSettings().connect_timeout_s
"""The shipped timeout (connect and statement alike): what no request may wait much past."""
HUNG_S = TIMEOUT_S + 1.0
OUTAGE_S = 10.0
QUESTIONS = ["Hva er tiårsmål 2?", "Hvem har ansvaret for det?", "Hva er målområde 1?"]


@pytest.fixture(scope="module")
def own_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Any]:
    """A PostgreSQL that only this module uses, so it may stop it."""
    with private_postgres(tmp_path_factory.mktemp("outage-pg")) as server:
        yield server


@pytest.fixture
def outage_url(own_server: Any) -> Iterator[str]:
    yield fresh_database(own_server)
    if not running(own_server):
        start(own_server)
    close_pools()


def test_a_stopped_database_fails_calls_at_once_and_serves_them_again_when_back(
    own_server: Any, outage_url: str
) -> None:
    database = Database(outage_url, connect_timeout_s=TIMEOUT_S, statement_timeout_s=TIMEOUT_S)
    with database.connect() as db:
        db.execute("CREATE TABLE seen (n INT)")
    stop(own_server)
    waits = []
    for _ in range(20):
        began = time.monotonic()
        with (
            pytest.raises(DatabaseError, match="ASSISTANT_DATABASE__URL"),
            database.connect() as db,
        ):
            db.execute("INSERT INTO seen VALUES (1)")
        waits.append(time.monotonic() - began)
        time.sleep(0.1)
    assert max(waits) < TIMEOUT_S, waits
    assert sorted(waits)[len(waits) // 2] < 0.05, waits  # known down: no attempt at all
    assert not database.available()

    start(own_server)
    deadline = time.monotonic() + database.retry_s + 3
    while True:
        try:
            with database.connect() as db:
                db.execute("INSERT INTO seen VALUES (2)")
            break
        except DatabaseError:
            assert time.monotonic() < deadline, "the database was not used again"
            time.sleep(0.05)
    assert database.available()
    with database.connect() as db:
        assert db.execute("SELECT n FROM seen").fetchall() == [(2,)]


def test_a_statement_past_the_timeout_is_cut_off(outage_url: str) -> None:
    database = Database(outage_url, statement_timeout_s=0.5)
    began = time.monotonic()
    with pytest.raises(DatabaseError), database.connect() as db:
        db.execute("SELECT pg_sleep(5)")
    assert time.monotonic() - began < 0.5 + 1.0


@dataclass
class Asked:
    replica: str
    began: float
    took: float
    status: int | None
    notice: str | None
    error: str | None = None


class Load:
    """Four clients asking in a loop, each on one replica, each in its own conversation."""

    def __init__(self, replicas: list[str]):
        self.replicas = replicas
        self.asked: list[Asked] = []
        self.stop = threading.Event()
        self.threads = [
            threading.Thread(target=self._ask, args=(replicas[n % len(replicas)],), daemon=True)
            for n in range(4)
        ]

    def __enter__(self) -> Load:
        for thread in self.threads:
            thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop.set()
        for thread in self.threads:
            thread.join(timeout=60)

    def _ask(self, replica: str) -> None:
        conversation = None
        with httpx.Client(base_url=replica, timeout=30) as client:
            for n in itertools.count():
                if self.stop.is_set():
                    return
                body: dict[str, Any] = {"question": QUESTIONS[n % len(QUESTIONS)]}
                if conversation and n % 6:
                    body["conversation_id"] = conversation
                began = time.monotonic()
                try:
                    reply = client.post("/v1/ask", json=body)
                except httpx.HTTPError as exc:
                    self.asked.append(Asked(replica, began, time.monotonic() - began, None, None,
                                            repr(exc)))  # fmt: skip
                    continue
                took = time.monotonic() - began
                data = reply.json()
                conversation = data.get("conversation_id", conversation)
                self.asked.append(Asked(replica, began, took, reply.status_code,
                                        data.get("notice")))  # fmt: skip

    def between(self, start: float, end: float) -> list[Asked]:
        return [a for a in self.asked if a.began >= start and a.began + a.took <= end]


def _keyed_server(url: str, folder: Path, embedder: E5Embedding) -> Any:
    """The API with keys required, on the same database, in this process."""
    from assistant.api.app import create_app

    settings = Settings(
        database=DatabaseSettings(url=url, poll_s=0.5),
        server=ServerSettings(open_access=False, chat=False, data_dir=folder / "data"),
    )
    settings.index.dir = folder / "index"
    return settings, create_app(settings, load_services(settings, embedder=embedder))


def _metric(base: str, name: str) -> float:
    for line in httpx.get(f"{base}/metrics", timeout=HUNG_S).text.splitlines():
        if line.startswith(name + " "):
            return float(line.split()[-1])
    raise AssertionError(f"{name} not in /metrics")


def test_a_database_outage_under_load_costs_no_answers(
    own_server: Any,
    outage_url: str,
    built_index: BuiltIndex,
    e5_embedder: E5Embedding,
    tmp_path: Path,
) -> None:
    publish_build(outage_url, current_build(built_index.dir))
    env = assistant_env(
        outage_url,
        DATABASE__POLL_S="0.5",
        SERVER__OPEN_ACCESS="true",
        SERVER__CHAT="false",
        SERVER__RATE_LIMIT_PER_MINUTE="100000",
    )
    settings, keyed_app = _keyed_server(outage_url, tmp_path / "k", e5_embedder)
    key = key_store(settings).create("partner")
    partner = {"Authorization": f"Bearer {key}"}
    stranger = {"Authorization": "Bearer kst_nobody-knows-this-key"}
    question = {"question": "Hva er tiårsmål 2?"}

    with (
        serving(env, tmp_path, ("a", "b")) as replicas,
        live_server(keyed_app) as keyed,
    ):
        a, b = (r.url for r in replicas)
        pids = [r.process.pid for r in replicas]
        assert httpx.post(f"{keyed}/v1/ask", json=question, headers=partner).status_code == 200
        assert httpx.post(f"{keyed}/v1/ask", json=question, headers=stranger).status_code == 401
        for replica in (a, b):  # the first answers of a process are slower (warm-up)
            for _ in range(3):
                assert httpx.post(f"{replica}/v1/ask", json=question, timeout=30).status_code == 200
        marker = httpx.post(f"{a}/v1/ask", json={"question": QUESTIONS[0]}, timeout=30).json()
        conversation = marker["conversation_id"]
        assert _metric(a, "assistant_database_available") == 1.0

        with Load([a, b]) as load:
            time.sleep(3)
            stop(own_server)  # -w: returns once the server is down (slower on a loaded machine)
            down_at = time.monotonic()  # answers that began before this may still be shared
            time.sleep(1.5)

            # keys required: a key verified lately still answers; an unknown one gets 503
            began = time.monotonic()
            known = httpx.post(f"{keyed}/v1/ask", json=question, headers=partner, timeout=30)
            unknown = httpx.post(f"{keyed}/v1/ask", json=question, headers=stranger, timeout=30)
            assert time.monotonic() - began < 2 * HUNG_S
            assert known.status_code == 200, known.text
            assert unknown.status_code == 503, unknown.text
            assert unknown.json()["error"]["code"] == "database_unavailable"

            # open access: a conversation goes on in the replica's memory, and says so
            follow_ups = []
            for text in QUESTIONS[1:]:
                reply = httpx.post(f"{a}/v1/ask", json={"question": text,
                                   "conversation_id": conversation}, timeout=30)  # fmt: skip
                assert reply.status_code == 200, reply.text
                follow_ups.append(reply.json())
            assert all("deles ikke" in f["notice"] for f in follow_ups), follow_ups
            assert _metric(a, "assistant_database_available") == 0.0

            time.sleep(max(0.0, down_at + OUTAGE_S - time.monotonic()))
            up_at = time.monotonic()
            start(own_server)
            time.sleep(OUTAGE_S)

        # once the database is back, the turns kept in memory reach it once, in order
        last = httpx.post(f"{a}/v1/ask", json={"question": "Og tiårsmål 3?",
                          "conversation_id": conversation}, timeout=30)  # fmt: skip
        assert last.status_code == 200
        assert "notice" not in last.json(), last.json()
        assert _metric(a, "assistant_database_available") == 1.0
        assert [r.process.poll() for r in replicas] == [None, None]
        assert [r.process.pid for r in replicas] == pids

    with psycopg.connect(outage_url) as db:
        [(turns,)] = db.execute("SELECT turns FROM conversations WHERE id = %s", (conversation,))
    assert [t["content"] for t in turns if t["role"] == "user"] == [*QUESTIONS, "Og tiårsmål 3?"]

    asked = load.asked
    assert asked, "the clients asked nothing"
    assert [a for a in asked if a.error] == []
    assert [a for a in asked if a.took > HUNG_S] == [], "requests hung"
    assert [a for a in asked if a.status is not None and a.status >= 500 and a.status != 503] == []
    during = load.between(down_at + 0.2, up_at)
    assert {x.replica for x in during} == {a, b}, "both replicas answered during the outage"
    assert all(x.status == 200 for x in during), [x.status for x in during]
    unmarked = [x for x in during if x.status == 200 and "deles ikke" not in (x.notice or "")]
    assert unmarked == [], [(round(x.began - down_at, 2), round(x.took, 2)) for x in unmarked]
    for replica in (a, b):
        shared_again = [
            x.began + x.took - up_at
            for x in load.between(up_at, up_at + OUTAGE_S)
            if x.replica == replica and x.status == 200 and not x.notice
        ]
        assert shared_again, f"{replica} did not use the database again within {OUTAGE_S} s"
        assert min(shared_again) <= OUTAGE_S


def test_feedback_given_while_the_database_is_down_is_refused_with_a_message(
    own_server: Any, outage_url: str
) -> None:
    from ui.callbacks import DATABASE_DOWN, THANKS, ChatCallbacks

    settings = Settings(database=DatabaseSettings(url=outage_url))
    store = feedback_store(settings)
    chat = ChatCallbacks(lambda: None, lambda: store)  # type: ignore[arg-type, return-value]
    answer = {"answer": "Tiårsmål 2 …", "citations": [], "abstained": False, "mode": "extractive"}
    session = {"conversation_id": "c1", "turn": 1, "question": "Hva er tiårsmål 2?",
               "answer": answer, "feedback_id": None}  # fmt: skip
    assert store.entries() == []

    stop(own_server)
    began = time.monotonic()
    status, session, *_ = chat.rate("up", session)
    assert time.monotonic() - began < HUNG_S
    assert DATABASE_DOWN.format(what="Tilbakemeldingen")[:40] in status
    assert session["feedback_id"] is None  # nothing half-stored: the 👍 can be given again

    start(own_server)
    deadline = time.monotonic() + 5
    while THANKS not in status:
        assert time.monotonic() < deadline, status
        time.sleep(0.2)
        status, session, *_ = chat.rate("up", session)
    assert [(e.rating, e.question) for e in store.entries()] == [("up", "Hva er tiårsmål 2?")]
