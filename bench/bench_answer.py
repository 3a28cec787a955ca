"""Answer-service latency, in-process, warm: per question and per stage.

Loads the index once (timing the load), warms up, then answers every question of
the evaluation set ``--rounds`` times in extractive mode and prints p50/p95/p99 of
the total and of each stage: query embedding, retrieval (FAISS + BM25 + fusion),
composing the answer (sentence scoring, the learned reader when on, lead, citations) and
the rest (the scope guard, abstention). The reader is the configured one
(``ASSISTANT_ANSWER__READER``), with the embedder it answers with (e5 in torch beside the
learned reader). "libraries" is importing the engines it needs (torch with the learned
reader), "model load" the embedder's own load after that, "services" everything else at
start (the index, the learned reader, the guards).

    python bench/bench_answer.py [--rounds 3] [--set eval/questions.yaml]
"""

from __future__ import annotations

import argparse
import statistics
import time
from pathlib import Path

import numpy as np

from assistant.evaluation.dataset import load_question_set
from assistant.index.store import load_index
from assistant.launcher import answering_embedder, load_services
from assistant.settings import get_settings


def percentiles(values: list[float]) -> str:
    a = np.array(values)
    return (
        f"p50 {np.percentile(a, 50):7.2f}  p95 {np.percentile(a, 95):7.2f}  "
        f"p99 {np.percentile(a, 99):7.2f}  mean {a.mean():7.2f}"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--set", default="eval/questions.yaml")
    parser.add_argument(
        "--query-cache",
        action="store_true",
        help="Keep the query-vector cache and the learned reader's score cache on (off by "
        "default: the rounds repeat the questions, so with them every round after the first "
        "would skip the models).",
    )
    args = parser.parse_args()
    settings = get_settings().model_copy(deep=True)
    if not args.query_cache:
        settings.embedding.query_cache_size = 0
        settings.answer.reader_score_cache = 0

    began = time.perf_counter()
    if settings.answer.reader == "learned":
        import torch  # noqa: F401  (the import alone, timed apart from the models' load)
    libraries_s = time.perf_counter() - began
    began = time.perf_counter()
    embedder = answering_embedder(settings)
    model_s = time.perf_counter() - began
    loads = []
    for _ in range(5):
        began = time.perf_counter()
        load_index(settings.index.dir, embedder.embedder_id)
        loads.append(time.perf_counter() - began)
    began = time.perf_counter()
    services = load_services(settings, embedder=embedder)
    services_s = time.perf_counter() - began
    service = services.answers
    questions = [item.question for item in load_question_set(Path(args.set)).items]

    for q in questions[:10]:  # warm-up
        service.answer(q)

    stages: dict[str, list[float]] = {k: [] for k in ("embed", "retrieve", "compose", "total")}
    for _ in range(args.rounds):
        for q in questions:
            if service.learned is not None:
                service.learned.forget()  # the stages below score the pairs anew
            t0 = time.perf_counter()
            vectors = embedder.embed_queries([q])
            t1 = time.perf_counter()
            hits = service.retrieve(q, query_vector=vectors[0])
            t2 = time.perf_counter()
            rerank = service._reranker(q, {}) if service.learned is not None else None
            service.extractive.compose(q, vectors, hits, "nb", rerank=rerank)
            t3 = time.perf_counter()
            if service.learned is not None:
                service.learned.forget()  # and so does the whole answer
            answer = service.answer(q)
            stages["embed"].append((t1 - t0) * 1000)
            stages["retrieve"].append((t2 - t1) * 1000)
            stages["compose"].append((t3 - t2) * 1000)
            stages["total"].append(answer.timings_ms.total)

    cache = f"query cache {settings.embedding.query_cache_size}"
    print(
        f"questions: {len(questions)} x {args.rounds} rounds (reader {settings.answer.reader}, "
        f"queries {getattr(embedder, 'query_engine', '-')}, warm, in-process, {cache})"
    )
    print(
        f"libraries: {libraries_s * 1000:.0f} ms, model load: {model_s * 1000:.0f} ms, "
        f"services (index, readers, guards) {services_s * 1000:.0f} ms, "
        f"load after the libraries {(model_s + services_s) * 1000:.0f} ms"
    )
    print(
        f"index load: best {min(loads) * 1000:.1f} ms, "
        f"median {statistics.median(loads) * 1000:.1f} ms"
    )
    for name, values in stages.items():
        print(f"{name:9s} ms  {percentiles(values)}")
    share = {k: statistics.mean(v) for k, v in stages.items() if k != "total"}
    total = statistics.mean(stages["total"])
    print(
        "share of mean total: "
        + ", ".join(f"{k} {v / total:.0%}" for k, v in share.items())
        + f", other {max(0.0, 1 - sum(share.values()) / total):.0%}"
    )


if __name__ == "__main__":
    main()
