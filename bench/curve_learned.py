"""The learned reader's cost against what it reads: candidates scored and tokens per pair.

The cross-encoder's cost grows with the pairs it scores per question (``SCORED_UNITS``)
and the tokens of each pair (``max_length``, 160 in training). For each setting this runs
the evaluation items of one split through the answer service (reader=learned, in-process,
query-vector cache off) and prints accuracy, answer accuracy, abstention recall, wrongly
refused, and the learned reader's own core-ms per answer (process CPU time inside
``LearnedReader.scores``). The calibration stays the one fitted at 8 units × 160 tokens.
Tune on dev only; the held-out split is reported as it falls.

    python bench/curve_learned.py [--split dev] [--units 8,4,2] [--lengths 160,96,64]
"""

from __future__ import annotations

import argparse
import time
from pathlib import Path

import assistant.answer.learned as learned_module
from assistant.evaluation.dataset import load_question_set
from assistant.evaluation.metrics import aggregate
from assistant.evaluation.runner import run
from assistant.launcher import load_services
from assistant.settings import get_settings


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--split", default="dev")
    parser.add_argument("--units", default="8,4,2")
    parser.add_argument("--lengths", default="160,96,64")
    parser.add_argument("--set", default="eval/questions.yaml")
    args = parser.parse_args()
    settings = get_settings().model_copy(deep=True)
    settings.embedding.query_cache_size = 0
    settings.answer.reader = "learned"
    services = load_services(settings)
    reader = services.answers.learned
    if reader is None:
        raise SystemExit(f"no learned reader: {services.answers.learned_notice}")
    items = load_question_set(Path(args.set)).split(args.split)
    spent = [0.0]
    scores = reader.scores

    def timed_scores(question: str, passages: list[str]) -> list[float]:
        began = time.process_time()
        try:
            return scores(question, passages)
        finally:
            spent[0] += time.process_time() - began

    object.__setattr__(reader, "scores", timed_scores)
    print(f"{args.split} split, {len(items)} items, reader=learned")
    print(
        "| units | tokens | accuracy | answer acc | abst. recall | wrongly refused "
        "| learned core-ms |"
    )
    print("|---:|---:|---:|---:|---:|---:|---:|")
    for units in [int(u) for u in args.units.split(",")]:
        for length in [int(n) for n in args.lengths.split(",")]:
            learned_module.SCORED_UNITS = units
            reader.encoder.max_length = length
            reader._seen.clear()  # every point reads every pair itself
            spent[0] = 0.0
            figures = aggregate(run(services.answers, items))
            print(
                f"| {units} | {length} | {figures['accuracy']:.3f} | "
                f"{figures['answer_accuracy']:.3f} | {figures['abstention_recall']:.3f} | "
                f"{figures['false_abstention']:.3f} | {spent[0] / len(items) * 1000:.1f} |",
                flush=True,
            )


if __name__ == "__main__":
    main()
