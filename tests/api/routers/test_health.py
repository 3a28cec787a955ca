"""GET /healthz and /readyz: up, and ready only with an index (else say to run ingest)."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from fastapi import FastAPI
from fastapi.testclient import TestClient

from assistant.api.app import create_app
from assistant.launcher import Services

AppFactory = Callable[..., FastAPI]


def test_healthz_and_readyz_need_no_key(make_app: AppFactory, api_services: Services) -> None:
    with TestClient(make_app(open_access=False)) as client:
        assert client.get("/healthz").json() == {"status": "ok"}
        ready = client.get("/readyz")

    assert ready.status_code == 200
    assert ready.json() == {
        "status": "ready",
        "build": api_services.index.path.name,
        "documents": len(api_services.index.documents),
        "chunks": len(api_services.index.chunks),
    }


def test_without_an_index_readyz_is_503_and_says_to_run_ingest(
    api_services: Services, tmp_path: Path
) -> None:
    settings = api_services.settings.model_copy(deep=True)
    settings.index.dir = tmp_path / "no-index"
    settings.server.open_access = True
    with TestClient(create_app(settings)) as client:
        health = client.get("/healthz")
        ready = client.get("/readyz")
        ask = client.post("/v1/ask", json={"question": "Hva er tiårsmål 2?"})

    assert health.status_code == 200
    assert ready.status_code == 503
    assert ready.json()["error"]["code"] == "index_not_ready"
    assert "assistant ingest" in ready.json()["error"]["message"]
    assert str(tmp_path) not in ready.text
    assert ask.status_code == 503
    assert ask.json()["error"]["code"] == "index_not_ready"
