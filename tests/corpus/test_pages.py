"""Page numbers of PDF-extracted text: the pages of the printed strategy, exactly."""

from __future__ import annotations

import itertools
from collections.abc import Callable
from pathlib import Path

import pytest

from assistant.index.store import LoadedIndex
from assistant.ingest.document import Document
from assistant.ingest.pipeline import read_corpus

STRATEGY_ID = "strategi-2025-2035"


def page_of(document: Document, phrase: str) -> int | None:
    assert document.text.count(phrase) == 1, f"{phrase!r} should occur exactly once"
    return document.page_at(document.text.index(phrase))


def test_tiarsmal_2_starts_on_page_17(strategy: Document) -> None:
    section = next(s for s in strategy.sections if s.kind == "tiarsmal" and s.number == "2")
    assert section.page == 17
    assert strategy.page_at(section.start) == 17


def test_page_printed_33_is_page_33(strategy: Document) -> None:
    """The text just above the printed '33' is on page 33; what follows is on page 34."""
    assert page_of(strategy, "kompetanse, testing og verifisering innenfor deler") == 33
    section = next(s for s in strategy.sections if s.kind == "tiarsmal" and s.number == "14")
    assert section.page == 34
    assert page_of(strategy, "Målet om at norske kreftforskere fortsatt skal være") == 34


def test_page_printed_15_is_page_15(strategy: Document) -> None:
    assert page_of(strategy, "Miljøgifter som persistente") == 15
    assert page_of(strategy, "tungmetaller som kvikksølv") == 16


def test_sentence_running_over_a_page_break_stays_one_paragraph(strategy: Document) -> None:
    # The printed page number "15" sits in the middle of this sentence in the file.
    assert "langsomt i miljøet) og tungmetaller som kvikksølv" in strategy.text


def test_every_strategy_chunk_has_a_page(loaded_index: LoadedIndex) -> None:
    chunks = [c for c in loaded_index.chunks if c.document_id == STRATEGY_ID]
    assert chunks
    assert all(c.page is not None for c in chunks), [c.id for c in chunks if c.page is None]


def test_pages_never_decrease_along_the_text(strategy: Document, loaded_index: LoadedIndex) -> None:
    numbers = [page for _, page in strategy.pages]
    starts = [start for start, _ in strategy.pages]
    assert starts == sorted(starts)
    assert all(a < b for a, b in itertools.pairwise(numbers)), numbers
    chunks = sorted(
        (c for c in loaded_index.chunks if c.document_id == STRATEGY_ID), key=lambda c: c.start
    )
    chunk_pages = [c.page or 0 for c in chunks]
    assert chunk_pages == sorted(chunk_pages)
    assert chunk_pages[0] < chunk_pages[-1]


def test_chunk_page_is_the_page_where_it_starts(
    strategy: Document, loaded_index: LoadedIndex
) -> None:
    for chunk in loaded_index.chunks:
        if chunk.document_id == STRATEGY_ID:
            assert chunk.page == strategy.page_at(chunk.start), chunk.id


def test_web_pages_have_no_page_numbers(documents: dict[str, Document]) -> None:
    for document in documents.values():
        if document.id != STRATEGY_ID:
            assert document.pages == [], document.id
            assert document.page_at(0) is None


PDF_TEXT = (
    " Kapittel én begynner på denne siden med en lang linje tekst.\n"
    "Her fortsetter første side, og setningen går over\n"
    "\n"
    "7\n"
    "\n"
    " til neste side uten avbrudd i teksten.\n"
    "Mer tekst på den andre siden.\n"
    "\n"
    "8\n"
    "\n"
    " Den tredje siden har ikke noe trykt sidetall nederst.\n"
)


@pytest.mark.parametrize("layout", ["pdf-text", None])
def test_printed_numbers_anchor_the_page_count(
    make_corpus: Callable[..., Path], layout: str | None
) -> None:
    """Page starts count the pages; printed numbers say which page the count starts at."""
    manifest = f'[documents."rapport.txt"]\nlayout = "{layout}"\n' if layout is not None else None
    corpus = make_corpus({"rapport.txt": PDF_TEXT}, manifest=manifest)
    (document,) = read_corpus(corpus).documents
    assert page_of(document, "Kapittel én begynner") == 7
    assert page_of(document, "og setningen går over") == 7
    assert page_of(document, "til neste side uten avbrudd") == 8
    assert page_of(document, "Den tredje siden") == 9
    assert "setningen går over til neste side" in document.text
    assert "\n7\n" not in document.text
    assert "8" not in document.text
