"""POST /v1/search: the rows of `assistant search --json`, filters, and bad queries."""

from __future__ import annotations

from typing import Any

import pytest
from fastapi.testclient import TestClient

from assistant.launcher import Services


def test_search_returns_the_cli_rows_for_the_query(
    client: TestClient, api_services: Services
) -> None:
    response = client.post("/v1/search", json={"query": "HPV-vaksinasjon", "k": 3})

    assert response.status_code == 200
    body = response.json()
    expected = [
        h.to_dict(api_services.index) for h in api_services.retriever.search("HPV-vaksinasjon", k=3)
    ]
    assert body == {"query": "HPV-vaksinasjon", "results": expected}
    assert [row["rank"] for row in body["results"]] == [1, 2, 3]


def test_search_honours_mode_and_filters(client: TestClient) -> None:
    body = {"query": "kreft", "k": 5, "mode": "bm25", "filters": {"kinds": ["press"]}}
    rows = client.post("/v1/search", json=body).json()["results"]

    assert rows
    assert {row["kind"] for row in rows} == {"press"}
    assert all(row["bm25"] > 0 for row in rows)


@pytest.mark.slow
@pytest.mark.parametrize(
    ("body", "code", "hint"),
    [
        ({"query": "  "}, "invalid_query", "empty"),
        ({"query": "x" * 1001}, "invalid_query", "limit is 1000"),
        (
            {"query": "HPV", "k": 0},
            "invalid_request",
            "k: Input should be greater than or equal to 1",
        ),
        ({"query": "HPV", "k": "many"}, "invalid_request", "k: Input should be a whole number"),
        ({"query": "HPV", "k": True}, "invalid_request", "k: Input should be a whole number"),
        ({"query": "HPV", "k": 2.5}, "invalid_request", "k: Input should be a whole number"),
        ({"query": "HPV", "mode": "semantic"}, "invalid_request", "mode"),
        ({"query": "HPV", "filters": {"malomrader": ["en"]}}, "invalid_request", "malomrader[0]"),
        ({"query": "HPV", "filters": {"document_ids": ["nope"]}}, "invalid_filter", "Valid ids"),
    ],
)
def test_bad_search_input_is_a_4xx_that_says_what_to_fix(
    client: TestClient, body: dict[str, Any], code: str, hint: str
) -> None:
    response = client.post("/v1/search", json=body)

    assert response.status_code == 422
    assert response.json()["error"]["code"] == code
    assert hint in response.json()["error"]["message"]


@pytest.mark.slow
def test_k_is_a_json_schema_integer(client: TestClient) -> None:
    response = client.post("/v1/search", json={"query": "HPV", "k": 2.0})

    assert response.status_code == 200
    assert len(response.json()["results"]) == 2
