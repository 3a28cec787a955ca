"""Who holds a role of an organisation: the answer's quotes must name the organisation."""

from __future__ import annotations

import pytest

from assistant.answer.question import analyse
from assistant.answer.roles import role_organisation, unnamed_organisation
from assistant.launcher import Services


@pytest.mark.parametrize(
    ("question", "organisation"),
    [
        ("Hvem leder Kreftforeningen?", "Kreftforeningen"),
        ("Hvem er administrerende direktør i Siva, som forvalter katapultordningen?", "Siva"),
        ("Hvem er daglig leder i Oslo Cancer Cluster?", "Oslo Cancer Cluster"),
        ("Hvem representerer STAMI i hubens strategiske koordineringsgruppe?", "STAMI"),
        # the organisation before the office, in the genitive
        ("Hvem er SINTEFs representant i koordineringsgruppen?", "SINTEFs"),
        ("Og hvem er generalsekretær i Kreftforeningen?", "Kreftforeningen"),
        # "toppledermøtet" holds "leder" but names a meeting: no office, no organisation
        ("Hvem var vertskap for toppledermøtet der Kreftforeningen annonserte det?", None),
        # an office with no organisation after it
        ("Hvem ledet den siste posten på programmet?", None),
        # not a who-question
        ("Hva gjør lederen i Kreftforeningen?", None),
        # English names are often translations no Norwegian quote holds
        ("Who leads the Norwegian Cancer Society?", None),
    ],
)
def test_the_organisation_whose_office_is_asked_for(
    question: str, organisation: str | None
) -> None:
    language = "en" if question.startswith("Who") else "nb"
    assert role_organisation(analyse(question, language)) == organisation


@pytest.mark.parametrize(
    ("question", "quotes", "refused"),
    [
        # a leader of something else answers another question
        (
            "Hvem leder Kreftforeningen?",
            ["Sigbjørn Smeland, leder for kreftklinikken på OUS gleder seg over bevilgningen."],
            True,
        ),
        (
            "Hvem representerte Ung kreft på toppledermøtet?",
            ["Ketil Widerberg, daglig leder i Oslo Cancer Cluster: -Norges hub kan sette retning."],
            True,
        ),
        # the person and the organisation named together
        (
            "Hvem er administrerende direktør i Forskningsrådet?",
            ["Mari Sundli Tveit, administrerende direktør i Forskningsrådet: -Kreft er …"],
            False,
        ),
        # any of the answer's quotes will do, and an inflection names it too
        (
            "Hvem representerer Kreftforeningen i huben?",
            [
                "Strategisk koordineringsgruppe",
                "Kreftforeningens representanter er Ross og Opdalshei.",
            ],
            False,
        ),
        # the genitive in the question, the bare name in the quote
        ("Hvem er SINTEFs representant?", ["SINTEF  Kari Nordmann"], False),
        # a question of another frame is not this rule's
        ("Hvem åpnet møtet?", ["Ingen navn her."], False),
    ],
)
def test_an_answer_that_does_not_name_the_organisation_is_refused(
    question: str, quotes: list[str], refused: bool
) -> None:
    reason = unnamed_organisation(analyse(question, "nb"), quotes)
    assert (reason is not None) is refused


def test_the_service_refuses_a_leader_of_something_else(services: Services) -> None:
    # the corpus names no head of Kreftforeningen; without the rule the answer quoted
    # "Sigbjørn Smeland, leder for kreftklinikken på OUS …" from Kreftforeningen's release
    answer = services.answers.answer("Hvem leder Kreftforeningen?")
    assert answer.abstained
    assert "Smeland" not in answer.answer


def test_the_service_answers_a_representative_the_hub_lists(services: Services) -> None:
    answer = services.answers.answer(
        "Hvem er Kreftforeningens representant i hubens koordineringsgruppe?"
    )
    assert not answer.abstained
    assert "Stenstadvold Ross" in answer.answer
