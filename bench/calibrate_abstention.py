"""Fit the abstention model on the dev split of the evaluation set.

Runs every dev item through the answer service (in-process, extractive), collects
the abstention features of each answer (:mod:`assistant.answer.abstention`), and
fits scikit-learn's ``LogisticRegression`` (standardised features, L2,
``class_weight="balanced"``) of "answerable" on the items no rule decided. The
threshold is the highest one that keeps wrongly abstained answerable dev questions
(rules included) at or below ``--max-false-abstain``. Writes
``assistant/answer/abstention_model.json`` (coefficients, scaling, threshold and
how they were fitted) and prints abstention precision/recall on dev and on the
held-out split, which is never used for fitting.

    python bench/calibrate_abstention.py [--set eval/questions.yaml] [--dry-run]
"""

from __future__ import annotations

import argparse
import json
import time
from pathlib import Path

import numpy as np
from sklearn.linear_model import LogisticRegression
from sklearn.preprocessing import StandardScaler

from assistant.answer.abstention import FEATURES, MODEL_FILE, AbstentionModel
from assistant.evaluation.dataset import EvalItem, load_question_set
from assistant.evaluation.runner import answer_item
from assistant.launcher import load_services
from assistant.settings import get_settings

MODEL_PATH = Path(__file__).resolve().parents[1] / "assistant" / "answer" / MODEL_FILE


def collect(service, items: list[EvalItem]):
    """Features, labels (1 = answerable) and the rules' verdict per item."""
    rows, labels, rules = [], [], []
    for item in items:
        answer = answer_item(service, item)
        signals = answer.signals or {}
        rows.append([signals[f] for f in FEATURES])
        labels.append(1 if item.answerable else 0)
        rules.append(bool(signals.get("out_of_scope")) or bool(signals.get("rule")))
    return np.array(rows, dtype=float), np.array(labels), np.array(rules)


def choose_threshold(probs, y, rules, max_false_abstain: float) -> float:
    """The highest threshold whose false-abstention rate on answerable items stays in bounds."""
    answerable = y == 1
    best = 0.0
    for t in np.unique(np.round(probs, 4)):
        abstain = (probs < t) | rules
        if (abstain & answerable).sum() / max(answerable.sum(), 1) <= max_false_abstain:
            best = max(best, float(t))
    return best


def report(name: str, probs, y, rules, threshold: float) -> dict[str, float]:
    abstain = (probs < threshold) | rules
    unanswerable = y == 0
    hits = (abstain & unanswerable).sum()
    figures = {
        "recall": hits / max(unanswerable.sum(), 1),
        "precision": hits / max(abstain.sum(), 1),
        "false_abstain": (abstain & ~unanswerable).sum() / max((~unanswerable).sum(), 1),
    }
    print(
        f"{name:8s} abstention recall {figures['recall']:.3f}  precision "
        f"{figures['precision']:.3f}  answerable wrongly abstained "
        f"{(abstain & ~unanswerable).sum()}/{(~unanswerable).sum()} "
        f"({figures['false_abstain']:.1%})"
    )
    return figures


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--set", default="eval/questions.yaml")
    parser.add_argument("--max-false-abstain", type=float, default=0.05)
    parser.add_argument("--C", type=float, default=1.0, help="inverse L2 strength")
    parser.add_argument("--dry-run", action="store_true", help="print, do not write the model")
    args = parser.parse_args()
    settings = get_settings()
    services = load_services(settings)
    qs = load_question_set(Path(args.set))
    x_dev, y_dev, r_dev = collect(services.answers, qs.split("dev"))
    x_held, y_held, r_held = collect(services.answers, qs.split("heldout"))

    free = ~r_dev
    scaler = StandardScaler().fit(x_dev[free])
    classifier = LogisticRegression(C=args.C, class_weight="balanced", max_iter=1000)
    classifier.fit(scaler.transform(x_dev[free]), y_dev[free])
    model = AbstentionModel(
        features=FEATURES,
        mean=tuple(float(v) for v in scaler.mean_),
        scale=tuple(float(v) for v in scaler.scale_),
        coef=tuple(round(float(v), 4) for v in classifier.coef_[0]),
        intercept=round(float(classifier.intercept_[0]), 4),
        threshold=0.5,
        provenance={},
    )
    probs_dev = np.array([_probability(model, row) for row in x_dev])
    probs_held = np.array([_probability(model, row) for row in x_held])
    threshold = choose_threshold(probs_dev, y_dev, r_dev, args.max_false_abstain)
    print("coefficients (standardised):", dict(zip(FEATURES, model.coef, strict=True)))
    print(f"threshold (<= {args.max_false_abstain:.0%} answerable dev abstained): {threshold:.4f}")
    dev = report("dev", probs_dev, y_dev, r_dev, threshold)
    report("heldout", probs_held, y_held, r_held, threshold)
    fitted = AbstentionModel(
        **{
            **model.__dict__,
            "threshold": round(threshold, 4),
            "provenance": {
                "fitted_by": "bench/calibrate_abstention.py",
                "fitted_at": time.strftime("%Y-%m-%d"),
                "question_set": args.set,
                "split": "dev",
                "items": len(y_dev),
                "items_decided_by_rules": int(r_dev.sum()),
                "estimator": f"sklearn LogisticRegression(C={args.C}, class_weight='balanced')",
                "threshold_rule": f"highest with <= {args.max_false_abstain:.0%} answerable dev "
                "questions abstained (rules included)",
                "dev_recall": round(float(dev["recall"]), 3),
                "dev_precision": round(float(dev["precision"]), 3),
            },
        }
    )
    if not args.dry_run:
        MODEL_PATH.write_text(json.dumps(fitted.to_dict(), indent=1) + "\n", encoding="utf-8")
        print(f"wrote {MODEL_PATH}")


def _probability(model: AbstentionModel, row) -> float:
    from assistant.answer.abstention import AbstentionFeatures

    return model.probability(AbstentionFeatures(*row))


if __name__ == "__main__":
    main()
