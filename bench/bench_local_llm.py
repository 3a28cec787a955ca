"""The local model server: load time, prompt and generation speed, memory, per thread count.

For each ``--threads`` value, starts ``assistant llm serve`` (a child process, as
``assistant serve --local-llm`` does), times until ``/health`` answers, sends ``--rounds``
chat requests (a ~300-token prompt from the strategy, up to 64 generated tokens, a new
prompt each round so nothing is cached) and prints the server's own timings (prompt and
generation tokens/s) and the child's peak RSS (VmHWM).

    python bench/bench_local_llm.py [--threads 1 2] [--rounds 3] [--ctx 4096]
"""

from __future__ import annotations

import argparse
import statistics
import tempfile
import time
from pathlib import Path

import httpx

from assistant.components.local_llm_process import free_loopback_port, running_local_server
from assistant.settings import get_settings

PASSAGE = Path("corpus/felles-innsats-mot-kreft-2025-2035.txt")


def peak_rss_mib(pid: int) -> float:
    """The process's peak resident set size (VmHWM) in MiB."""
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024
    return float("nan")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--threads", type=int, nargs="+", default=[1, 2])
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--ctx", type=int)
    args = parser.parse_args()
    text = " ".join(PASSAGE.read_text(encoding="utf-8").split())
    for threads in args.threads:
        settings = get_settings().model_copy(deep=True)
        settings.llm.local_threads = threads
        if args.ctx:
            settings.llm.local_ctx = args.ctx
        log = Path(tempfile.mkdtemp(prefix="bench-llm-")) / "server.log"
        started = time.monotonic()
        with running_local_server(settings, free_loopback_port(), log) as server:
            ready_s = time.monotonic() - started
            prompt_tps, gen_tps, walls = [], [], []
            for n in range(args.rounds):
                excerpt = text[5000 + 1500 * n : 5000 + 1500 * n + 1200]
                body = {
                    "model": server.model,
                    "messages": [
                        {"role": "user", "content": f"Oppsummer kort på norsk:\n{excerpt}"}
                    ],
                    "max_tokens": 64,
                    "temperature": 0,
                }
                began = time.monotonic()
                reply = httpx.post(
                    f"{server.base_url}/chat/completions", json=body, timeout=600
                ).json()
                walls.append(time.monotonic() - began)
                timings = reply["timings"]
                prompt_tps.append(timings["prompt_per_second"])
                gen_tps.append(timings["predicted_per_second"])
            print(
                f"threads {threads}: ready in {ready_s:.1f} s (process start + model load), "
                f"prompt {statistics.median(prompt_tps):.1f} tok/s "
                f"({timings['prompt_n']} tokens), generation {statistics.median(gen_tps):.1f} "
                f"tok/s, request {statistics.median(walls):.1f} s, n_ctx {settings.llm.local_ctx}, "
                f"peak RSS {peak_rss_mib(server.pid):.0f} MiB"
            )


if __name__ == "__main__":
    main()
