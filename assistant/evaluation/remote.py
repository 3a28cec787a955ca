"""Evaluating a running server: the same items and scoring, over HTTP.

The client speaks the API's contract: ``POST /v1/ask`` with
``{"question", "history": [{"role", "content"}], "mode"}`` answers with the
Answer JSON shape; ``POST /v1/search`` with ``{"query", "k"}`` answers with
``{"results": [{"document_id", "text", ...}]}``. Quotes are checked against the
documents of the local index (or corpus), since the server's word is what is
being measured. Latency is the client's round trip for the last turn.
"""

from __future__ import annotations

import json
import time
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Callable, Iterable, Mapping
from typing import Any

from assistant.answer.conversation import standalone_question
from assistant.answer.models import Answer, Turn
from assistant.evaluation.dataset import EvalItem
from assistant.evaluation.metrics import ItemResult
from assistant.evaluation.runner import score_answer
from assistant.ingest.document import Document

_LOOPBACK = {"127.0.0.1", "localhost", "::1"}


class ServerError(RuntimeError):
    """The server could not be reached or answered with an error; the message says which."""


class AskClient:
    """A minimal JSON client for the assistant's HTTP API."""

    def __init__(self, base_url: str, api_key: str | None = None, timeout_s: float = 120.0):
        self.base_url = base_url.rstrip("/")
        self.api_key = api_key
        self.timeout_s = timeout_s
        host = urllib.parse.urlsplit(self.base_url).hostname or ""
        # A proxy from the environment must not intercept a server on this machine.
        handlers = [urllib.request.ProxyHandler({})] if host in _LOOPBACK else []
        self._opener = urllib.request.build_opener(*handlers)

    def post(self, path: str, body: dict[str, Any]) -> dict[str, Any]:
        """POST JSON and return the decoded JSON reply; ServerError on any failure."""
        headers = {"Content-Type": "application/json", "Accept": "application/json"}
        if self.api_key:
            headers["Authorization"] = f"Bearer {self.api_key}"
        request = urllib.request.Request(
            self.base_url + path,
            data=json.dumps(body, ensure_ascii=False).encode("utf-8"),
            headers=headers,
            method="POST",
        )
        try:
            with self._opener.open(request, timeout=self.timeout_s) as response:
                data = json.loads(response.read().decode("utf-8"))
        except urllib.error.HTTPError as exc:
            detail = exc.read().decode("utf-8", "replace")[:300]
            raise ServerError(f"{self.base_url}{path} answered {exc.code}: {detail}") from exc
        except (urllib.error.URLError, TimeoutError, OSError) as exc:
            raise ServerError(f"Cannot reach {self.base_url}{path}: {exc}") from exc
        except json.JSONDecodeError as exc:
            raise ServerError(f"{self.base_url}{path} did not answer with JSON.") from exc
        if not isinstance(data, dict):
            raise ServerError(
                f"{self.base_url}{path} answered with {type(data).__name__}, not an object."
            )
        return data

    def ask(self, question: str, history: list[Turn], mode: str | None) -> Answer:
        body: dict[str, Any] = {"question": question, "history": [t.model_dump() for t in history]}
        if mode:
            body["mode"] = mode
        return Answer.model_validate(self.post("/v1/ask", body))

    def search(self, query: str, k: int = 10) -> list[dict[str, Any]]:
        results = self.post("/v1/search", {"query": query, "k": k}).get("results", [])
        return [r for r in results if isinstance(r, dict)]


def run_item_remote(
    client: AskClient, item: EvalItem, documents: Mapping[str, Document], mode: str | None = None
) -> ItemResult:
    """Play an item's conversation against the server and score the last answer.

    The ranking is searched for the question made standalone the way the
    service does it, so multi-turn retrieval is scored as in-process.
    """
    history: list[Turn] = []
    for turn in item.history:
        earlier = client.ask(turn, history, mode)
        history += [Turn(role="user", content=turn), Turn(role="assistant", content=earlier.answer)]
    began = time.perf_counter()
    answer = client.ask(item.question, history, mode)
    latency_ms = (time.perf_counter() - began) * 1000
    retrieved = client.search(standalone_question(item.question, history), k=10)
    return score_answer(item, answer, retrieved, documents, latency_ms=latency_ms)


def run_remote(
    client: AskClient,
    items: Iterable[EvalItem],
    documents: Mapping[str, Document],
    mode: str | None = None,
    progress: Callable[[ItemResult], None] | None = None,
) -> list[ItemResult]:
    results = []
    for item in items:
        result = run_item_remote(client, item, documents, mode)
        results.append(result)
        if progress:
            progress(result)
    return results
