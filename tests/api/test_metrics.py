"""GET /metrics: scraped from a real server in Prometheus's text format, and who may read it."""

from __future__ import annotations

from pathlib import Path

import httpx
import pytest
from fastapi.testclient import TestClient
from prometheus_client.parser import text_string_to_metric_families

from assistant.launcher import Services
from assistant.stores.keys import KeyStore
from tests.api.conftest import AppFactory
from tests.api.live import LOCAL, live_server

Samples = dict[tuple[str, frozenset[tuple[str, str]]], float]


def scrape(text: str) -> Samples:
    """Every sample of a scrape by name and labels (parsed as Prometheus would)."""
    return {
        (sample.name, frozenset(sample.labels.items())): sample.value
        for family in text_string_to_metric_families(text)
        for sample in family.samples
    }


def value(samples: Samples, name: str, **labels: str) -> float | None:
    return samples.get((name, frozenset(labels.items())))


def test_a_scrape_holds_requests_answers_abstentions_refusals_and_the_build(
    make_app: AppFactory, api_services: Services
) -> None:
    app = make_app(open_access=True, rate_limit_per_minute=4)
    with live_server(app) as base, httpx.Client(base_url=base, timeout=30) as client:
        assert client.post("/v1/ask", json={"question": "Hva er tiårsmål 2?"}).status_code == 200
        unanswerable = client.post("/v1/ask", json={"question": "Hva koster en pizza i Roma?"})
        assert unanswerable.json()["abstained"] is True
        assert client.get("/v1/documents/strategi-2025-2035").status_code == 200
        completion = client.post(
            "/v1/chat/completions",
            json={
                "model": "kreftstrategi",
                "messages": [{"role": "user", "content": "Tiårsmål 1?"}],
            },
        )
        assert completion.status_code == 200
        assert client.post("/v1/ask", json={"question": "Og mer?"}).status_code == 429
        scraped = client.get("/metrics")

    assert scraped.status_code == 200
    assert scraped.headers["content-type"].startswith("text/plain")
    samples = scrape(scraped.text)
    requests = "assistant_http_requests_total"
    assert value(samples, requests, route="/v1/ask", method="POST", status="200") == 2
    assert value(samples, requests, route="/v1/ask", method="POST", status="429") == 1
    # the route template, never the id asked for
    documents = value(
        samples, requests, route="/v1/documents/{document_id}", method="GET", status="200"
    )
    assert documents == 1
    assert value(samples, "assistant_answer_seconds_count", endpoint="/v1/ask") == 2
    assert value(samples, "assistant_answer_seconds_count", endpoint="/v1/chat/completions") == 1
    answers = "assistant_answers_total"
    assert value(samples, answers, endpoint="/v1/ask", mode="extractive", tier="reader") == 2
    assert value(samples, "assistant_abstentions_total", endpoint="/v1/ask", mode="extractive") == 1
    assert value(samples, "assistant_rate_limit_refusals_total", limit="requests") == 1
    build = api_services.index.path.name
    assert value(samples, "assistant_index_build_info", build=build) == 1
    assert value(samples, "assistant_index_ready") == 1
    assert (value(samples, "process_resident_memory_bytes") or 0) > 0
    # no database URL: no database series to mislead a dashboard
    assert not [name for name, _ in samples if name.startswith("assistant_database")]


def test_two_apps_in_one_process_count_apart(make_app: AppFactory) -> None:
    with TestClient(make_app(open_access=True), base_url=LOCAL) as one:
        one.get("/v1/goals")
        with TestClient(make_app(open_access=True), base_url=LOCAL) as other:
            samples = scrape(other.get("/metrics").text)
    goals = ("assistant_http_requests_total", "/v1/goals")
    assert not [k for k in samples if (k[0], dict(k[1]).get("route")) == goals]


@pytest.mark.parametrize(
    ("setting", "host", "no_key", "user", "admin"),
    [
        (None, "127.0.0.1", 200, 200, 200),  # loopback: open by default
        (None, "0.0.0.0", 401, 403, 200),  # elsewhere: an admin key by default
        ("admin", "127.0.0.1", 401, 403, 200),
        ("open", "0.0.0.0", 200, 200, 200),
        ("off", "127.0.0.1", 404, 404, 404),
    ],
)
def test_who_may_read_the_metrics(
    make_app: AppFactory,
    tmp_path: Path,
    setting: str | None,
    host: str,
    no_key: int,
    user: int,
    admin: int,
) -> None:
    keys = KeyStore(tmp_path / "data")
    user_key, admin_key = keys.create("partner"), keys.create("ops", admin=True)
    app = make_app(metrics=setting, host=host, allowed_hosts=["localhost"])
    with TestClient(app, base_url=LOCAL) as client:
        assert client.get("/metrics").status_code == no_key
        as_user = client.get("/metrics", headers={"Authorization": f"Bearer {user_key}"})
        assert as_user.status_code == user
        as_admin = client.get("/metrics", headers={"Authorization": f"Bearer {admin_key}"})
        assert as_admin.status_code == admin
    if admin == 200:
        assert "assistant_index_ready 1.0" in as_admin.text
