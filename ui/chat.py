"""The chat page's layout and wiring (Gradio Blocks).

:func:`build_chat` is a factory: everything it needs arrives as providers
(``get_services``, ``get_feedback``) that are called when a request comes in,
so the page can be built before the services are loaded. What the events do
is in :mod:`ui.callbacks`.

Stable element ids for tests and styling: ``#sporsmal`` (question box),
``#send``, ``#ny-samtale``, ``#chatvindu``, ``#kilder`` (sources panel),
``#feedback-up``/``#feedback-down``/``#feedback-comment``/``#feedback-send``,
``#feedback-message``, ``#filter-type``, ``#filter-malomrade``, ``#eksempel-N``
and the hidden ``#chat-state`` (``data-chat-state`` idle/busy/done/error,
``data-turn``) that browser tests wait on.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import gradio as gr

from assistant.launcher import Services
from assistant.stores.feedback import FeedbackStore
from ui import render
from ui.callbacks import ALL_AREAS, ChatCallbacks

EXAMPLES: tuple[str, ...] = (
    "Hvilket tiårsmål dekker eliminering av HPV?",
    "Hva sier strategien om screening for lungekreft?",
    "Hvordan skal pårørende få støtte?",
    "Hva er et Comprehensive Cancer Centre?",
)
KIND_CHOICES: list[tuple[str, str]] = [
    ("strategi", "strategy"),
    ("hub", "hub"),
    ("presse", "press"),
]
INTRO = (
    "<h1>Kreftstrategi-assistenten</h1><p>Spør om Nasjonal kreftstrategi 2025–2035 og "
    "dokumentene rundt den. Svarene siterer dokumentene ordrett – kontroller dem i kildene.</p>"
)


def build_chat(
    get_services: Callable[[], Services], get_feedback: Callable[[], FeedbackStore]
) -> gr.Blocks:
    """The chat page; queue it before mounting (see :func:`ui.app.mount_chat`)."""
    handlers = ChatCallbacks(get_services, get_feedback)
    blocks = gr.Blocks(analytics_enabled=False, title="Kreftstrategi-assistenten")
    with blocks:
        session = gr.State(None)
        gr.HTML(INTRO, elem_id="topp")
        with gr.Row(equal_height=False, elem_id="hoved"):
            with gr.Column(scale=3, min_width=320, elem_id="samtale-kolonne"):
                chatbot = gr.Chatbot(
                    label="Samtale", show_label=False, elem_id="chatvindu", height=480,
                    buttons=["copy"], layout="bubble",
                    placeholder="Still et spørsmål, eller velg et eksempel under.",
                )  # fmt: skip
                with gr.Row(equal_height=True, elem_id="sporsmal-rad"):
                    question = gr.Textbox(
                        placeholder="Still et spørsmål …", show_label=False, lines=1,
                        max_lines=6, scale=5, min_width=200, elem_id="sporsmal", autofocus=True,
                    )  # fmt: skip
                    send = gr.Button(
                        "Send", variant="primary", scale=1, min_width=80, elem_id="send"
                    )
                with gr.Column(
                    visible=False, variant="panel", elem_id="tilbakemelding"
                ) as feedback_box:
                    with gr.Row(equal_height=True, elem_id="vurdering"):
                        gr.HTML("<strong>Var svaret nyttig?</strong>", elem_id="feedback-label")
                        up = gr.Button("👍", elem_id="feedback-up", scale=0, min_width=56)
                        down = gr.Button("👎", elem_id="feedback-down", scale=0, min_width=56)
                    with gr.Row(equal_height=True):
                        comment = gr.Textbox(
                            label="Kommentar (valgfritt)", lines=1, max_lines=4, max_length=2000,
                            scale=4, min_width=200, elem_id="feedback-comment",
                        )  # fmt: skip
                        send_feedback = gr.Button(
                            "Send tilbakemelding", size="sm", scale=1, min_width=140,
                            elem_id="feedback-send",
                        )  # fmt: skip
                    feedback_status = gr.HTML("", elem_id="feedback-status")
                with gr.Row(elem_id="verktoy"):
                    new_chat = gr.Button("Ny samtale", size="sm", scale=0, elem_id="ny-samtale")
                with gr.Accordion("Filtrer", open=False, elem_id="filtre"):
                    kinds = gr.CheckboxGroup(
                        KIND_CHOICES, label="Dokumenttype", elem_id="filter-type",
                        info="Ingen valgt: alle dokumenttyper.",
                    )  # fmt: skip
                    area = gr.Dropdown(
                        [("Alle målområder", ALL_AREAS)], value=ALL_AREAS, label="Målområde",
                        elem_id="filter-malomrade",
                    )  # fmt: skip
                gr.HTML("<strong>Eksempelspørsmål</strong>", elem_id="eksempler-tittel")
                with gr.Row(elem_id="eksempler"):
                    example_buttons = [
                        gr.Button(text, size="sm", scale=0, elem_id=f"eksempel-{i}")
                        for i, text in enumerate(EXAMPLES, start=1)
                    ]
            with gr.Column(scale=2, min_width=300, elem_id="kilde-kolonne"):
                sources = gr.HTML(render.sources_placeholder(), elem_id="kilder")
        state = gr.HTML(render.chat_state("idle", 0), elem_id="chat-state-holder")

        # In the order of ui.callbacks.Reply's fields.
        outputs = [chatbot, question, sources, state, session, feedback_box, comment,
                   feedback_status, up, down]  # fmt: skip
        form = [chatbot, session, kinds, area]
        # The chat is a page, not an API (that is /v1): its events are not offered to
        # API clients, and it shows its own progress ("Søker i dokumentene …").
        quiet: dict[str, Any] = {"api_visibility": "private", "show_progress": "hidden"}
        send.click(handlers.respond, [question, *form], outputs, **quiet)
        question.submit(handlers.respond, [question, *form], outputs, **quiet)
        for button, text in zip(example_buttons, EXAMPLES, strict=True):
            button.click(handlers.asking(text), form, outputs, **quiet)
        new_chat.click(handlers.reset, None, outputs, **quiet)
        chatbot.clear(handlers.reset, None, outputs, **quiet)
        rated = [feedback_status, session, up, down]
        up.click(lambda s: handlers.rate("up", s), [session], rated, **quiet)
        down.click(lambda s: handlers.rate("down", s), [session], rated, **quiet)
        send_feedback.click(
            handlers.send_comment, [comment, session], [feedback_status, session], **quiet
        )
        blocks.load(handlers.load_filters, None, [area], **quiet)
    return blocks
