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
        ("Who is quoted in the press release from 2013?", ["hod-pressemelding-2013"]),
        ("Who spoke at the meeting of 2024?", ["hub-toppledermote-2024"]),
        # a month and its year: the document from that month
        ("Hva ble kunngjort i desember 2025?", ["kf-ccc-bevilgning-2025"]),
        ("Who spoke at the meeting on 16 December 2024?", ["hub-toppledermote-2024"]),
        # the new (current) strategy: the newest document of kind strategy
        ("Hvem består partnerskapet av i den nye strategien?", ["strategi-2025-2035"]),
        ("Hva sier dagens kreftstrategi om screening?", ["strategi-2025-2035"]),
        ("What does the current national cancer strategy say?", ["strategi-2025-2035"]),
        ("Hva er nytt i strategien?", []),
        # two documents, in the order the question names them
        (
            "Sammenlign 2013-strategien med strategien for 2025–2035.",
            ["hod-pressemelding-2013", "strategi-2025-2035"],
        ),
        # a year asked about as a time names nothing
        ("Hvor mange hadde kreft i 2024?", []),
        ("How many GPs used digital services in 2024?", []),
        # after a definite noun that is no document or event, "i 2024" is a time
        ("Hvor stor andel av fastlegene brukte dialogtjenestene i 2024?", []),
        ("Hvor mange av pasientene som ble behandlet i 2024 fikk gentest?", []),
        ("Hvor mye har dødeligheten falt fra 2013 til 2023?", []),
        ("What were the 2024 figures for digital dialogue?", []),
        ("What did the figures from 2024 show?", []),
        ("What share of smokers quit from 2013 onwards?", []),
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


@pytest.mark.parametrize(
    ("question", "asked_of"),
    [
        ("Hvem åpnet toppledermøtet i desember 2025?", ["kf-ccc-bevilgning-2025"]),
        ("Who launched the 2013 strategy?", ["hod-pressemelding-2013"]),
        # a second question, or a comparison, asks of more than the named document
        ("Hvem åpnet toppledermøtet i desember 2025, og hva ble bevilget?", []),
        ("Hva het 2013-strategien, and what is the new one called?", []),
        ("Hvordan skiller 2013-strategien seg fra den nye?", []),
        ("Hvilke ministre hørte henholdsvis til 2013-strategien og den nye?", []),
        ("Compare the 2013 strategy with the new one.", []),
        # another document coordinated with the named one
        ("Hvem leder partnerskapet, i 2013-strategien og i den nye strategien?", []),
        ("Who leads the partnership in the 2013 strategy and in the new one?", []),
        # nothing named
        ("Hvem åpnet toppledermøtet?", []),
    ],
)
def test_the_documents_a_question_asks_only_about(
    documents: dict[str, Document], question: str, asked_of: list[str]
) -> None:
    assert DocumentDates(documents.values()).asked_of(question) == asked_of


def test_a_question_about_a_dated_document_is_read_in_it(services: Services) -> None:
    # the December 2024 meeting article outranked the December 2025 release for the reader
    answer = services.answers.answer("Hvem åpnet toppledermøtet i desember 2025?")
    assert not answer.abstained
    assert {c.document_id for c in answer.citations} == {"kf-ccc-bevilgning-2025"}
    assert "Bekeng" in answer.answer


@pytest.mark.parametrize(
    ("question", "quoted", "refused"),
    [
        # quotes only from another document answer about that one
        (
            "Hvor mange dager skal det ta ifølge strategien for 2025–2035?",
            ["hod-pressemelding-2013"],
            True,
        ),
        ("Hva lovet regjeringen i desember 2025?", ["hub-toppledermote-2024"], True),
        # one quote from the named document is enough
        (
            "Hvem ga innspill til pressemeldingen fra 2013?",
            ["strategi-2025-2035", "hod-pressemelding-2013"],
            False,
        ),
        # of two named documents, either will do
        (
            "Hva het 2013-strategien, og hva heter strategien for 2025–2035?",
            ["strategi-2025-2035"],
            False,
        ),
        # a second question or a comparison may be answered from another document
        (
            "Hvilket mål hadde 2013-strategien, og hvilket målområde tilsvarer det nå?",
            ["strategi-2025-2035"],
            False,
        ),
        ("Sammenlign målene i 2013-strategien med dagens.", ["strategi-2025-2035"], False),
        (
            "Which ministers are linked to the 2013 strategy and the new one respectively?",
            ["hub-toppledermote-2024"],
            False,
        ),
        # no document named: nothing to hold the quotes to
        ("Hvor mange fikk kreft i 2024?", ["strategi-2025-2035"], False),
    ],
)
def test_an_answer_about_a_named_document_quotes_it(
    documents: dict[str, Document], question: str, quoted: list[str], refused: bool
) -> None:
    reason = DocumentDates(documents.values()).unquoted(question, quoted)
    assert (reason is not None) == refused


def test_a_question_about_what_a_dated_document_says_is_not_answered_from_another(
    services: Services,
) -> None:
    # the 2013 press release holds the 20-day goal; the strategy for 2025–2035 does not
    answer = services.answers.answer(
        "Hvor stor andel av pasientene skal ha startet behandlingen innen 20 dager, "
        "ifølge strategien for 2025–2035?"
    )
    assert answer.abstained
    assert "80 %" not in answer.answer


def test_a_question_about_a_dated_document_is_answered_from_it(services: Services) -> None:
    answer = services.answers.answer("Hvem ga innspill til kreftstrategien fra 2013?")
    assert not answer.abstained
    assert "hod-pressemelding-2013" in {c.document_id for c in answer.citations}


def test_two_named_documents_each_bring_their_best_chunk_first(services: Services) -> None:
    hits = services.answers.retrieve(
        "Hva het 2013-strategien, og hva sier den nye strategien om brukerne?"
    )
    assert [h.chunk.document_id for h in hits[:2]] == [
        "hod-pressemelding-2013",
        "strategi-2025-2035",
    ]
