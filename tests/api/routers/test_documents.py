"""GET /v1/documents and /v1/documents/{id}: the corpus, and one document to show a citation."""

from __future__ import annotations

from fastapi.testclient import TestClient

from assistant.launcher import Services


def test_lists_every_document_with_its_metadata(client: TestClient, api_services: Services) -> None:
    response = client.get("/v1/documents")

    assert response.status_code == 200
    documents = response.json()["documents"]
    assert [d["id"] for d in documents] == sorted(api_services.index.documents)
    strategy = next(d for d in documents if d["id"] == "strategi-2025-2035")
    assert strategy["kind"] == "strategy"
    assert strategy["title"].startswith("Felles innsats mot kreft")
    assert strategy["sections"] > 20
    assert strategy["chars"] > 10_000


def test_one_document_has_its_cleaned_text_sections_and_pages(
    client: TestClient, api_services: Services
) -> None:
    body = client.get("/v1/documents/strategi-2025-2035").json()
    document = api_services.index.documents["strategi-2025-2035"]

    assert body["text"] == document.text
    assert len(body["sections"]) == len(document.sections)
    goal = next(s for s in body["sections"] if s["kind"] == "tiarsmal" and s["number"] == "2")
    assert "HPV" in body["text"][goal["start"] : goal["end"]]
    assert goal["page"] == document.page_at(goal["start"])
    assert body["pages"][0] == {"start": document.pages[0][0], "page": document.pages[0][1]}


def test_an_unknown_document_id_is_a_404_listing_the_valid_ids(client: TestClient) -> None:
    response = client.get("/v1/documents/strategi-2035")

    assert response.status_code == 404
    error = response.json()["error"]
    assert error["code"] == "document_not_found"
    assert "strategi-2025-2035" in error["message"]
