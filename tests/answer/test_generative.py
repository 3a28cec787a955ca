"""LLM mode: generated sentences are verified against the quotes they cite."""

from __future__ import annotations

import re
from collections.abc import Iterator, Sequence

import pytest

from assistant.answer.service import AnswerService, citations_are_verbatim
from assistant.components.llm import ChatModel, OpenAICompatibleChatModel, ScriptedChatModel
from assistant.launcher import Services
from tests.support.llm_server import LLMServer

HPV = "Hvilket tiårsmål dekker eliminering av HPV?"
SURVIVAL = "Hva er målet for overlevelse etter kreft?"


def _service(services: Services, chat_model: ChatModel) -> AnswerService:
    return services.answers.with_chat_model(chat_model)


class EchoFirstSource:
    """A ChatModel that answers with the first source it was given, cited [1]."""

    def complete(self, messages: Sequence[tuple[str, str]]) -> str:
        sources = re.findall(r"^\[1\] (.*)$", messages[-1][1], flags=re.M)
        return f"{sources[0]} [1]"

    def stream(self, messages: Sequence[tuple[str, str]]) -> Iterator[str]:
        yield self.complete(messages)


def test_supported_sentences_are_kept_and_cited(services: Services) -> None:
    answer = _service(services, EchoFirstSource()).answer(HPV, mode="llm")
    assert answer.mode == "llm"
    assert answer.notice is None
    assert answer.answer.endswith("[1]")
    assert len(answer.citations) == 1
    assert answer.citations[0].quote.replace("\n", " ") in answer.answer
    assert citations_are_verbatim(services.index, answer.citations)
    assert answer.signals
    assert answer.signals["faithfulness"] == 1.0


def test_unsupported_answer_falls_back_to_extractive_and_says_so(services: Services) -> None:
    model = ScriptedChatModel("Norge skal bygge en månebase innen 2030 for kreftforskning [1].")
    answer = _service(services, model).answer(HPV, mode="llm")
    assert answer.notice
    assert "verifiseres" in answer.notice
    assert "månebase" not in answer.answer
    assert "Tiårsmål 2" in answer.answer  # the extractive answer is shown instead
    assert answer.signals
    assert answer.signals["faithfulness"] == 0.0


def test_sentence_without_citation_is_removed(services: Services) -> None:
    extractive = services.answers.answer(HPV)
    supported = extractive.citations[0].quote.replace("\n", " ")
    model = ScriptedChatModel(f"{supported} [1] Dette er en påstand uten kilde.")
    answer = _service(services, model).answer(HPV, mode="llm")
    assert "påstand uten kilde" not in answer.answer


def test_a_sentence_the_model_left_unmarked_is_cited_to_the_source_that_supports_it(
    services: Services,
) -> None:
    extractive = services.answers.answer(HPV)
    supported = extractive.citations[0].quote.replace("\n", " ")
    model = ScriptedChatModel(f"{supported}.\n\nNorge skal bygge en månebase innen 2030.")
    answer = _service(services, model).answer(HPV, mode="llm")
    assert answer.notice is None
    assert answer.answer == f"{supported}. [1]"  # kept with its source, the invention dropped
    assert supported in " ".join(answer.citations[0].quote.split())  # the source that holds it


@pytest.mark.llm
def test_llm_mode_against_the_local_model_server(services: Services, llm_server: LLMServer) -> None:
    """Qwen2.5-Coder-1.5B's answer to a goal question passes the verifier sentence by sentence."""
    model = OpenAICompatibleChatModel(
        llm_server.base_url, llm_server.model, timeout_s=120, max_tokens=120
    )
    answer = _service(services, model).answer(SURVIVAL, mode="llm")
    assert answer.mode == "llm"
    assert answer.notice is None  # accepted, not the extractive fallback
    assert answer.signals is not None
    assert answer.signals["faithfulness"] == 1.0
    assert citations_are_verbatim(services.index, answer.citations)
    numbers = {c.n for c in answer.citations}
    sentences = [
        s for s in re.split(r"(?<=[.!?\]])(?<!\s\d\.)\s+(?!\[)", answer.answer.strip()) if s
    ]
    assert sentences
    for sentence in sentences:
        cited = [int(n) for n in re.findall(r"\[(\d+)\]", sentence)]
        assert cited, answer.answer  # every sentence shown carries a marker ...
        assert set(cited) <= numbers  # ... of a citation the answer lists
