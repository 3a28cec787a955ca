"""What the chat renders: escaped text, the abstention notice, the sources panel, the document."""

from __future__ import annotations

import re

from assistant.answer.context import Block, DocumentInfo, DocumentView, QuoteInContext
from assistant.answer.models import Answer, Citation, Timings
from ui import render

EVIL = '<script>alert("x")</script><img src=x onerror=alert(1)>'


def citation(**changes: object) -> Citation:
    values: dict[str, object] = {
        "n": 1,
        "document_id": "strategi-2025-2035",
        "title": "Felles innsats mot kreft",
        "section": "Målområde 1 › Tiårsmål 2",
        "page": 17,
        "quote": "EU har som mål å eliminere all kreft forårsaket av HPV.",
        "start": 100,
        "end": 155,
        "score": 0.9,
    }
    values.update(changes)
    return Citation(**values)  # type: ignore[arg-type]


def answer(text: str = "Tiårsmål 2 [1]", abstained: bool = False, **changes: object) -> Answer:
    return Answer(
        answer=text,
        abstained=abstained,
        language="nb",
        mode="extractive",
        citations=[citation(**changes)],
        timings_ms=Timings(retrieve=1, answer=1, total=2),
    )


def context_for(c: Citation, before: str, after: str) -> QuoteInContext:
    info = DocumentInfo(c.document_id, c.title, "strategy", "2025", "HOD")
    text = before + c.quote + after
    return QuoteInContext(
        info, c.section, c.page, text, len(before), len(before) + len(c.quote),
        c.start - len(before), c.end + len(after), False, True,
    )  # fmt: skip


def test_a_question_with_markup_is_shown_as_text() -> None:
    shown = render.user_message(EVIL)
    assert "<script" not in shown
    assert "<img" not in shown
    assert "&lt;script&gt;" in shown


def test_markdown_in_text_is_not_formatting_but_markers_stay() -> None:
    shown = render.markdown_text("*fet* _kursiv_ `kode` [lenke](http://x) # tittel [2]")
    assert "\\*fet\\*" in shown
    assert "\\[lenke\\]" in shown
    assert shown.endswith("[2]")


def test_an_abstention_opens_with_a_notice_an_answer_does_not() -> None:
    abstained = render.answer_message(answer("Jeg finner ikke svar på dette.", abstained=True))
    normal = render.answer_message(answer())
    assert 'class="svar-varsel"' in abstained
    assert "Ikke funnet i dokumentene" in abstained
    assert "svar-varsel" not in normal
    assert normal.endswith("Tiårsmål 2 [1]")


def test_the_sources_panel_shows_place_and_quote_in_context() -> None:
    c = citation()
    panel = render.sources_panel(answer(), [context_for(c, "Før. ", " Etter.")])
    assert "<h2>Kilder</h2>" in panel
    assert 'id="kilde-1"' in panel
    assert "Felles innsats mot kreft" in panel
    assert "Strategi" in panel
    assert "2025" in panel
    assert "Målområde 1 › Tiårsmål 2" in panel
    assert "s. 17" in panel
    assert f"Før. <mark>{c.quote}</mark> Etter. …" in panel
    assert 'href="dokument/strategi-2025-2035?start=100&amp;end=155#sitat"' in panel
    assert "Åpne dokumentet her" in panel


def test_the_nearest_passages_of_an_abstention_are_labelled_as_such() -> None:
    panel = render.sources_panel(answer("Jeg finner ikke svar.", abstained=True), [None])
    assert "Nærmeste avsnitt (svarer ikke på spørsmålet)" in panel
    assert "kilder-naermeste" in panel


def test_document_text_cannot_inject_markup_into_the_sources_panel() -> None:
    c = citation(title=EVIL, section=EVIL, quote=EVIL, document_id='x"><script>')
    panel = render.sources_panel(answer(), [context_for(c, EVIL, EVIL)])
    assert "<script" not in panel
    assert "<img" not in panel
    assert 'x"><' not in panel
    panel = render.sources_panel(answer(), [None])  # no context: the quote alone
    assert "<mark>EU har som mål" in panel


def test_the_document_page_marks_the_span_once_and_escapes_the_text() -> None:
    text = f"Tittel\n\nFørste {EVIL} avsnitt.\n\nSitatet står her."
    start = text.index("Sitatet")
    view = DocumentView(
        document=DocumentInfo("d", f"Dokument {EVIL}", "press", "2024-12-18", None),
        blocks=[
            Block(0, 6, "Tittel", 1, None),
            Block(8, start - 2, text[8 : start - 2], None, None),
            Block(start, len(text), text[start:], None, None),
        ],
        highlight=(start, start + len("Sitatet står")),
        section="Tittel",
        page=None,
    )
    page = render.document_page(view)
    assert page.count('<mark id="sitat">Sitatet står</mark>') == 1
    assert "<script" not in page
    assert "<img" not in page
    assert "18. desember 2024" in page
    assert "<h2>Tittel</h2>" in page


def test_the_state_hook_carries_turn_and_abstention() -> None:
    hook = render.chat_state("done", 3, abstained=True)
    assert re.fullmatch(
        r'<span id="chat-state" data-chat-state="done" data-turn="3" '
        r'data-abstained="true"></span>',
        hook,
    )


def test_dates_read_as_norwegian() -> None:
    assert render.format_date("2025-12-18") == "18. desember 2025"
    assert render.format_date("2024-03") == "mars 2024"
    assert render.format_date("2013") == "2013"
    assert render.format_date(None) == "udatert"
    assert render.format_date("snart") == "snart"
