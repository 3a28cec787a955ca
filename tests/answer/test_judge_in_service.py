"""The answerability judge inside the answer service: it can only inform the decision, and
an unreachable judge never costs an answer."""

from __future__ import annotations

import pytest

from assistant.answer.abstention import JudgedModel
from assistant.answer.judge import AnswerabilityJudge
from assistant.launcher import Services, build_judge
from assistant.settings import Settings

ANSWERABLE = "Hvilket tiårsmål dekker eliminering av HPV?"


class FixedJudge(AnswerabilityJudge):
    """A judge that answers with a fixed log-odds (None: as if the endpoint were down)."""

    def __init__(self, log_odds: float | None):
        super().__init__("http://127.0.0.1:9", "fixed")
        self.log_odds = log_odds
        self.asked: list[tuple[str, list[str]]] = []

    def score(self, question: str, quotes: list[str]) -> float | None:
        self.asked.append((question, quotes))
        return self.log_odds


def _with_judge(services: Services, judge: FixedJudge, judged: JudgedModel | None) -> Services:
    answers = services.answers.with_chat_model(services.answers.chat_model)
    answers.judge = judge
    answers.judged = judged
    return Services(**{**services.__dict__, "answers": answers})


COMBINE = JudgedModel(reader=1.0, judge=2.0, intercept=0.0, threshold=0.5, provenance={})


def test_judge_down_falls_back_to_the_reader_and_says_so(services: Services) -> None:
    judge = FixedJudge(None)
    judged = _with_judge(services, judge, COMBINE)
    plain = services.answers.answer(ANSWERABLE)
    answer = judged.answers.answer(ANSWERABLE)
    assert answer.abstained == plain.abstained
    assert answer.answer == plain.answer
    assert answer.notice
    assert "leserens egen vurdering" in answer.notice
    # the judge saw the question and the quotes the answer would cite (at most 3)
    ((question, quotes),) = judge.asked
    assert question == ANSWERABLE
    assert 1 <= len(quotes) <= 3
    assert quotes[0] == plain.citations[0].quote


@pytest.mark.parametrize(("log_odds", "abstains"), [(-12.0, True), (12.0, False)])
def test_a_confident_judge_decides_with_the_reader(
    services: Services, log_odds: float, abstains: bool
) -> None:
    answer = _with_judge(services, FixedJudge(log_odds), COMBINE).answers.answer(ANSWERABLE)
    assert answer.abstained is abstains
    assert answer.signals
    assert answer.signals["judge"] == log_odds
    assert answer.notice is None


def test_rules_decide_before_the_judge_is_asked(services: Services) -> None:
    judge = FixedJudge(12.0)
    answer = _with_judge(services, judge, COMBINE).answers.answer("Hva er tiårsmål 25?")
    assert answer.abstained
    assert judge.asked == []


def test_judge_setting_needs_an_endpoint() -> None:
    settings = Settings(answer={"judge": "llm"})  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="ASSISTANT_LLM__BASE_URL"):
        build_judge(settings)
    assert build_judge(Settings()) is None


class RecordingCombination:
    """The judge's combination, recording the reader estimate it is given."""

    def __init__(self, fitted: JudgedModel):
        self.fitted = fitted
        self.threshold = fitted.threshold
        self.given: list[float] = []

    def probability(self, reader_probability: float, log_odds: float) -> float:
        self.given.append(reader_probability)
        return self.fitted.probability(reader_probability, log_odds)


def test_with_the_learned_reader_the_judge_combines_the_estimate_it_was_fitted_on(
    services: Services,
) -> None:
    # the judge's combination was fitted on the hand-made reader's estimate, not on the
    # learned reader's calibrated one (which the shipped default computes first)
    assert services.answers.learned is not None
    combination = RecordingCombination(COMBINE)
    judged = _with_judge(services, FixedJudge(0.0), None)
    judged.answers.judged = combination  # type: ignore[assignment]
    answer = judged.answers.answer(ANSWERABLE)
    assert answer.signals
    assert combination.given == [pytest.approx(answer.signals["reader_probability"], abs=1e-4)]
    assert answer.signals["reader_probability"] != pytest.approx(
        services.answers.answer(ANSWERABLE).signals["probability"], abs=1e-3
    )
