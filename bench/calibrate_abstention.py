"""Fit the abstention model's weights on the dev split of the evaluation set.

Runs every dev item through the answer service (in-process, extractive),
collects the abstention signals of each final answer, and fits a logistic
regression (L2, plain gradient descent) of "answerable" on them. Prints the
weights to paste into ``assistant/answer/abstention.py`` and the abstention
precision/recall they give on dev and on the held-out split, which is never
used for fitting.

    python bench/calibrate_abstention.py [--set eval/questions.yaml]
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path

import numpy as np

from assistant.answer.abstention import WEIGHTS, AbstentionSignals, answerable_probability
from assistant.evaluation.dataset import load_question_set
from assistant.evaluation.runner import answer_item
from assistant.launcher import load_services
from assistant.settings import get_settings

FEATURES = ["dense", "coverage", "unknown", "type_miss", "english"]


def collect(service, items):
    """Signals, labels (1 = answerable) and the out-of-scope rule's verdict per item."""
    rows, labels, rules = [], [], []
    for item in items:
        answer = answer_item(service, item)
        signals = answer.signals or {}
        rows.append([signals[f] for f in FEATURES])
        labels.append(1.0 if item.answerable else 0.0)
        rules.append(bool(signals.get("out_of_scope")))
    return np.array(rows), np.array(labels), np.array(rules)


def fit(x: np.ndarray, y: np.ndarray, l2: float = 0.01, steps: int = 20000, lr: float = 0.5):
    mean, std = x.mean(axis=0), x.std(axis=0) + 1e-9
    z = (x - mean) / std
    w = np.zeros(z.shape[1])
    b = 0.0
    balance = np.ones_like(y)
    for _ in range(steps):
        p = 1 / (1 + np.exp(-(z @ w + b)))
        g = (p - y) * balance
        w -= lr * (z.T @ g / len(y) + l2 * w)
        b -= lr * g.mean()
    # back to the raw feature scale
    raw_w = w / std
    raw_b = b - float((w * mean / std).sum())
    return {
        "bias": round(raw_b, 3),
        **{f: round(v, 3) for f, v in zip(FEATURES, raw_w, strict=True)},
    }


MAX_FALSE_ABSTAIN = 0.08


def choose_threshold(x, y, weights, max_false_abstain: float) -> float:
    """The highest threshold whose false-abstention rate on answerable items stays in bounds."""
    probs = np.array([answerable_probability(AbstentionSignals(*row), weights) for row in x])
    answerable = probs[y == 1]
    best = 0.0
    for t in np.unique(np.round(probs, 4)):
        if (answerable < t).mean() <= max_false_abstain:
            best = max(best, float(t))
    return best


def report(name, x, y, rules, weights, threshold):
    probs = np.array([answerable_probability(AbstentionSignals(*row), weights) for row in x])
    abstain = (probs < threshold) | rules
    unanswerable = y == 0
    recall = (abstain & unanswerable).sum() / max(unanswerable.sum(), 1)
    precision = (abstain & unanswerable).sum() / max(abstain.sum(), 1)
    false_abstain = (abstain & ~unanswerable).sum()
    print(
        f"{name:8s} abstention recall {recall:.3f}  precision {precision:.3f}  "
        f"answerable wrongly abstained {false_abstain}/{(~unanswerable).sum()}"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--set", default="eval/questions.yaml")
    args = parser.parse_args()
    settings = get_settings()
    services = load_services(settings)
    qs = load_question_set(Path(args.set))
    x_dev, y_dev, r_dev = collect(services.answers, qs.split("dev"))
    x_held, y_held, r_held = collect(services.answers, qs.split("heldout"))
    weights = fit(x_dev, y_dev)
    print("fitted weights:", json.dumps(weights))
    threshold = settings.answer.abstain_threshold
    best = choose_threshold(x_dev, y_dev, weights, max_false_abstain=MAX_FALSE_ABSTAIN)
    print(
        f"threshold with at most {MAX_FALSE_ABSTAIN:.0%} of answerable dev questions abstained: "
        f"{best:.3f}"
    )
    print(f"threshold {threshold}; current weights:", json.dumps(WEIGHTS))
    for label, w, t in (("current", WEIGHTS, threshold), ("fitted", weights, best)):
        print(f"-- {label} weights, threshold {t:.3f}")
        report("dev", x_dev, y_dev, r_dev, w, t)
        report("heldout", x_held, y_held, r_held, w, t)


if __name__ == "__main__":
    main()
