"""The answerability judge: its decisions on log-probabilities, and the real local model."""

from __future__ import annotations

import math
import socket
import time

import pytest

from assistant.answer.judge import (
    INSTRUCTIONS,
    AnswerabilityJudge,
    judge_messages,
    token_vote,
    yes_no_log_odds,
)
from assistant.components.local_llm_process import free_loopback_port
from tests.support.llm_server import LLMServer

CCC = (
    "Kreftforeningen bevilger 4,5 millioner kroner som støtte til sykehus som ønsker å bli "
    "sertifisert som Comprehensive Cancer Centre (CCC)."
)
SURVIVAL = "I dag overlever nærmere tre av fire sin kreftsykdom i fem år eller mer."
HPV = "Tiårsmål 2 Eliminere livmorhalskreft og annen kreft forårsaket av HPV"

# (quote from corpus/, a question it answers, an on-topic question it does not answer)
PAIRS = [
    (
        CCC,
        "Hvor mye bevilger Kreftforeningen til sykehus som vil bli Comprehensive Cancer Centre?",
        "Hvor mye bevilger Kreftforeningen til barnekreftforskning i Sverige?",
    ),
    (
        SURVIVAL,
        "Hvor mange overlever kreftsykdommen sin i fem år eller mer?",
        "Hvor mange overlever lungekreft i ti år i Danmark?",
    ),
    (
        HPV,
        "Hvilket tiårsmål dekker eliminering av HPV?",
        "Hva koster HPV-vaksinen i Sverige?",
    ),
]


@pytest.mark.parametrize(
    ("token", "vote"),
    [
        ("Ja", True),
        (" ja", True),
        ("JA", True),
        ("Yes", True),
        ("Nei", False),
        ("Ne", False),  # "Nei" is two tokens for Qwen's tokenizer: "Ne" + "i"
        (" nei.", False),
        ("No", False),
        ("Kanskje", None),
        ("N", None),
        ("", None),
    ],
)
def test_token_vote(token: str, vote: bool | None) -> None:
    assert token_vote(token) is vote


@pytest.mark.parametrize(
    ("top", "expected"),
    [
        ([("Ja", math.log(0.6)), ("Nei", math.log(0.2))], math.log(3)),
        # variants of one answer are summed
        ([("Ja", math.log(0.3)), (" ja", math.log(0.3)), ("Ne", math.log(0.2))], math.log(3)),
        # an absent side gets the least likely listed token's probability
        ([("Ja", math.log(0.8)), ("Kanskje", math.log(0.01))], math.log(80)),
        ([("Ne", math.log(0.5)), ("Så", math.log(0.05))], -math.log(10)),
        ([("Kanskje", -0.1), ("Tja", -3.0)], None),  # neither yes nor no: no signal
        ([], None),
    ],
)
def test_yes_no_log_odds(top: list[tuple[str, float]], expected: float | None) -> None:
    result = yes_no_log_odds(top)
    if expected is None:
        assert result is None
    else:
        assert result == pytest.approx(expected)


def test_prompt_starts_with_the_same_instructions_and_shows_at_most_three_quotes() -> None:
    """The fixed part comes first, unchanged, so a server's prompt cache can reuse it."""
    first = judge_messages("Spørsmål én?", ["sitat-a", "sitat-b", "sitat-c", "sitat-d"])
    second = judge_messages("Et annet spørsmål?", ["sitat-x"])
    assert first[0] == second[0] == {"role": "system", "content": INSTRUCTIONS}
    user = first[1]["content"]
    assert "Spørsmål én?" in user
    assert "[3] sitat-c" in user
    assert "[4]" not in user
    assert "sitat-d" not in user


def test_long_quotes_are_cut_at_a_word_boundary() -> None:
    [_, user] = judge_messages("Q?", [SURVIVAL], max_quote_chars=30)
    shown = user["content"].split("[1] ", 1)[1].splitlines()[0]
    assert len(shown) <= 30
    assert shown.endswith("…")
    assert SURVIVAL.startswith(shown[:-1])


@pytest.mark.parametrize(("base_url", "model"), [("127.0.0.1:8080/v1", "m"), ("http://x/v1", "")])
def test_rejects_bad_settings(base_url: str, model: str) -> None:
    with pytest.raises(ValueError, match="Judge"):
        AnswerabilityJudge(base_url, model)


def test_dead_endpoint_gives_none_quickly() -> None:
    port = free_loopback_port()
    with socket.socket() as probe:
        assert probe.connect_ex(("127.0.0.1", port)) != 0
    started = time.monotonic()
    with AnswerabilityJudge(f"http://127.0.0.1:{port}/v1", "any", timeout_s=5.0) as judge:
        assert judge.score("Hvilket tiårsmål dekker eliminering av HPV?", [HPV]) is None
    assert time.monotonic() - started < 2.0


def test_no_quotes_gives_none_without_a_request() -> None:
    judge = AnswerabilityJudge("http://127.0.0.1:9/v1", "any", timeout_s=5.0)
    assert judge.score("Hva som helst?", []) is None


@pytest.mark.llm
def test_answered_questions_score_above_unanswered_ones(llm_server: LLMServer) -> None:
    """On real passages, the question a quote answers gets the higher log-odds."""
    with AnswerabilityJudge(llm_server.base_url, llm_server.model, timeout_s=60.0) as judge:
        scores = [(judge.score(yes, [quote]), judge.score(no, [quote])) for quote, yes, no in PAIRS]
    for answered, unanswered in scores:
        assert answered is not None
        assert unanswered is not None
        assert answered > unanswered, scores


@pytest.mark.llm
def test_http_error_and_timeout_give_none(llm_server: LLMServer) -> None:
    """A wrong path (HTTP 404) and a timeout shorter than the model's work both give None."""
    with AnswerabilityJudge(f"{llm_server.base_url}/nope", llm_server.model) as wrong_path:
        assert wrong_path.score(PAIRS[0][1], [CCC]) is None
    started = time.monotonic()
    with AnswerabilityJudge(llm_server.base_url, llm_server.model, timeout_s=0.05) as hurried:
        assert hurried.score("Et spørsmål som ikke er sett før om kreft?", [CCC, SURVIVAL]) is None
    assert time.monotonic() - started < 1.0
