"""A year the question names constrains its answer (``year`` in the reader's score)."""

from __future__ import annotations

import pytest

from assistant.answer.extractive import year_share
from assistant.answer.question import asked_years
from assistant.launcher import Services


@pytest.mark.parametrize(
    ("years", "text", "share"),
    [
        (("2040",), "I 2040 vil vi ha passert 50 000 nye tilfeller per år.", 1.0),
        (("2040",), "Om ti år vil det registreres rundt 45 000 nye krefttilfeller.", 0.0),
        (("2025", "2035"), "Nasjonal kreftstrategi 2025–2035", 1.0),
        (("2025", "2035"), "Strategien gjelder fra 2025.", 0.5),
        (("2030",), "Behovet vokser gjennom 2030-tallet.", 0.0),  # a decade, not the year
        (("2030",), "Postnummer 20301 er ikke et år.", 0.0),
        ((), "I 2040 vil vi ha passert 50 000 nye tilfeller per år.", 0.0),
    ],
)
def test_year_share_counts_the_asked_years_the_unit_names(
    years: tuple[str, ...], text: str, share: float
) -> None:
    assert year_share(years, text) == share


@pytest.mark.parametrize(
    ("question", "years", "asked"),
    [
        ("Hvor mange nye krefttilfeller ventes i 2040?", ("2040",), ("2040",)),
        ("Hva skal være nådd innen 2030?", ("2030",), ("2030",)),
        # a year joined to a word names a thing: the strategy of 2013, the goals for 2030
        ("Hvem ledet partnerskapet i 2013-strategien?", ("2013",), ()),
        ("Hva er 2030-målene?", ("2030",), ()),
        ("Hva sa 2013-strategien om året 2013?", ("2013",), ("2013",)),
    ],
)
def test_only_a_year_asked_about_as_a_time_constrains_the_answer(
    question: str, years: tuple[str, ...], asked: tuple[str, ...]
) -> None:
    assert asked_years(years, question) == asked


def test_a_question_about_2040_is_answered_by_the_sentence_about_2040(
    services: Services,
) -> None:
    # Without the year in the score, the sentence about 2040 ranked below sentences on
    # today's numbers and the evidence estimate refused the question.
    answer = services.answers.answer("Hvor mange får kreft hvert år i 2040, ifølge strategien?")
    assert not answer.abstained
    assert "50 000" in answer.answer
    assert any("2040" in c.quote and "50 000" in c.quote for c in answer.citations)
