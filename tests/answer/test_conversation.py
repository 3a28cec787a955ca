"""Follow-up detection: a question leans on the conversation only when its language says so."""

from __future__ import annotations

import pytest

from assistant.answer.conversation import is_follow_up, new_subject, resolve, standalone_question
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
    assert standalone_question("Hvem lanserte den?", history) == (
        "Hvilket tiårsmål dekker eliminering av HPV? Hvem lanserte den?"
    )


# (previous question, follow-up, the question it is read as, reframed around a new subject)
RESOLUTIONS = [
    (
        "Hvilket tiårsmål dekker eliminering av HPV?",
        "Og hva med prostatakreft?",
        "Hvilket tiårsmål dekker prostatakreft?",
        True,
    ),
    (
        "Hva sier strategien om røykeslutt?",
        "Og hva med astma?",
        "Hva sier strategien om astma?",
        True,
    ),
    (
        "Hvilket tiårsmål handler om screeningprogrammer?",
        "Hva med diabetes, da?",
        "Hvilket tiårsmål handler om diabetes?",
        True,
    ),
    (
        "Hvilke mål har strategien for rehabilitering?",
        "Og hva med pårørende?",
        "Hvilke mål har strategien for pårørende?",
        True,
    ),
    (
        "Hvem leder Partnerskap mot kreft?",
        "Og Kreftforeningen?",
        "Hvem leder Kreftforeningen?",
        True,
    ),
    ("Hvor mange får kreft hvert år?", "Og prostatakreft?", "Hvor mange får prostatakreft?", True),
    ("Which goal covers HPV?", "And what about asthma?", "Which goal covers asthma?", True),
    (
        "What does the strategy say about tobacco?",
        "What about migraine?",
        "What does the strategy say about migraine?",
        True,
    ),
    ("Which ten-year goal covers HPV?", "How about lung cancer?", None, True),
    # a predicate after the subject: the follow-up keeps it, so the question is carried
    (
        "Which cancer type had the highest five-year survival in Norway in 2019–2022?",
        "And what about prostate cancer?",
        None,
        False,
    ),
    # the follow-up asks its own question or points back: carried along
    ("Hva sier strategien om HPV?", "Og hva med det?", None, False),
    ("Hva het strategien fra 2013?", "Hvem lanserte den?", None, False),
    ("Hvilket tiårsmål handler om screening?", "Og hvilke kreftformer gjelder det?", None, False),
    # not a question: no frame to keep
    ("HPV-vaksine for gutter", "Og hva med jenter?", None, False),
]


@pytest.mark.parametrize(("previous", "follow_up", "expected", "reframed"), RESOLUTIONS)
def test_follow_ups_that_change_the_subject_keep_the_previous_frame(
    previous: str, follow_up: str, expected: str | None, reframed: bool
) -> None:
    history = [Turn(role="user", content=previous), Turn(role="assistant", content="…")]
    resolution = resolve(follow_up, history)
    assert resolution.reframed is reframed
    if expected is not None:
        assert resolution.text == expected
    if not reframed:
        assert resolution.text == f"{previous} {follow_up}"
    else:
        assert previous.rstrip("?") not in resolution.text  # the old subject is gone


@pytest.mark.parametrize(
    ("follow_up", "subject"),
    [
        ("Og hva med prostatakreft?", "prostatakreft"),
        ("Men hva med de eldre?", "de eldre"),
        ("Hva så med pårørende, da?", "pårørende"),
        ("Og lungekreft?", "lungekreft"),
        ("And what about prostate cancer?", "prostate cancer"),
        ("How about the relatives?", "the relatives"),
        ("What about screening too?", "screening"),
        ("Og hvem leder den?", None),
        ("Og hva med det?", None),
        ("Hvem lanserte den?", None),
        ("What about it?", None),
    ],
)
def test_new_subject(follow_up: str, subject: str | None) -> None:
    assert new_subject(follow_up) == subject
