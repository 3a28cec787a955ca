"""The document page behind «Åpne dokumentet her», served by the real server."""

from __future__ import annotations

import httpx

from tests.ui.live import LiveChat


def test_the_document_page_marks_the_quote(live_chat: LiveChat) -> None:
    strategy = live_chat.services.index.documents["strategi-2025-2035"]
    quote = "EU har som mål å eliminere all kreft forårsaket av HPV."
    start = strategy.text.index(quote)
    response = httpx.get(
        f"{live_chat.url}/chat/dokument/strategi-2025-2035",
        params={"start": start, "end": start + len(quote)},
    )

    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/html")
    assert "default-src 'none'" in response.headers["content-security-policy"]
    page = response.text
    assert f'<mark id="sitat">{quote}</mark>' in page
    assert "<title>Felles innsats mot kreft" in page
    assert "s. 17" in page
    assert "<script" not in page


def test_without_a_span_the_document_is_shown_unmarked(live_chat: LiveChat) -> None:
    response = httpx.get(f"{live_chat.url}/chat/dokument/hub-om")
    assert response.status_code == 200
    assert "Om Cancer Mission Hub Norway" in response.text
    assert "<mark" not in response.text


def test_an_unknown_document_is_a_norwegian_404(live_chat: LiveChat) -> None:
    response = httpx.get(f"{live_chat.url}/chat/dokument/%3Cscript%3Efinnes-ikke")
    assert response.status_code == 404
    assert "Fant ikke dokumentet" in response.text
    assert "&lt;script&gt;finnes-ikke" in response.text


def test_the_chat_page_is_served_under_chat(live_chat: LiveChat) -> None:
    response = httpx.get(f"{live_chat.url}/chat/")
    assert response.status_code == 200
    assert '"title":"Kreftstrategi-assistenten"' in response.text
    assert '"analytics_enabled":false' in response.text
    assert "fonts.googleapis.com" not in response.text
    assert "/gradio_api/call/v2/respond" not in response.text  # the chat is not an API
