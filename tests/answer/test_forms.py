"""Answer forms: a passage holds an answer of the asked type, beyond the question's words."""

from __future__ import annotations

import pytest

from assistant.answer.forms import (
    FAR,
    form_distance,
    has_answer_form,
    unanswered_precision,
    unanswered_tense,
)
from assistant.launcher import Services

CASES = [
    # (type, passage, question, holds an answer)
    ("count", "I 2023 fikk 38 000 personer kreft.", "Hvor mange fikk kreft?", True),
    ("count", "Antallet skal dobles innen 2035.", "Hvor mange skal delta?", True),
    ("count", "Det ble innført i 2017.", "Hvor mange sentre finnes?", False),  # a year only
    ("count", "Strategien gjelder fra 2025.", "Hvor mange får kreft i 2025?", False),
    ("count", "Det er etablert tre nasjonale screeningprogrammer.", "Hvor mange?", True),
    ("share", "Om lag 40 prosent kan forebygges.", "Hvor stor andel kan forebygges?", True),
    ("share", "66 % er tilbake i jobb.", "What share returns to work?", True),
    ("share", "Halvparten av tilfellene rammer eldre.", "Hvilken andel er eldre?", True),
    ("share", "Mange pasienter er tilbake i jobb.", "Hvor stor andel er i jobb?", False),
    ("money", "Kreftforeningen bevilger 15 millioner kroner.", "Hvor mye bevilges?", True),
    ("money", "Tilskuddet er på 2,5 mill. kr.", "Hva koster det?", True),
    ("money", "Protonterapi starter i Oslo og Bergen.", "Hva koster protonterapi?", False),
    ("money", "Budsjettet skal styrkes.", "Hvor stort er budsjettet?", False),
    ("date", "Senteret ble akkreditert i 2017.", "Når ble senteret akkreditert?", True),
    ("date", "Møtet fant sted 16. desember.", "When did they meet?", True),
    ("date", "Møtet i 2024 handlet om EU.", "Hva skjedde på møtet i 2024?", False),
    ("date", "Programmet skal styrke tilbudet.", "Når starter programmet?", False),
    ("duration", "Behandlingen skal starte innen 20 dager.", "Hvor lenge må de vente?", True),
    ("duration", "Pasienten følges opp i fem år.", "How long is follow-up?", True),
    ("duration", "Pasienten følges tett opp.", "Hvor lenge følges pasienten?", False),
    ("age", "Vaksinen gis ved 12 års alder.", "I hvilken alder gis vaksinen?", True),
    ("age", "Kvinner mellom 50 og 69 år inviteres.", "Hvilken aldersgruppe?", True),
    ("age", "De som er født etter 2010 skal bli tobakksfrie.", "Fra hvilken alder?", True),
    ("age", "Alder er en risikofaktor.", "I hvilken alder øker risikoen?", False),
    ("person", "Kreftforeningen er representert ved Ingrid Stenstadvold Ross.", "Hvem?", True),
    ("person", "Møtet ble åpnet av statssekretæren.", "Hvem åpnet møtet?", False),
    ("person", "Det sa Jonas Gahr Støre.", "Hva sa Jonas Gahr Støre?", False),  # named in question
    ("organisation", "Ordningen forvaltes av Siva.", "Hvilken etat forvalter ordningen?", True),
    ("organisation", "Ordningen forvaltes av et statlig foretak.", "Hvilken etat?", False),
    ("place", "Protonterapi starter i Oslo og Bergen.", "Hvor starter protonterapi?", True),
    ("place", "Protonterapi starter snart.", "Hvor starter protonterapi?", False),
    # the preposition opens the sentence
    ("place", "Fra Nederland har vi hentet ideen.", "Fra hvilket land er ideen hentet?", True),
    ("place", "I Danmark er screening innført.", "I hvilket land er screening innført?", True),
    ("place", "Fra neste år er screening innført.", "Fra hvilket land?", False),
    ("place", "I Danmark er screening innført.", "Er screening innført i Danmark?", False),
    ("list", "Følgende deltar:\n- Forskningsrådet\n- Kreftforeningen\n- KS", "Hvilke?", True),
    ("list", "Kreftforeningen, KS og Kreftregisteret deltar.", "Hvilke deltar?", True),
    ("list", "Kreftforeningen deltar.", "Hvilke deltar?", False),
    # an open enumeration: three or more short items, no "og" before the last
    ("list", "kontakt med sosionom, prest, psykolog, kreftsykepleier med flere.", "Hvilke?", True),
    # two commas between clauses do not make a list
    (
        "list",
        "I dag, slik strategien beskriver det, får de fleste pasientene god oppfølging.",
        "Hvilke?",
        False,
    ),
    ("definition", "Et pakkeforløp er et standardisert forløp.", "Hva er et pakkeforløp?", True),
    ("goal", "Tiårsmål 2 Eliminere livmorhalskreft", "Hvilket tiårsmål?", True),
]


@pytest.mark.parametrize(("kind", "passage", "question", "expected"), CASES)
def test_has_answer_form(kind: str, passage: str, question: str, expected: bool) -> None:
    assert has_answer_form(kind, passage, question) is expected  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("passage", "focus_word", "near"),
    [
        ("I 2023 fikk 38 000 personer kreft i Norge.", "kreft", True),
        ("Lungekreft er vanlig. " + "Ord " * 45 + "Det er 12 sentre.", "Lungekreft", False),
    ],
)
def test_form_distance_is_about_the_focus(passage: str, focus_word: str, near: bool) -> None:
    position = passage.index(focus_word)
    distance = form_distance("count", passage, "Hvor mange?", [position])
    assert (distance < 10) is near
    assert form_distance("count", passage, "Hvor mange?", []) == FAR


def test_an_open_enumeration_answers_a_which_question(services: Services) -> None:
    # "sosionom, prest, psykolog, kreftsykepleier med flere" was not a list, and
    # "psykososialt" counted as a word the documents never use: the question was refused
    answer = services.answers.answer(
        "Hvilke fagfolk skal pasienter kunne snakke med i et tverrfaglig psykososialt "
        "tilbud på sykehuset?"
    )
    assert not answer.abstained
    assert "sosionom, prest" in answer.answer


@pytest.mark.parametrize(
    ("question", "quotes", "refused"),
    [
        # "hvilken dato" asks for a day of a month: a weekday is not one
        (
            "Hvilken dato ble strategien lansert?",
            ["Det sa ministeren da han tirsdag lanserte en ny strategi."],
            True,
        ),
        ("Hvilken dato møttes de?", ["Lederne møtte ministeren 16. desember."], False),
        ("What date was it published?", ["Publisert 18. des. 2024."], False),
        ("What date was it published?", ["Published 2024-12-18."], False),
        # "hvilket år" asks for a year, one the question does not name itself
        ("Hvilket år ble ordningen opprettet?", ["Ordningen ble opprettet i 2017."], False),
        (
            "In which year was the scheme set up?",
            ["Ordningen ble opprettet for lenge siden."],
            True,
        ),
        (
            "Hvilket år etter 2013 kom den neste strategien?",
            ["Den kom etter 2013-strategien."],
            True,
        ),
        # any quote will do
        (
            "Hvilket år kom veilederen?",
            ["Veilederen er nyttig.", "Helsedirektoratet ga ut veilederen i 2017."],
            False,
        ),
        # "hvor ofte" asks for a frequency
        (
            "Hvor ofte skal kvinner ta prøven?",
            ["Over halvparten av tilfellene er blant kvinner som ikke har tatt prøven."],
            True,
        ),
        ("Hvor ofte møtes de?", ["Det legges opp til et årlig møte."], False),
        ("Hvor ofte tas prøven?", ["Prøven tas hvert tredje år."], False),
        ("How often do they meet?", ["De møtes to ganger i året."], False),
        ("Hvor ofte møtes de?", ["Hver helseregion har et senter."], True),
        # "når" and "hvilken dag" ask no precision here: a weekday may answer them
        ("Når ble strategien lansert?", ["Den ble lansert tirsdag."], False),
        ("Hvilken dag ble strategien lansert?", ["Den ble lansert tirsdag."], False),
    ],
)
def test_a_question_asking_for_a_frequency_a_year_or_a_date_needs_a_quote_naming_one(
    question: str, quotes: list[str], refused: bool
) -> None:
    assert (unanswered_precision(question, quotes) is not None) is refused


@pytest.mark.parametrize(
    ("question", "quotes", "refused"),
    [
        # a time to come is not answered by a date told in the past tense
        (
            "Når blir sykehuset akkreditert?",
            ["Universitetssykehuset ble akkreditert i 2017 og fikk ny godkjenning i 2023."],
            True,
        ),
        ("Hvilket år skal senteret være opprettet?", ["Ordningen ble opprettet i 2017."], True),
        ("Når lanseres programmet?", ["Regjeringen la i 2023 fram en strategi."], True),
        ("When will the programme start?", ["Programmet var klart i mars."], True),
        # a date in a clause that is not past answers it
        ("Når skal screeningen innføres?", ["Screeningen skal innføres innen 2030."], False),
        ("Når tilbys vaksinen?", ["Vaksinen tilbys ved 12 års alder i 2025."], False),
        (
            "Når blir sykehuset akkreditert?",
            ["Sykehuset ble vurdert i 2023.", "Det skal akkrediteres i 2027."],
            False,
        ),
        # no date at all is for the other rules to judge
        ("Når blir sykehuset akkreditert?", ["Sykehuset ble vurdert."], False),
        # a question in the past tense, or "når" as a conjunction, asks nothing to come
        ("Når ble ordningen opprettet?", ["Ordningen ble opprettet i 2017."], False),
        ("Når startet studien?", ["Studien kom i gang i 2022."], False),
        ("Hva skjer når pasientens behandling avsluttes?", ["Den ble avsluttet i 2020."], False),
        ("Hva skjer når kreftpasienters pårørende trenger hjelp?", ["Det var i 2020."], False),
    ],
)
def test_a_question_asking_when_something_is_to_come_needs_a_date_not_in_the_past(
    question: str, quotes: list[str], refused: bool
) -> None:
    assert (unanswered_tense(question, quotes) is not None) is refused


def test_a_past_accreditation_does_not_say_when_the_next_one_is(
    services: Services, monkeypatch: pytest.MonkeyPatch
) -> None:
    # the strategy tells when Oslo's hospital was accredited and approved again, not when
    # it will be next
    question = "Når blir Oslo universitetssykehus godkjent på nytt som Comprehensive Cancer Centre?"
    assert services.answers.answer(question).abstained
    monkeypatch.setattr("assistant.answer.service.unanswered_tense", lambda q, quotes: None)
    assert not services.answers.answer(question).abstained


def test_a_weekday_does_not_answer_which_date(services: Services) -> None:
    # the 2013 press release says only that the minister launched it "tirsdag"
    answer = services.answers.answer("På hvilken dato la Støre fram kreftstrategien i 2013?")
    assert answer.abstained
