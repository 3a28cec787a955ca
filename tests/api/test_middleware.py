"""Access log lines (one per request, with the key's name) and CORS (closed unless configured)."""

from __future__ import annotations

import json
import logging
from collections.abc import Callable

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient

from tests.api.live import Keyed


def access_lines(caplog: pytest.LogCaptureFixture) -> list[dict[str, object]]:
    return [json.loads(r.getMessage()) for r in caplog.records if r.name == "assistant.api.access"]


def test_one_structured_access_line_per_request_with_the_key_name(
    keyed: Keyed, caplog: pytest.LogCaptureFixture
) -> None:
    with caplog.at_level(logging.INFO, logger="assistant.api.access"):
        keyed.client.post("/v1/ask", json={"question": "Hva er tiårsmål 2?"}, headers=keyed.auth())
        keyed.client.post(
            "/v1/ask", json={"question": "Hva er tiårsmål 2?", "stream": True}, headers=keyed.auth()
        )
        keyed.client.get("/v1/goals")
        keyed.client.get("/healthz")

    lines = access_lines(caplog)
    assert [(x["method"], x["path"], x["status"], x["key"]) for x in lines] == [
        ("POST", "/v1/ask", 200, "helse-bergen"),
        ("POST", "/v1/ask", 200, "helse-bergen"),
        ("GET", "/v1/goals", 401, "-"),
        ("GET", "/healthz", 200, "-"),
    ]
    assert all(isinstance(x["ms"], float) and x["ms"] >= 0 for x in lines)
    assert keyed.key not in caplog.text


def test_cors_is_closed_by_default(client: TestClient) -> None:
    preflight = client.options(
        "/v1/ask",
        headers={"Origin": "https://evil.example", "Access-Control-Request-Method": "POST"},
    )
    simple = client.get("/v1/goals", headers={"Origin": "https://evil.example"})

    assert "access-control-allow-origin" not in preflight.headers
    assert "access-control-allow-origin" not in simple.headers


def test_cors_allows_only_the_configured_origins(make_app: Callable[..., FastAPI]) -> None:
    app = make_app(open_access=True, cors_origins=["https://partner.example"])
    with TestClient(app) as client:

        def preflight(origin: str) -> dict[str, str]:
            return dict(
                client.options(
                    "/v1/ask",
                    headers={
                        "Origin": origin,
                        "Access-Control-Request-Method": "POST",
                        "Access-Control-Request-Headers": "authorization, content-type",
                    },
                ).headers
            )

        allowed = preflight("https://partner.example")
        refused = preflight("https://evil.example")

    assert allowed["access-control-allow-origin"] == "https://partner.example"
    assert "authorization" in allowed["access-control-allow-headers"].lower()
    assert "access-control-allow-origin" not in refused
