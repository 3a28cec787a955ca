"""A document named by its date: which one, and its chunks first."""

from __future__ import annotations

import pytest

from assistant.answer.dated import DocumentDates
from assistant.ingest.document import Document
from assistant.launcher import Services


@pytest.mark.parametrize(
    ("question", "named"),
    [
        # a year joined to a word by a hyphen
        ("Hva sto om partnerskapet i 2013-strategien?", ["hod-pressemelding-2013"]),
        ("Hva er nytt i 2025–2035-strategien?", ["strategi-2025-2035"]),
        # a definite noun and a preposition before the year
        ("Hvem sto bak pressemeldingen fra 2013?", ["hod-pressemelding-2013"]),
        ("Hvor mange deltok på toppledermøtet i 2024?", ["hub-toppledermote-2024"]),
        ("Hvilke målområder har strategien for 2025-2035?", ["strategi-2025-2035"]),
        (
            "Hvem takket ministeren da kreftstrategien som ble lagt fram i 2013 kom?",
            ["hod-pressemelding-2013"],
        ),
        # an English determiner or genitive before the year
        ("Who wrote the 2013 strategy?", ["hod-pressemelding-2013"]),
        ("What did Norway's 2013 national plan promise?", ["hod-pressemelding-2013"]),
        # a month and its year: the document from that month
        ("Hva ble kunngjort i desember 2025?", ["kf-ccc-bevilgning-2025"]),
        ("Who spoke at the meeting on 16 December 2024?", ["hub-toppledermote-2024"]),
        # two documents, in the order the question names them
        (
            "Sammenlign 2013-strategien med strategien for 2025–2035.",
            ["hod-pressemelding-2013", "strategi-2025-2035"],
        ),
        # a year asked about as a time names nothing
        ("Hvor mange hadde kreft i 2024?", []),
        ("How many GPs used digital services in 2024?", []),
        ("Hva skal være nådd innen 2030?", []),
        # three documents are from 2025: the year alone names none of them
        ("Hvem vant valget i 2025?", []),
        ("Hva står i handlingsplanen fra 2025?", []),
        # a date no document has
        ("Hva var temaet for toppledermøtet i 2023?", []),
        ("Hva skjedde i mars 2024?", []),
    ],
)
def test_the_document_a_question_names_by_its_date(
    documents: dict[str, Document], question: str, named: list[str]
) -> None:
    assert DocumentDates(documents.values()).named(question) == named


def test_a_document_named_by_its_year_is_searched_first(services: Services) -> None:
    # the strategy's box of earlier plans names the 2013 strategy too, and outranked the
    # press release the question asks about
    question = "Hvem var med og ga råd da kreftstrategien fra 2013 ble laget?"
    assert services.answers.retriever.search(question)[0].chunk.document_id != (
        "hod-pressemelding-2013"
    )
    hits = services.answers.retrieve(question)
    assert hits[0].chunk.document_id == "hod-pressemelding-2013"
    assert [h.rank for h in hits] == list(range(1, len(hits) + 1))
    # the rest still come as retrieval ranks them, other documents included
    assert {h.chunk.document_id for h in hits[1:]} - {"hod-pressemelding-2013"}


def test_a_year_asked_as_a_time_leaves_the_ranking_as_it_is(services: Services) -> None:
    # the meeting article is the one document from 2024, and among the chunks retrieval finds
    question = "What share of GPs offered their patients digital dialogue in 2024?"
    assert "hub-toppledermote-2024" in {
        h.chunk.document_id for h in services.answers.retriever.search(question, k=40)
    }
    assert services.answers.retrieve(question) == services.answers.retriever.search(question)
