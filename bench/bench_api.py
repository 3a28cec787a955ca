"""HTTP load test of POST /v1/ask on loopback: N concurrent clients for T seconds.

Starts the real ``assistant serve`` (open access, rate limit out of reach) on a
free port of 127.0.0.1, waits for /readyz, warms up, then runs N closed-loop
clients (each sends its next question as soon as the answer arrives) over the
evaluation questions for T seconds, and prints requests/s, p50/p95/p99 latency
and the error count. Extractive mode. Every loop is bounded in time and count.

    python bench/bench_api.py [--clients 8] [--seconds 20]
    python bench/bench_api.py --clients 1,8 --answer-threads 1,2,4,40
    python bench/bench_api.py --clients 8,32 --query-cache 1024,0

``--answer-threads`` is how many answers the server computes at once (requests
beyond wait in the event loop); 40 is what a plain ``def`` endpoint gets from
the default thread pool. With several values (or client counts) each
combination runs against a fresh server; compare the rows of one run, not
absolute figures across machines. ``--query-cache`` sets the server's
query-vector cache size (0: off); the clients cycle through the question set,
so with the cache on most questions are repeats, as for the chat's examples.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import socket
import subprocess
import sys
import time
from pathlib import Path

import httpx
import numpy as np

from assistant.evaluation.dataset import load_question_set

STARTUP_S = 300.0
MAX_REQUESTS_PER_CLIENT = 100_000
REQUEST_TIMEOUT_S = 30.0


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def start_server(
    port: int, answer_threads: int, query_cache: int | None, log: Path
) -> subprocess.Popen[bytes]:
    env = {
        **os.environ,
        **(
            {"ASSISTANT_EMBEDDING__QUERY_CACHE_SIZE": str(query_cache)}
            if query_cache is not None
            else {}
        ),
        "ASSISTANT_SERVER__OPEN_ACCESS": "true",
        "ASSISTANT_SERVER__RATE_LIMIT_PER_MINUTE": "100000000",
        "GRADIO_ANALYTICS_ENABLED": "False",
    }
    command = [
        sys.executable,
        "-m",
        "assistant.cli",
        "serve",
        "--host",
        "127.0.0.1",
        "--port",
        str(port),
        "--answer-threads",
        str(answer_threads),
    ]
    with log.open("ab") as out:
        return subprocess.Popen(command, env=env, stdout=out, stderr=subprocess.STDOUT)


def wait_ready(base_url: str, server: subprocess.Popen[bytes]) -> None:
    deadline = time.monotonic() + STARTUP_S
    while time.monotonic() < deadline:
        if server.poll() is not None:
            raise SystemExit(f"the server exited with status {server.returncode}")
        try:
            if httpx.get(f"{base_url}/readyz", timeout=2).status_code == 200:
                return
        except httpx.TransportError:
            pass
        time.sleep(0.25)
    raise SystemExit(f"the server was not ready within {STARTUP_S:.0f} s")


def stop_server(server: subprocess.Popen[bytes]) -> None:
    server.terminate()
    try:
        server.wait(timeout=15)
    except subprocess.TimeoutExpired:
        server.kill()
        server.wait(timeout=15)


async def load(
    base_url: str, questions: list[str], clients: int, seconds: float
) -> tuple[list[float], int, float]:
    """Closed-loop clients until the deadline: (latencies in ms, errors, elapsed s)."""
    latencies: list[float] = []
    errors = 0
    limits = httpx.Limits(max_connections=clients, max_keepalive_connections=clients)
    async with httpx.AsyncClient(
        base_url=base_url, timeout=REQUEST_TIMEOUT_S, limits=limits
    ) as http:

        async def client(number: int, deadline: float) -> None:
            nonlocal errors
            for i in range(MAX_REQUESTS_PER_CLIENT):
                if time.monotonic() >= deadline:
                    return
                question = questions[(number * 17 + i) % len(questions)]
                began = time.perf_counter()
                try:
                    response = await http.post("/v1/ask", json={"question": question})
                    ok = response.status_code == 200
                except httpx.HTTPError:
                    ok = False
                if ok:
                    latencies.append((time.perf_counter() - began) * 1000)
                else:
                    errors += 1

        began = time.monotonic()
        deadline = began + seconds
        await asyncio.gather(*(client(n, deadline) for n in range(clients)))
        return latencies, errors, time.monotonic() - began


def run(
    questions: list[str],
    clients: int,
    seconds: float,
    warmup_s: float,
    answer_threads: int,
    query_cache: int | None = None,
) -> dict[str, float | str]:
    port = free_port()
    base_url = f"http://127.0.0.1:{port}"
    log = Path(os.environ.get("TMPDIR", "/tmp")) / f"bench_api_server_{port}.log"
    server = start_server(port, answer_threads, query_cache, log)
    try:
        wait_ready(base_url, server)
        asyncio.run(load(base_url, questions, clients, warmup_s))
        latencies, errors, elapsed = asyncio.run(load(base_url, questions, clients, seconds))
    finally:
        stop_server(server)
    a = np.array(latencies or [float("nan")])
    return {
        "clients": clients,
        "answer_threads": answer_threads,
        "query_cache": "default" if query_cache is None else query_cache,
        "requests": len(latencies),
        "errors": errors,
        "rps": round(len(latencies) / elapsed, 1),
        "p50_ms": round(float(np.percentile(a, 50)), 1),
        "p95_ms": round(float(np.percentile(a, 95)), 1),
        "p99_ms": round(float(np.percentile(a, 99)), 1),
        "max_ms": round(float(a.max()), 1),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--clients", default="8", help="Concurrent clients (comma list).")
    parser.add_argument("--seconds", type=float, default=20.0, help="Measured seconds per run.")
    parser.add_argument("--warmup", type=float, default=3.0, help="Unmeasured seconds first.")
    parser.add_argument("--answer-threads", default="", help="Server setting(s) (comma list).")
    parser.add_argument(
        "--query-cache", default="", help="Server query-vector cache size(s), 0 = off (comma list)."
    )
    parser.add_argument("--set", default="eval/questions.yaml", help="Question set.")
    parser.add_argument("--json", action="store_true", help="Print one JSON line per run.")
    args = parser.parse_args()

    questions = [item.question for item in load_question_set(Path(args.set)).items]
    from assistant.api.app import DEFAULT_ANSWER_WORKERS

    threads = [int(t) for t in args.answer_threads.split(",") if t] or [DEFAULT_ANSWER_WORKERS]
    clients = [int(c) for c in args.clients.split(",") if c]
    caches: list[int | None] = [int(c) for c in args.query_cache.split(",") if c] or [None]
    print(
        f"POST /v1/ask, {len(questions)} questions, extractive, loopback, "
        f"{args.seconds:.0f} s per run after {args.warmup:.0f} s warm-up, {os.cpu_count()} cores",
        file=sys.stderr,
    )
    header = f"{'clients':>7} {'threads':>7} {'qcache':>7} {'req/s':>7} {'p50 ms':>8} "
    print(header + f"{'p95 ms':>8} {'p99 ms':>8} {'max ms':>8} {'requests':>8} {'errors':>6}")
    for n in clients:
        for t in threads:
            for cache in caches:
                row = run(questions, n, args.seconds, args.warmup, t, cache)
                if args.json:
                    print(json.dumps(row))
                    continue
                print(
                    f"{row['clients']:>7} {row['answer_threads']:>7} {row['query_cache']:>7} "
                    f"{row['rps']:>7} {row['p50_ms']:>8} {row['p95_ms']:>8} {row['p99_ms']:>8} "
                    f"{row['max_ms']:>8} {row['requests']:>8} {row['errors']:>6}",
                    flush=True,
                )


if __name__ == "__main__":
    main()
