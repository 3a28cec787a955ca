"""Mounting the chat into a FastAPI app: the Gradio page at ``/chat/`` and the document view.

``mount_chat(app, get_services)`` is what ``assistant serve`` calls inside its
``create_app``; :func:`create_chat_app` is the small app ``assistant ui``
runs on its own. Routes added here:

- ``/chat/`` — the chat (Gradio).
- ``GET /chat/dokument/{document_id}?start=&end=`` — the whole cleaned
  document as an HTML page with ``[start, end)`` marked and scrolled into view
  (``#sitat``); the sources panel's «Åpne dokumentet her» links go here.
"""

from __future__ import annotations

import asyncio
import os
import threading
from collections.abc import Callable
from typing import TYPE_CHECKING

from fastapi import FastAPI, Query
from fastapi.responses import HTMLResponse, RedirectResponse

from assistant.answer.context import EvidenceContext
from assistant.index.catalogue import UnknownDocumentError
from assistant.stores.feedback import FeedbackStore

if TYPE_CHECKING:
    from assistant.launcher import Services

CHAT_PATH = "/chat"
DOCUMENT_PATH = f"{CHAT_PATH}/dokument"
# Gradio's page says lang="en"; the chat is in Norwegian Bokmål (screen readers, hyphenation).
SET_LANGUAGE = "() => { document.documentElement.lang = 'nb'; }"
# The document page holds no script and loads nothing: forbid it all but inline styles.
DOCUMENT_HEADERS = {
    "Content-Security-Policy": "default-src 'none'; style-src 'unsafe-inline'",
    "X-Content-Type-Options": "nosniff",
}


def mount_chat(
    app: FastAPI,
    get_services: Callable[[], Services],
    feedback: FeedbackStore | None = None,
) -> None:
    """Add the chat at ``/chat/`` and the document page at ``/chat/dokument/{id}`` to ``app``.

    ``get_services`` is called per request (never at mount time), so the app
    may load its services in its lifespan. Feedback goes to ``feedback``, or
    by default to ``feedback.sqlite3`` in ``services.settings.server.data_dir``.
    Mount after setting the app's lifespan: Gradio wraps it.
    """
    # Gradio reports usage to its servers unless told not to; this machine has no network.
    os.environ.setdefault("GRADIO_ANALYTICS_ENABLED", "False")
    # After every event Gradio summarises all recent events with pandas, for a monitoring
    # page this app does not serve: never, here (it costs CPU per chat message).
    os.environ.setdefault("GRADIO_ANALYTICS_CACHE_FREQUENCY", str(2**62))
    get_feedback = _feedback_provider(get_services, feedback)
    # Registered before the Gradio mount, which would otherwise take every /chat/… path.
    app.add_api_route(
        DOCUMENT_PATH + "/{document_id}",
        _document_endpoint(get_services),
        methods=["GET"],
        response_class=HTMLResponse,
        include_in_schema=False,
    )
    _in_running_loop(lambda: _mount_gradio(app, get_services, get_feedback))


def _mount_gradio(
    app: FastAPI, get_services: Callable[[], Services], get_feedback: Callable[[], FeedbackStore]
) -> None:
    import gradio as gr

    from ui.chat import build_chat
    from ui.style import CSS, HEAD, theme

    blocks = build_chat(get_services, get_feedback)
    blocks.queue(default_concurrency_limit=4)
    gr.mount_gradio_app(
        app,
        blocks,
        path=CHAT_PATH,
        theme=theme(),
        css=CSS,
        footer_links=[],
        run_history=False,
        js=SET_LANGUAGE,
        head=HEAD,
    )


def _in_running_loop(set_up: Callable[[], None]) -> None:
    """Run Gradio's set-up inside a running event loop (a short-lived one if there is none).

    Outside a running loop Gradio makes a new event loop for every lock it creates
    and never closes them (ResourceWarning: unclosed event loop, unclosed socket).
    Inside one it only creates the locks, which bind to the server's loop on first use.
    """
    try:
        asyncio.get_running_loop()
    except RuntimeError:
        pass
    else:
        set_up()
        return

    async def run() -> None:
        set_up()

    loop = asyncio.new_event_loop()  # not made the thread's current loop: nothing to restore
    try:
        loop.run_until_complete(run())
    finally:
        loop.close()


def create_chat_app(services: Services, feedback: FeedbackStore | None = None) -> FastAPI:
    """A FastAPI app serving only the chat (``assistant ui``); ``/`` redirects to ``/chat/``."""
    app = FastAPI(title="Kreftstrategi-assistenten – chat", docs_url=None, redoc_url=None)

    @app.get("/", include_in_schema=False)
    def root() -> RedirectResponse:
        return RedirectResponse(CHAT_PATH + "/")

    mount_chat(app, lambda: services, feedback)
    return app


def _feedback_provider(
    get_services: Callable[[], Services], feedback: FeedbackStore | None
) -> Callable[[], FeedbackStore]:
    lock = threading.Lock()
    built: list[FeedbackStore] = [] if feedback is None else [feedback]

    def get_feedback() -> FeedbackStore:
        with lock:
            if not built:
                from assistant.database import feedback_store

                built.append(feedback_store(get_services().settings))
            return built[0]

    return get_feedback


def _document_endpoint(
    get_services: Callable[[], Services],
) -> Callable[..., HTMLResponse]:
    from ui.render import document_page, not_found_page

    def document(
        document_id: str,
        start: int | None = Query(None, ge=0, description="Start of the span to mark."),
        end: int | None = Query(None, ge=0, description="End of the span to mark."),
    ) -> HTMLResponse:
        evidence = EvidenceContext(get_services().catalogue)
        try:
            view = evidence.document(document_id, start, end)
        except UnknownDocumentError:
            return HTMLResponse(not_found_page(document_id), 404, headers=DOCUMENT_HEADERS)
        return HTMLResponse(document_page(view), headers=DOCUMENT_HEADERS)

    return document
