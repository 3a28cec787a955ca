"""The chat's look: a theme on system fonts (nothing fetched from font services) and CSS."""

from __future__ import annotations

from typing import Any


def theme() -> Any:
    """The Gradio theme: default colours, system fonts."""
    import gradio as gr

    return gr.themes.Default(
        primary_hue="blue",
        neutral_hue="slate",
        font=["system-ui", "sans-serif"],
        font_mono=["ui-monospace", "monospace"],
    )


# Gradio scopes CSS passed as css= to the app's content; the page's own padding sits
# outside it and is styled from <head> instead.
HEAD = (
    "<style>@media (max-width: 640px) {"
    " .gradio-container .app { padding: 0.6rem 0.5rem !important; } }</style>"
)

CSS = """
#topp h1 { font-size: 1.45rem; margin: 0 0 0.2rem 0; }
#topp p { margin: 0; color: var(--body-text-color-subdued); }

/* hooks for tests: present in the DOM, never shown */
#chat-state-holder, #chat-state-holder * { display: none !important; }

/* the answer that is not an answer */
.svar-varsel {
  background: #fef3c7; border: 1px solid #f59e0b; border-left-width: 5px;
  color: #78350f; border-radius: 6px; padding: 0.5rem 0.75rem;
}
.message:has(.svar-varsel) { background: #fffbeb !important; border-color: #f59e0b !important; }
.svar-info { background: #eff6ff; border-left: 4px solid #3b82f6; padding: 0.4rem 0.6rem; }
.svar-feil {
  background: #fef2f2; border: 1px solid #ef4444; color: #7f1d1d;
  border-radius: 6px; padding: 0.5rem 0.75rem;
}

/* sources panel */
.kilder h2 { font-size: 1.1rem; margin: 0 0 0.5rem 0; }
.kilder-tom p { color: var(--body-text-color-subdued); }
.kilder-tolket { font-size: 0.9rem; color: var(--body-text-color-subdued); margin: 0 0 0.5rem 0; }
.kilde-liste { list-style: none; padding: 0; margin: 0; }
.kilde {
  border: 1px solid var(--border-color-primary); border-radius: 8px;
  padding: 0.6rem 0.75rem; margin-bottom: 0.6rem; background: var(--block-background-fill);
}
.kilde-hode { font-weight: 600; line-height: 1.35; }
.kilde-nr { color: var(--color-accent); margin-right: 0.2rem; }
.kilde-meta { font-size: 0.85rem; color: var(--body-text-color-subdued); margin-top: 0.2rem; }
.kilde-type {
  display: inline-block; border-radius: 999px; padding: 0 0.5rem; font-weight: 600;
  background: #e0e7ff; color: #3730a3;
}
.kilde-type-hub { background: #dcfce7; color: #166534; }
.kilde-type-press { background: #f3e8ff; color: #6b21a8; }
.kilde-seksjon { font-size: 0.85rem; margin-top: 0.2rem; }
.kilde-sitat {
  margin: 0.45rem 0 !important; padding: 0.4rem 0.6rem;
  border-left: 3px solid var(--border-color-primary);
  white-space: pre-line; font-size: 0.92rem; line-height: 1.5; overflow-wrap: anywhere;
}
.kilde-sitat mark { background: #fde68a; color: inherit; padding: 0 0.1em; border-radius: 2px; }
.kilde-lenke { font-size: 0.9rem; }
.kilder-naermeste { border: 2px dashed #f59e0b; border-radius: 8px; padding: 0.6rem; }
.kilder-naermeste h2 { color: #92400e; }
.kilder-naermeste .kilde-sitat mark { background: #e5e7eb; }

/* feedback */
#tilbakemelding { border-top: 1px solid var(--border-color-primary); padding-top: 0.5rem; }
#feedback-status:not(:has(p)) { display: none !important; }
#vurdering { align-items: center; }
#feedback-label { flex-grow: 1; }
#feedback-up, #feedback-down { font-size: 1.2rem; }
.tilbakemelding-thanks { color: #166534; font-weight: 600; }
.tilbakemelding-hint, .tilbakemelding-error { color: #92400e; }
#eksempler { flex-wrap: wrap; gap: 0.4rem; }
#eksempler button { flex: 0 1 auto; white-space: normal; text-align: left; }
#eksempler-tittel { margin-top: 0.25rem; }

#chatvindu .message { overflow-wrap: anywhere; }

/* Narrow screens: one column, the sources right under the conversation, tools after. */
@media (max-width: 640px) {
  #topp h1 { font-size: 1.2rem; }
  #chatvindu { height: 60vh !important; }
  #hoved { flex-direction: column; flex-wrap: nowrap; }
  #samtale-kolonne { display: contents; }
  #hoved > *, #samtale-kolonne > * { width: 100%; min-width: 0 !important; }
  #chatvindu, #sporsmal-rad, #tilbakemelding { order: 1; }
  #kilde-kolonne { order: 2; }
  #verktoy, #filtre, #eksempler-tittel, #eksempler { order: 3; }
  .kilde { padding: 0.5rem; }
}
"""
