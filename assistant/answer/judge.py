"""Answerability judge: does a language model read the quotes as answering the question?

``AnswerabilityJudge.score`` sends one short chat request to an OpenAI-compatible endpoint
(the local xllamacpp server, vLLM, Ollama, Azure OpenAI, ...) asking for one token, "Ja" or
"Nei", with the first token's log-probabilities, and returns the log-odds
``log(P(Ja) / P(Nei))``: above 0 the model leans to "the quotes answer it". The fixed
instructions come first and never change, so a server with a prompt cache (llama.cpp keeps
the last prompt's KV cache per slot) only evaluates the question and the quotes on each call.

Contracts:

* ``score`` never raises for endpoint trouble: unreachable, an HTTP error, a malformed
  reply or a timeout give ``None`` (the caller then decides without the judge).
* Importing this module is cheap: httpx is imported when the first request is sent.
"""

from __future__ import annotations

import math
import threading
import time
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any

INSTRUCTIONS = (
    "Du er en streng kontrollør. Du får et spørsmål og utdrag fra dokumenter om Nasjonal "
    "kreftstrategi. Svar «Ja» bare hvis utdragene selv inneholder svaret på nøyaktig det "
    "spørsmålet spør om (samme land, år, tall og tema). Svar «Nei» hvis svaret mangler, "
    "bare delvis finnes, eller utdragene handler om noe annet. Svar med ett ord: Ja eller Nei."
)
"""The fixed system message; keep it stable so servers can reuse its cached prefix."""

YES_TOKENS = frozenset({"ja", "yes"})
NO_TOKENS = frozenset({"nei", "ne", "no"})
"""First tokens read as yes / no, compared stripped and lower-cased ("Nei" starts "Ne")."""

MAX_QUOTES = 3
TOP_LOGPROBS = 10
_NO_API_KEY = "no-key"


def token_vote(token: str) -> bool | None:
    """True for a yes-token ("Ja", " ja", "Yes"), False for a no-token ("Nei", "Ne"), else None."""
    word = token.strip().strip(".,!:«»\"'").lower()
    if word in YES_TOKENS:
        return True
    if word in NO_TOKENS:
        return False
    return None


def yes_no_log_odds(top_logprobs: Iterable[tuple[str, float]]) -> float | None:
    """``log(P(yes) / P(no))`` from a first token's top log-probabilities.

    The probabilities of all yes-variants are summed, likewise the no-variants. A side that
    is absent from the list gets the smallest listed probability as its estimate (it cannot
    be more likely than anything that made the list), so the score stays finite. None when
    neither side is listed: the model did not answer yes or no.
    """
    pairs = [(token, logprob) for token, logprob in top_logprobs if math.isfinite(logprob)]
    if not pairs:
        return None
    yes = [math.exp(lp) for token, lp in pairs if token_vote(token) is True]
    no = [math.exp(lp) for token, lp in pairs if token_vote(token) is False]
    if not yes and not no:
        return None
    floor = math.exp(min(lp for _, lp in pairs))
    return math.log(sum(yes) or floor) - math.log(sum(no) or floor)


def judge_messages(
    question: str, quotes: Sequence[str], max_quote_chars: int | None = None
) -> list[dict[str, str]]:
    """The chat messages for one judgement: the fixed instructions, then question + quotes."""
    shown = [_shorten(" ".join(q.split()), max_quote_chars) for q in quotes[:MAX_QUOTES]]
    listing = "\n".join(f"[{n}] {quote}" for n, quote in enumerate(shown, start=1))
    question = " ".join(question.split())
    user = f"Spørsmål: {question}\nUtdrag:\n{listing}\nSvarer utdragene på spørsmålet?"
    return [{"role": "system", "content": INSTRUCTIONS}, {"role": "user", "content": user}]


def _shorten(text: str, max_chars: int | None) -> str:
    """``text`` cut at a word boundary to at most ``max_chars`` characters (with "…")."""
    if max_chars is None or len(text) <= max_chars:
        return text
    cut = text[: max_chars - 1].rsplit(" ", 1)[0]
    return f"{cut}…"


@dataclass(frozen=True)
class Judgement:
    """One judge call: the log-odds (None on failure), its wall time and prompt token counts."""

    log_odds: float | None
    seconds: float
    prompt_tokens: int | None = None
    cached_tokens: int | None = None


class AnswerabilityJudge:
    """Scores whether quotes answer a question, by a yes/no token of an OpenAI-compatible LLM."""

    def __init__(
        self,
        base_url: str,
        model: str,
        api_key: str | None = None,
        timeout_s: float = 10.0,
        *,
        max_quote_chars: int | None = None,
    ) -> None:
        """Configure the endpoint (no network access); raise ``ValueError`` on a bad setting."""
        base_url = base_url.strip().rstrip("/")
        if not base_url.startswith(("http://", "https://")):
            raise ValueError(
                f"Judge base URL must start with http:// or https://, got {base_url!r}"
            )
        if not model.strip():
            raise ValueError("Judge model name must not be empty")
        if timeout_s <= 0:
            raise ValueError(f"Judge timeout must be positive, got {timeout_s}")
        self.base_url = base_url
        self.model = model
        self.timeout_s = timeout_s
        self.max_quote_chars = max_quote_chars
        self._api_key = api_key or _NO_API_KEY
        self._client: Any = None
        self._lock = threading.Lock()

    def __repr__(self) -> str:
        """Show the endpoint and model, never the API key."""
        return f"AnswerabilityJudge(base_url={self.base_url!r}, model={self.model!r})"

    def score(self, question: str, quotes: list[str]) -> float | None:
        """The log-odds that ``quotes`` (the first 3) answer ``question``; None on any failure."""
        return self.judge(question, quotes).log_odds

    def judge(self, question: str, quotes: list[str]) -> Judgement:
        """Like ``score``, with the call's wall time and token counts (for benchmarks)."""
        started = time.monotonic()
        if not quotes:
            return Judgement(None, 0.0)
        body = {
            "model": self.model,
            "messages": judge_messages(question, quotes, self.max_quote_chars),
            "max_tokens": 1,
            "temperature": 0.0,
            "logprobs": True,
            "top_logprobs": TOP_LOGPROBS,
        }
        try:
            import httpx

            response = self._http().post(f"{self.base_url}/chat/completions", json=body)
            response.raise_for_status()
            reply = response.json()
            log_odds = yes_no_log_odds(_first_token_logprobs(reply))
        except (httpx.HTTPError, ValueError, KeyError, IndexError, TypeError):
            return Judgement(None, time.monotonic() - started)
        usage = reply.get("usage") or {}
        details = usage.get("prompt_tokens_details") or {}
        return Judgement(
            log_odds,
            time.monotonic() - started,
            usage.get("prompt_tokens"),
            details.get("cached_tokens"),
        )

    def __enter__(self) -> AnswerabilityJudge:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()

    def close(self) -> None:
        """Close the HTTP connection pool (a later ``score`` opens a new one)."""
        with self._lock:
            if self._client is not None:
                self._client.close()
                self._client = None

    def _http(self) -> Any:
        """The shared HTTP client, built on first use (keeps the connection alive)."""
        import httpx

        with self._lock:
            if self._client is None:
                self._client = httpx.Client(
                    timeout=httpx.Timeout(self.timeout_s, connect=min(self.timeout_s, 2.0)),
                    headers={"Authorization": f"Bearer {self._api_key}"},
                )
            return self._client


def _first_token_logprobs(reply: dict[str, Any]) -> list[tuple[str, float]]:
    """The (token, logprob) pairs of the reply's first generated token."""
    first = reply["choices"][0]["logprobs"]["content"][0]
    return [(str(item["token"]), float(item["logprob"])) for item in first["top_logprobs"]]
