"""The chat in a real browser: Chromium (headless) against a real server on loopback.

Screenshots go to ``tests/artifacts/`` (git-ignored). With
``UPDATE_DOCS_SCREENSHOT=1`` the conversation test also rewrites
``docs/screenshot-chat.png``, the README's picture of the chat.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import pytest

from tests.ui.live import LiveChat

pytestmark = [pytest.mark.browser, pytest.mark.slow]

HPV_QUESTION = "Hvilket tiårsmål dekker eliminering av HPV?"
STRATEGY_TITLE = "Felles innsats mot kreft"
DOCS_SCREENSHOT = Path(__file__).resolve().parents[2] / "docs" / "screenshot-chat.png"


def ask(page: Any, question: str, turn: int) -> None:
    """Type a question, send it, and wait until answer number ``turn`` is complete."""
    page.fill("#sporsmal textarea", question)
    page.click("#send")
    wait_for_answer(page, turn)


def wait_for_answer(page: Any, turn: int) -> None:
    page.wait_for_selector(
        f"#chat-state[data-chat-state='done'][data-turn='{turn}']", state="attached"
    )


def last_answer(page: Any) -> str:
    return str(page.locator("#chatvindu [data-testid='bot']").last.inner_text())


def test_hpv_question_follow_up_feedback_and_document(
    page_at: Any, live_chat: LiveChat, artifacts: Path
) -> None:
    page = page_at(1280, 1000)
    ask(page, HPV_QUESTION, turn=1)

    assert page.evaluate("document.documentElement.lang") == "nb"
    assert "Tiårsmål 2" in last_answer(page)
    sources = page.locator("#kilder")
    assert sources.locator("h2").inner_text() == "Kilder"
    first = sources.locator(".kilde").first
    assert STRATEGY_TITLE in first.locator(".kilde-tittel").inner_text()
    assert "s. " in first.locator(".kilde-meta").inner_text()
    assert "Målområde 1" in first.locator(".kilde-seksjon").inner_text()
    marked = first.locator(".kilde-sitat mark")
    assert marked.is_visible()
    quote = marked.inner_text()
    strategy = live_chat.services.index.documents["strategi-2025-2035"]
    assert " ".join(quote.split()) in " ".join(strategy.text.split())  # verbatim
    page.wait_for_timeout(300)  # let the chat scroll settle before the picture
    page.screenshot(path=str(artifacts / "chat.png"))
    if os.environ.get("UPDATE_DOCS_SCREENSHOT"):
        DOCS_SCREENSHOT.parent.mkdir(parents=True, exist_ok=True)
        page.screenshot(path=str(DOCS_SCREENSHOT))

    ask(page, "Hvilket målområde hører det til?", turn=2)
    follow_up = last_answer(page)
    assert "Målområde 1" in follow_up
    assert "foregangsland innen kreftforebygging" in follow_up
    assert "tolket som" in sources.locator(".kilder-tolket").inner_text()

    comment = "Nyttig – fant målområdet med én gang."
    page.click("#feedback-up")
    page.wait_for_selector("#feedback-message[data-feedback-state='thanks']")
    page.fill("#feedback-comment textarea", comment)
    page.click("#feedback-send")
    page.wait_for_selector("#feedback-message:has-text('Kommentaren er lagret')")
    assert "Takk for tilbakemeldingen!" in page.locator("#feedback-message").inner_text()
    stored = [e for e in live_chat.feedback.entries() if e.comment == comment]
    assert len(stored) == 1
    row = stored[0]
    assert row.rating == "up"
    assert row.question == "Hvilket målområde hører det til?"
    assert "Målområde 1" in row.answer
    assert row.citations
    assert row.citations[0]["document_id"] == "strategi-2025-2035"
    assert row.created_at
    assert row.conversation_id
    page.screenshot(path=str(artifacts / "chat-follow-up.png"), full_page=True)

    with page.context.expect_page() as opened:
        sources.locator(".kilde-lenke").first.click()
    document = opened.value
    document.wait_for_load_state()
    highlighted = document.locator("mark#sitat")
    assert highlighted.is_visible()
    assert highlighted.inner_text().startswith("Tiårsmål 2")
    box = highlighted.bounding_box()
    assert box is not None
    assert 0 <= box["y"] < document.viewport_size["height"]
    document.screenshot(path=str(artifacts / "document.png"))


def test_abstention_looks_different_and_markup_in_a_question_is_text(
    page_at: Any, artifacts: Path
) -> None:
    """On-topic but not in the text: the nearest passages are shown, marked as not evidence."""
    page = page_at(1280, 900)
    markup = "<script>window.pwned = 1</script><b>fet</b>"
    ask(page, f"Hva er budsjettet for kreftstrategien i 2026? {markup}", turn=1)

    assert page.locator("#chat-state").get_attribute("data-abstained") == "true"
    notice = page.locator("#chatvindu .svar-varsel")
    assert notice.is_visible()
    assert "Ikke funnet i dokumentene" in notice.inner_text()
    assert "nærmeste treffene" in notice.inner_text()
    heading = page.locator("#kilder h2").inner_text()
    assert heading == "Nærmeste avsnitt (svarer ikke på spørsmålet)"
    assert page.locator("#kilder .kilde").count() >= 1  # the nearest passages are still shown
    asked = page.locator("#chatvindu [data-testid='user']").last
    assert markup in asked.inner_text()
    assert asked.locator("b, script").count() == 0
    assert page.evaluate("window.pwned") is None
    page.screenshot(path=str(artifacts / "chat-abstained.png"))


def test_an_off_topic_question_shows_no_passages(page_at: Any) -> None:
    """Outside the documents altogether: a refusal, and no unrelated passages dressed as sources."""
    page = page_at(1280, 900)
    ask(page, "Hva koster en pizza i Roma?", turn=1)

    assert page.locator("#chat-state").get_attribute("data-abstained") == "true"
    notice = page.locator("#chatvindu .svar-varsel").last.inner_text()
    assert "utenfor" in notice
    assert "nærmeste treffene" not in notice
    assert page.locator("#kilder .kilde").count() == 0
    assert "Ingen avsnitt" in page.locator("#kilder").inner_text()


def test_new_conversation_forgets_the_previous_one(page_at: Any) -> None:
    page = page_at(1280, 900)
    page.click("#eksempel-1")  # the HPV example
    wait_for_answer(page, 1)
    assert "Tiårsmål 2" in last_answer(page)

    page.click("#ny-samtale")
    page.wait_for_selector("#chat-state[data-chat-state='idle'][data-turn='0']", state="attached")
    assert page.locator("#chatvindu [data-testid='bot']").count() == 0
    assert page.locator("#kilder .kilde").count() == 0

    ask(page, "Hvem har ansvaret for det?", turn=1)
    assert page.locator("#kilder .kilder-tolket").count() == 0  # nothing to follow up on


def test_filters_by_kind_and_malomrade(page_at: Any) -> None:
    page = page_at(1280, 900)
    page.click("#filtre button")
    page.get_by_label("presse").check()
    ask(page, "Hva sier dokumentene om den nye kreftstrategien?", turn=1)
    documents = page.locator("#kilder .kilde").evaluate_all(
        "items => items.map(i => i.dataset.documentId)"
    )
    assert documents
    assert "strategi-2025-2035" not in documents
    assert set(page.locator("#kilder .kilde-type").all_inner_texts()) == {"Presse"}

    page.get_by_label("presse").uncheck()
    page.click("#filter-malomrade input")
    page.get_by_role("option", name="5. Best mulig livskvalitet", exact=False).click()
    ask(page, "Hva sier strategien om arbeid?", turn=2)
    sections = page.locator("#kilder .kilde-seksjon").all_inner_texts()
    assert sections
    assert all(s.startswith("Målområde 5") for s in sections)


def test_readable_on_a_narrow_screen(page_at: Any, artifacts: Path) -> None:
    page = page_at(390, 844)
    ask(page, HPV_QUESTION, turn=1)
    width = page.evaluate("document.documentElement.scrollWidth")
    assert width <= 390, f"the page scrolls sideways ({width}px wide)"
    chat = page.locator("#chatvindu").bounding_box()
    sources = page.locator("#kilder").bounding_box()
    assert chat is not None
    assert sources is not None
    assert sources["y"] > chat["y"]  # stacked: the sources follow the conversation
    assert sources["x"] + sources["width"] <= 390
    examples = page.locator("#eksempler").bounding_box()
    assert examples is not None
    assert examples["y"] > sources["y"]
    page.screenshot(path=str(artifacts / "chat-narrow.png"), full_page=True)


def test_the_api_docs_render_with_no_network(
    chromium: Any, chat_services: Any, artifacts: Path, tmp_path: Path
) -> None:
    """/docs (Swagger UI) and /redoc load every script and style from the server itself."""
    from assistant.api.app import create_app
    from tests.ui.live import serving

    settings = chat_services.settings.model_copy(deep=True)
    settings.server.data_dir = tmp_path / "data"
    with serving(create_app(settings, chat_services)) as url:
        context = chromium.new_context(viewport={"width": 1280, "height": 900})
        outside: list[str] = []

        def only_this_server(route: Any) -> None:
            if route.request.url.startswith(url):
                route.continue_()
            else:
                outside.append(route.request.url)
                route.abort()

        context.route("**/*", only_this_server)
        try:
            page = context.new_page()
            page.set_default_timeout(30_000)
            page.goto(f"{url}/docs")
            page.wait_for_selector(".opblock-summary-path")
            paths = page.locator(".opblock-summary-path").all_inner_texts()
            assert "Kreftstrategi-assistenten" in page.locator(".info .title").inner_text()
            page.screenshot(path=str(artifacts / "docs.png"))

            page.goto(f"{url}/redoc")
            page.wait_for_selector("h1:has-text('Kreftstrategi-assistenten')")
            redoc_operations = page.locator("[data-section-id^='operation/']").count()
        finally:
            context.close()

    assert outside == []
    assert {"/v1/ask", "/v1/chat/completions", "/readyz"} <= {p.strip() for p in paths}
    assert redoc_operations >= 10
