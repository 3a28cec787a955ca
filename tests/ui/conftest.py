"""Fixtures for the chat: real services, a real uvicorn server on loopback, a real Chromium.

The server serves a FastAPI app with only :func:`ui.app.mount_chat` on the
session's index, on a free port of 127.0.0.1, with its feedback store in a
temporary folder. Chromium is Debian's (``/usr/bin/chromium``), driven
headless by Playwright with the network features switched off (this machine
has no network).
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from assistant.components.embedding import E5Embedding
from assistant.launcher import Services, load_services
from assistant.stores.feedback import FeedbackStore
from tests.conftest import CORPUS, settings_for
from tests.ui.live import CHROMIUM, CHROMIUM_ARGS, LiveChat, serving

ARTIFACTS = Path(__file__).resolve().parents[1] / "artifacts"


@pytest.fixture(scope="session")
def chat_services(
    index_dir: Path, e5_embedder: E5Embedding, tmp_path_factory: pytest.TempPathFactory
) -> Services:
    """The services over the session's index, their data folder in a temporary place."""
    settings = settings_for(CORPUS, index_dir)
    settings.server.data_dir = tmp_path_factory.mktemp("chat-data")
    return load_services(settings, embedder=e5_embedder)


@pytest.fixture
def feedback_store(tmp_path: Path) -> FeedbackStore:
    """An empty feedback store of its own."""
    return FeedbackStore.in_folder(tmp_path)


@pytest.fixture(scope="session")
def live_chat(
    chat_services: Services, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[LiveChat]:
    """The chat served by uvicorn in a thread on 127.0.0.1, stopped after the session."""
    from fastapi import FastAPI

    from ui.app import mount_chat

    feedback = FeedbackStore.in_folder(tmp_path_factory.mktemp("chat-feedback"))
    app = FastAPI()
    mount_chat(app, lambda: chat_services, feedback)
    with serving(app) as url:
        yield LiveChat(url, feedback, chat_services)


@pytest.fixture(scope="session")
def chromium() -> Iterator[Any]:
    """Debian's Chromium, headless, through Playwright (skipped off CI when it is missing)."""
    if not CHROMIUM.exists():
        if os.environ.get("CI"):
            pytest.fail(f"{CHROMIUM} is missing: CI must install Debian's chromium package.")
        pytest.skip(f"{CHROMIUM} is missing (apt-get install chromium)")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=str(CHROMIUM), headless=True, args=CHROMIUM_ARGS
        )
        try:
            yield browser
        finally:
            browser.close()


@pytest.fixture
def page_at(chromium: Any, live_chat: LiveChat) -> Iterator[Any]:
    """``page_at(width, height)``: a fresh browser page on the chat, at that viewport size."""
    contexts: list[Any] = []

    def open_page(width: int = 1280, height: int = 900) -> Any:
        context = chromium.new_context(viewport={"width": width, "height": height}, locale="nb-NO")
        contexts.append(context)
        page = context.new_page()
        page.set_default_timeout(30_000)
        page.goto(f"{live_chat.url}/chat/")
        page.wait_for_selector("#sporsmal textarea")
        return page

    yield open_page
    for context in contexts:
        context.close()


@pytest.fixture(scope="session")
def artifacts() -> Path:
    """Folder for screenshots kept after the run (git-ignored)."""
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    return ARTIFACTS
