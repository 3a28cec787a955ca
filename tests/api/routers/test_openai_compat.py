"""/v1/chat/completions and /v1/models: the official openai client against a real uvicorn server."""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from openai import APIStatusError, AuthenticationError, NotFoundError, OpenAI

from assistant.launcher import Services
from tests.api.live import Keyed, live_server

QUESTION = "Hvilket tiårsmål dekker eliminering av HPV?"


@pytest.fixture
def openai_client(live: tuple[str, Keyed]) -> OpenAI:
    base_url, keyed = live
    return OpenAI(base_url=f"{base_url}/v1", api_key=keyed.key, max_retries=0, timeout=60)


@pytest.mark.slow
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


@pytest.mark.slow
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


README = Path(__file__).resolve().parents[3] / "README.md"


def readme_openai_example() -> str:
    """The README's Python example for OpenAI clients, as written."""
    blocks = re.findall(r"```python\n(.*?)```", README.read_text(encoding="utf-8"), re.DOTALL)
    (example,) = [b for b in blocks if "from openai import OpenAI" in b]
    return example


def test_the_readme_openai_example_runs_as_written_on_a_loopback_server(
    make_app: Callable[..., FastAPI], capsys: pytest.CaptureFixture[str]
) -> None:
    example = readme_openai_example()
    assert 'api_key="<key or anything on loopback>"' in example
    app = make_app(allowed_hosts=None)  # the defaults of a server on 127.0.0.1
    with live_server(app) as base_url:
        # only the port differs: the test server cannot take 8000 on a shared machine
        runnable = example.replace("http://127.0.0.1:8000", base_url)
        assert runnable != example
        exec(compile(runnable, "README.md", "exec"), {})
    out = capsys.readouterr().out
    assert "Kilder:" in out
    assert "'quote':" in out


def chat(client: TestClient, **extra: Any) -> Any:
    body = {"model": "kreftstrategi", "messages": [{"role": "user", "content": QUESTION}]}
    return client.post("/v1/chat/completions", json={**body, **extra})


def stream_events(client: TestClient, **extra: Any) -> list[Any]:
    lines = chat(client, stream=True, **extra).text.splitlines()
    data = [line.removeprefix("data: ") for line in lines if line.startswith("data: ")]
    assert data[-1] == "[DONE]"
    return [json.loads(d) for d in data[:-1]]


@pytest.mark.parametrize(
    ("extra", "parameter"),
    [
        ({"n": 2}, "`n`"),
        ({"stream_options": {"include_usage": True}}, "`stream_options`"),
    ],
)
def test_parameters_that_cannot_be_honoured_are_a_clear_400(
    client: TestClient, extra: dict[str, Any], parameter: str
) -> None:
    response = chat(client, **extra)
    assert response.status_code == 400
    error = response.json()["error"]
    assert error["code"] == "unsupported_parameter"
    assert error["message"].startswith(parameter)


@pytest.mark.slow
def test_n_of_one_is_accepted(client: TestClient) -> None:
    assert chat(client, n=1).status_code == 200


@pytest.mark.parametrize("name", ["max_tokens", "max_completion_tokens"])
def test_max_tokens_cuts_the_content_in_words_with_finish_reason_length(
    client: TestClient, name: str
) -> None:
    whole = chat(client).json()
    cut = chat(client, **{name: 5}).json()

    assert whole["choices"][0]["finish_reason"] == "stop"
    assert len(whole["choices"][0]["message"]["content"].split()) > 5
    content = cut["choices"][0]["message"]["content"]
    assert cut["choices"][0]["finish_reason"] == "length"
    assert content.split() == whole["choices"][0]["message"]["content"].split()[:5]
    assert cut["usage"]["completion_tokens"] == 5
    assert cut["citations"] == whole["citations"]  # the quotes behind the markers stay whole


def test_a_large_max_tokens_changes_nothing(client: TestClient) -> None:
    whole = chat(client).json()
    roomy = chat(client, max_tokens=100_000).json()
    assert roomy["choices"] == whole["choices"]


def test_a_streamed_answer_is_cut_at_max_tokens_too(client: TestClient) -> None:
    whole = "".join(e["choices"][0]["delta"].get("content") or "" for e in stream_events(client))
    events = stream_events(client, max_tokens=7)
    text = "".join(e["choices"][0]["delta"].get("content") or "" for e in events)

    assert text.split() == whole.split()[:7]
    assert events[-1]["choices"][0]["finish_reason"] == "length"
    assert events[-1]["citations"]


def test_include_usage_adds_a_last_chunk_with_usage_and_no_choices(client: TestClient) -> None:
    events = stream_events(client, stream_options={"include_usage": True})
    text = "".join(e["choices"][0]["delta"].get("content") or "" for e in events[:-1])

    assert events[-1]["choices"] == []
    usage = events[-1]["usage"]
    assert usage["completion_tokens"] == len(text.split())
    assert usage["total_tokens"] == usage["prompt_tokens"] + usage["completion_tokens"]
    assert events[-2]["choices"][0]["finish_reason"] == "stop"
    assert all("usage" not in e for e in stream_events(client))
