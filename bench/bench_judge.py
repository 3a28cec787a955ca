"""Answerability-judge latency (and a first look at its separation) on the local model.

Takes ``--n`` single-turn dev questions (half answerable, half not), answers each with the
extractive reader to get the <= 3 quotes it would cite, starts the local model server
(``assistant llm serve`` as a child process, unless ``--base-url`` points at a running
endpoint) and times ``AnswerabilityJudge.judge`` on every pair twice:

* cold: right after an unrelated request, so the slot's cache lacks the instructions (a
  llama.cpp server with a host-memory prompt cache may still restore them: the cached
  token count shows it);
* warm: right after the judge call of another pair, so only the question and quotes are new.

Prints p50/p95 of both, prompt and cached token counts, and the mean log-odds of the
answerable vs. unanswerable pairs with the AUC of the log-odds (a hint, not a calibration).

    python bench/bench_judge.py [--n 20] [--threads 2] [--ctx 4096] [--max-quote-chars N]
"""

from __future__ import annotations

import argparse
import statistics
import tempfile
from pathlib import Path

import httpx
import numpy as np

from assistant.answer.judge import AnswerabilityJudge, Judgement
from assistant.components.local_llm import MODEL_NAME
from assistant.components.local_llm_process import running_local_server
from assistant.evaluation.dataset import load_question_set
from assistant.launcher import load_services
from assistant.settings import get_settings


def pairs(n: int, question_set: Path) -> list[tuple[str, list[str], bool]]:
    """``n`` dev questions (half of them unanswerable) with the reader's quotes."""
    items = [i for i in load_question_set(question_set).split("dev") if not i.history]
    answerable = [i for i in items if i.answerable][: n - n // 2]
    unanswerable = [i for i in items if not i.answerable][: n // 2]
    services = load_services(get_settings())
    chosen = []
    for item in answerable + unanswerable:
        answer = services.answers.answer(item.question)
        quotes = [c.quote for c in answer.citations[:3]]
        if quotes:
            chosen.append((item.question, quotes, item.answerable))
    return chosen


def evict_prefix(base_url: str, model: str) -> None:
    """Send an unrelated one-token request so the judge's instructions leave the cache."""
    body = {
        "model": model,
        "messages": [{"role": "user", "content": "Skriv ett ord om været i dag."}],
        "max_tokens": 1,
    }
    httpx.post(f"{base_url}/chat/completions", json=body, timeout=120).raise_for_status()


def auc(positive: list[float], negative: list[float]) -> float:
    """Probability that a random positive scores above a random negative (ties count half)."""
    wins = sum((p > q) + 0.5 * (p == q) for p in positive for q in negative)
    return wins / (len(positive) * len(negative))


def report(name: str, runs: list[Judgement]) -> None:
    seconds = np.array([r.seconds for r in runs])
    prompt = [r.prompt_tokens or 0 for r in runs]
    cached = [r.cached_tokens or 0 for r in runs]
    p50, p95 = np.percentile(seconds, [50, 95])
    failures = sum(r.log_odds is None for r in runs)
    print(
        f"{name:5}  p50 {p50:5.2f} s  p95 {p95:5.2f} s  max {seconds.max():5.2f} s"
        f"  prompt tokens mean {statistics.mean(prompt):5.0f}"
        f" (cached {statistics.mean(cached):4.0f})  failures {failures}"
    )


def bench(base_url: str, model: str, cases: list[tuple[str, list[str], bool]], args) -> None:
    judge = AnswerabilityJudge(base_url, model, timeout_s=120, max_quote_chars=args.max_quote_chars)
    judge.judge(cases[0][0], cases[0][1])  # the first request pays for allocating buffers
    cold = []
    for question, quotes, _ in cases:
        evict_prefix(base_url, model)
        cold.append(judge.judge(question, quotes))
    # Back to back, each case after a different one: only the instructions are shared.
    warm = [judge.judge(question, quotes) for question, quotes, _ in cases[1:] + cases[:1]]
    warm = warm[-1:] + warm[:-1]
    report("cold", cold)
    report("warm", warm)
    yes = [r.log_odds for r, c in zip(warm, cases, strict=True) if c[2] and r.log_odds is not None]
    no = [
        r.log_odds for r, c in zip(warm, cases, strict=True) if not c[2] and r.log_odds is not None
    ]
    if yes and no:
        print(
            f"log-odds: answerable mean {statistics.mean(yes):+.2f} (n={len(yes)}), "
            f"unanswerable mean {statistics.mean(no):+.2f} (n={len(no)}), AUC {auc(yes, no):.2f}"
        )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n", type=int, default=20)
    parser.add_argument("--set", type=Path, default=Path("eval/questions.yaml"))
    parser.add_argument("--base-url", help="A running OpenAI-compatible endpoint (…/v1).")
    parser.add_argument("--model", default=MODEL_NAME)
    parser.add_argument("--threads", type=int, help="Local server threads (default: settings).")
    parser.add_argument("--ctx", type=int, help="Local server context (default: settings).")
    parser.add_argument("--max-quote-chars", type=int, help="Cut each quote to this length.")
    parser.add_argument("--port", type=int, default=8791)
    args = parser.parse_args()
    cases = pairs(args.n, args.set)
    lengths = [len(" ".join(q)) for _, q, _ in cases]
    print(f"{len(cases)} pairs; quotes {statistics.mean(lengths):.0f} chars on average")
    if args.base_url:
        bench(args.base_url, args.model, cases, args)
        return
    settings = get_settings().model_copy(deep=True)
    if args.threads:
        settings.llm.local_threads = args.threads
    if args.ctx:
        settings.llm.local_ctx = args.ctx
    print(f"local server: {settings.llm.local_threads} threads, n_ctx {settings.llm.local_ctx}")
    log = Path(tempfile.mkdtemp(prefix="bench-judge-")) / "server.log"
    with running_local_server(settings, args.port, log) as server:
        bench(server.base_url, server.model, cases, args)


if __name__ == "__main__":
    main()
