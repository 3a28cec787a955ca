"""EvidenceContext: a quote inside its paragraph, and a whole document with a span marked.

(Tests of ``assistant/answer/context.py``; they sit with the chat, its only caller so far.)
"""

from __future__ import annotations

import pytest

from assistant.answer.context import (
    CONTEXT_CHARS,
    PARAGRAPH_BREAK,
    EvidenceContext,
    paragraph_bounds,
)
from assistant.answer.models import Citation
from assistant.index.catalogue import Catalogue, UnknownDocumentError
from assistant.index.store import LoadedIndex
from assistant.ingest.document import Document

STRATEGY_ID = "strategi-2025-2035"


def citation_of(document: Document, quote: str, n: int = 1) -> Citation:
    start = document.text.index(quote)
    section = document.section_at(start)
    return Citation(
        n=n,
        document_id=document.id,
        title=document.title,
        section=section.path_text if section else document.title,
        page=document.page_at(start),
        quote=quote,
        start=start,
        end=start + len(quote),
        score=1.0,
    )


@pytest.fixture(scope="module")
def evidence(loaded_index: LoadedIndex) -> EvidenceContext:
    return EvidenceContext(Catalogue(loaded_index))


@pytest.fixture(scope="module")
def strategy(loaded_index: LoadedIndex) -> Document:
    return loaded_index.documents[STRATEGY_ID]


def test_a_sentence_is_shown_in_its_paragraph(
    evidence: EvidenceContext, strategy: Document
) -> None:
    quote = "EU har som mål å eliminere all kreft forårsaket av HPV."
    context = evidence.around(citation_of(strategy, quote))

    assert context.quote == quote
    assert context.text == strategy.text[context.start : context.end]
    assert context.after.startswith(" Også i Norge vil vi jobbe")
    assert PARAGRAPH_BREAK not in context.text  # one paragraph, no more
    assert context.document.title.startswith("Felles innsats mot kreft")
    assert context.document.kind == "strategy"
    assert context.document.date == "2025"
    assert context.page == 17


def test_a_heading_is_shown_with_the_paragraph_it_opens(
    evidence: EvidenceContext, strategy: Document
) -> None:
    heading = "Tiårsmål 2 Eliminere livmorhalskreft og annen kreft forårsaket av HPV"
    context = evidence.around(citation_of(strategy, heading))

    assert context.before == ""
    assert context.quote == heading
    assert "Eliminasjon av livmorhalskreft" in context.after


def test_a_long_paragraph_is_trimmed_around_the_quote(
    evidence: EvidenceContext, strategy: Document
) -> None:
    text = strategy.text
    start = next(
        s
        for s, e in _paragraphs(text)
        if e - s > 3 * CONTEXT_CHARS and ". " in text[s + CONTEXT_CHARS + 50 : e - CONTEXT_CHARS]
    )
    middle = text.index(". ", start + CONTEXT_CHARS + 50) + 2
    quote = text[middle : text.index(".", middle) + 1]
    context = evidence.around(citation_of(strategy, quote))

    assert context.quote == quote
    assert context.clipped_before
    assert len(context.before) <= CONTEXT_CHARS
    assert context.text == text[context.start : context.end]


def test_a_span_outside_the_document_or_an_unknown_document_is_refused(
    evidence: EvidenceContext, strategy: Document
) -> None:
    citation = citation_of(strategy, "EU har som mål å eliminere all kreft forårsaket av HPV.")
    with pytest.raises(ValueError, match="outside"):
        evidence.around(citation.model_copy(update={"end": len(strategy.text) + 5}))
    with pytest.raises(UnknownDocumentError):
        evidence.around(citation.model_copy(update={"document_id": "finnes-ikke"}))


def test_the_whole_document_marks_the_span_and_keeps_every_character(
    evidence: EvidenceContext, strategy: Document
) -> None:
    citation = citation_of(strategy, "Vaksinasjon mot HPV forebygger smitte og sykdomsutvikling.")
    view = evidence.document(STRATEGY_ID, citation.start, citation.end)

    assert view.highlight == (citation.start, citation.end)
    assert view.page == 17
    assert view.section is not None
    assert "Tiårsmål 2" in view.section
    for block in view.blocks:
        assert strategy.text[block.start : block.end] == block.text
    headings = [b.text for b in view.blocks if b.heading_rank is not None]
    assert any(h.startswith("Tiårsmål 2") for h in headings)
    assert any(b.page == 17 for b in view.blocks)


def test_an_invalid_span_is_ignored_and_an_unknown_document_refused(
    evidence: EvidenceContext,
) -> None:
    assert evidence.document(STRATEGY_ID, 50, 10).highlight is None
    assert evidence.document(STRATEGY_ID, 0, 10**9).highlight is None
    assert evidence.document(STRATEGY_ID).highlight is None
    with pytest.raises(UnknownDocumentError):
        evidence.document("finnes-ikke")


def test_filter_choices_come_from_the_index(evidence: EvidenceContext) -> None:
    assert evidence.kinds() == ["hub", "press", "strategy"]
    areas = evidence.goal_areas()
    assert [a.number for a in areas] == [1, 2, 3, 4, 5]
    assert areas[0].title.startswith("Norge skal være et foregangsland")


def test_paragraph_bounds_spans_every_paragraph_the_quote_touches() -> None:
    text = "Første avsnitt.\n\nAndre avsnitt her.\n\nTredje."
    start = text.index("avsnitt her")
    assert text[slice(*paragraph_bounds(text, start, start + 5))] == "Andre avsnitt her."
    across = paragraph_bounds(text, text.index("her."), text.index("Tredje") + 3)
    assert text[slice(*across)] == "Andre avsnitt her.\n\nTredje."


def _paragraphs(text: str) -> list[tuple[int, int]]:
    out, position = [], 0
    while position < len(text):
        found = text.find(PARAGRAPH_BREAK, position)
        end = len(text) if found < 0 else found
        out.append((position, end))
        position = end + len(PARAGRAPH_BREAK)
    return out
