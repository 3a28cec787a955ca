"""Errors are JSON with a stable code and a useful message, and never leak internals."""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterator

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient

from assistant.api.deps import get_services


def test_an_unexpected_error_is_a_500_without_trace_path_or_key(
    make_app: Callable[..., FastAPI], caplog: pytest.LogCaptureFixture
) -> None:
    app = make_app(open_access=True)

    def broken() -> None:
        raise RuntimeError("cannot read /srv/secret/index/builds/x with key kst_SECRET")

    app.dependency_overrides[get_services] = broken
    with (
        caplog.at_level(logging.ERROR, logger="assistant.api"),
        TestClient(app, raise_server_exceptions=False) as client,
    ):
        response = client.post("/v1/ask", json={"question": "Hva er tiårsmål 2?"})

    assert response.status_code == 500
    assert response.json() == {
        "error": {
            "code": "internal_error",
            "message": "Something went wrong on our side; the error has been logged.",
        }
    }
    assert "kst_SECRET" in caplog.text  # the operator sees it in the log, the client does not


@pytest.mark.parametrize(
    ("method", "path", "status", "code"),
    [
        ("get", "/v2/ask", 404, "not_found"),
        ("get", "/v1/ask", 405, "method_not_allowed"),
        ("delete", "/v1/documents", 405, "method_not_allowed"),
    ],
)
def test_unknown_paths_and_methods_get_json_errors(
    client: TestClient, method: str, path: str, status: int, code: str
) -> None:
    response = client.request(method.upper(), path)

    assert response.status_code == status
    assert response.json()["error"]["code"] == code
    assert "/docs" in response.json()["error"]["message"]


def test_a_body_over_the_limit_is_refused_with_413(client: TestClient) -> None:
    big = b'{"question": "' + b"a" * 70_000 + b'"}'

    response = client.post("/v1/ask", content=big, headers={"Content-Type": "application/json"})

    assert response.status_code == 413
    assert response.json()["error"]["code"] == "body_too_large"
    assert "64000 bytes" in response.json()["error"]["message"]


@pytest.mark.slow
def test_a_chunked_body_is_cut_off_at_the_limit(client: TestClient) -> None:
    def chunks() -> Iterator[bytes]:
        yield b'{"question": "'
        for _ in range(100):
            yield b"a" * 1000
        yield b'"}'

    response = client.post(
        "/v1/ask", content=chunks(), headers={"Content-Type": "application/json"}
    )

    assert response.status_code == 413
    assert response.json()["error"]["code"] == "body_too_large"


def test_invalid_utf8_is_malformed_json_that_says_to_send_utf8(client: TestClient) -> None:
    response = client.post(
        "/v1/ask",
        content=b'{"question": "Hva er ti\xe5rsm\xe5l 2?"}',  # Latin-1, not UTF-8
        headers={"Content-Type": "application/json"},
    )
    assert response.status_code == 400
    error = response.json()["error"]
    assert error["code"] == "malformed_json"
    assert "UTF-8" in error["message"]
    assert "There was an error parsing the body" not in error["message"]


@pytest.mark.parametrize(
    ("body", "says"),
    [
        (b'{"question": "Hei', "(Unterminated string starting at character 13)"),
        (b'{"question": }', "(Expecting value at character 13)"),
    ],
)
def test_a_json_syntax_error_says_where_in_plain_words(
    client: TestClient, body: bytes, says: str
) -> None:
    response = client.post("/v1/ask", content=body, headers={"Content-Type": "application/json"})
    message = response.json()["error"]["message"]
    assert says in message
    assert "at at" not in message


@pytest.mark.parametrize(
    ("path", "status", "code"),
    [
        ("/chat/gradio_api/file=/etc/passwd", 403, "forbidden"),
        ("/chat/gradio_api/file=%2Fetc%2Fpasswd", 403, "forbidden"),
        ("/chat/dokument/..%2F..%2Fetc%2Fpasswd", 404, "not_found"),
        ("/chat/no-such-page", 404, "not_found"),
    ],
)
def test_the_chat_mount_answers_in_the_json_error_shape_and_echoes_nothing(
    chat_client: TestClient, path: str, status: int, code: str
) -> None:
    response = chat_client.get(path)
    assert response.status_code == status
    assert response.headers["content-type"] == "application/json"
    assert set(response.json()) == {"error"}
    assert response.json()["error"]["code"] == code
    assert "passwd" not in response.text
    assert "etc" not in response.text
    assert "detail" not in response.text


@pytest.mark.slow
def test_an_unknown_document_page_is_still_the_chat_s_own_html_page(
    chat_client: TestClient,
) -> None:
    response = chat_client.get("/chat/dokument/finnes-ikke")
    assert response.status_code == 404
    assert response.headers["content-type"].startswith("text/html")
