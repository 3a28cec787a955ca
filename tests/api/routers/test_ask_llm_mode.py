"""POST /v1/ask in llm mode: no generated sentence reaches the client unless verified."""

from __future__ import annotations

import dataclasses
import re
from collections.abc import Iterator, Sequence

from fastapi.testclient import TestClient

from assistant.launcher import Services
from tests.api.conftest import AppFactory
from tests.api.routers.test_ask import QUESTION, events

INVENTED = "Norge skal bygge en månebase for kreftforskning innen 2030 [1]."
UNCITED = "Dette er en påstand uten kilde."


class MixedWriter:
    """A writer that copies two of its sources (cited) between an invented and an uncited claim.

    Half of its sentences are supported, so the verifier keeps the answer (and drops the rest).
    """

    def __init__(self, *, invent_only: bool = False) -> None:
        self.invent_only = invent_only
        self.copied: list[str] = []

    def complete(self, messages: Sequence[tuple[str, str]]) -> str:
        if self.invent_only:
            return f"{INVENTED} {UNCITED}"
        sources = re.findall(r"^\[(\d+)\] (.*)$", messages[-1][1], flags=re.M)
        (n1, first), (n2, second) = sources[0], sources[1]
        self.copied = [first, second]
        return f"{first} [{n1}] {INVENTED} {second} [{n2}] {UNCITED}"

    def stream(self, messages: Sequence[tuple[str, str]]) -> Iterator[str]:
        yield self.complete(messages)


def _stream(
    make_app: AppFactory, services: Services, writer: MixedWriter
) -> list[tuple[str, dict]]:
    with_writer = dataclasses.replace(services, answers=services.answers.with_chat_model(writer))
    with TestClient(make_app(services=with_writer, open_access=True)) as client:
        response = client.post(
            "/v1/ask", json={"question": QUESTION, "mode": "llm", "stream": True}
        )
    assert response.status_code == 200
    return events(response.text)


def _flat(text: str) -> str:
    return " ".join(text.split())


def test_only_verified_sentences_are_streamed(make_app: AppFactory, api_services: Services) -> None:
    writer = MixedWriter()
    stream = _stream(make_app, api_services, writer)
    shown = "".join(data["text"] for kind, data in stream if kind == "delta")
    final = stream[-1][1]
    assert final["mode"] == "llm"
    assert final.get("notice") is None  # the generated answer was shown ...
    unmarked = _flat(re.sub(r"\s*\[\d+\]", "", shown))
    assert all(_flat(copied) in unmarked for copied in writer.copied)
    assert shown == final["answer"]
    assert "månebase" not in shown
    assert "påstand uten kilde" not in shown  # ... without the two claims that failed
    quotes = {c["n"]: _flat(c["quote"]) for c in final["citations"]}
    sentences = re.findall(r"(.+?)((?:\[\d+\])+)(?:\s|$)", shown)
    assert sentences
    assert "".join(s + m for s, m in sentences).replace(" ", "") == shown.replace(" ", "")
    for claim, markers in sentences:
        cited = [quotes[int(n)] for n in re.findall(r"\d+", markers)]
        assert any(_flat(claim) in quote for quote in cited), (claim, cited)


def test_an_answer_that_fails_verification_never_reaches_the_client(
    make_app: AppFactory, api_services: Services
) -> None:
    stream = _stream(make_app, api_services, MixedWriter(invent_only=True))
    shown = "".join(data["text"] for kind, data in stream if kind == "delta")
    final = stream[-1][1]
    assert "verifiseres" in final["notice"]
    assert "månebase" not in shown
    assert "påstand uten kilde" not in shown
    assert "Tiårsmål 2" in shown  # the extractive answer instead
