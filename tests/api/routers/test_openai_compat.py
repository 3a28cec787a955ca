"""/v1/chat/completions and /v1/models: the official openai client against a real uvicorn server."""

from __future__ import annotations

import json
from typing import Any

import pytest
from fastapi.testclient import TestClient
from openai import APIStatusError, AuthenticationError, NotFoundError, OpenAI

from assistant.launcher import Services
from tests.api.live import Keyed

QUESTION = "Hvilket tiårsmål dekker eliminering av HPV?"


@pytest.fixture
def openai_client(live: tuple[str, Keyed]) -> OpenAI:
    base_url, keyed = live
    return OpenAI(base_url=f"{base_url}/v1", api_key=keyed.key, max_retries=0, timeout=60)


def test_the_openai_client_gets_the_answer_with_sources_and_citations(
    openai_client: OpenAI, api_services: Services
) -> None:
    completion = openai_client.chat.completions.create(
        model="kreftstrategi", messages=[{"role": "user", "content": QUESTION}]
    )

    expected = api_services.answers.answer(QUESTION)
    content = completion.choices[0].message.content or ""
    assert completion.model == "kreftstrategi"
    assert completion.choices[0].finish_reason == "stop"
    assert content.startswith(expected.answer)
    assert "\n\nKilder:\n[1] " in content
    citations: list[dict[str, Any]] = completion.model_extra["citations"]  # type: ignore[index]
    assert citations == [c.model_dump() for c in expected.citations]
    first = citations[0]
    assert f"[1] {first['title']} – {first['section']}, s. {first['page']}: «" in content


def test_the_openai_client_streams_chunks_and_the_last_carries_citations(
    openai_client: OpenAI, api_services: Services
) -> None:
    stream = openai_client.chat.completions.create(
        model="kreftstrategi", messages=[{"role": "user", "content": QUESTION}], stream=True
    )
    chunks = list(stream)

    text = "".join(c.choices[0].delta.content or "" for c in chunks)
    expected = api_services.answers.answer(QUESTION)
    assert len(chunks) > 5
    assert all(c.object == "chat.completion.chunk" for c in chunks)
    assert text.startswith(expected.answer)
    assert "Kilder:" in text
    assert chunks[-1].choices[0].finish_reason == "stop"
    assert chunks[-1].model_extra["citations"][0]["quote"] == expected.citations[0].quote  # type: ignore[index]


def test_earlier_messages_are_the_conversation(
    openai_client: OpenAI, api_services: Services
) -> None:
    first = api_services.answers.answer(QUESTION)
    completion = openai_client.chat.completions.create(
        model="kreftstrategi",
        messages=[
            {"role": "system", "content": "Du er en hjelpsom assistent."},
            {"role": "user", "content": QUESTION},
            {"role": "assistant", "content": first.answer},
            {"role": "user", "content": [{"type": "text", "text": "Hvem har ansvaret for det?"}]},
        ],
    )

    from assistant.answer.models import Turn

    history = [Turn(role="user", content=QUESTION), Turn(role="assistant", content=first.answer)]
    follow_up = api_services.answers.answer("Hvem har ansvaret for det?", history)
    assert (completion.choices[0].message.content or "").startswith(follow_up.answer)


def test_models_lists_kreftstrategi(openai_client: OpenAI) -> None:
    assert [m.id for m in openai_client.models.list()] == ["kreftstrategi"]


def test_the_openai_client_sees_errors_it_understands(live: tuple[str, Keyed]) -> None:
    base_url, keyed = live
    wrong_key = OpenAI(base_url=f"{base_url}/v1", api_key="kst_wrong", max_retries=0)
    right_key = OpenAI(base_url=f"{base_url}/v1", api_key=keyed.key, max_retries=0)
    message = [{"role": "user", "content": QUESTION}]

    with pytest.raises(AuthenticationError, match="not valid"):
        wrong_key.chat.completions.create(model="kreftstrategi", messages=message)  # type: ignore[arg-type]
    with pytest.raises(NotFoundError, match="kreftstrategi"):
        right_key.chat.completions.create(model="gpt-4o", messages=message)  # type: ignore[arg-type]
    with pytest.raises(APIStatusError, match="empty") as empty:
        right_key.chat.completions.create(
            model="kreftstrategi", messages=[{"role": "user", "content": "  "}]
        )
    assert empty.value.status_code == 422


@pytest.mark.parametrize(
    ("body", "code"),
    [
        ({"model": "kreftstrategi", "messages": []}, "invalid_request"),
        (
            {"model": "kreftstrategi", "messages": [{"role": "assistant", "content": "Hei"}]},
            "invalid_request",
        ),
        (
            {"model": "kreftstrategi", "messages": [{"role": "robot", "content": "Hei"}]},
            "invalid_request",
        ),
        ({"model": "kreftstrategi", "messages": "Hei"}, "invalid_request"),
        ({"messages": [{"role": "user", "content": "Hei"}]}, "invalid_request"),
    ],
)
def test_bad_chat_requests_are_4xx(client: TestClient, body: dict[str, Any], code: str) -> None:
    response = client.post("/v1/chat/completions", json=body)

    assert response.status_code == 422
    assert response.json()["error"]["code"] == code


def test_streaming_over_testclient_ends_with_done(client: TestClient) -> None:
    body = {
        "model": "kreftstrategi",
        "stream": True,
        "messages": [{"role": "user", "content": QUESTION}],
    }
    lines = [
        line for line in client.post("/v1/chat/completions", json=body).text.splitlines() if line
    ]

    assert lines[-1] == "data: [DONE]"
    last = json.loads(lines[-2].removeprefix("data: "))
    assert last["choices"][0]["finish_reason"] == "stop"
    assert last["citations"]
