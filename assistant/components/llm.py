"""Generative chat model for the answer service's optional ``llm`` mode.

``OpenAICompatibleChatModel`` talks to any OpenAI-compatible chat-completions endpoint (vLLM,
Ollama, llama.cpp's server such as the bundled local model, Azure OpenAI's ``/openai/v1``
endpoint, ...) given its base URL, a model name and an optional API key, through
llama-index's ``OpenAILike``.

Contracts:

* Messages are ``(role, content)`` pairs with role in ``{"system", "user", "assistant"}``.
* Importing this module is cheap: llama-index and openai are imported only when a model is built
  or called, and nothing contacts the network before ``complete`` or ``stream`` is called.
* Every failure to get an answer from the endpoint (unreachable, timeout, HTTP error) is raised
  as ``LLMUnavailableError`` whose message names the URL and says what to check.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from typing import TYPE_CHECKING, Any, Protocol, runtime_checkable

from assistant.settings import LLMSettings

if TYPE_CHECKING:
    from llama_index.core.base.llms.types import ChatMessage, ChatResponse

ROLES = frozenset({"system", "user", "assistant"})
"""The message roles accepted by ``ChatModel`` implementations."""

# Sent when no API key is configured: local servers ignore it, and passing it explicitly keeps
# the OpenAI client from falling back to an OPENAI_API_KEY from the environment, which must never
# be sent to an arbitrary endpoint.
_NO_API_KEY = "no-key"
_DETAIL_MAX_CHARS = 200


def _setting_default(name: str) -> Any:
    """The default of an ``LLMSettings`` field: the client's defaults have that one source."""
    return LLMSettings.model_fields[name].default


class LLMUnavailableError(RuntimeError):
    """The chat endpoint could not be reached or answered with an error; the message says why."""


@runtime_checkable
class ChatModel(Protocol):
    """A chat model answering ``(role, content)`` messages."""

    def complete(self, messages: Sequence[tuple[str, str]]) -> str:
        """Return the whole answer to ``messages``; raise ``LLMUnavailableError`` on failure."""
        ...

    def stream(self, messages: Sequence[tuple[str, str]]) -> Iterator[str]:
        """Yield the answer to ``messages`` piece by piece; raise ``LLMUnavailableError``."""
        ...


class ScriptedChatModel:
    """A deterministic ``ChatModel`` that replies with given texts, in turn (for tests).

    Like httpx's ``MockTransport``: a real implementation of the protocol that never
    leaves the process; the messages it received are kept in ``received``.
    """

    def __init__(self, *replies: str):
        if not replies:
            raise ValueError("ScriptedChatModel needs at least one reply")
        self._replies = list(replies)
        self.received: list[list[tuple[str, str]]] = []

    def complete(self, messages: Sequence[tuple[str, str]]) -> str:
        """Return the next scripted reply (the last one repeats)."""
        self.received.append(list(messages))
        return self._replies.pop(0) if len(self._replies) > 1 else self._replies[0]

    def stream(self, messages: Sequence[tuple[str, str]]) -> Iterator[str]:
        """Yield the next scripted reply word by word."""
        reply = self.complete(messages)
        yield from (word + " " for word in reply.split(" "))


class OpenAICompatibleChatModel:
    """``ChatModel`` backed by an OpenAI-compatible endpoint through llama-index's OpenAILike."""

    def __init__(
        self,
        base_url: str,
        model: str,
        api_key: str | None = None,
        timeout_s: float = _setting_default("timeout_s"),
        max_tokens: int = _setting_default("max_tokens"),
        temperature: float = _setting_default("temperature"),
        *,
        max_retries: int = 1,
        context_window: int = 4096,
    ) -> None:
        """Configure the client (no network access); raise ``ValueError`` on a bad setting."""
        base_url = base_url.strip().rstrip("/")
        if not base_url.startswith(("http://", "https://")):
            raise ValueError(f"LLM base URL must start with http:// or https://, got {base_url!r}")
        if not model.strip():
            raise ValueError("LLM model name must not be empty")
        if timeout_s <= 0:
            raise ValueError(f"LLM timeout must be positive, got {timeout_s}")
        if max_tokens <= 0:
            raise ValueError(f"LLM max_tokens must be positive, got {max_tokens}")
        if temperature < 0:
            raise ValueError(f"LLM temperature must not be negative, got {temperature}")
        if max_retries < 0:
            raise ValueError(f"LLM max_retries must not be negative, got {max_retries}")
        try:
            from llama_index.llms.openai_like import OpenAILike
        except ImportError as exc:
            raise LLMUnavailableError(
                "The llm mode needs the Python package 'llama-index-llms-openai-like'; "
                "install it in this environment."
            ) from exc

        self.base_url = base_url
        self.model = model
        self.timeout_s = timeout_s
        # llama-index hands max_retries both to the OpenAI client (its own retries with backoff)
        # and to a tenacity wrapper that makes max_retries attempts in all: one retry in total
        # for max_retries=1, none for 0.
        self._llm = OpenAILike(
            model=model,
            api_base=base_url,
            api_key=api_key or _NO_API_KEY,
            is_chat_model=True,
            is_function_calling_model=False,
            context_window=context_window,
            max_tokens=max_tokens,
            temperature=temperature,
            timeout=timeout_s,
            max_retries=max_retries,
        )

    @classmethod
    def from_settings(cls, llm: LLMSettings, **overrides: Any) -> OpenAICompatibleChatModel:
        """The client for the configured endpoint; ``overrides`` replace single settings."""
        options: dict[str, Any] = {
            "base_url": llm.base_url,
            "model": llm.model,
            "api_key": llm.api_key.get_secret_value() or None,
            "timeout_s": llm.timeout_s,
            "max_tokens": llm.max_tokens,
            "temperature": llm.temperature,
        }
        return cls(**{**options, **overrides})

    def __repr__(self) -> str:
        """Show the endpoint and model, never the API key."""
        return f"OpenAICompatibleChatModel(base_url={self.base_url!r}, model={self.model!r})"

    def complete(self, messages: Sequence[tuple[str, str]]) -> str:
        """Return the whole answer to ``messages``; raise ``LLMUnavailableError`` on failure."""
        chat_messages = _to_chat_messages(messages)
        try:
            response = self._llm.chat(chat_messages)
        except Exception as exc:
            error = self._translate(exc)
            if error is None:
                raise
            raise error from exc
        return response.message.content or ""

    def stream(self, messages: Sequence[tuple[str, str]]) -> Iterator[str]:
        """Yield non-empty answer pieces; the request is sent and its first piece awaited here.

        So an unreachable endpoint raises ``LLMUnavailableError`` from this call itself, before
        the caller has started a streamed response; later failures raise it from the iterator.
        """
        chat_messages = _to_chat_messages(messages)
        try:
            responses = iter(self._llm.stream_chat(chat_messages))
            first = _next_delta(responses)
        except Exception as exc:
            error = self._translate(exc)
            if error is None:
                raise
            raise error from exc
        return self._pieces(first, responses)

    def _pieces(self, first: str | None, responses: Iterator[ChatResponse]) -> Iterator[str]:
        """Yield ``first`` and then the remaining deltas of ``responses``."""
        piece = first
        while piece is not None:
            yield piece
            try:
                piece = _next_delta(responses)
            except Exception as exc:
                error = self._translate(exc)
                if error is None:
                    raise
                raise error from exc

    def _translate(self, exc: Exception) -> LLMUnavailableError | None:
        """Map a client error to ``LLMUnavailableError``; None for any other exception."""
        import httpx
        import openai

        where = f"the LLM endpoint {self.base_url} (model {self.model!r})"
        if isinstance(exc, openai.APITimeoutError | httpx.TimeoutException):
            return LLMUnavailableError(
                f"Timed out after {self.timeout_s:g} s waiting for {where}. Check that the server "
                "is up and not overloaded, or raise the LLM timeout."
            )
        if isinstance(exc, openai.APIConnectionError | httpx.TransportError):
            cause = _one_line(exc.__cause__ or exc)
            return LLMUnavailableError(
                f"Cannot reach {where}: {cause}. Check that the server is running and that the "
                "base URL (host, port and the /v1 suffix) is right."
            )
        if isinstance(exc, openai.APIStatusError):
            status = exc.status_code
            detail = _error_detail(exc)
            if status in (401, 403):
                hint = "Check the LLM API key."
            elif status == 404:
                hint = "Check the base URL (it usually ends in /v1) and the model name."
            elif status in (400, 422):
                hint = "Check the model name and the request limits (max_tokens, context size)."
            else:
                hint = "Check the server's log."
            return LLMUnavailableError(
                f"{where[0].upper()}{where[1:]} answered HTTP {status}: {detail}. {hint}"
            )
        if isinstance(exc, openai.OpenAIError | httpx.HTTPError):
            return LLMUnavailableError(
                f"Request to {where} failed: {_one_line(exc)}. Check the server and its log."
            )
        return None


def _to_chat_messages(messages: Sequence[tuple[str, str]]) -> list[ChatMessage]:
    """Convert ``(role, content)`` pairs to llama-index messages; raise ``ValueError`` if bad."""
    from llama_index.core.base.llms.types import ChatMessage, MessageRole

    if not messages:
        raise ValueError("At least one message is needed")
    converted = []
    for role, content in messages:
        if role not in ROLES:
            raise ValueError(f"Unknown message role {role!r}; expected one of {sorted(ROLES)}")
        converted.append(ChatMessage(role=MessageRole(role), content=content))
    return converted


def _next_delta(responses: Iterator[ChatResponse]) -> str | None:
    """Return the next non-empty text delta of a llama-index stream, or None at its end."""
    for response in responses:
        if response.delta:
            return response.delta
    return None


def _error_detail(exc: Any) -> str:
    """Extract the server's error message from an ``openai.APIStatusError``, on one line."""
    body = getattr(exc, "body", None)
    if isinstance(body, dict):
        error = body.get("error", body)
        message = error.get("message") if isinstance(error, dict) else error
        if message is None and isinstance(error, dict):
            message = error.get("detail")
        if message:
            return _one_line(message)
    return _one_line(getattr(exc, "message", None) or exc)


def _one_line(value: object) -> str:
    """Render ``value`` as one short line of text."""
    text = " ".join(str(value).split()).rstrip(".") or type(value).__name__
    if len(text) > _DETAIL_MAX_CHARS:
        text = text[: _DETAIL_MAX_CHARS - 3] + "..."
    return text
