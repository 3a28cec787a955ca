"""Follow-up detection: a question leans on the conversation only when its language says so."""

from __future__ import annotations

import pytest

from assistant.answer.conversation import is_follow_up, standalone_question
from assistant.answer.models import Turn

FOLLOW_UPS = [
    "Og hva med prostatakreft?",
    "Men hva med pårørende?",
    "Hva med de eldre?",
    "Hvem lanserte den?",
    "Hvilke kreftformer nevnes der?",
    "Hva betyr det?",
    "Hvorfor?",
    "Hvem leder det partnerskapet?",
    "Når ble den ordningen opprettet?",
    "Hvilke sykehus får nå slik hjelp?",
    "Hvilke tiårsmål hører til det?",
    "Hva står om dette?",
    "Hvor mange dør av det?",
    "And what about prostate cancer?",
    "What about the relatives?",
    "Who leads it?",
    "When was this programme started?",
    "Who represents KS in its coordination group?",
    "Hvem forvalter den?",
    "Hvordan følges de opp der?",
]
STANDALONE = [
    "Hva er pakkeforløp?",  # short, but says what it is about
    "Hva er HPV?",
    "Hvor mange krefttilfeller er det i Norge?",  # expletive "det"
    "Finnes det screening for lungekreft?",
    "Hva er det viktigste målet i strategien?",
    "Hvilket tiårsmål dekker eliminering av HPV?",
    "Hvem leder Partnerskap mot kreft?",
    "Når ble Oslo universitetssykehus akkreditert?",
    "Hvilke screeningprogrammer finnes?",
    "Er det innført screening for prostatakreft?",
    "Hva er målområde 3?",
    "What is a comprehensive cancer centre?",
    "Is there a national screening programme?",
    "Which ten-year goal concerns HPV?",
    "How many new cancer cases are expected in 2040?",
    "Hvilke partnere deltar i huben?",
    "Hva sier strategien om ernæring?",
    "Hvor starter protonterapi?",
    "Hva koster protonbehandling?",
    "Hvem åpnet toppledermøtet i 2025?",
]


@pytest.mark.parametrize("question", FOLLOW_UPS)
def test_follow_ups_are_detected(question: str) -> None:
    assert is_follow_up(question)


@pytest.mark.parametrize("question", STANDALONE)
def test_standalone_questions_stay_standalone(question: str) -> None:
    assert not is_follow_up(question)


def test_regression_short_new_question_is_not_rewritten_into_the_previous_one() -> None:
    history = [
        Turn(role="user", content="Hvilket tiårsmål dekker eliminering av HPV?"),
        Turn(role="assistant", content="Tiårsmål 2 …"),
    ]
    assert standalone_question("Hva er pakkeforløp?", history) == "Hva er pakkeforløp?"
    assert standalone_question("Og hva med prostatakreft?", history) == (
        "Hvilket tiårsmål dekker eliminering av HPV? Og hva med prostatakreft?"
    )
