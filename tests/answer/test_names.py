"""A document's name quoted in a question says which document, not what is asked about."""

from __future__ import annotations

import pytest

from assistant.answer.names import DocumentNames
from assistant.index.bm25 import NorwegianAnalyzer
from assistant.launcher import Services

TITLES = [
    "Felles innsats mot kreft – Nasjonal kreftstrategi 2025–2035",
    "Om huben",  # too short to be a name: its words are topic words
]
ANALYZER = NorwegianAnalyzer()
NAME_STEMS = set(ANALYZER("Felles innsats mot kreft"))


@pytest.mark.parametrize(
    ("question", "quoted"),
    [
        ("Hvem skrev forordet i Felles innsats mot kreft?", NAME_STEMS),
        ("hva sier felles innsats mot kreft om screening?", NAME_STEMS),  # any case
        # the name must be quoted whole: "felles innsats" alone is a topic
        ("Hvilket tiårsmål krever felles innsats fra kommunene?", set()),
        # the subtitle describes, it does not name
        ("Hva er en nasjonal kreftstrategi?", set()),
        ("Hva står det om huben?", set()),
        # "den nye strategien" names the newest strategy: its words are no topic
        ("Hva sier den nye strategien om pårørende?", set(ANALYZER("den nye strategien"))),
        ("What does the new strategy say about relatives?", set(ANALYZER("the new strategy"))),
        # ... unless the question compares it with another
        ("Hvordan skiller 2013-strategien seg fra den nye strategien?", set()),
    ],
)
def test_only_a_whole_name_is_quoted(question: str, quoted: set[str]) -> None:
    assert DocumentNames(TITLES, ANALYZER).quoted_stems(question) == quoted


@pytest.mark.parametrize(
    ("stems", "question", "left"),
    [
        (
            set(ANALYZER("forordet")) | NAME_STEMS,
            "Hvem skrev forordet i Felles innsats mot kreft?",
            set(ANALYZER("forordet")),
        ),
        # nothing but the name: the reader keeps it to read by
        (NAME_STEMS, "Hva er Felles innsats mot kreft?", NAME_STEMS),
        ({"screening"}, "Hva sier strategien om screening?", {"screening"}),
    ],
)
def test_the_reader_reads_by_what_is_left(stems: set[str], question: str, left: set[str]) -> None:
    assert DocumentNames(TITLES, ANALYZER).without_names(stems, question) == left


def test_the_foreword_s_signature_is_quoted_not_the_sentence_repeating_the_name(
    services: Services,
) -> None:
    # the strategy's name once counted as the focus: the reader quoted only sentences
    # that repeat it ("Kreftstrategien Felles innsats mot kreft 2025–2035 har fem
    # målområder …") and never the foreword's signature
    answer = services.answers.answer(
        "Hvem har skrevet forordet fra helse- og omsorgsministeren i Felles innsats mot kreft?"
    )
    assert not answer.abstained
    assert any("Jan Christian Vestre" in c.quote for c in answer.citations)
    assert "Jan Christian Vestre" in answer.answer


def test_the_new_strategys_words_do_not_pick_the_quote(services: Services) -> None:
    # "nye" and "strategien" had picked "… må man belage seg på nye løsninger"
    answer = services.answers.answer("Hva sier den nye strategien om pårørende?")
    assert not answer.abstained
    assert "pårørende" in answer.citations[-1].quote.lower()
    assert {c.document_id for c in answer.citations} == {"strategi-2025-2035"}
