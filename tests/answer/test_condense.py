"""llm mode follow-ups: the model's standalone question, checked against the extractive one."""

from __future__ import annotations

from collections.abc import Iterator, Sequence

import pytest

from assistant.answer.condense import condense_messages, condense_question, keeps_resolution
from assistant.answer.conversation import standalone_question
from assistant.answer.models import Turn
from assistant.components.llm import (
    ChatModel,
    LLMUnavailableError,
    OpenAICompatibleChatModel,
    ScriptedChatModel,
)
from assistant.components.local_llm_process import free_loopback_port
from assistant.index.bm25 import NorwegianAnalyzer
from assistant.launcher import Services
from tests.support.llm_server import LLMServer

LAUNCHED = "Hva het den nasjonale kreftstrategien som ble lansert i 2013?"
LAUNCHED_ANSWER = "Strategien het «Sammen – mot kreft» [1]."
WHO_LAUNCHED = "Hvem lanserte den?"

ANALYZER = NorwegianAnalyzer()

# (previous question, the assistant's answer, follow-up, the model's rewrite, accepted?)
CASES = [
    # good rewrites: the follow-up's words kept, the reference resolved, nothing new
    (
        LAUNCHED,
        LAUNCHED_ANSWER,
        WHO_LAUNCHED,
        "Hvem lanserte den nasjonale kreftstrategien i 2013?",
        True,
    ),
    (
        LAUNCHED,
        LAUNCHED_ANSWER,
        WHO_LAUNCHED,
        "Hvem lanserte kreftstrategien «Sammen – mot kreft»?",
        True,
    ),
    (
        "Hvilket tiårsmål handler om screeningprogrammer?",
        "Tiårsmål 3 [1].",
        "Hvilke kreftformer nevnes der?",
        "Hvilke kreftformer nevnes i tiårsmålet om screeningprogrammer?",
        True,
    ),
    (
        "Hva er målet for overlevelse etter kreft?",
        "Flere skal overleve [1].",
        "Og hva med prostatakreft?",
        "Hva er målet for overlevelse etter prostatakreft?",
        True,
    ),
    (
        "Hva er tiårsmål 13?",
        "Katapult-ordningen [1].",
        "Når ble den ordningen opprettet?",
        "Når ble ordningen i tiårsmål 13 opprettet?",
        True,
    ),
    (
        "Hvordan skal arbeidet med strategien samordnes?",
        "Gjennom et partnerskap [1].",
        "Hvem leder det partnerskapet?",
        "Hvem leder partnerskapet som samordner arbeidet med strategien?",
        True,
    ),
    (
        "What share of cancer patients survive five years?",
        "Nearly three in four [1].",
        "And what about prostate cancer?",
        "What share of prostate cancer patients survive five years?",
        True,
    ),
    (
        "Which goal covers HPV?",
        "Goal 2 [1].",
        "Who is responsible for it?",
        "Who is responsible for the goal that covers HPV?",
        True,
    ),
    # the rewrite dropped what the follow-up asks
    (
        LAUNCHED,
        LAUNCHED_ANSWER,
        WHO_LAUNCHED,
        "Hva het den nasjonale kreftstrategien fra 2013?",
        False,
    ),
    (
        "Hva er målet for overlevelse etter kreft?",
        "Flere skal overleve [1].",
        "Og hva med prostatakreft?",
        "Hva er målet for overlevelse etter kreft?",
        False,
    ),
    (
        "What share of cancer patients survive five years?",
        "Nearly three in four [1].",
        "And what about prostate cancer?",
        "What share of cancer patients survive five years?",
        False,
    ),
    # nothing carried over from the conversation: the reference is left unresolved
    (LAUNCHED, LAUNCHED_ANSWER, WHO_LAUNCHED, "Hvem lanserte den?", False),
    (
        "Hvilket tiårsmål handler om screeningprogrammer?",
        "Tiårsmål 3 [1].",
        "Hvilke kreftformer nevnes der?",
        "Hvilke kreftformer nevnes der?",
        False,
    ),
    # a topic, a year or a name nobody in the conversation mentioned
    (LAUNCHED, LAUNCHED_ANSWER, WHO_LAUNCHED, "Hvem lanserte kreftstrategien i 2015?", False),
    (
        LAUNCHED,
        LAUNCHED_ANSWER,
        WHO_LAUNCHED,
        "Hvem lanserte den svenske kreftstrategien i 2013?",
        False,
    ),
    (
        "Hva er målet for overlevelse etter kreft?",
        "Flere skal overleve [1].",
        "Og hva med prostatakreft?",
        "Hva er målet for overlevelse etter prostatakreft i Danmark?",
        False,
    ),
    (
        "Which goal covers HPV?",
        "Goal 2 [1].",
        "Who is responsible for it?",
        "Who is responsible for the HPV vaccine in Sweden?",
        False,
    ),
    # an answer instead of a question
    (
        LAUNCHED,
        LAUNCHED_ANSWER,
        WHO_LAUNCHED,
        "Jonas Gahr Støre lanserte strategien i 2013.",
        False,
    ),
]


@pytest.mark.parametrize(("previous", "answer", "follow_up", "rewrite", "accepted"), CASES)
def test_keeps_resolution(
    previous: str, answer: str, follow_up: str, rewrite: str, accepted: bool
) -> None:
    history = [Turn(role="user", content=previous), Turn(role="assistant", content=answer)]
    assert keeps_resolution(rewrite, follow_up, history, ANALYZER) is accepted


def test_without_an_earlier_question_nothing_is_accepted() -> None:
    assert not keeps_resolution("Hvem lanserte strategien?", WHO_LAUNCHED, [], ANALYZER)


HISTORY = [Turn(role="user", content=LAUNCHED), Turn(role="assistant", content=LAUNCHED_ANSWER)]


def test_the_prompt_is_llama_index_condense_prompt_with_the_conversation() -> None:
    [(system, note), (user, prompt)] = condense_messages(WHO_LAUNCHED, HISTORY, "nb")
    assert (system, user) == ("system", "user")
    assert "norsk" in note
    assert "rewrite the message to be a standalone question" in prompt
    assert f"user: {LAUNCHED}" in prompt
    assert prompt.index(LAUNCHED) < prompt.index(WHO_LAUNCHED)


@pytest.mark.parametrize(
    ("reply", "condensed"),
    [
        ("Hvem lanserte kreftstrategien i 2013?", "Hvem lanserte kreftstrategien i 2013?"),
        ("  «Hvem lanserte kreftstrategien i 2013?»\n", "Hvem lanserte kreftstrategien i 2013?"),
        ("<Standalone question> Hvem lanserte strategien?", "Hvem lanserte strategien?"),
        ("Spørsmål: Hvem lanserte strategien?\nDet var Støre.", "Hvem lanserte strategien?"),
        ("", None),
        ("   \n ", None),
        ("Hvem " + "og hvem " * 60 + "lanserte den?", None),  # prose, not a question
    ],
)
def test_the_reply_is_read_as_one_question(reply: str, condensed: str | None) -> None:
    assert condense_question(ScriptedChatModel(reply), WHO_LAUNCHED, HISTORY, "nb") == condensed


class DownModel:
    """A ChatModel whose endpoint is down."""

    def complete(self, messages: Sequence[tuple[str, str]]) -> str:
        raise LLMUnavailableError("Cannot reach the LLM endpoint.")

    def stream(self, messages: Sequence[tuple[str, str]]) -> Iterator[str]:
        raise LLMUnavailableError("Cannot reach the LLM endpoint.")


def _follow_up(services: Services, model: ChatModel) -> tuple[str | None, dict[str, float]]:
    answer = services.answers.with_chat_model(model).answer(
        WHO_LAUNCHED, history=HISTORY, mode="llm"
    )
    return answer.standalone_question, answer.signals or {}


def test_an_accepted_rewrite_is_the_question_answered(services: Services) -> None:
    rewrite = "Hvem lanserte den nasjonale kreftstrategien i 2013?"
    model = ScriptedChatModel(rewrite, "Jonas Gahr Støre lanserte strategien [1].")
    standalone, signals = _follow_up(services, model)
    assert standalone == rewrite
    assert signals["condensed"] == 1.0
    assert "Hvem lanserte den nasjonale kreftstrategien i 2013?" in model.received[1][-1][1]


def test_a_rejected_rewrite_leaves_the_extractive_resolution(services: Services) -> None:
    model = ScriptedChatModel("Hvem lanserte HPV-vaksinen i Sverige?", "Ingen vet [1].")
    standalone, signals = _follow_up(services, model)
    assert standalone == standalone_question(WHO_LAUNCHED, HISTORY)
    assert signals["condensed"] == 0.0


def test_a_dead_endpoint_falls_back_to_the_extractive_resolution(services: Services) -> None:
    standalone, signals = _follow_up(services, DownModel())
    assert standalone == standalone_question(WHO_LAUNCHED, HISTORY)
    assert signals["condensed"] == 0.0


def test_a_closed_port_falls_back_and_says_the_model_did_not_answer(services: Services) -> None:
    url = f"http://127.0.0.1:{free_loopback_port()}/v1"
    model = OpenAICompatibleChatModel(url, "any", timeout_s=5.0, max_retries=0)
    answer = services.answers.with_chat_model(model).answer(
        WHO_LAUNCHED, history=HISTORY, mode="llm"
    )
    assert answer.standalone_question == standalone_question(WHO_LAUNCHED, HISTORY)
    assert answer.notice is not None
    assert "svarte ikke" in answer.notice
    assert "Støre" in answer.answer  # the extractive answer to the resolved question


def test_extractive_mode_never_asks_the_model(services: Services) -> None:
    model = ScriptedChatModel("Hvem lanserte kreftstrategien i 2013?")
    answer = services.answers.with_chat_model(model).answer(WHO_LAUNCHED, history=HISTORY)
    assert model.received == []
    assert answer.standalone_question == standalone_question(WHO_LAUNCHED, HISTORY)


@pytest.mark.llm
def test_the_local_model_condenses_a_follow_up_that_passes_the_check(
    services: Services, llm_server: LLMServer
) -> None:
    """Qwen2.5-Coder-1.5B rewrites "Hvem lanserte den?" into a question about the 2013 strategy."""
    model = OpenAICompatibleChatModel(
        llm_server.base_url, llm_server.model, timeout_s=300, max_tokens=60
    )
    condensed = condense_question(model, WHO_LAUNCHED, HISTORY, "nb")
    assert condensed is not None
    assert condensed != WHO_LAUNCHED
    assert keeps_resolution(condensed, WHO_LAUNCHED, HISTORY, services.answers.extractive.analyzer)
    assert "2013" in condensed or "kreftstrategi" in condensed.lower()
