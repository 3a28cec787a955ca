"""Question analysis: answer type, focus and constraints, in Bokmål and English.

The cases are written from the domain (how clinicians and partners ask about the
strategy), not copied from the evaluation set.
"""

from __future__ import annotations

import pytest

from assistant.answer.question import analyse, answer_type, question_entities, question_years

TYPE_CASES = [
    # count / number
    ("Hvor mange nye krefttilfeller registreres hvert år?", "count"),
    ("Hvor mange pakkeforløp finnes det?", "count"),
    ("For hvor mange kreftformer gjelder tilbudet?", "count"),
    ("Hvor mye skal antallet deltakere økes?", "count"),
    ("Hvilket antall pasienter deltar i studier?", "count"),
    ("How many patients are diagnosed each year?", "count"),
    ("How many regional health authorities are there?", "count"),
    ("What number of trials is planned?", "count"),
    ("Hva er prognosen for antall kreftdiagnoser rundt 2040?", "count"),
    ("Hva var antallet deltakere på møtet?", "count"),
    ("What is the expected number of new cases in 2040?", "count"),
    # share / percent
    ("Hvor stor andel av pasientene er tilbake i jobb?", "share"),
    ("Hvilken andel av krefttilfellene kan forebygges?", "share"),
    ("Hvor mange prosent røyker daglig?", "share"),
    ("Hvor høy andel deltar i screeningen?", "share"),
    ("What share of cancers could be prevented?", "share"),
    ("What percentage of patients return to work?", "share"),
    ("What proportion of women attend screening?", "share"),
    # money
    ("Hva koster et screeningprogram for lungekreft?", "money"),
    ("Hvor mye bevilget Kreftforeningen til sykehusene?", "money"),
    ("Hvor stort er budsjettet for strategien?", "money"),
    ("Hva er kostnaden ved protonbehandling?", "money"),
    ("Hvilket beløp er satt av til forskning?", "money"),
    ("Hvor mange millioner går til kreftsentrene?", "money"),
    ("How much money did the government allocate?", "money"),
    ("How much does proton therapy cost per patient?", "money"),
    ("What is the budget of the hub?", "money"),
    ("How much funding goes to cancer research?", "money"),
    # date / time
    ("Når ble strategien lansert?", "date"),
    ("Hvilket år ble senteret akkreditert?", "date"),
    ("Fra hvilket år gjelder tilbudet?", "date"),
    ("Innen hvilket år skal målet nås?", "date"),
    ("Hvilken dato møtte lederne ministeren?", "date"),
    ("When was the strategy published?", "date"),
    ("In what year will screening start?", "date"),
    ("Which year was the hospital accredited?", "date"),
    # duration
    ("Hvor lenge skal pasientene følges opp?", "duration"),
    ("Hvor lang tid tar utredningen?", "duration"),
    ("How long does follow-up last?", "duration"),
    # age
    ("I hvilken alder får barn HPV-vaksine?", "age"),
    ("Fra hvilken alder tilbys tarmscreening?", "age"),
    ("Hvilken aldersgruppe inviteres til mammografi?", "age"),
    ("Hva er aldersgrensen for solarium?", "age"),
    ("Hvor gamle er de som inviteres?", "age"),
    ("At what age are children vaccinated?", "age"),
    ("How old must you be to be screened?", "age"),
    ("What is the age limit for screening?", "age"),
    # person
    ("Hvem leder partnerskapet?", "person"),
    ("Hvem åpnet møtet?", "person"),
    ("Hvilken statsråd la fram strategien?", "person"),
    ("Hvilken leder uttalte seg om bevilgningen?", "person"),
    ("Who chairs the coordination group?", "person"),
    ("Who opened the meeting?", "person"),
    ("Which minister launched the strategy?", "person"),
    ("Which person represents the municipalities?", "person"),
    # organisation
    ("Hvilken organisasjon akkrediterer kreftsentrene?", "organisation"),
    ("Hvilket direktorat følger opp strategien?", "organisation"),
    ("Hvilke sykehus får støtte?", "organisation"),
    ("Hvilken etat har ansvaret?", "organisation"),
    ("Which organisation funds the hub?", "organisation"),
    ("Which hospitals receive support?", "organisation"),
    ("Which agency is responsible for the follow-up?", "organisation"),
    # place
    ("Hvor skal katapultsenteret ligge?", "place"),
    ("Hvor starter protonbehandlingen?", "place"),
    ("I hvilken by ble møtet holdt?", "place"),
    ("Fra hvilket land er ideen hentet?", "place"),
    ("Where will proton therapy be offered?", "place"),
    ("Which city hosted the meeting?", "place"),
    # list
    ("Hvilke screeningprogrammer finnes i dag?", "list"),
    ("Hvilke eksponeringer prioriteres?", "list"),
    ("Nevn partnerne i huben.", "list"),
    ("Hvem består partnerskapet av?", "list"),
    ("Name the partners of the hub.", "list"),
    ("List the national screening programmes.", "list"),
    ("What are the main measures?", "list"),
    # goal
    ("Hvilket tiårsmål handler om røykeslutt?", "goal"),
    ("Under hvilket målområde hører gentesting?", "goal"),
    ("Hva er tiårsmål 7?", "goal"),
    ("Hva er målområde 3?", "goal"),
    ("Hvilke tiårsmål ligger under målområde 2?", "goal"),
    ("Which ten-year goal concerns clinical trials?", "goal"),
    ("Which focus area covers prevention?", "goal"),
    ("What does ten-year goal 4 say?", "goal"),
    # yes/no
    ("Er lungekreftscreening innført i Norge?", "yesno"),
    ("Skal alle pasienter få tilbud om gentest?", "yesno"),
    ("Finnes det et eget pakkeforløp hjem?", "yesno"),
    ("Har Norge et akkreditert kreftsenter?", "yesno"),
    ("Is there a national lung cancer screening programme?", "yesno"),
    ("Does the strategy mention prehabilitation?", "yesno"),
    # explanation
    ("Hvorfor er det ikke innført prostatascreening?", "explanation"),
    ("Hvordan skal kapasiteten bygges opp?", "explanation"),
    ("Why is lung cancer screening not yet offered?", "explanation"),
    ("How will follow-up be organised?", "explanation"),
    # definition
    ("Hva er pakkeforløp hjem?", "definition"),
    ("Hva betyr Comprehensive Cancer Centre?", "definition"),
    ("Hva menes med samvalg?", "definition"),
    ("What is a comprehensive cancer centre?", "definition"),
    ("What does prehabilitation mean?", "definition"),
    # other
    ("Hva sier strategien om ernæring?", "other"),
    ("Tell me about the hub.", "other"),
]


@pytest.mark.parametrize(("question", "expected"), TYPE_CASES)
def test_answer_type(question: str, expected: str) -> None:
    assert answer_type(question) == expected


def test_at_least_eighty_cases_in_both_languages() -> None:
    english = [q for q, _ in TYPE_CASES if analyse(q).language == "en"]
    assert len(TYPE_CASES) >= 80
    assert 25 <= len(english) <= len(TYPE_CASES) - 25


@pytest.mark.parametrize(
    ("question", "entities"),
    [
        ("Fra hvilken alder tilbys tarmscreening i Sverige?", ("Sverige",)),
        ("Hva sa Jan Christian Vestre på møtet?", ("Jan Christian Vestre",)),
        ("Hvem representerer KS i gruppen?", ("KS",)),
        ("HPV-vaksine tilbys hvem?", ("HPV-vaksine",)),  # an acronym starts the question
        ("Hvilke partnere har Cancer Mission Hub Norway?", ("Cancer Mission Hub",)),
        ("Hva koster Keytruda (pembrolizumab)?", ("Keytruda",)),
        ("Hvordan er kreftomsorgen i Norge?", ()),  # the documents' own country is scope
        ("What did the strategy say in December?", ()),  # months are capitalised by spelling
        ("Which hospitals in Oslo are accredited?", ("Oslo",)),
        ("Hva er målet?", ()),
    ],
)
def test_entities(question: str, entities: tuple[str, ...]) -> None:
    assert question_entities(question) == entities


@pytest.mark.parametrize(
    ("question", "years"),
    [
        ("Hva sa 2013-strategien om pakkeforløp?", ("2013",)),
        ("Hvor mange målområder har strategien for 2025–2035?", ("2025", "2035")),
        ("Hvor mange får kreft i 2040?", ("2040",)),
        ("Hvor mange er 12 år?", ()),
        ("What happened in 1999?", ("1999",)),
    ],
)
def test_years(question: str, years: tuple[str, ...]) -> None:
    assert question_years(question) == years


@pytest.mark.parametrize(
    ("question", "focus"),
    [
        ("Hvor mange nye krefttilfeller ventes i 2040?", ("nye", "krefttilfeller", "ventes")),
        ("Hvem leder Partnerskap mot kreft?", ("leder", "partnerskap", "kreft")),
        ("Which hospitals receive support?", ("hospitals", "receive", "support")),
    ],
)
def test_focus(question: str, focus: tuple[str, ...]) -> None:
    assert analyse(question).focus == focus


@pytest.mark.parametrize(
    ("question", "kind"),
    [
        ("Hva sa pressemeldingen fra 2013?", "press"),
        ("Hva står på hubens nettside?", "hub"),
        ("Hva sier strategien om HPV?", "strategy"),
        ("Hvor mange får kreft?", None),
    ],
)
def test_document_kind(question: str, kind: str | None) -> None:
    assert analyse(question).document_kind == kind
