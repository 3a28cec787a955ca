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
