"""POST /v1/ask: the answer shape, conversations, streaming, filters and every kind of bad input."""

from __future__ import annotations

import json
from typing import Any

import pytest
from fastapi.testclient import TestClient

from assistant.answer.models import Turn
from assistant.launcher import Services

QUESTION = "Hvilket tiårsmål dekker eliminering av HPV?"
FOLLOW_UP = "Hvem har ansvaret for det?"


def events(text: str) -> list[tuple[str, dict[str, Any]]]:
    """Parse a server-sent-event body into (event, data) pairs."""
    parsed = []
    for block in text.strip().split("\n\n"):
        fields = dict(line.split(": ", 1) for line in block.splitlines())
        parsed.append((fields["event"], json.loads(fields["data"])))
    return parsed


def test_answer_has_the_cli_json_shape_plus_conversation_id(
    client: TestClient, api_services: Services
) -> None:
    response = client.post("/v1/ask", json={"question": QUESTION})

    assert response.status_code == 200
    body = response.json()
    expected = api_services.answers.answer(QUESTION).public_dict()
    assert set(body) == {*expected, "conversation_id"}
    assert body["answer"] == expected["answer"]
    assert body["citations"] == expected["citations"]
    assert "Tiårsmål 2" in body["answer"]
    assert body["abstained"] is False


def test_citations_are_verbatim_spans_of_the_documents_endpoint_text(client: TestClient) -> None:
    body = client.post("/v1/ask", json={"question": QUESTION}).json()

    assert body["citations"]
    for citation in body["citations"]:
        document = client.get(f"/v1/documents/{citation['document_id']}").json()
        assert document["text"][citation["start"] : citation["end"]] == citation["quote"]


def test_conversation_id_carries_the_history_on_the_server(
    client: TestClient, api_services: Services
) -> None:
    first = client.post("/v1/ask", json={"question": QUESTION}).json()
    follow = client.post(
        "/v1/ask", json={"question": FOLLOW_UP, "conversation_id": first["conversation_id"]}
    ).json()

    history = [Turn(role="user", content=QUESTION), Turn(role="assistant", content=first["answer"])]
    assert follow["conversation_id"] == first["conversation_id"]
    assert follow["answer"] == api_services.answers.answer(FOLLOW_UP, history).answer
    assert follow["answer"] != api_services.answers.answer(FOLLOW_UP).answer


def test_history_sent_by_the_client_starts_a_conversation(
    client: TestClient, api_services: Services
) -> None:
    history = [{"role": "user", "content": QUESTION}, {"role": "assistant", "content": "…"}]
    first = client.post("/v1/ask", json={"question": FOLLOW_UP, "history": history}).json()
    stored = api_services.conversations.history(first["conversation_id"])

    assert [t.content for t in stored] == [QUESTION, "…", FOLLOW_UP, first["answer"]]


def test_each_new_question_gets_its_own_conversation(client: TestClient) -> None:
    ids = {
        client.post("/v1/ask", json={"question": QUESTION}).json()["conversation_id"] for _ in "ab"
    }

    assert len(ids) == 2


@pytest.mark.slow
@pytest.mark.parametrize(
    ("body", "headers"),
    [
        ({"question": QUESTION, "stream": True}, {}),
        ({"question": QUESTION}, {"Accept": "text/event-stream"}),
    ],
)
def test_streams_text_deltas_then_one_final_event_with_citations(
    client: TestClient, body: dict[str, Any], headers: dict[str, str]
) -> None:
    response = client.post("/v1/ask", json=body, headers=headers)

    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/event-stream")
    stream = events(response.text)
    kinds = [kind for kind, _ in stream]
    assert kinds[-1] == "final"
    assert set(kinds[:-1]) == {"delta"}
    assert len(kinds) > 3
    final = stream[-1][1]
    assert "".join(data["text"] for _, data in stream[:-1]) == final["answer"]
    assert final["citations"]
    assert final["conversation_id"]


def test_filters_restrict_the_sources(client: TestClient) -> None:
    body = {
        "question": "Hva er Cancer Mission Hub Norway?",
        "filters": {"document_ids": ["hub-om"]},
    }
    answer = client.post("/v1/ask", json=body).json()

    assert answer["citations"]
    assert {c["document_id"] for c in answer["citations"]} == {"hub-om"}


@pytest.mark.slow
@pytest.mark.parametrize(
    ("body", "status", "code", "hint"),
    [
        ({"question": ""}, 422, "invalid_question", "empty"),
        ({"question": "   \n\t "}, 422, "invalid_question", "empty"),
        ({"question": "x" * 1001}, 422, "invalid_question", "limit is 1000"),
        ({"question": 42}, 422, "invalid_request", "question"),
        ({"question": ["a"]}, 422, "invalid_request", "valid string"),
        ({}, 422, "invalid_request", "question: Field required"),
        (
            {"question": "Hei", "mode": "generative"},
            422,
            "invalid_request",
            "'extractive' or 'llm'",
        ),
        ({"question": "Hei", "mode": "llm"}, 422, "mode_unavailable", "ASSISTANT_LLM__BASE_URL"),
        ({"question": "Hei", "filters": {"kinds": ["blog"]}}, 422, "invalid_filter", "Valid kinds"),
        (
            {"question": "Hei", "filters": {"document_ids": ["x"]}},
            422,
            "invalid_filter",
            "Valid ids",
        ),
        (
            {"question": "Hei", "filters": {"malomrader": [99]}},
            422,
            "invalid_filter",
            "målområde 99",
        ),
        (
            {"question": "Hei", "filters": {"colour": ["x"]}},
            422,
            "invalid_request",
            "Unknown field",
        ),
        ({"question": "Hei", "history": "hei"}, 422, "invalid_request", "history"),
        (
            {"question": "Hei", "history": [{"role": "bot", "content": "x"}]},
            422,
            "invalid_request",
            "history[0].role",
        ),
        (
            {"question": "Hei", "history": [{"role": "user"}]},
            422,
            "invalid_request",
            "history[0].content: Field required",
        ),
        (
            {"question": "Hei", "conversation_id": "../etc"},
            422,
            "invalid_request",
            "conversation_id",
        ),
        ({"question": "Hei", "qestion": "Hei"}, 422, "invalid_request", "qestion: Unknown field"),
    ],
)
def test_bad_input_gets_a_4xx_that_says_what_to_fix(
    client: TestClient, body: dict[str, Any], status: int, code: str, hint: str
) -> None:
    response = client.post("/v1/ask", json=body)

    assert response.status_code == status
    error = response.json()["error"]
    assert error["code"] == code
    assert hint in error["message"]


@pytest.mark.slow
@pytest.mark.parametrize(
    ("content", "content_type", "code"),
    [
        (b'{"question": "Hei"', "application/json", "malformed_json"),
        (b"question=Hei", "application/json", "malformed_json"),
        (b'{"question": "Hei"}', "text/plain", "invalid_request"),
        (b"", "application/json", "invalid_request"),
        (b"[1, 2]", "application/json", "invalid_request"),
    ],
)
def test_a_body_that_is_not_a_json_object_is_refused_with_a_hint(
    client: TestClient, content: bytes, content_type: str, code: str
) -> None:
    response = client.post("/v1/ask", content=content, headers={"Content-Type": content_type})

    assert 400 <= response.status_code < 500
    assert response.json()["error"]["code"] == code
    assert "JSON" in response.json()["error"]["message"]


def test_a_question_that_is_not_valid_unicode_is_refused(client: TestClient) -> None:
    # JSON may carry an unpaired surrogate escape, which no encoder downstream accepts
    response = client.post(
        "/v1/ask",
        content=b'{"question": "Hva er \\ud800?"}',
        headers={"Content-Type": "application/json"},
    )

    assert response.status_code == 422
    assert "not valid Unicode" in response.json()["error"]["message"]


def test_an_error_before_streaming_is_a_json_4xx_not_a_stream(client: TestClient) -> None:
    response = client.post("/v1/ask", json={"question": " ", "stream": True})

    assert response.status_code == 422
    assert response.json()["error"]["code"] == "invalid_question"


@pytest.mark.slow
@pytest.mark.parametrize("question", ["\ufeff", " \u3000 ", "\x1e\x1f", "\x85"])
def test_a_question_of_invisible_characters_is_empty(client: TestClient, question: str) -> None:
    # the schema's pattern, checked by clients in other languages, must agree with the server
    response = client.post("/v1/ask", json={"question": question})

    assert response.status_code == 422
    assert response.json()["error"]["code"] == "invalid_question"
