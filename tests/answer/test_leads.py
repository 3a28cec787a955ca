"""Goal lead sentences are claims, checked against the goals' own sections (real index)."""

from __future__ import annotations

import pytest

from assistant.answer.leads import asks_which_goal, is_title
from assistant.answer.question import analyse
from assistant.answer.replies import NO_GOAL_TEXT
from assistant.launcher import Services


def _section(services: Services, number: int) -> str:
    goal = services.index.goals.goal(number)
    assert goal is not None
    return services.index.documents[goal.document_id].text[goal.start : goal.end].lower()


@pytest.mark.parametrize(
    ("question", "number", "held"),
    [
        ("Hvilket tiårsmål dekker eliminering av HPV?", 2, True),
        ("Hvilket tiårsmål dekker eliminering av HPV?", 5, False),
        ("Hvilket tiårsmål handler om prehabilitering?", 11, True),
        ("Hvilket tiårsmål handler om prehabilitering?", 2, False),
        ("Hvilket tiårsmål gjelder kreft som skyldes forhold på arbeidsplassen?", 5, True),
        ("Hvilket tiårsmål handler om gentesting?", 12, True),
        ("Hvilket tiårsmål handler om diabetes?", 3, False),
        ("Hvilket tiårsmål handler om astma?", 1, False),
        # the verb of aboutness and words held by most goals ("kreft") prove nothing
        ("Hvilket tiårsmål handler om kreft?", 2, False),
    ],
)
def test_a_goal_holds_a_question_when_its_section_has_the_topic(
    services: Services, question: str, number: int, held: bool
) -> None:
    leads = services.answers.extractive.leads
    goal = services.index.goals.goal(number)
    assert goal is not None
    assert leads.holds_focus(goal, analyse(question, "nb"), []) is held


def test_which_goal_covers_a_topic_no_goal_speaks_of_says_so_plainly(services: Services) -> None:
    sections = [_section(services, g.number) for g in services.index.goals.tiarsmal]
    # the premise, from the documents: the partnership is described outside every goal
    assert not any("partnerskap" in s for s in sections)
    assert any("partnerskap mot kreft" in d.text.lower() for d in services.index.documents.values())
    answer = services.answers.answer("Hvilket tiårsmål handler om Partnerskap mot kreft?")
    assert answer.abstained
    assert answer.answer == NO_GOAL_TEXT["nb"]
    assert answer.citations == []


def test_a_follow_up_on_a_new_subject_is_answered_about_it(services: Services) -> None:
    from assistant.answer.models import Turn

    first = "Hvilket tiårsmål dekker eliminering av HPV?"
    history = [
        Turn(role="user", content=first),
        Turn(role="assistant", content=services.answers.answer(first).answer),
    ]
    holders = [
        g.number
        for g in services.index.goals.tiarsmal
        if "prostatakreft" in _section(services, g.number)
    ]
    assert holders  # the premise: some goal's section speaks of prostate cancer
    answer = services.answers.answer("Og hva med prostatakreft?", history=history)
    assert not answer.abstained
    assert "Tiårsmål 2 –" not in answer.answer  # the previous answer's goal does not carry over
    assert any(f"Tiårsmål {n} –" in answer.answer for n in holders)


def test_a_named_goal_always_leads(services: Services) -> None:
    answer = services.answers.answer("Hva er tiårsmål 17?")
    assert answer.answer.startswith("Tiårsmål 17 –")


@pytest.mark.parametrize(
    ("question", "defines"),
    [
        ("Hva er målområde 3?", True),
        ("Hva er tiårsmål 9?", True),
        ("Hva går tiårsmål 16 ut på?", True),
        ("Hva innebærer tiårsmål 5?", True),
        ("Kan du forklare tiårsmål 10?", True),
        ("Fortell om målområde 5", True),
        ("What is focus area 3?", True),
        ("What does ten-year goal 9 say?", True),
        # a topic of its own beside the goal: the evidence decides
        ("Hva koster tiårsmål 9?", False),
        ("Når skal tiårsmål 9 være nådd?", False),
        # another interrogative asks something else than what the goal is
        ("Hvordan går det med tiårsmål 9?", False),
        ("Hvem står bak tiårsmål 3?", False),
        # no such goal: the registry cannot answer (the service refuses it)
        ("Hva er tiårsmål 19?", False),
        ("Hva er målområde 6?", False),
        # asks which goals, not what a goal is
        ("Hvilke tiårsmål hører til målområde 5?", False),
    ],
)
def test_a_question_asking_what_a_named_goal_is_is_answered_by_the_registry(
    services: Services, question: str, defines: bool
) -> None:
    analysis = analyse(question, "en" if question.startswith("What") else "nb")
    assert services.answers.extractive.leads.defines(question, analysis) is defines


@pytest.mark.parametrize(
    ("question", "opening"),
    [
        ("Hva er målområde 3?", "Målområde 3 – En mer brukerorientert kreftomsorg."),
        ("Hva er tiårsmål 9?", "Tiårsmål 9 – Pasienter med kreft har verktøy for medvirkning"),
        ("Hva går tiårsmål 16 ut på?", "Tiårsmål 16 – Alle pasienter med kreft som ønsker det"),
    ],
)
def test_what_a_named_goal_is_gets_its_title_not_a_refusal(
    services: Services, question: str, opening: str
) -> None:
    answer = services.answers.answer(question)
    assert not answer.abstained
    assert answer.answer.startswith(opening)
    name = opening.split(" –")[0]  # "Målområde 3"
    assert answer.citations[0].quote.startswith(name)  # cited with the goal's own heading


def test_a_goal_that_does_not_exist_is_still_refused(services: Services) -> None:
    answer = services.answers.answer("Hva er tiårsmål 19?")
    assert answer.abstained


@pytest.mark.parametrize(
    ("question", "asks"),
    [
        ("Hvilket tiårsmål handler om HPV?", True),
        ("Hvilket målområde hører tiårsmål 5 til?", True),
        ("Under hvilket satsingsområde hører tidlig diagnostikk?", True),
        ("Hvilket område i strategien handler om pårørende?", True),
        ("Hvilket innsatsområde gjelder forskning?", True),
        ("Which focus area covers prevention?", True),
        ("Which goal is about clinical trials?", True),
        # other compounds of "område" name disciplines and duties, not the strategy's areas
        ("Innenfor hvilke fagområder må kapasiteten økes?", False),
        ("Hvilke ansvarsområder har kommunene?", False),
        ("Hvilke kreftformer nevnes i strategien?", False),
    ],
)
def test_a_question_asks_which_goal_only_by_the_words_for_the_strategys_parts(
    question: str, asks: bool
) -> None:
    assert asks_which_goal(question) is asks


@pytest.mark.parametrize(
    "question",
    [
        "Hvilke fagområder trenger mer kapasitet når det blir flere krefttilfeller?",
        "Hvilke ansvarsområder har kommunene i kreftomsorgen?",
    ],
)
def test_disciplines_and_duties_get_no_goal_lead(services: Services, question: str) -> None:
    # "fagområder" once read as "målområde": the answer opened with a målområde and a
    # tiårsmål the question had not asked about, a claim nothing in the question backs
    answer = services.answers.answer(question)
    assert not answer.answer.startswith(("Målområde", "Tiårsmål", "Strategien omtaler"))


@pytest.mark.parametrize(
    ("question", "topic"),
    [
        ("Hvilke satsingsområder har Felles innsats mot kreft?", set()),
        ("Hvilket tiårsmål i Felles innsats mot kreft handler om HPV?", {"hpv"}),
        # the name must be quoted whole: "felles innsats" alone is a topic
        (
            "Hvilket tiårsmål krever felles innsats fra kommunene?",
            {"krev", "fell", "innsat", "kommun"},
        ),
    ],
)
def test_a_document_name_in_the_question_is_not_its_topic(
    services: Services, question: str, topic: set[str]
) -> None:
    leads = services.answers.extractive.leads
    assert leads.topic_stems(analyse(question, "nb")) == topic


def test_which_areas_the_strategy_has_gets_all_five_not_one(services: Services) -> None:
    # the strategy's name once counted as the topic and led with the one målområde whose
    # section holds "felles innsats"
    answer = services.answers.answer("Hvilke satsingsområder har Felles innsats mot kreft?")
    assert not answer.abstained
    assert not answer.answer.startswith("Målområde")
    assert "fem målområder" in answer.citations[0].quote


def test_the_location_lead_says_where_the_quotes_are_not_that_the_question_is_covered(
    services: Services,
) -> None:
    # not a which-goal question: the lead only places the quotes, both under one goal
    answer = services.answers.answer("Hvor mange dør i Norge hvert år på grunn av røyking?")
    assert not answer.abstained
    assert answer.answer.startswith("Sitatene er fra omtalen av Tiårsmål 1 – ")
    assert "omtaler dette" not in answer.answer
    goal = services.index.goals.goal(1)
    assert goal is not None
    lead, first_quote = answer.citations[0], answer.citations[1]
    assert lead.start == goal.start  # the lead cites the goal's own heading
    assert goal.start <= first_quote.start < goal.end  # and the quote sits in its section
    assert "5000 dødsfall" in answer.answer


def test_an_english_which_goal_question_answered_by_a_goals_title_names_that_goal(
    services: Services,
) -> None:
    # the reader's best quote is goal 5's title as the overview box lists it, outside the
    # goal's own section: it is the goal's title, so it names the goal
    answer = services.answers.answer("Which ten-year goal is about work-related cancer?")
    assert answer.answer.startswith("Ten-year goal 5 (Tiårsmål 5) – Reduksjon av arbeidsrelatert")
    assert "Tiårsmål 5" in answer.citations[0].quote


@pytest.mark.parametrize(
    ("text", "title"),
    [
        ("• Reduksjon av arbeidsrelatert kreft gjennom styrket systematisk HMS-arbeid", True),
        ("Reduksjon av arbeidsrelatert\nkreft gjennom styrket systematisk HMS-arbeid.", True),
        # the goal's words in a sentence of its own are not its title
        ("Arbeidsrelatert kreft skal reduseres gjennom styrket systematisk HMS-arbeid.", False),
        ("• Reduksjon av arbeidsrelatert kreft", False),
        # another goal's title
        ("• Eliminere livmorhalskreft og annen kreft forårsaket av HPV", False),
    ],
)
def test_a_goals_title_is_told_from_its_words(services: Services, text: str, title: bool) -> None:
    goal = services.answers.index.goals.goal(5)
    assert goal is not None
    assert is_title(goal, text) is title
