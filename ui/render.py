"""HTML and Markdown for the chat: messages, the sources panel, status hooks, the document page.

Every piece of document or user text passes through :func:`html.escape`
(and, for chat messages, through :func:`markdown_text`) before it is put
into markup, so neither a question nor a document can inject elements.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from html import escape
from urllib.parse import quote as url_quote

from assistant.answer.context import DocumentView, QuoteInContext
from assistant.answer.models import Answer, Citation

KIND_LABELS: dict[str, str] = {"strategy": "Strategi", "hub": "Hub", "press": "Presse"}
MONTHS = (
    "januar", "februar", "mars", "april", "mai", "juni",
    "juli", "august", "september", "oktober", "november", "desember",
)  # fmt: skip
ABSTAIN_TITLE = "Ikke funnet i dokumentene"
NEAREST_HEADING = "Nærmeste avsnitt (svarer ikke på spørsmålet)"
SOURCES_HEADING = "Kilder"
OPEN_DOCUMENT = "Åpne dokumentet her"
PENDING = "_Søker i dokumentene …_"
CURSOR = " ▍"

_MARKDOWN_SPECIAL = re.compile(r"([\\`*_{}\[\]|~])")
_LINE_START_SPECIAL = re.compile(r"^(\s*)([#+]|\d+[.)])(?=\s)", re.MULTILINE)
_MARKER = re.compile(r"\\\[(\d+)\\\]")


def kind_label(kind: str) -> str:
    """The Norwegian label of a document kind ('strategy' → 'Strategi')."""
    return KIND_LABELS.get(kind, kind.capitalize())


def format_date(date: str | None) -> str:
    """An ISO date as Norwegian text: '2024-12-18' → '18. desember 2024', '2025' → '2025'."""
    if not date:
        return "udatert"
    parts = date.split("-")
    try:
        if len(parts) == 3:
            return f"{int(parts[2])}. {MONTHS[int(parts[1]) - 1]} {parts[0]}"
        if len(parts) == 2:
            return f"{MONTHS[int(parts[1]) - 1]} {parts[0]}"
    except (ValueError, IndexError):
        pass
    return date


def markdown_text(text: str) -> str:
    """Text that the chat's Markdown renderer shows literally: no tags, no formatting.

    Citation markers ``[n]`` stay as they are (escaped brackets would show in copies).
    """
    escaped = escape(text, quote=False)
    escaped = _MARKDOWN_SPECIAL.sub(r"\\\1", escaped)
    escaped = _LINE_START_SPECIAL.sub(r"\1\\\2", escaped)
    return _MARKER.sub(r"[\1]", escaped)


def user_message(question: str) -> str:
    return markdown_text(question)


def streaming_message(text: str) -> str:
    """The answer while it streams in, with a cursor."""
    return markdown_text(text) + CURSOR


def answer_message(answer: Answer) -> str:
    """The finished answer; an abstention opens with an amber notice that it is not an answer."""
    parts = []
    if answer.abstained:
        nearest = (
            "Avsnittene i kildepanelet er de nærmeste treffene, ikke belegg."
            if answer.citations
            else "Ingen avsnitt i dokumentene er vist: spørsmålet ligger utenfor dem."
        )
        parts.append(
            '<div class="svar-varsel" role="note"><strong>⚠️ '
            f"{ABSTAIN_TITLE}</strong><br>Dette er ikke et svar fra dokumentene. {nearest}</div>"
        )
    if answer.notice:
        parts.append(f'<div class="svar-info" role="note">Merk: {escape(answer.notice)}</div>')
    parts.append(markdown_text(answer.answer))
    return "\n\n".join(parts)


def error_message(text: str) -> str:
    return f'<div class="svar-feil" role="alert">⚠️ {escape(text)}</div>'


def chat_state(state: str, turn: int, abstained: bool | None = None) -> str:
    """A hidden status element that browser tests wait on: idle, busy, done or error."""
    extra = "" if abstained is None else f' data-abstained="{str(abstained).lower()}"'
    return (
        f'<span id="chat-state" data-chat-state="{escape(state)}" '
        f'data-turn="{int(turn)}"{extra}></span>'
    )


def sources_placeholder() -> str:
    return (
        '<section class="kilder kilder-tom" aria-label="Kilder">'
        f"<h2>{SOURCES_HEADING}</h2>"
        "<p>Kildene til svaret vises her: dokument, avsnitt, side og sitatet i sin "
        "sammenheng.</p></section>"
    )


def sources_pending() -> str:
    return (
        '<section class="kilder kilder-tom" aria-label="Kilder" aria-busy="true">'
        f"<h2>{SOURCES_HEADING}</h2><p>Henter kilder …</p></section>"
    )


def sources_panel(
    answer: Answer,
    contexts: Sequence[QuoteInContext | None],
    document_href: str = "dokument",
) -> str:
    """The sources of an answer: per citation its document, place and quote in context.

    ``contexts[i]`` belongs to ``answer.citations[i]`` (None when it could not be
    read: the quote is then shown alone). ``document_href`` is the document
    page's path, relative to the chat page.
    """
    heading = NEAREST_HEADING if answer.abstained else SOURCES_HEADING
    css = "kilder kilder-naermeste" if answer.abstained else "kilder"
    out = [f'<section class="{css}" aria-label="{escape(heading)}"><h2>{escape(heading)}</h2>']
    if answer.standalone_question:
        out.append(
            '<p class="kilder-tolket">Oppfølgingsspørsmålet er tolket som: '
            f"«{escape(answer.standalone_question)}»</p>"
        )
    if not answer.citations:
        out.append("<p>Ingen avsnitt i dokumentene ligger nær spørsmålet.</p>")
    out.append('<ol class="kilde-liste">')
    for citation, context in zip(answer.citations, contexts, strict=True):
        out.append(_source_item(citation, context, document_href))
    out.append("</ol></section>")
    return "".join(out)


def _source_item(citation: Citation, context: QuoteInContext | None, document_href: str) -> str:
    kind = context.document.kind if context else ""
    date = context.document.date if context else None
    meta = []
    if kind:
        label = escape(kind_label(kind))
        meta.append(f'<span class="kilde-type kilde-type-{escape(kind)}">{label}</span>')
    meta.append(f'<span class="kilde-dato">{escape(format_date(date))}</span>')
    if citation.page:
        meta.append(f'<span class="kilde-side">s. {int(citation.page)}</span>')
    if context is None:
        quote = f"<mark>{escape(citation.quote)}</mark>"
    else:
        quote = (
            ("… " if context.clipped_before else "")
            + escape(context.before)
            + f"<mark>{escape(context.quote)}</mark>"
            + escape(context.after)
            + (" …" if context.clipped_after else "")
        )
    href = (
        f"{document_href}/{url_quote(citation.document_id, safe='')}"
        f"?start={int(citation.start)}&end={int(citation.end)}#sitat"
    )
    return (
        f'<li class="kilde" id="kilde-{int(citation.n)}" data-n="{int(citation.n)}" '
        f'data-document-id="{escape(citation.document_id)}">'
        f'<div class="kilde-hode"><span class="kilde-nr">[{int(citation.n)}]</span> '
        f'<span class="kilde-tittel">{escape(citation.title)}</span></div>'
        f'<div class="kilde-meta">{" · ".join(meta)}</div>'
        f'<div class="kilde-seksjon">{escape(citation.section)}</div>'
        f'<blockquote class="kilde-sitat">{quote}</blockquote>'
        f'<a class="kilde-lenke" href="{escape(href)}" target="_blank" rel="noopener">'
        f"{OPEN_DOCUMENT} ↗</a></li>"
    )


def feedback_status(text: str, state: str, feedback_id: int | None = None) -> str:
    """The line under the feedback buttons; ``state`` is thanks, hint or error."""
    ident = "" if feedback_id is None else f' data-feedback-id="{int(feedback_id)}"'
    return (
        f'<p id="feedback-message" class="tilbakemelding-{escape(state)}" '
        f'data-feedback-state="{escape(state)}"{ident}>{escape(text)}</p>'
    )


def document_page(view: DocumentView) -> str:
    """A whole document as a standalone HTML page, the highlighted span marked ``#sitat``."""
    info = view.document
    meta = [kind_label(info.kind), format_date(info.date)]
    if info.publisher:
        meta.append(info.publisher)
    place = ""
    if view.highlight:
        where = [w for w in (view.section, f"s. {view.page}" if view.page else None) if w]
        place = (
            '<p class="plassering">Sitatet er markert'
            + (f" ({escape(' · '.join(where))})" if where else "")
            + ': <a href="#sitat">gå til sitatet</a>.</p>'
        )
    body = []
    anchored = False
    page: int | None = None
    for block in view.blocks:
        if block.page is not None and block.page != page:
            page = block.page
            body.append(f'<div class="side" id="side-{page}">s. {page}</div>')
        inner, anchored = _block_html(block.text, block.start, view.highlight, anchored)
        if block.heading_rank is not None:
            level = min(block.heading_rank + 1, 4)
            body.append(f"<h{level}>{inner}</h{level}>")
        else:
            body.append(f"<p>{inner}</p>")
    return (
        '<!doctype html><html lang="nb"><head><meta charset="utf-8">'
        '<meta name="viewport" content="width=device-width, initial-scale=1">'
        f"<title>{escape(info.title)}</title><style>{DOCUMENT_CSS}</style></head><body>"
        f'<header><h1>{escape(info.title)}</h1><p class="meta">{escape(" · ".join(meta))}</p>'
        f"{place}</header><main>{''.join(body)}</main></body></html>"
    )


def _block_html(
    text: str, start: int, highlight: tuple[int, int] | None, anchored: bool
) -> tuple[str, bool]:
    if highlight is None:
        return escape(text), anchored
    lo = max(highlight[0] - start, 0)
    hi = min(highlight[1] - start, len(text))
    if lo >= hi:
        return escape(text), anchored
    ident = "" if anchored else ' id="sitat"'
    marked = f"{escape(text[:lo])}<mark{ident}>{escape(text[lo:hi])}</mark>{escape(text[hi:])}"
    return marked, True


def not_found_page(document_id: str) -> str:
    return (
        '<!doctype html><html lang="nb"><head><meta charset="utf-8">'
        '<meta name="viewport" content="width=device-width, initial-scale=1">'
        f"<title>Fant ikke dokumentet</title><style>{DOCUMENT_CSS}</style></head><body><main>"
        f"<h1>Fant ikke dokumentet</h1><p>Det finnes ikke noe dokument med id "
        f"«{escape(document_id)}» i indeksen.</p></main></body></html>"
    )


DOCUMENT_CSS = """
body { font-family: system-ui, sans-serif; line-height: 1.55; margin: 0; color: #1f2937; }
header, main { max-width: 46rem; margin: 0 auto; padding: 1rem 1.25rem; }
header { border-bottom: 1px solid #e5e7eb; }
h1 { font-size: 1.5rem; margin: 0.5rem 0; }
h2 { font-size: 1.25rem; margin-top: 2rem; }
h3, h4 { font-size: 1.05rem; margin-top: 1.5rem; }
p { white-space: pre-line; overflow-wrap: anywhere; }
.meta, .plassering { color: #4b5563; margin: 0.25rem 0; }
mark { background: #fde68a; padding: 0.05em 0.15em; border-radius: 0.2em; }
mark#sitat { scroll-margin-top: 30vh; outline: 2px solid #f59e0b; }
.side {
  color: #6b7280; font-size: 0.8rem; text-align: right;
  border-top: 1px dashed #d1d5db; margin-top: 1rem; padding-top: 0.1rem;
}
"""
