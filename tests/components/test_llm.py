"""The OpenAI-compatible chat model against the real local model server on loopback."""

from __future__ import annotations

import re
import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest

from assistant.components.llm import (
    ChatModel,
    LLMUnavailableError,
    OpenAICompatibleChatModel,
)
from assistant.components.local_llm_process import free_loopback_port
from assistant.settings import LLMSettings
from tests.support.llm_server import LLMServer

QUESTION = [
    ("system", "You are a concise assistant. Answer in one short sentence."),
    ("user", "What is the capital of France?"),
]


@pytest.fixture
def chat_model(llm_server: LLMServer) -> OpenAICompatibleChatModel:
    """A chat model pointed at the session's server, with short answers."""
    return OpenAICompatibleChatModel(
        base_url=llm_server.base_url,
        model=llm_server.model,
        api_key=None,
        timeout_s=120.0,
        max_tokens=48,
        temperature=0.0,
    )


def test_import_is_cheap_and_offline() -> None:
    """Importing the module pulls in neither llama-index nor openai."""
    code = (
        "import sys, assistant.components.llm; "
        "bad = [m for m in ('llama_index', 'openai', 'httpx') if m in sys.modules]; "
        "assert not bad, bad"
    )
    subprocess.run([sys.executable, "-c", code], check=True, cwd=Path(__file__).parents[2])


def test_defaults_come_from_the_settings() -> None:
    """Built without options, or from LLMSettings, the client asks what the settings say."""
    defaults = LLMSettings()
    plain = OpenAICompatibleChatModel("http://127.0.0.1:9/v1", "m")
    assert plain.timeout_s == defaults.timeout_s
    assert plain._llm.max_tokens == defaults.max_tokens
    assert plain._llm.temperature == defaults.temperature
    configured = LLMSettings(
        base_url="http://127.0.0.1:9/v1", model="m", max_tokens=77, temperature=0.3
    )
    built = OpenAICompatibleChatModel.from_settings(configured, timeout_s=3.0)
    assert (built._llm.max_tokens, built._llm.temperature) == (77, 0.3)
    assert built.timeout_s == 3.0


def test_implements_protocol() -> None:
    """The OpenAI-compatible model satisfies the ChatModel protocol; building it is offline."""
    model = OpenAICompatibleChatModel("http://127.0.0.1:9/v1", "m", None, 5.0, 16, 0.0)
    assert isinstance(model, ChatModel)
    assert "127.0.0.1:9" in repr(model)


@pytest.mark.parametrize(
    ("base_url", "model"), [("127.0.0.1:8000/v1", "m"), ("http://127.0.0.1:8000/v1", " ")]
)
def test_rejects_bad_settings(base_url: str, model: str) -> None:
    """A base URL without scheme or an empty model name is a configuration error."""
    with pytest.raises(ValueError, match="LLM"):
        OpenAICompatibleChatModel(base_url, model, None, 5.0, 16, 0.0)


def test_rejects_unknown_role() -> None:
    """Roles other than system, user and assistant are refused before any request."""
    model = OpenAICompatibleChatModel("http://127.0.0.1:9/v1", "m", None, 5.0, 16, 0.0)
    with pytest.raises(ValueError, match="role"):
        model.complete([("tool", "hi")])


@pytest.mark.llm
def test_complete_returns_text(chat_model: OpenAICompatibleChatModel) -> None:
    """The instruction-tuned model answers a simple question correctly."""
    answer = chat_model.complete(QUESTION)
    assert "Paris" in answer


@pytest.mark.llm
def test_complete_follows_a_conversation(chat_model: OpenAICompatibleChatModel) -> None:
    """System, user and assistant turns all reach the model: a follow-up is understood."""
    answer = chat_model.complete(
        [
            ("system", "Answer with one word."),
            ("user", "What is the capital of France?"),
            ("assistant", "Paris."),
            ("user", "And of Norway?"),
        ]
    )
    assert "Oslo" in answer


@pytest.mark.llm
def test_stream_yields_pieces(chat_model: OpenAICompatibleChatModel) -> None:
    """Streaming yields several non-empty pieces whose concatenation is the answer."""
    pieces = list(chat_model.stream(QUESTION))
    assert len(pieces) >= 2
    assert all(isinstance(piece, str) and piece for piece in pieces)
    assert "".join(pieces).strip()


@pytest.mark.llm
def test_server_error_is_reported(chat_model: OpenAICompatibleChatModel) -> None:
    """A prompt longer than the server's context gets an HTTP error, reported with the URL."""
    too_long = "word " * 6000  # the server's context is 4096 tokens
    with pytest.raises(LLMUnavailableError, match=r"HTTP 4\d\d") as caught:
        chat_model.complete([("user", too_long)])
    assert chat_model.base_url in str(caught.value)


def _closed_loopback_url() -> str:
    """Return a base URL on a loopback port that nothing listens on."""
    port = free_loopback_port()
    with socket.socket() as probe:
        assert probe.connect_ex(("127.0.0.1", port)) != 0
    return f"http://127.0.0.1:{port}/v1"


def test_unreachable_endpoint_raises_clear_error() -> None:
    """A closed loopback port raises LLMUnavailableError naming the URL, quickly."""
    url = _closed_loopback_url()
    model = OpenAICompatibleChatModel(url, "any-model", None, 5.0, 16, 0.0)
    started = time.monotonic()
    with pytest.raises(LLMUnavailableError) as caught:
        model.complete(QUESTION)
    message = str(caught.value)
    assert url in message
    assert "Traceback" not in message
    assert "\n" not in message
    assert re.search(r"running|reach", message)
    assert time.monotonic() - started < 30


def test_unreachable_endpoint_raises_when_streaming_starts() -> None:
    """Streaming from a closed port raises LLMUnavailableError from the stream call itself."""
    url = _closed_loopback_url()
    model = OpenAICompatibleChatModel(url, "any-model", None, 5.0, 16, 0.0, max_retries=0)
    with pytest.raises(LLMUnavailableError, match=re.escape(url)):
        model.stream(QUESTION)
