"""GET /v1/goals: the målområder and tiårsmål registry."""

from __future__ import annotations

from fastapi.testclient import TestClient

from assistant.launcher import Services


def test_goals_are_the_registry_of_the_index(client: TestClient, api_services: Services) -> None:
    response = client.get("/v1/goals")

    assert response.status_code == 200
    body = response.json()
    assert body == api_services.index.goals.to_dict()
    assert [m["number"] for m in body["malomrader"]] == sorted(
        m["number"] for m in body["malomrader"]
    )
    hpv = next(t for t in body["tiarsmal"] if t["number"] == 2)
    assert "HPV" in hpv["title"]
    assert hpv["malomrade"] == 1
