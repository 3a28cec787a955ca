"""Calibrate the learned reader on the dev split: its rank weight, then P(answerable).

First the rank weight (a unit's score = the reader's + weight · the cross-encoder's logit):
the value of ``--weights`` under which most answerable dev questions get every expected fact
(no abstention by the model while this is measured). Then runs every dev item through the
answer service with the learned reader, collects the hand-made reader's probability and the
cross-encoder's best logit, and fits scikit-learn's ``LogisticRegression`` of "answerable"
on the items no rule decided, with the question's language as a third term (English
questions get lower logits from a model trained mostly on Norwegian ones). The threshold
is the highest one that keeps wrongly refused answerable dev questions (rules included) at
or below ``--max-false-abstain``. Writes the calibration and the corpus hash into the
artifact's manifest (by default the served one, ``answer.reader_dir``:
``models/reader-small/manifest.json``) and prints the figures on dev and on the held-out split,
which is never used for fitting.

    python bench/calibrate_learned.py [--dir models/reader-small] [--max-false-abstain 0.05]
"""

from __future__ import annotations

import argparse
import dataclasses
import math
import time
from pathlib import Path

import numpy as np
from sklearn.linear_model import LogisticRegression

from assistant.answer.learned import corpus_hash
from assistant.evaluation.dataset import load_question_set
from assistant.evaluation.runner import answer_item
from assistant.launcher import load_services
from assistant.reader.training import write_artifact
from assistant.settings import get_settings


def collect(service, items):
    rows, labels, ruled = [], [], []
    for item in items:
        answer = answer_item(service, item)
        signals = answer.signals or {}
        decided = bool(signals.get("out_of_scope")) or "learned" not in signals
        p = min(max(signals.get("reader_probability", 0.5), 1e-6), 1 - 1e-6)
        english = float(answer.language == "en")
        rows.append([math.log(p / (1 - p)), signals.get("learned", 0.0), english])
        labels.append(int(item.answerable))
        ruled.append(decided)
    return np.array(rows), np.array(labels), np.array(ruled)


def facts_found(service, items) -> float:
    """Share of answerable items whose answer holds every expected fact."""
    from assistant.evaluation.metrics import fact_present

    answerable = [i for i in items if i.answerable]
    found = 0
    for item in answerable:
        text = answer_item(service, item).answer
        found += all(fact_present(text, alternatives) for alternatives in item.expected_facts)
    return found / max(len(answerable), 1)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--dir", type=Path, default=get_settings().answer.reader_dir)
    parser.add_argument("--set", default="eval/questions.yaml")
    parser.add_argument("--max-false-abstain", type=float, default=0.05)
    parser.add_argument("--weights", default="0,0.01,0.02,0.04,0.08,0.16")
    parser.add_argument("--dry-run", action="store_true")
    args = parser.parse_args()
    settings = get_settings().model_copy(deep=True)
    settings.answer.reader = "learned"
    settings.answer.reader_dir = args.dir
    services = load_services(settings)
    reader = services.answers.learned
    if reader is None:
        raise SystemExit(f"no learned reader: {services.answers.learned_notice}")
    reader.exhaustive = True  # the fit needs every question's true best logit
    qs = load_question_set(Path(args.set))
    dev_items = qs.split("dev")
    best_weight, best_found = 0.0, -1.0
    for weight in (float(w) for w in args.weights.split(",")):
        reader.calibration = dataclasses.replace(
            reader.calibration, rank_weight=weight, threshold=0.0
        )
        found = facts_found(services.answers, dev_items)
        print(f"rank weight {weight:5.3f}: answerable dev questions with every fact {found:.3f}")
        if found > best_found + 1e-9:
            best_weight, best_found = weight, found
    reader.calibration = dataclasses.replace(reader.calibration, rank_weight=best_weight)
    x_dev, y_dev, r_dev = collect(services.answers, dev_items)
    x_held, y_held, r_held = collect(services.answers, qs.split("heldout"))
    free = ~r_dev
    model = LogisticRegression(class_weight="balanced", max_iter=1000)
    model.fit(x_dev[free], y_dev[free])
    coef, intercept = model.coef_[0], float(model.intercept_[0])

    def probs(x):
        return 1 / (1 + np.exp(-(intercept + x @ coef)))

    p_dev, p_held = probs(x_dev), probs(x_held)
    answerable = y_dev == 1
    threshold = 0.0
    for t in np.unique(np.round(p_dev, 4)):
        refused = ((p_dev < t) | r_dev) & answerable
        if refused.sum() / max(answerable.sum(), 1) <= args.max_false_abstain:
            threshold = max(threshold, float(t))
    for name, p, y, r in (("dev", p_dev, y_dev, r_dev), ("heldout", p_held, y_held, r_held)):
        abstain = (p < threshold) | r
        unanswerable = y == 0
        print(
            f"{name:8s} recall {(abstain & unanswerable).sum() / max(unanswerable.sum(), 1):.3f}"
            f"  precision {(abstain & unanswerable).sum() / max(abstain.sum(), 1):.3f}"
            f"  answerable refused {(abstain & ~unanswerable).sum()}/{(~unanswerable).sum()}"
        )
    calibration = {
        "rank_weight": best_weight,
        "reader": round(float(coef[0]), 4),
        "learned": round(float(coef[1]), 4),
        "english": round(float(coef[2]), 4),
        "intercept": round(intercept, 4),
        "threshold": round(threshold, 4),
        "fitted_by": "bench/calibrate_learned.py",
        "fitted_at": time.strftime("%Y-%m-%d"),
        "split": "dev",
        "threshold_rule": f"highest with <= {args.max_false_abstain:.0%} answerable dev refused",
    }
    print(calibration)
    if not args.dry_run:
        write_artifact(
            args.dir, {}, {"calibration": calibration, "corpus_hash": corpus_hash(services.index)}
        )
        print(f"wrote the calibration into {args.dir / 'manifest.json'}")


if __name__ == "__main__":
    main()
